"""The provider interface, its errors, the per-call record, and the deployment's settings."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from peeka.llm.types import Feedback, FeedbackRequest, Language, QuestionRequest, Questions

log = logging.getLogger("peeka.llm")

ERROR_CODES = frozenset(
    {
        "llm_unavailable",
        "llm_timeout",
        "llm_malformed",
        "llm_wrong_language",
        "llm_refused",
        "llm_config",
        "llm_unsupported",
    }
)

AUDIO_MAX_BYTES = 10 * 1024 * 1024
"""The largest recording a provider is asked to transcribe (10 MB: minutes of Opus speech)."""
AUDIO_TYPES: dict[str, str] = {
    "audio/webm": "webm",
    "audio/ogg": "ogg",
    "audio/mp4": "mp4",
    "audio/mpeg": "mp3",
    "audio/wav": "wav",
}
"""The recordings a provider transcribes, by media type, with the file name extension sent
for each (OpenAI's endpoint reads the format from the name): what browsers' MediaRecorder
makes (Chromium WebM, Firefox Ogg, Safari MP4) and the usual files."""


class LLMError(Exception):
    """A provider could not answer. `code` is stable: "llm_unavailable" (down, refused, bad
    key), "llm_timeout", "llm_malformed" (no valid answer after one repair attempt),
    "llm_wrong_language", "llm_refused" (the model declined), "llm_config", "llm_unsupported"
    (the provider cannot do this at all, e.g. transcribe speech). The message is English and
    safe to show; it never contains what the user wrote (or said)."""

    def __init__(self, code: str, message: str) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown LLM error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message


class AudioError(ValueError):
    """A recording a provider refuses before any request: `code` is "audio_empty",
    "audio_too_large" (over AUDIO_MAX_BYTES) or "audio_type" (not one of AUDIO_TYPES)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def audio_extension(audio: bytes, content_type: str) -> str:
    """The file name extension for a recording of `content_type` (parameters such as
    ";codecs=opus" allowed, case ignored), or `AudioError` when it is empty, larger than
    AUDIO_MAX_BYTES or of a type not in AUDIO_TYPES."""
    if not audio:
        raise AudioError("audio_empty", "The recording is empty.")
    if len(audio) > AUDIO_MAX_BYTES:
        raise AudioError(
            "audio_too_large", f"A recording has at most {AUDIO_MAX_BYTES // 1024 // 1024} MB."
        )
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in AUDIO_TYPES:
        raise AudioError(
            "audio_type", f"A recording is one of {', '.join(AUDIO_TYPES)}, not {media_type!r}."
        )
    return AUDIO_TYPES[media_type]


@dataclass(frozen=True)
class Call:
    """One request to a model, as recorded: never the prompt or the answer (nor the audio
    or the transcription)."""

    provider: str
    model: str
    operation: str
    """"questions", "feedback", "repair", "transcribe"."""
    prompt_version: str
    """The prompt template's version and language, e.g. "questions.v1.ko"; a repair records
    both prompts ("feedback.v1.en+repair.v1.en"); the offline provider records its engine; a
    transcription its language ("transcribe.ko")."""
    input_tokens: int
    output_tokens: int
    latency_ms: float
    ok: bool
    error: str = ""
    """An `LLMError` code (or a short reason such as "json_mode_rejected") when not ok."""


def record(calls: list[Call], call: Call) -> None:
    """Append `call` and log one line for it on the "peeka.llm" logger: what was asked of which
    model, how long it took and how many tokens it cost — never the prompt or the output."""
    calls.append(call)
    log.log(
        logging.INFO if call.ok else logging.WARNING,
        "llm call provider=%s model=%s operation=%s version=%s input_tokens=%d "
        "output_tokens=%d latency_ms=%.0f ok=%s%s",
        call.provider,
        call.model,
        call.operation,
        call.prompt_version,
        call.input_tokens,
        call.output_tokens,
        call.latency_ms,
        call.ok,
        f" error={call.error}" if call.error else "",
    )


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True)
class Settings:
    """A deployment's LLM settings (PEEKA_LLM_*). With no base URL the offline provider answers.

    `base_url` is the server's OpenAI-compatible root, usually ending in /v1 (Ollama:
    http://localhost:11434/v1, llama.cpp server: http://localhost:8080/v1, vLLM:
    http://localhost:8000/v1, LM Studio: http://localhost:1234/v1). `json_mode` sends
    `response_format={"type": "json_object"}`; a server that rejects it (LM Studio does) is
    asked again without it, so it only needs turning off to save that first refused request.

    `transcribe_model` names the speech-to-text model of the same server, for servers with
    `POST /v1/audio/transcriptions` (vLLM serving Whisper, OpenAI and other hosted services;
    Ollama and llama.cpp's server have none): with it the coach offers spoken answers. It is
    ignored (kept empty) without a base URL."""

    base_url: str = ""
    model: str = ""
    api_key: str = field(default="", repr=False)
    timeout: float = 60.0
    max_tokens: int = 2048
    json_mode: bool = True
    transcribe_model: str = ""

    @property
    def provider(self) -> str:
        return "openai" if self.base_url else "offline"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """PEEKA_LLM_BASE_URL, PEEKA_LLM_MODEL (required with a base URL), PEEKA_LLM_API_KEY or
        PEEKA_LLM_API_KEY_FILE (which wins), PEEKA_LLM_TIMEOUT (seconds, at most 600),
        PEEKA_LLM_MAX_TOKENS (16 to 32768), PEEKA_LLM_JSON_MODE (1/0, true/false, on/off),
        PEEKA_LLM_TRANSCRIBE_MODEL (optional, e.g. "whisper-1"; only read with a base URL);
        `LLMError("llm_config")` when one is malformed. Messages name the variable, never the
        key."""
        values = os.environ if env is None else env
        key = values.get("PEEKA_LLM_API_KEY", "").strip()
        key_file = values.get("PEEKA_LLM_API_KEY_FILE", "").strip()
        if key_file:
            try:
                key = Path(key_file).read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                reason = getattr(exc, "strerror", None) or type(exc).__name__
                raise LLMError("llm_config", f"PEEKA_LLM_API_KEY_FILE: {reason}") from None
            if not key:
                raise LLMError("llm_config", "PEEKA_LLM_API_KEY_FILE is empty")
        timeout = _number(values, "PEEKA_LLM_TIMEOUT", "60", float, 600)
        max_tokens = int(_number(values, "PEEKA_LLM_MAX_TOKENS", "2048", int, 32768, 16))
        json_mode_text = values.get("PEEKA_LLM_JSON_MODE", "1").strip().lower()
        if json_mode_text not in _TRUE | _FALSE:
            raise LLMError("llm_config", "PEEKA_LLM_JSON_MODE must be 1 or 0 (true/false, on/off)")
        base_url = values.get("PEEKA_LLM_BASE_URL", "").strip()
        model = values.get("PEEKA_LLM_MODEL", "").strip()
        transcribe_model = ""
        if base_url:
            _check_url(base_url)
            if not model:
                raise LLMError("llm_config", "PEEKA_LLM_MODEL is required with a base URL")
            transcribe_model = values.get("PEEKA_LLM_TRANSCRIBE_MODEL", "").strip()
        return cls(
            base_url, model, key, timeout, max_tokens, json_mode_text in _TRUE, transcribe_model
        )


