"""A spoken answer in Chromium, on a phone in Korean: the interview page (its provider, the fake
OpenAI-compatible server, writes speech down) offers #record beside #next; two seconds of
Chromium's fake microphone (a beep) go to the server, and what the fake "heard" is added to
the answer already typed, which stays editable and is kept as the draft."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from django.utils import translation
from playwright.sync_api import expect
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from peeka.accounts.models import User
from peeka.coach.services import interviews
from peeka.llm.base import Settings
from tests.coach.test_transcribe import make_set
from tests.llm.fake_openai import MODEL, TRANSCRIPTS, FakeOpenAI
from tests.web.chromium import (
    PHONE,
    chromium,
    horizontal_overflow,
    needs_chromium,
    new_context,
    one_browser_at_a_time,
    sign_in,
    watch,
    widest_elements,
)
from tests.webapp import PASSWORD, logged_in

pytestmark = [needs_chromium, one_browser_at_a_time, pytest.mark.slow]
LOCALE = Path(__file__).resolve().parents[2] / "peeka" / "locale"
TYPED = "제 경험을 말씀드리겠습니다."
KEEP_STREAMS = """(() => {
  window.microphones = [];
  const devices = navigator.mediaDevices;
  const original = devices.getUserMedia.bind(devices);
  devices.getUserMedia = async (constraints) => {
    const stream = await original(constraints);
    if (constraints && constraints.audio) window.microphones.push(stream);
    return stream;
  };
})()"""
"""Keep the page's microphone streams, to see that each is stopped once its answer is recorded."""


def korean(msgid: str) -> str:
    """The Korean page's words for a template message (the msgid while not yet translated)."""
    with translation.override("ko"):
        return translation.gettext(msgid)


def korean_script(msgid: str) -> str:
    """The same for a message of the page's script (the djangojs catalog)."""
    return gettext.translation("djangojs", LOCALE, ["ko"], fallback=True).gettext(msgid)


@pytest.mark.django_db(transaction=True)
def test_a_spoken_answer_is_added_to_what_was_typed(
    live_server: LiveServer, settings: SettingsWrapper, async_unsafe: None
) -> None:
    settings.PEEKA_LLM = Settings()  # the questions come from the offline coach
    settings.PEEKA_COACH_CHECK_SECONDS = 600  # one identity check at the start, no more
    minji = User.objects.create_user("minji", password=PASSWORD, display_name="김민지")
    question_set = make_set(minji, "ko")
    interview = interviews.interview_create(
        user=minji, question_set=question_set, indexes=[0], seconds=180
    )
    interviews.interview_begin(user=minji, interview=interview)  # unverified: no face check
    errors: list[str] = []

    with FakeOpenAI() as fake, chromium() as browser:
        settings.PEEKA_LLM = Settings(
            base_url=fake.url, model=MODEL, timeout=20, transcribe_model="whisper-large-v3"
        )
        context = new_context(browser, "ko", PHONE)
        sign_in(context, logged_in(minji), live_server.url)
        page = watch(context.new_page(), errors)
        page.add_init_script(KEEP_STREAMS)
        page.goto(f"{live_server.url}/coach/interviews/{interview.pk}/")

        record = page.locator("#record")
        expect(record).to_be_visible()
        expect(record).to_have_attribute("aria-pressed", "false")
        expect(record).to_have_text(korean("Speak your answer"))
        expect(page.locator("#answer")).to_be_enabled()
        page.fill("#answer", TYPED)

        record.click()
        expect(record).to_have_attribute("aria-pressed", "true")
        expect(record).to_have_text(korean_script("Stop and write it down"))
        page.wait_for_timeout(2000)  # two seconds of the fake microphone's beep
        record.click()

        answer = page.locator("#answer")
        expect(answer).to_have_value(f"{TYPED} {TRANSCRIPTS['ko']}", timeout=30_000)
        expect(record).to_have_attribute("aria-pressed", "false")
        expect(record).to_be_enabled()
        length = len(f"{TYPED} {TRANSCRIPTS['ko']}")
        expect(page.locator("#answer-count")).to_contain_text(str(length))
        expect(page.locator("#interview-error")).to_be_hidden()
        draft = page.evaluate(
            "() => Object.keys(sessionStorage).filter((k) => k.startsWith('peeka-interview'))"
            ".map((k) => sessionStorage.getItem(k))"
        )
        assert draft == [f"{TYPED} {TRANSCRIPTS['ko']}"]  # kept as the draft, as typing is
        # One microphone stream, released once the answer was recorded.
        tracks = page.evaluate(
            "() => window.microphones.flatMap((s) => s.getTracks().map((t) => t.readyState))"
        )
        assert tracks == ["ended"]
        assert horizontal_overflow(page) == 0, widest_elements(page)
        context.close()

        [sent] = fake.transcriptions
        assert sent["audio_bytes"] > 1000, sent  # two seconds of Opus, not an empty file
        assert (sent["language"], sent["model"]) == ("ko", "whisper-large-v3")
        assert sent["content_type"] in ("audio/webm", "audio/ogg"), sent
        assert fake.requests == []  # no chat completion was asked for

    assert errors == [], "\n".join(errors)
