"""Spoken answers in the mock interview: the transcription endpoint against the fake
OpenAI-compatible server (the text comes back and nothing is stored), its refusals (not going
on, too large unread, empty, not audio, another user's, a provider that cannot transcribe or
fails), its rate limit, and the page that offers #record only where the provider transcribes."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.test import Client
from django.utils import translation
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.accounts.models import User
from peeka.coach.models import InterviewQuestion, InterviewState, MockInterview, QuestionSet
from peeka.coach.services import interviews
from peeka.coach.services.practice import LLM_MESSAGES, LetterContent, letter_create, questions_ask
from peeka.llm.base import AUDIO_MAX_BYTES, Settings
from peeka.llm.types import Language
from peeka.security.models import AuditEvent
from tests.llm.fake_openai import MODEL, TRANSCRIPTS, FakeOpenAI, Slow, Status
from tests.llm.test_transcribe import wav
from tests.webapp import FrozenClock, logged_in

pytestmark = pytest.mark.django_db

WHISPER = "whisper-large-v3"
WEBM = "audio/webm;codecs=opus"


def make_set(user: User, language: Language = "ko") -> QuestionSet:
    """Six questions from the offline provider (before any test points PEEKA_LLM elsewhere)."""
    letter = letter_create(
        owner=user,
        content=LetterContent(
            title="네오테크 백엔드",
            company_name="네오테크",
            position="백엔드 개발자",
            items=[
                ("지원 동기를 작성해 주십시오.", "결제 시스템의 장애를 줄이고 싶어 지원했습니다.")
            ],
        ),
    )
    with translation.override("en"):
        return questions_ask(user=user, letter=letter, language=language)


@pytest.fixture
def offline(settings: SettingsWrapper) -> None:
    settings.PEEKA_LLM = Settings()


@pytest.fixture
def question_set(alice: User, offline: None) -> QuestionSet:
    return make_set(alice)


@pytest.fixture
def interview(alice: User, question_set: QuestionSet) -> MockInterview:
    """Two questions, 60 seconds each, not begun."""
    return interviews.interview_create(
        user=alice, question_set=question_set, indexes=[0, 3], seconds=60
    )


@pytest.fixture
def running(alice: User, interview: MockInterview, clock: FrozenClock) -> MockInterview:
    return interviews.interview_begin(user=alice, interview=interview)


@pytest.fixture
def fake(settings: SettingsWrapper, question_set: QuestionSet) -> Iterator[FakeOpenAI]:
    """The fake server, with a transcription model: the deployment offers spoken answers."""
    with FakeOpenAI() as server:
        settings.PEEKA_LLM = Settings(
            base_url=server.url, model=MODEL, timeout=5.0, transcribe_model=WHISPER
        )
        yield server


@pytest.fixture
def client(alice: User) -> Client:
    return logged_in(alice)


def url(interview: MockInterview, action: str = "") -> str:
    return f"/coach/interviews/{interview.pk}/{action + '/' if action else ''}"


def speak(
    client: Client, interview: MockInterview, audio: bytes, content_type: str = WEBM, **extra: Any
) -> HttpResponse:
    response = client.generic(
        "POST", url(interview, "transcribe"), audio, content_type=content_type, **extra
    )
    assert isinstance(response, HttpResponse)
    return response


def body_of(response: HttpResponse) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(response.content)
    return body


def refused(response: HttpResponse, status: int, code: str) -> str:
    assert response.status_code == status, response.content
    body = body_of(response)
    assert body["code"] == code, body
    message: str = body["message"]
    assert message
    return message


def rows() -> dict[str, int]:
    """How many rows each table holds."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


