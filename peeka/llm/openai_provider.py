"""The `openai` provider: any OpenAI-compatible chat-completions server through the official
`openai` SDK — Ollama, llama.cpp server, vLLM, LM Studio, or a hosted service.

A model is asked for JSON only, matching the pydantic model's JSON schema, in the requested
language. Its reply is parsed (Markdown fences and `<think>` blocks stripped), validated with
pydantic and checked for its script (Hangul for ko, Han for zh-hans, Latin for en); a reply that
fails gets ONE repair request (its own output back, with the validation errors or a language
note), then `LLMError("llm_malformed")` or `LLMError("llm_wrong_language")`.

With `Settings.transcribe_model`, spoken answers are written down by the same server's
`POST /audio/transcriptions` (vLLM serving Whisper, a hosted service; Ollama and llama.cpp's
server have none), in the language asked.

Output is text only: nothing a model writes is ever executed, fetched or rendered as HTML here;
the provider returns plain strings in pydantic models, and a page escapes them like any user
text. Error messages and log lines never contain what the candidate (or the model) wrote or
said, and a recording is sent on and forgotten."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import openai
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from pydantic import ValidationError

from peeka.llm.base import Call, LLMError, Settings, audio_extension, record
from peeka.llm.prompts import (
    LANGUAGE_NAMES,
    Prompt,
    feedback_prompt,
    in_language,
    questions_prompt,
    repair_prompt,
)
from peeka.llm.types import (
    MAX_SUGGESTION,
    Feedback,
    FeedbackRequest,
    Language,
    QuestionRequest,
    Questions,
)

Answer = TypeVar("Answer", Questions, Feedback)

TRANSCRIBE_LANGUAGES: dict[Language, str] = {"ko": "ko", "en": "en", "zh-hans": "zh"}
"""The ISO 639-1 code a transcription endpoint takes for each language."""

_FENCE = re.compile(r"^```[A-Za-z]*\s*\n?(.*?)\n?\s*```$", re.DOTALL)
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL)


@dataclass
class _Reply:
    """What one model request produced (text and usage), before it is judged."""

    text: str
    input_tokens: int = 0
    output_tokens: int = 0
    started: float = field(default_factory=time.perf_counter)
    finished: float = 0.0

    @property
    def latency_ms(self) -> float:
        return (self.finished - self.started) * 1000


class UnusableReplyError(Exception):
    """A reply that cannot be used as it is: not JSON, not the schema, or the wrong language.
    `problems` are locations and messages only, never values."""

    def __init__(self, problems: list[str], *, wrong_language: bool = False) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.wrong_language = wrong_language

    @property
    def code(self) -> str:
        return "llm_wrong_language" if self.wrong_language else "llm_malformed"


class OpenAIProvider:
    """Questions and feedback from a model behind an OpenAI-compatible `/chat/completions`.

    Each model request (the repair and a JSON-mode retry included) appends a `Call` to `calls`
    and logs one line on "peeka.llm". A provider is cheap to build and holds no connection
    until its first request; it is not meant to be shared between threads."""

    name = "openai"

    def __init__(self, settings: Settings | None = None) -> None:
        self.calls: list[Call] = []
        self.settings = Settings()
        self._json_mode = True
        self._client: openai.OpenAI | None = None
        if settings is not None:
            self.configure(settings)

    def configure(self, settings: Settings) -> None:
        self.settings = settings
        self._json_mode = settings.json_mode
        self._client = None

    # --- The interface ---------------------------------------------------------------------

    def questions(self, request: QuestionRequest) -> Questions:
        """Three job and three personality questions, in the request's language."""
        prompt = questions_prompt(request)
        messages = _messages(prompt)
        reply = self._complete(messages, "questions", prompt.version)
        return self._settle(reply, messages, prompt, "questions", request.language, Questions)

    def feedback(self, request: FeedbackRequest) -> Feedback:
        """Rubric feedback on the first MAX_ANSWER characters of the answer."""
        prompt = feedback_prompt(request)
        messages = _messages(prompt)
        reply = self._complete(messages, "feedback", prompt.version)
        return self._settle(reply, messages, prompt, "feedback", request.language, Feedback)

    def feedback_stream(self, request: FeedbackRequest) -> Iterator[str | Feedback]:
        """The model's text deltas as they arrive (raw JSON text: something to show while
        waiting, not to parse), then the validated `Feedback` last. A reply that needs repair
        is repaired with one non-streamed request before the `Feedback` is yielded."""
        prompt = feedback_prompt(request)
        messages = _messages(prompt)
        reply = yield from self._stream(messages, prompt.version)
        yield self._settle(reply, messages, prompt, "feedback", request.language, Feedback)

    def transcribes(self) -> bool:
        """True when the settings name a transcription model (the server is not asked)."""
        return bool(self.settings.base_url and self.settings.transcribe_model)

    def transcribe(self, audio: bytes, *, content_type: str, language: Language) -> str:
        """The recording written down by `Settings.transcribe_model` (see `Provider`): one
        request, recorded as a `Call` ("transcribe", tokens 0) with the same error codes as
        the other requests; a reply without a text is "llm_unavailable"."""
        if not self.transcribes():
            raise LLMError(
                "llm_unsupported", "No transcription model is set (PEEKA_LLM_TRANSCRIBE_MODEL)."
            )
        extension = audio_extension(audio, content_type)
        media_type = content_type.split(";", 1)[0].strip().lower()
        version = f"transcribe.{language}"
        model = self.settings.transcribe_model
        reply = _Reply("")
        try:
            result = self._openai().audio.transcriptions.create(
                model=model,
                file=(f"answer.{extension}", audio, media_type),
                language=TRANSCRIBE_LANGUAGES[language],
                response_format="json",
            )
        except (openai.OpenAIError, ValueError) as exc:
            # ValueError: a 200 whose body is not JSON.
            raise self._failure(exc, reply, "transcribe", version, model) from None
        reply.finished = time.perf_counter()
        text = getattr(result, "text", None)
        if not isinstance(text, str):
            self._record("transcribe", version, reply, "llm_unavailable", model)
            raise LLMError(
                "llm_unavailable", "The LLM server's reply is not an OpenAI transcription."
            )
        self._record("transcribe", version, reply, model=model)
        return text.strip()

    # --- Judging replies -------------------------------------------------------------------

    def _settle(
        self,
        reply: _Reply,
        messages: list[ChatCompletionMessageParam],
        prompt: Prompt,
        operation: str,
        language: Language,
        model: type[Answer],
    ) -> Answer:
        """The validated answer from `reply`, or from ONE repair request when it is unusable."""
        try:
            answer = parse_answer(reply.text, model, language)
        except UnusableReplyError as unusable:
            self._record(operation, prompt.version, reply, error=unusable.code)
            repair_version, note = repair_prompt(
                language, errors=unusable.problems, wrong_language=unusable.wrong_language
            )
            version = f"{prompt.version}+{repair_version}"
            repair_messages: list[ChatCompletionMessageParam] = [
                *messages,
                {"role": "assistant", "content": reply.text},
                {"role": "user", "content": note},
            ]
            repaired = self._complete(repair_messages, "repair", version)
            try:
                answer = parse_answer(repaired.text, model, language)
            except UnusableReplyError as still:
                self._record("repair", version, repaired, error=still.code)
                if still.wrong_language:
                    name = LANGUAGE_NAMES[language]
                    raise LLMError(
                        still.code, f"The model did not answer in {name}, even when asked again."
                    ) from None
                raise LLMError(
                    still.code, "The model's answer was not valid JSON for the expected schema."
                ) from None
            self._record("repair", version, repaired)
            return answer
        self._record(operation, prompt.version, reply)
        return answer

    def _record(
        self, operation: str, version: str, reply: _Reply, error: str = "", model: str = ""
    ) -> None:
        record(
            self.calls,
            Call(
                provider=self.name,
                model=model or self.settings.model,
                operation=operation,
                prompt_version=version,
                input_tokens=reply.input_tokens,
                output_tokens=reply.output_tokens,
                latency_ms=reply.latency_ms,
                ok=not error,
                error=error,
            ),
        )

    # --- Talking to the server -------------------------------------------------------------

    def _openai(self) -> openai.OpenAI:
        if self._client is None:
            if not self.settings.base_url or not self.settings.model:
                raise LLMError("llm_config", "The openai provider needs a base URL and a model.")
            self._client = openai.OpenAI(
                base_url=self.settings.base_url,
                api_key=self.settings.api_key or "not-needed",
                timeout=self.settings.timeout,
                max_retries=0,
            )
        return self._client

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {
            "model": self.settings.model,
            "max_tokens": self.settings.max_tokens,
        }
        if self._json_mode:
            options["response_format"] = {"type": "json_object"}
        return options

    def _complete(
        self, messages: list[ChatCompletionMessageParam], operation: str, version: str
    ) -> _Reply:
        """One non-streamed request. A failed request is recorded here; a reply is recorded
        once it has been judged."""
        reply = _Reply("")
        completion = self._call(
            reply,
            operation,
            version,
            lambda options: self._openai().chat.completions.create(messages=messages, **options),
        )
        reply.finished = time.perf_counter()
        try:
            # A server that answers 200 with something else (an HTML page, `{}`, a list): the
            # SDK does not validate, so the shape is checked here.
            if not isinstance(completion, ChatCompletion):
                raise TypeError
            usage = completion.usage
            if usage is not None:
                reply.input_tokens = _tokens(usage.prompt_tokens)
                reply.output_tokens = _tokens(usage.completion_tokens)
            choice = completion.choices[0]
            refused = bool(choice.message.refusal) or choice.finish_reason == "content_filter"
            content = choice.message.content
        except (AttributeError, IndexError, TypeError):
            self._record(operation, version, reply, error="llm_unavailable")
            raise LLMError(
                "llm_unavailable", "The LLM server's reply is not an OpenAI chat completion."
            ) from None
        if refused:
            self._record(operation, version, reply, error="llm_refused")
            raise LLMError("llm_refused", "The model declined to answer.")
        reply.text = content if isinstance(content, str) else ""
        return reply

    def _stream(
        self, messages: list[ChatCompletionMessageParam], version: str
    ) -> Generator[str, None, _Reply]:
        reply = _Reply("")
        stream = self._call(
            reply,
            "feedback",
            version,
            lambda options: self._openai().chat.completions.create(
                messages=messages,
                stream=True,
                stream_options={"include_usage": True},
                **options,
            ),
        )
        parts: list[str] = []
        with stream:
            try:
                for chunk in stream:
                    if chunk.usage is not None:
                        reply.input_tokens = _tokens(chunk.usage.prompt_tokens)
                        reply.output_tokens = _tokens(chunk.usage.completion_tokens)
                    if not chunk.choices:
                        continue
                    choice = chunk.choices[0]
                    if choice.delta.refusal or choice.finish_reason == "content_filter":
                        reply.finished = time.perf_counter()
                        self._record("feedback", version, reply, error="llm_refused")
                        raise LLMError("llm_refused", "The model declined to answer.")
                    if choice.delta.content:
                        parts.append(choice.delta.content)
                        yield choice.delta.content
            except (openai.OpenAIError, ValueError, AttributeError, TypeError) as exc:
                raise self._failure(exc, reply, "feedback", version) from None
        reply.finished = time.perf_counter()
        reply.text = "".join(parts)
        return reply

    def _call(
        self,
        reply: _Reply,
        operation: str,
        version: str,
        request: Callable[[dict[str, Any]], Any],
    ) -> Any:
        """`request(options)`, with SDK errors turned into `LLMError`s. A server that rejects
        JSON mode (HTTP 400 or 422 with `response_format` set) is asked once more without it,
        and this provider stops sending it."""
        try:
            return request(self._options())
        except openai.APIStatusError as exc:
            if not (self._json_mode and exc.status_code in (400, 422)):
                raise self._failure(exc, reply, operation, version) from None
            reply.finished = time.perf_counter()
            self._record(operation, version, reply, error="json_mode_rejected")
            self._json_mode = False
        except openai.OpenAIError as exc:
            raise self._failure(exc, reply, operation, version) from None
        reply.started = time.perf_counter()
        try:
            return request(self._options())
        except openai.OpenAIError as exc:
            raise self._failure(exc, reply, operation, version) from None

    def _failure(
        self, exc: Exception, reply: _Reply, operation: str, version: str, model: str = ""
    ) -> LLMError:
        error = _llm_error(exc, self.settings.timeout)
        reply.finished = time.perf_counter()
        self._record(operation, version, reply, error=error.code, model=model)
        return error


