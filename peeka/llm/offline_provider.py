"""The `offline` provider, the default: questions chosen from a curated bank by retrieval
(`peeka.llm.offline.bank`) and rubric feedback from measurable signals
(`peeka.llm.offline.rubric`). No model, no network; each answer still records a `Call`.

The engine is imported on first use, so choosing a provider never loads it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TypeVar

from peeka.llm.base import Call, LLMError, Settings, record
from peeka.llm.prompts import feedback_text
from peeka.llm.types import Feedback, FeedbackRequest, Language, QuestionRequest, Questions

Answer = TypeVar("Answer", Questions, Feedback)

STREAM_CHUNKS = 3
"""How many pieces `feedback_stream` yields the rendered text in (sections, grouped)."""


class OfflineProvider:
    """Questions and feedback without a model. Answers are plain text, as with every provider:
    nothing in them is executed, fetched or meant to be rendered as HTML."""

    name = "offline"

    def __init__(self, settings: Settings | None = None) -> None:
        self.calls: list[Call] = []
        self.settings = settings or Settings()

    def configure(self, settings: Settings) -> None:
        self.settings = settings

    def questions(self, request: QuestionRequest) -> Questions:
        from peeka.llm.offline.bank import choose_questions

        started = time.perf_counter()
        try:
            questions = Questions.model_validate(choose_questions(request))
        except Exception as exc:
            self._record("questions", "bank", started, _code(exc))
            raise
        self._record("questions", "bank", started)
        return questions

    def feedback(self, request: FeedbackRequest) -> Feedback:
        from peeka.llm.offline.rubric import judge

        started = time.perf_counter()
        try:
            feedback = Feedback.model_validate(judge(request))
        except Exception as exc:
            self._record("feedback", "rubric", started, _code(exc))
            raise
        self._record("feedback", "rubric", started)
        return feedback

    def feedback_stream(self, request: FeedbackRequest) -> Iterator[str | Feedback]:
        """The feedback rendered as plain text (`prompts.feedback_text`) in a few chunks, then
        the `Feedback` itself."""
        feedback = self.feedback(request)
        yield from chunks(feedback_text(feedback, request.language), STREAM_CHUNKS)
        yield feedback

    def transcribes(self) -> bool:
        """Never: there is no speech model offline (answers are typed)."""
        return False

    def transcribe(self, audio: bytes, *, content_type: str, language: Language) -> str:
        """`LLMError("llm_unsupported")`, always; nothing is recorded (no request was made)."""
        raise LLMError("llm_unsupported", "The offline provider cannot transcribe speech.")

    def _record(self, operation: str, engine: str, started: float, error: str = "") -> None:
        record(
            self.calls,
            Call(
                provider=self.name,
                model=engine,
                operation=operation,
                prompt_version=f"{engine}.offline",
                input_tokens=0,
                output_tokens=0,
                latency_ms=(time.perf_counter() - started) * 1000,
                ok=not error,
                error=error,
            ),
        )


def _code(exc: Exception) -> str:
    return exc.code if isinstance(exc, LLMError) else type(exc).__name__


def chunks(text: str, count: int) -> list[str]:
    """`text` cut into at most `count` pieces at paragraph breaks (at line breaks when it has
    fewer paragraphs than `count`); the pieces join back into `text` exactly."""
    pieces = text.split("\n\n")
    separator = "\n\n"
    if len(pieces) < count:
        pieces, separator = text.split("\n"), "\n"
    pieces = [piece + separator for piece in pieces[:-1]] + [pieces[-1]]
    pieces = [piece for piece in pieces if piece]
    size = max(1, -(-len(pieces) // count))
    return ["".join(pieces[start : start + size]) for start in range(0, len(pieces), size)]
