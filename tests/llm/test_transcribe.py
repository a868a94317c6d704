"""Spoken answers written down: the openai provider against the fake server's
`/v1/audio/transcriptions` (each language, errors, the limits, what is recorded and logged),
the offline provider that cannot, and PEEKA_LLM_TRANSCRIBE_MODEL."""

from __future__ import annotations

import io
import logging
import math
import struct
import wave
from collections.abc import Iterator
from typing import Any

import pytest

from peeka.llm.base import AUDIO_MAX_BYTES, AudioError, LLMError, Provider, Settings
from peeka.llm.offline_provider import OfflineProvider
from peeka.llm.openai_provider import OpenAIProvider
from peeka.llm.providers import provider_for
from peeka.llm.types import Language
from tests.llm.fake_openai import TRANSCRIPTS, Canned, FakeOpenAI, Malformed, Slow, Status

WHISPER = "whisper-large-v3"
URL = "http://localhost:8000/v1"


def wav(seconds: float = 1.0, rate: int = 16000) -> bytes:
    """A real WAV recording: a 440 Hz tone, 16-bit mono."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        samples = (
            int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(int(seconds * rate))
        )
        out.writeframes(b"".join(struct.pack("<h", sample) for sample in samples))
    return buffer.getvalue()


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def provider_for_fake(fake: FakeOpenAI, **changes: Any) -> OpenAIProvider:
    settings: dict[str, Any] = {
        "base_url": fake.url,
        "model": "fake-model",
        "timeout": 5.0,
        "transcribe_model": WHISPER,
    }
    return OpenAIProvider(Settings(**{**settings, **changes}))


# --- The openai provider -----------------------------------------------------------------------


@pytest.mark.parametrize(("language", "sent"), [("ko", "ko"), ("en", "en"), ("zh-hans", "zh")])
def test_a_recording_is_written_down_in_the_language_asked(
    fake: FakeOpenAI, language: Language, sent: str
) -> None:
    provider = provider_for_fake(fake)
    audio = wav()

    text = provider.transcribe(audio, content_type="audio/wav", language=language)

    assert text == TRANSCRIPTS[sent]
    assert fake.transcriptions == [
        {
            "model": WHISPER,
            "language": sent,
            "response_format": "json",
            "filename": "answer.wav",
            "content_type": "audio/wav",
            "audio_bytes": len(audio),
        }
    ]
    assert fake.requests == []  # no chat completion
    [call] = provider.calls
    assert (call.provider, call.model, call.operation) == ("openai", WHISPER, "transcribe")
    assert call.prompt_version == f"transcribe.{language}"
    assert (call.input_tokens, call.output_tokens) == (0, 0)
    assert call.ok and call.error == "" and call.latency_ms > 0


@pytest.mark.parametrize(
    ("content_type", "filename", "sent_type"),
    [
        ("audio/webm;codecs=opus", "answer.webm", "audio/webm"),
        ("audio/ogg; codecs=opus", "answer.ogg", "audio/ogg"),
        ("Audio/MP4", "answer.mp4", "audio/mp4"),
        ("audio/mpeg", "answer.mp3", "audio/mpeg"),
    ],
)
def test_each_browser_format_is_sent_with_its_file_name(
    fake: FakeOpenAI, content_type: str, filename: str, sent_type: str
) -> None:
    provider = provider_for_fake(fake)

    provider.transcribe(b"\x1aE\xdf\xa3 recorded", content_type=content_type, language="en")

    [sent] = fake.transcriptions
    assert (sent["filename"], sent["content_type"]) == (filename, sent_type)


def test_the_text_is_stripped_and_silence_is_empty(fake: FakeOpenAI) -> None:
    fake.script(Canned("  말씀드리겠습니다.\n"), Canned("   "), Canned(""))
    provider = provider_for_fake(fake)

    texts = [provider.transcribe(wav(0.2), content_type="audio/wav", language="ko") for _ in "abc"]

    assert texts == ["말씀드리겠습니다.", "", ""]
    assert all(call.ok for call in provider.calls)


def test_a_slow_server_is_a_timeout(fake: FakeOpenAI) -> None:
    fake.script(Slow(5))
    provider = provider_for_fake(fake, timeout=0.5)

    with pytest.raises(LLMError) as raised:
        provider.transcribe(wav(0.2), content_type="audio/wav", language="ko")

    assert raised.value.code == "llm_timeout"
    [call] = provider.calls
    assert (call.operation, call.ok, call.error) == ("transcribe", False, "llm_timeout")
    assert call.latency_ms >= 500


@pytest.mark.parametrize(
    ("behaviour", "words"),
    [
        (Status(500), "failed (HTTP 500)"),
        (Status(503), "failed (HTTP 503)"),
        (Status(401), "refused the API key"),
        (Status(404), "rejected the request (HTTP 404)"),
        (Malformed(), "could not be read"),
    ],
)
def test_server_errors_are_llm_unavailable(
    fake: FakeOpenAI, behaviour: Status | Malformed, words: str
) -> None:
    fake.script(behaviour)
    provider = provider_for_fake(fake)

    with pytest.raises(LLMError) as raised:
        provider.transcribe(wav(0.2), content_type="audio/wav", language="en")

    assert raised.value.code == "llm_unavailable"
    assert words in raised.value.message
    [call] = provider.calls
    assert (call.ok, call.error) == (False, "llm_unavailable")


def test_a_server_that_is_down_is_llm_unavailable() -> None:
    with FakeOpenAI() as stopped:
        url = stopped.url
    provider = OpenAIProvider(
        Settings(base_url=url, model="m", timeout=2.0, transcribe_model=WHISPER)
    )

    with pytest.raises(LLMError) as raised:
        provider.transcribe(wav(0.2), content_type="audio/wav", language="ko")

    assert raised.value.code == "llm_unavailable"


def test_the_log_line_says_what_was_asked_never_what_was_said(
    fake: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # the SDK's and the HTTP client's debug lines too
    fake.script(Canned(), Status(500))
    provider = provider_for_fake(fake)
    audio = wav(0.5)

    text = provider.transcribe(audio, content_type="audio/wav", language="ko")
    with pytest.raises(LLMError):
        provider.transcribe(audio, content_type="audio/wav", language="ko")

    assert text == TRANSCRIPTS["ko"]
    ours = [record for record in caplog.records if record.name == "peeka.llm"]
    assert [record.levelno for record in ours] == [logging.INFO, logging.WARNING]
    first, second = (record.getMessage() for record in ours)
    assert f"model={WHISPER} operation=transcribe version=transcribe.ko" in first
    assert "input_tokens=0 output_tokens=0" in first and "ok=True" in first
    assert "error=llm_unavailable" in second
    for record in caplog.records:
        logged = record.getMessage() + repr(record.args) + str(record.exc_info or "")
        assert TRANSCRIPTS["ko"] not in logged, (record.name, logged)
        assert "주문 API" not in logged
        assert "RIFF" not in logged and "WAVEfmt" not in logged  # nothing of the recording


def test_a_recording_at_the_limit_is_sent(fake: FakeOpenAI) -> None:
    provider = provider_for_fake(fake, timeout=30.0)

    provider.transcribe(b"\0" * AUDIO_MAX_BYTES, content_type="audio/webm", language="en")

    assert fake.transcriptions[0]["audio_bytes"] == AUDIO_MAX_BYTES


@pytest.mark.parametrize(
    ("audio", "content_type", "code"),
    [
        (b"\0" * (AUDIO_MAX_BYTES + 1), "audio/webm", "audio_too_large"),
        (b"", "audio/webm", "audio_empty"),
        (b"recorded", "video/webm", "audio_type"),
        (b"recorded", "audio/flac", "audio_type"),
        (b"recorded", "", "audio_type"),
        (b"recorded", "text/plain; audio/webm", "audio_type"),
    ],
)
def test_recordings_outside_the_limits_are_refused_before_any_request(
    fake: FakeOpenAI, audio: bytes, content_type: str, code: str
) -> None:
    provider = provider_for_fake(fake)

    with pytest.raises(AudioError) as raised:
        provider.transcribe(audio, content_type=content_type, language="ko")

    assert raised.value.code == code
    assert isinstance(raised.value, ValueError)
    assert fake.transcriptions == [] and provider.calls == []


def test_without_a_transcription_model_the_provider_cannot_transcribe(fake: FakeOpenAI) -> None:
    provider = provider_for_fake(fake, transcribe_model="")

    assert provider.transcribes() is False
    with pytest.raises(LLMError) as raised:
        provider.transcribe(wav(0.2), content_type="audio/wav", language="ko")

    assert raised.value.code == "llm_unsupported"
    assert "PEEKA_LLM_TRANSCRIBE_MODEL" in raised.value.message
    assert fake.transcriptions == [] and provider.calls == []
    assert provider_for_fake(fake).transcribes() is True


# --- The offline provider ----------------------------------------------------------------------


def test_the_offline_provider_cannot_transcribe() -> None:
    provider: Provider = OfflineProvider()

    assert provider.transcribes() is False
    with pytest.raises(LLMError) as raised:
        provider.transcribe(wav(0.2), content_type="audio/wav", language="ko")

    assert raised.value.code == "llm_unsupported"
    assert provider.calls == []


# --- Settings ------------------------------------------------------------------------------------


def test_the_transcription_model_is_read_with_a_base_url() -> None:
    settings = Settings.from_env(
        {
            "PEEKA_LLM_BASE_URL": URL,
            "PEEKA_LLM_MODEL": "qwen2.5-7b-instruct",
            "PEEKA_LLM_TRANSCRIBE_MODEL": f"  {WHISPER} ",
        }
    )

    assert settings.transcribe_model == WHISPER
    assert provider_for(settings).transcribes() is True


def test_without_the_variable_nothing_transcribes() -> None:
    settings = Settings.from_env({"PEEKA_LLM_BASE_URL": URL, "PEEKA_LLM_MODEL": "m"})

    assert settings.transcribe_model == ""
    assert provider_for(settings).transcribes() is False


def test_without_a_base_url_the_transcription_model_is_ignored() -> None:
    settings = Settings.from_env({"PEEKA_LLM_TRANSCRIBE_MODEL": WHISPER})

    assert settings == Settings()
    assert settings.provider == "offline"
    assert provider_for(settings).transcribes() is False