def _messages(prompt: Prompt) -> list[ChatCompletionMessageParam]:
    return [
        {"role": "system", "content": prompt.system},
        {"role": "user", "content": prompt.user},
    ]


def _tokens(value: object) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


def _llm_error(exc: Exception, timeout: float) -> LLMError:
    """The `LLMError` for an SDK error. Only the status code is kept: the server's message
    may quote the request, which holds what the candidate wrote."""
    if isinstance(exc, openai.APITimeoutError):
        return LLMError("llm_timeout", f"The LLM server did not answer within {timeout:g} s.")
    if isinstance(exc, openai.APIConnectionError):
        return LLMError(
            "llm_unavailable", "The LLM server cannot be reached (connection refused or no host)."
        )
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status in (401, 403):
            return LLMError(
                "llm_unavailable",
                f"The LLM server refused the API key (HTTP {status}); check PEEKA_LLM_API_KEY.",
            )
        if status == 429:
            return LLMError("llm_unavailable", "The LLM server is busy (HTTP 429); try later.")
        if status >= 500:
            return LLMError("llm_unavailable", f"The LLM server failed (HTTP {status}).")
        return LLMError(
            "llm_unavailable",
            f"The LLM server rejected the request (HTTP {status}); check PEEKA_LLM_MODEL and "
            "PEEKA_LLM_BASE_URL (usually ending in /v1).",
        )
    return LLMError("llm_unavailable", "The LLM server sent a reply that could not be read.")


