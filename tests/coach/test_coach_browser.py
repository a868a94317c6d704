"""The interview coach end to end in Chromium, in Korean: Minji writes a cover letter, gets
questions from the offline coach, answers one and gets its feedback streamed (three parts and
the rubric's scores), takes a two-question mock interview whose live check and later checks
pass on the real webcam recording, then one in a second browser whose camera shows a photo of
someone else (biden.jpg): its checks fail and the report says the practice is not verified.
Last, the same letter's questions from an OpenAI-compatible server (the fake one, on loopback).

Two browsers because a Chromium has one fake camera for its whole life."""

from __future__ import annotations

import gettext
import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.utils import translation
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from peeka.accounts.models import User
from peeka.coach.models import AnswerFeedback, IdentityCheck, MockInterview, QuestionSet
from peeka.faces import flows
from peeka.llm.base import Settings
from peeka.security.client import ClientInfo
from tests.llm.fake_openai import MODEL, QUESTIONS, FakeOpenAI
from tests.web.chromium import (
    DESKTOP,
    PHONE,
    capture_state,
    face_check,
    horizontal_overflow,
    launch,
    live_clip,
    needs_chromium,
    new_context,
    one_browser_at_a_time,
    playwright_driver,
    sign_in,
    still_clip,
    watch,
)
from tests.webapp import PASSWORD, logged_in

pytestmark = [needs_chromium, one_browser_at_a_time, pytest.mark.slow]
CLIENT = ClientInfo(ip="127.0.0.1", user_agent="test")
LOCALE = Path(__file__).resolve().parents[2] / "peeka" / "locale"
HANGUL = re.compile(r"[\uac00-\ud7a3]")

LETTER = {
    "title": "네오테크 2025 상반기 백엔드",
    "company": "네오테크",
    "position": "백엔드 개발자",
    "question": "지원 동기와 입사 후 이루고 싶은 목표를 작성해 주십시오.",
    "answer": (
        "결제 시스템의 장애를 줄이는 일에 관심이 많아 지원했습니다. 인턴십에서 주문 API의 "
        "응답 시간을 40% 줄였고, 네오테크에서는 결제 승인 지연을 1초 안으로 줄이고 싶습니다."
    ),
}
ANSWER = (
    "인턴십 당시 주문 API가 피크 시간에 3초 이상 걸려 고객 문의가 하루 수십 건씩 쌓이는 "
    "문제가 있었습니다(상황). 제 역할은 병목을 찾아 응답 시간을 줄이는 것이었습니다(과제). "
    "쿼리 로그를 분석해 N+1 쿼리를 찾아 고치고, 자주 조회되는 상품 정보에 Redis 캐시를 "
    "도입했으며, 배포 전에 부하 테스트로 효과를 확인했습니다(행동). 그 결과 평균 응답 시간이 "
    "40% 줄었고 장애 문의가 절반으로 줄었습니다(결과). 네오테크에서도 고객 경험을 먼저 "
    "생각하며 숫자로 확인하는 개발자가 되겠습니다."
)
INTERVIEW_ANSWERS = (
    "결제 승인 과정의 외부 호출을 먼저 살펴보겠습니다. 인턴십에서 캐시와 쿼리 개선으로 응답 "
    "시간을 40% 줄인 경험을 살려, 지표를 먼저 세우고 병목을 하나씩 줄이겠습니다.",
    "팀 프로젝트에서 배포 일정을 두고 의견이 갈렸을 때, 각자의 근거를 데이터로 모아 회의를 "
    "열었습니다. 위험이 큰 기능은 다음 배포로 미루기로 합의했고 일정 안에 배포했습니다.",
    "사진 속 다른 사람이 대신 답하는 연습입니다. 이 답은 검증되지 않은 연습으로 남아야 합니다.",
)
RECORD_STREAM = """(selector) => {
  const stream = document.querySelector(selector);
  sessionStorage.removeItem("streamed");
  new MutationObserver(() => sessionStorage.setItem("streamed", stream.textContent))
    .observe(stream, { childList: true, characterData: true, subtree: true });
}"""
"""Keep what the page shows of the feedback as it is written: the page reloads once it is
done, and sessionStorage outlives the reload."""