def _number(
    values: Mapping[str, str],
    name: str,
    default: str,
    kind: type[float] | type[int],
    most: float,
    least: float = 0,
) -> float:
    """A number in (least, most] for a float, [least, most] for an int; NaN is refused too."""
    try:
        number = kind(values.get(name, default).strip())
    except ValueError:
        noun = "a whole number" if kind is int else "a number"
        raise LLMError("llm_config", f"{name} must be {noun}") from None
    low_ok = number >= least if kind is int else number > least
    if not (low_ok and number <= most):
        raise LLMError("llm_config", f"{name} must be between {least:g} and {most:g}")
    return number


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise LLMError("llm_config", "PEEKA_LLM_BASE_URL is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LLMError("llm_config", "PEEKA_LLM_BASE_URL must be an http(s) URL with a host")
    if any(character.isspace() for character in url) or parts.query or parts.fragment:
        raise LLMError("llm_config", "PEEKA_LLM_BASE_URL has spaces, a query or a fragment")


class Provider(Protocol):
    """What the coach asks of a model. Each method validates what it returns (pydantic) and
    appends a `Call` per model request to `calls`. Answers are plain text in pydantic models:
    nothing a model writes is ever executed, fetched or meant to be rendered as HTML (a page
    escapes it like any user text)."""

    name: str
    calls: list[Call]

    def configure(self, settings: Settings) -> None:
        """Take the deployment's settings (the registry builds providers without arguments)."""
        ...

    def questions(self, request: QuestionRequest) -> Questions: ...

    def feedback(self, request: FeedbackRequest) -> Feedback: ...

    def feedback_stream(self, request: FeedbackRequest) -> Iterator[str | Feedback]:
        """Text as it is produced, for the page to show while it waits, then the validated
        `Feedback` last."""
        ...

    def transcribes(self) -> bool:
        """Whether `transcribe` can work with these settings (no request is made)."""
        ...

    def transcribe(self, audio: bytes, *, content_type: str, language: Language) -> str:
        """What is said in the recording `audio` (at most AUDIO_MAX_BYTES, `content_type` one
        of AUDIO_TYPES, parameters allowed), spoken in `language`, as plain text stripped of
        surrounding space ("" when nothing was heard). `AudioError` (a ValueError) for a
        recording outside those limits, before any request; `LLMError("llm_unsupported")`
        from a provider that cannot transcribe. The audio and the text are never kept, logged
        or recorded: the `Call` says only the operation, the model and the time it took."""
        ...