# --- Parsing ---------------------------------------------------------------------------------


def extract_json(text: str) -> object:
    """The JSON value in a model's reply: `<think>` blocks and a Markdown fence are removed,
    and prose around a single object is tolerated. `ValueError` when there is none."""
    cleaned = _THINK.sub("", text).strip()
    fenced = _FENCE.match(cleaned)
    if fenced:
        cleaned = fenced.group(1).strip()
    try:
        return json.loads(cleaned)
    except ValueError as exc:
        start, end = cleaned.find("{"), cleaned.rfind("}")
        if 0 <= start < end:
            try:
                return json.loads(cleaned[start : end + 1])
            except ValueError:
                pass
        raise ValueError(f"not JSON ({exc})") from None


def parse_answer(text: str, model: type[Answer], language: Language) -> Answer:
    """`text` as a validated `model` in `language`, or `UnusableReplyError` with the problems found.
    A Feedback `suggestion` longer than MAX_SUGGESTION characters is cut, not refused."""
    try:
        data = extract_json(text)
    except ValueError as exc:
        raise UnusableReplyError([str(exc) if text.strip() else "empty reply"]) from None
    if not isinstance(data, dict):
        raise UnusableReplyError(["the reply must be one JSON object"])
    if model is Feedback and isinstance(data.get("suggestion"), str):
        suggestion: str = data["suggestion"].strip()
        if len(suggestion) > MAX_SUGGESTION:
            data["suggestion"] = suggestion[: MAX_SUGGESTION - 1].rstrip() + "…"
    try:
        answer = model.model_validate(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in error['loc']) or '(root)'}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)
        ]
        raise UnusableReplyError(problems) from None
    if not in_language(answer_text(answer), language):
        raise UnusableReplyError(
            [f"not written in {LANGUAGE_NAMES[language]}"], wrong_language=True
        )
    return answer


def answer_text(answer: Questions | Feedback) -> str:
    """The text fields of an answer joined, as the language check reads them."""
    if isinstance(answer, Questions):
        return "\n".join([*answer.job, *answer.personality])
    return "\n".join(
        [
            *answer.strengths,
            *answer.improvements,
            answer.suggestion,
            answer.example,
            *answer.follow_up,
        ]
    )