class Korean:
    """What the Korean pages say for a message (Django's own catalog), and which of the
    messages the test relies on have no Korean translation yet."""

    def __init__(self) -> None:
        self.untranslated: list[str] = []

    def __call__(self, msgid: str, context: str = "", **values: object) -> str:
        with translation.override("ko"):
            text = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
        if not HANGUL.search(text):
            self.untranslated.append(msgid)
        return text % values if values else text

    def script(self, msgid: str) -> str:
        """The same for a message of the pages' scripts (the djangojs catalog)."""
        catalog = gettext.translation("djangojs", LOCALE, ["ko"], fallback=True)
        text = catalog.gettext(msgid)
        if not HANGUL.search(text):
            self.untranslated.append(msgid)
        return text


def stopwatch() -> Callable[[str], None]:
    """Print the seconds each stage took (and the total so far)."""
    started = last = time.monotonic()

    def lap(stage: str) -> None:
        nonlocal last
        now = time.monotonic()
        print(f"coach browser test: {stage}: {now - last:.1f} s (total {now - started:.1f} s)")
        last = now

    return lap


def wait_until(condition: Callable[[], bool], page: Page, seconds: float, what: str) -> None:
    """Poll `condition` (a database read) while the browser goes on, at most `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {seconds:.0f} s: {page.url}")
        page.wait_for_timeout(500)


def questions_shown(page: Page) -> list[str]:
    return [
        page.inner_text(f"#q{i}-text").strip() for i in range(page.locator(".question").count())
    ]


def prepare_interview(page: Page, set_url: str, indexes: list[int]) -> MockInterview:
    """From the set page: exactly `indexes` ticked, the shortest time, then the interview
    page."""
    page.goto(set_url)
    for box in page.locator("#interview-new input[name=questions]").all():
        box.uncheck()
    for index in indexes:
        page.check(f"#pick-{index}")
    choices = page.eval_on_selector_all("#id_seconds option", "(os) => os.map((o) => o.value)")
    page.select_option("#id_seconds", min(choices, key=int))
    page.click("#interview-start")
    page.wait_for_url(re.compile(r"/coach/interviews/\d+/$"))
    interview = MockInterview.objects.latest("pk")
    assert page.url.endswith(f"/coach/interviews/{interview.pk}/")
    assert interview.seconds == 60 and interview.questions.count() == len(indexes)
    return interview


def report_rows(page: Page) -> list[tuple[str, bool]]:
    rows = page.locator("#checks tbody tr[data-moment]")
    return [
        (str(row.get_attribute("data-moment")), row.get_attribute("data-passed") == "1")
        for row in rows.all()
    ]


@pytest.mark.django_db(transaction=True)
def test_minji_practises_in_korean_verified_and_a_photo_of_someone_else_is_not(
    live_server: LiveServer,
    liveness_dir: Path,
    faces_dir: Path,
    look: list[bytes],
    settings: SettingsWrapper,
    tmp_path: Path,
    async_unsafe: None,
) -> None:
    lap = stopwatch()
    settings.PEEKA_LIVENESS = True
    settings.PEEKA_LIVENESS_FIXED_STEPS = ["blink"]  # the recording can only blink
    settings.PEEKA_COACH_CHECK_SECONDS = 10  # presence checks are throttled to 12 a minute
    url = live_server.url
    minji = User.objects.create_user("minji", password=PASSWORD, display_name="김민지")
    flows.face_enroll(user=minji, frames=look[:3], scheme="iom", client=CLIENT, channel="admin")
    webcam = live_clip(
        liveness_dir / "face_video" / "tfjs_facemesh_input.mp4", tmp_path / "face.y4m"
    )
    stranger = still_clip(faces_dir / "biden.jpg", tmp_path / "biden.y4m")
    korean = Korean()
    errors: list[str] = []
    lap("setup")

    with playwright_driver() as playwright:
        # 1. A cover letter, the offline coach's questions, an answer and its feedback.
        chromium = launch(playwright, webcam)
        browser = new_context(chromium, "ko", DESKTOP)
        sign_in(browser, logged_in(minji), url)
        page = watch(browser.new_page(), errors)
        page.goto(f"{url}/coach/")
        assert page.get_attribute("html", "lang") == "ko"
        page.click("#tab-practice")
        page.wait_for_url(f"{url}/coach/letters/")
        page.click("#letter-new")
        page.wait_for_url(f"{url}/coach/letters/new/")
        page.fill("#id_title", LETTER["title"])
        page.fill("#id_company_name", LETTER["company"])
        page.fill("#id_position", LETTER["position"])
        page.fill("#item-question-1", LETTER["question"])
        page.fill("#item-answer-1", LETTER["answer"])
        page.click("#save")
        page.wait_for_url(re.compile(r"/coach/letters/\d+/$"))
        letter_url = page.url
        expect(page.locator("#letter-items")).to_contain_text(LETTER["answer"])
        expect(page.locator("#id_language")).to_have_value("ko")  # a Korean browser
        page.click("#generate")
        page.wait_for_url(re.compile(r"/coach/sets/\d+/$"))
        offline = QuestionSet.objects.get()
        set_url = f"{url}/coach/sets/{offline.pk}/"
        assert page.url == set_url
        assert (offline.provider, offline.language) == ("offline", "ko")
        assert (len(offline.job), len(offline.personality)) == (3, 3)
        shown = questions_shown(page)
        assert shown == offline.job + offline.personality
        assert all(HANGUL.search(question) for question in shown), shown
        offline_words = korean(
            "Chosen from Peeka's question bank by the offline coach (no AI model)."
        )
        expect(page.locator("#set-provider")).to_contain_text(offline_words)
        lap("letter and questions")

        page.fill("#answer-0", ANSWER)
        expect(page.locator("#answer-0-saved")).to_have_text(korean.script("Saved"))
        assert offline.answers.get(index=0).text == ANSWER  # autosaved
        page.evaluate(RECORD_STREAM, "#q0 .feedback-stream")
        expect(page.locator("#q0 .feedback-button")).to_have_text(korean("Get feedback"))
        page.click("#q0 .feedback-button")
        feedback = page.locator("#feedback-0")
        expect(feedback).to_be_visible()
        streamed = page.evaluate("sessionStorage.getItem('streamed')") or ""
        kept = AnswerFeedback.objects.get()
        assert (kept.provider, kept.answer_text) == ("offline", ANSWER)
        assert "[장점]" in streamed and kept.content["suggestion"] in streamed, streamed
        for heading in ("장점", "개선점", "구체적인 제안"):
            expect(feedback.locator("h4", has_text=heading)).to_have_count(1)
        expect(feedback.locator(".feedback-suggestion")).to_have_text(kept.content["suggestion"])
        scores = feedback.locator("td[data-criterion]")
        expect(scores).to_have_count(5)
        for score in scores.all():
            criterion = score.get_attribute("data-criterion") or ""
            assert float(score.inner_text()) == float(kept.content["scores"][criterion])
        expect(page.locator("#answer-0")).to_have_value(ANSWER)
        page.reload()
        expect(page.locator("#answer-0")).to_have_value(ANSWER)  # still in its box
        expect(page.locator("#answered-count")).to_contain_text("1")
        phone = new_context(chromium, "ko", PHONE)
        sign_in(phone, logged_in(minji), url)
        small = watch(phone.new_page(), errors)
        small.goto(set_url)
        assert horizontal_overflow(small) == 0, f"{set_url} is wider than a {PHONE} px phone"
        phone.close()
        lap("answer and feedback")

        # 2. A two-question mock interview; the webcam recording's face passes every check.
        interview = prepare_interview(page, set_url, [0, 3])
        face_check(page, lambda p: p.locator("#question-panel").is_visible())
        lap("live check passed")
        expect(page.locator("#question-text")).to_have_text(offline.job[0])
        heading = korean.script("Question %(number)s of %(total)s")
        expect(page.locator("#question-number")).to_have_text(heading % {"number": 1, "total": 2})
        page.fill("#answer", INTERVIEW_ANSWERS[0])

        def during() -> int:
            return IdentityCheck.objects.filter(interview=interview, moment="during").count()

        # One check right after the start, the next about ten seconds later.
        wait_until(lambda: during() >= 2, page, 40, "two identity checks during the interview")
        page.click("#next")
        expect(page.locator("#question-text")).to_have_text(offline.personality[0])
        expect(page.locator("#answer")).to_have_value("")
        expect(page.locator("#question-number")).to_have_text(heading % {"number": 2, "total": 2})
        expect(page.locator("#next")).to_have_text(korean.script("Finish the interview"))
        page.fill("#answer", INTERVIEW_ANSWERS[1])
        page.click("#next")  # the last question: the end check, then the report
        page.wait_for_url(f"{url}/coach/interviews/{interview.pk}/report/", timeout=90_000)
        lap("verified interview")

        checks = list(IdentityCheck.objects.filter(interview=interview))
        starts = [c for c in checks if c.moment == "start"]
        later = [c for c in checks if c.moment != "start"]
        # A try of the live check that fell between the recording's blinks is kept, failed.
        assert starts and starts[-1].passed and starts[-1].live, checks
        assert later and all(c.passed for c in later), checks
        assert [c.moment for c in later].count("end") == 1 and later[-1].moment == "end"
        assert len([c for c in later if c.moment == "during"]) >= 2
        verified = page.locator("#verified")
        expect(verified).to_have_attribute("data-verified", "1")
        expect(verified).to_contain_text(korean("Verified practice"))
        assert report_rows(page) == [(c.moment, c.passed) for c in checks]
        assert {"start", "during", "end"} <= {c.moment for c in checks}
        for order, text in enumerate(INTERVIEW_ANSWERS[:2], start=1):
            question = page.locator(f"#question-{order}")
            expect(question.locator(".report-answer")).to_have_text(text)
            expect(question.locator(f"#feedback-{order} td[data-criterion]")).to_have_count(5)
            expect(question.locator(f"#feedback-{order}")).to_contain_text("구체적인 제안")
        lap("verified report")

        # 3. The same account in a browser whose camera shows a photo of someone else.
        other = new_context(launch(playwright, stranger), "ko", DESKTOP)
        sign_in(other, logged_in(minji), url)
        photo = watch(other.new_page(), errors)
        unverified = prepare_interview(photo, set_url, [1])
        expect(photo.locator("#start")).to_be_enabled()
        photo.click("#start")
        photo.wait_for_function(
            "() => document.querySelector('[data-capture]').dataset.captureState === 'failure'",
            timeout=60_000,
        )
        assert capture_state(photo) == "failure"
        assert not photo.locator("#question-panel").is_visible()
        start = IdentityCheck.objects.get(interview=unverified)
        assert (start.moment, start.passed) == ("start", False)
        lap("live check failed")
        photo.click("#begin-unverified")
        expect(photo.locator("#question-panel")).to_be_visible()
        expect(photo.locator("#question-text")).to_have_text(offline.job[1])
        photo.fill("#answer", INTERVIEW_ANSWERS[2])
        wait_until(
            lambda: IdentityCheck.objects.filter(interview=unverified, moment="during").exists(),
            photo,
            30,
            "an identity check during the unverified interview",
        )
        photo.click("#next")
        photo.wait_for_url(f"{url}/coach/interviews/{unverified.pk}/report/", timeout=90_000)
        refused = list(IdentityCheck.objects.filter(interview=unverified))
        assert {c.moment for c in refused} == {"start", "during", "end"}, refused
        assert not any(c.passed for c in refused), refused
        verdict = photo.locator("#verified")
        expect(verdict).to_have_attribute("data-verified", "0")
        expect(verdict).to_contain_text(korean("Not verified"))
        start_failed = photo.locator('#problems li[data-problem="start_failed"]')
        expect(start_failed).to_have_text(korean("The live face check at the start did not pass."))
        expect(photo.locator('#problems li[data-problem="check_failed"]')).to_have_count(1)
        assert report_rows(photo) == [(c.moment, False) for c in refused]
        expect(photo.locator("#question-1 .report-answer")).to_have_text(INTERVIEW_ANSWERS[2])
        other.close()
        lap("unverified interview and report")

        # 4. The same letter's questions from an OpenAI-compatible server.
        with FakeOpenAI() as fake:
            settings.PEEKA_LLM = Settings(base_url=fake.url, model=MODEL, timeout=10)
            page.goto(letter_url)
            page.click("#generate")
            page.wait_for_url(re.compile(r"/coach/sets/\d+/$"))
            served = QuestionSet.objects.latest("pk")
            assert served != offline and page.url == f"{url}/coach/sets/{served.pk}/"
            assert served.provider == "openai"
            expect(page.locator("#set-provider")).to_contain_text(
                korean("Written by the AI provider “%(name)s”.", name="openai")
            )
            assert questions_shown(page) == QUESTIONS["ko"]["job"] + QUESTIONS["ko"]["personality"]
            assert len(fake.requests) == 1, fake.requests
            assert LETTER["answer"] in json.dumps(fake.requests[0], ensure_ascii=False)
        browser.close()
        lap("questions from the fake server")

    # 5. No script error or Content Security Policy violation on any page, and every message
    # the Korean pages above were checked against is in Korean.
    assert errors == [], "\n".join(errors)
    assert korean.untranslated == [], f"not translated to Korean: {korean.untranslated}"