class Unreadable(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def read(self, size: int = -1) -> bytes:
        raise AssertionError("the body was read")

    readline = read  # type: ignore[assignment]


# --- the endpoint ------------------------------------------------------------------------------


def test_a_spoken_answer_comes_back_as_text_and_nothing_is_stored(
    client: Client, running: MockInterview, fake: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    audio = wav(1.0)
    before = rows()

    response = speak(client, running, audio, "audio/wav")

    assert response.status_code == 200, response.content
    assert body_of(response) == {"text": TRANSCRIPTS["ko"]}  # the set is in Korean
    [sent] = fake.transcriptions
    assert (sent["model"], sent["language"], sent["audio_bytes"]) == (WHISPER, "ko", len(audio))
    assert rows() == before  # no answer, no audit row, no file record: nothing at all
    assert list(InterviewQuestion.objects.filter(interview=running).values_list("answer")) == [
        ("",),
        ("",),
    ]
    for record in caplog.records:
        logged = record.getMessage() + repr(record.args)
        assert TRANSCRIPTS["ko"] not in logged and "RIFF" not in logged, (record.name, logged)
    assert any("operation=transcribe" in r.getMessage() for r in caplog.records)


def test_the_provider_hears_the_language_of_the_set(
    alice: User, client: Client, offline: None, settings: SettingsWrapper, clock: FrozenClock
) -> None:
    english = make_set(alice, "en")
    interview = interviews.interview_create(
        user=alice, question_set=english, indexes=[1], seconds=60
    )
    interviews.interview_begin(user=alice, interview=interview)
    with FakeOpenAI() as server:
        settings.PEEKA_LLM = Settings(base_url=server.url, model=MODEL, transcribe_model=WHISPER)

        response = speak(client, interview, b"\x1aE\xdf\xa3 webm")

        assert body_of(response) == {"text": TRANSCRIPTS["en"]}
        assert server.transcriptions[0]["language"] == "en"


def test_only_while_the_interview_runs(
    alice: User, client: Client, interview: MockInterview, fake: FakeOpenAI
) -> None:
    message = refused(speak(client, interview, wav(0.2), "audio/wav"), 409, "interview_not_running")
    assert message == "This interview is not going on."
    interviews.interview_begin(user=alice, interview=interview)
    interviews.interview_finish(user=alice, interview=interview)
    assert MockInterview.objects.get(pk=interview.pk).state == InterviewState.FINISHED
    refused(speak(client, interview, wav(0.2), "audio/wav"), 409, "interview_not_running")
    assert fake.transcriptions == []


def test_a_recording_too_large_is_refused_from_its_length_unread(
    client: Client, running: MockInterview, fake: FakeOpenAI
) -> None:
    environ: dict[str, Any] = {
        "CONTENT_LENGTH": str(AUDIO_MAX_BYTES + 1),
        "wsgi.input": Unreadable(),
    }
    refused(speak(client, running, b"", **environ), 413, "too_large")
    assert fake.transcriptions == []


def test_an_empty_recording_and_one_that_is_not_audio_are_refused(
    client: Client, running: MockInterview, fake: FakeOpenAI
) -> None:
    refused(speak(client, running, b""), 400, "audio_empty")
    refused(speak(client, running, b"\xff\xd8\xff jpeg", "image/jpeg"), 415, "audio_type")
    form = client.post(url(running, "transcribe"), {"audio": io.BytesIO(wav(0.2))})
    assert isinstance(form, HttpResponse)
    refused(form, 415, "audio_type")  # a multipart form is not read either
    assert fake.transcriptions == []


def test_another_users_interview_does_not_exist(
    bob: User, running: MockInterview, fake: FakeOpenAI
) -> None:
    intruder = logged_in(bob)

    assert speak(intruder, running, wav(0.2), "audio/wav").status_code == 404
    assert fake.transcriptions == []


def test_the_offline_provider_says_to_type_instead(
    client: Client, running: MockInterview, offline: None
) -> None:
    message = refused(speak(client, running, wav(0.2), "audio/wav"), 503, "llm_unsupported")

    assert message == LLM_MESSAGES["llm_unsupported"]


def test_a_provider_failure_is_told_in_the_users_words(
    client: Client, running: MockInterview, fake: FakeOpenAI, settings: SettingsWrapper
) -> None:
    fake.script(Status(500), Slow(3))
    message = refused(speak(client, running, wav(0.2), "audio/wav"), 503, "llm_unavailable")
    assert message == LLM_MESSAGES["llm_unavailable"]
    assert "500" not in message

    settings.PEEKA_LLM = Settings(
        base_url=fake.url, model=MODEL, timeout=0.5, transcribe_model=WHISPER
    )
    refused(speak(client, running, wav(0.2), "audio/wav"), 503, "llm_timeout")
    assert len(fake.transcriptions) == 2


def test_more_than_twenty_a_minute_are_throttled_and_audited_once(
    alice: User, client: Client, running: MockInterview, fake: FakeOpenAI, clock: FrozenClock
) -> None:
    assert django_settings.PEEKA_RATE_LIMITS["transcribe"] == 20
    clock.now = (clock.now // 60) * 60 + 1  # early in a rate window
    audio = wav(0.1)

    answers = [speak(client, running, audio, "audio/wav") for _ in range(22)]

    assert [a.status_code for a in answers] == [200] * 20 + [429] * 2
    throttled = answers[20]
    assert int(throttled["Retry-After"]) == 59
    assert body_of(throttled)["code"] == "rate_limited"
    assert len(fake.transcriptions) == 20
    audited = AuditEvent.objects.filter(event="transcribe_interview")
    assert [(a.success, a.reason, a.user_id) for a in audited] == [
        (False, "rate_limited", alice.pk)
    ]
    clock.now += 60  # the next window
    assert speak(client, running, audio, "audio/wav").status_code == 200


# --- the page ------------------------------------------------------------------------------------


def page_of(client: Client, interview: MockInterview) -> tuple[str, HttpResponse]:
    response = client.get(url(interview))
    assert isinstance(response, HttpResponse) and response.status_code == 200
    return response.content.decode(), response


def test_the_page_offers_to_speak_where_the_provider_transcribes(
    client: Client, running: MockInterview, fake: FakeOpenAI
) -> None:
    page, response = page_of(client, running)

    button = re.search(r'<button[^>]*\bid="record"[^>]*>(.*?)</button>', page, re.S)
    assert button, "no #record"
    assert 'aria-pressed="false"' in button.group(0)
    assert button.group(1).strip() == "Speak your answer"
    assert f'data-transcribe-url="{url(running, "transcribe")}"' in page
    assert 'id="record-status"' in page
    # #record sits beside #next.
    assert re.search(
        r'id="next"[^>]*>[^<]*</button>\s*(\{[^}]*\}\s*)?<button[^>]*id="record"', page
    )
    assert "microphone=(self)" in response["Permissions-Policy"]


@pytest.mark.parametrize("transcribe_model", ["", None])
def test_the_page_has_no_record_button_where_the_provider_cannot(
    client: Client,
    running: MockInterview,
    settings: SettingsWrapper,
    transcribe_model: str | None,
) -> None:
    if transcribe_model is not None:  # a server without a transcription endpoint
        settings.PEEKA_LLM = Settings(base_url="http://127.0.0.1:9/v1", model=MODEL)
    page, response = page_of(client, running)

    assert 'id="record"' not in page
    assert "data-transcribe-url" not in page
    assert 'id="next"' in page
    assert "microphone=()" in response["Permissions-Policy"]


def test_the_speaking_page_policy_is_the_sites_with_the_microphone() -> None:
    """The coach cannot import the web floor's policy (the house rules), so it repeats it: the
    two must differ in the microphone only."""
    from peeka.coach.views.interviews import SPEAKING_PERMISSIONS
    from peeka.web.security import PERMISSIONS

    assert PERMISSIONS.replace("microphone=()", "microphone=(self)") == SPEAKING_PERMISSIONS
    assert SPEAKING_PERMISSIONS != PERMISSIONS
