"""The mock interview's pages: the interview page before it begins and after a reload while it
runs, the printable report of a verified and an unverified interview (in English and Korean),
the wording of each verification problem, and the JSON endpoints' refusals — a begin twice
changes nothing, an answer out of order or too long is refused with nothing saved, nothing is
checked when the interview is not going on, and another user's interview does not exist."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.test import Client, RequestFactory, override_settings
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext, pgettext
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.accounts.models import User
from peeka.biometrics import load_image
from peeka.coach import selectors
from peeka.coach.models import (
    CheckMoment,
    IdentityCheck,
    InterviewQuestion,
    InterviewState,
    MockInterview,
    QuestionSet,
)
from peeka.coach.services import interviews
from peeka.coach.services.practice import LLM_MESSAGES, LetterContent, letter_create, questions_ask
from peeka.faces import flows
from peeka.security.client import ClientInfo
from peeka.security.models import AuditEvent
from tests.webapp import FrozenClock, burst, jpegs, logged_in, uploads

pytestmark = pytest.mark.django_db

SECONDS = 60
CHECK_SECONDS = 30  # PEEKA_COACH_CHECK_SECONDS, set for every test below
ANSWER = (
    "첫 프로젝트에서 결제 API의 응답 시간을 줄였습니다.\n그 결과 장애 문의가 절반으로 줄었습니다."
)


@pytest.fixture(autouse=True)
def check_interval(settings: SettingsWrapper) -> None:
    settings.PEEKA_COACH_CHECK_SECONDS = CHECK_SECONDS


@pytest.fixture
def question_set(alice: User) -> QuestionSet:
    """Six questions from the offline provider for a Korean cover letter."""
    letter = letter_create(
        owner=alice,
        content=LetterContent(
            title="네오테크 백엔드",
            company_name="네오테크",
            position="백엔드 개발자",
            items=[
                ("지원 동기를 작성해 주십시오.", "결제 시스템의 장애를 줄이고 싶어 지원했습니다.")
            ],
        ),
    )
    return questions_ask(user=alice, letter=letter, language="ko")


@pytest.fixture
def interview(alice: User, question_set: QuestionSet) -> MockInterview:
    """Two questions (a job one, then a personality one), 60 seconds each."""
    return interviews.interview_create(
        user=alice, question_set=question_set, indexes=[0, 3], seconds=SECONDS
    )


def url(interview: MockInterview, action: str = "") -> str:
    return f"/coach/interviews/{interview.pk}/{action + '/' if action else ''}"


def at(clock: FrozenClock, seconds: float = 0.0) -> datetime:
    return datetime.fromtimestamp(clock.now + seconds, tz=UTC)


def page_of(response: object) -> str:
    assert isinstance(response, HttpResponse), response
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def element(page: str, element_id: str) -> str:
    """The opening tag of the element with this id."""
    match = re.search(rf'<[a-z0-9]+\b[^>]*\bid="{element_id}"[^>]*>', page)
    assert match, f"no #{element_id}"
    return match.group(0)


def inner(page: str, element_id: str) -> str:
    """The text of the element with this id, tags dropped and spaces squeezed."""
    match = re.search(rf'<([a-z0-9]+)\b[^>]*\bid="{element_id}"[^>]*>(.*?)</\1>', page, re.S)
    assert match, f"no #{element_id}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(2)).split())


def texts_of_cells(row: str) -> list[str]:
    return [
        " ".join(re.sub(r"<[^>]+>", " ", c).split())
        for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]


def translated(language: str, message: str, context: str = "") -> str:
    """`message` in `language`; the test is skipped while the catalog has no translation."""
    with translation.override(language):
        text = pgettext(context, message) if context else gettext(message)
    if language != "en" and text == message:
        pytest.skip(f"the {language} catalog has no translation of {message!r} yet")
    return text


@pytest.fixture
def client(alice: User) -> Client:
    """Alice's browser (she owns the interview)."""
    return logged_in(alice)


def in_language(client: Client, language: str) -> Client:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    return client


# --- the interview page ------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "ko"])
def test_the_page_before_it_begins_explains_the_checks_and_offers_the_live_check(
    client: Client, interview: MockInterview, language: str
) -> None:
    page = page_of(in_language(client, language).get(url(interview)))
    assert f'<html lang="{language}"' in page
    form = element(page, "interview-form")
    for name, value in (
        ("challenge-url", url(interview, "face/challenge")),
        ("frames-url", url(interview, "face/frames")),
        ("begin-url", url(interview, "begin")),
        ("presence-url", url(interview, "presence")),
        ("answer-url", url(interview, "answer")),
        ("check-seconds", str(CHECK_SECONDS)),
        ("remaining", str(SECONDS)),
        ("current", "0"),
        ("count", "2"),
        ("state", "ready"),
        ("answer-max", "1000"),
    ):
        assert f'data-{name}="{value}"' in form, name
    # The capture component with the live check inside the form, its button saying what it does.
    capture = page[
        page.index('id="interview-form"') : page.index("</form>", page.index('id="interview-form"'))
    ]
    assert "data-capture" in capture and 'id="more-time"' in capture
    assert inner(capture, "start") == translated(language, "Check my face and begin")
    note = inner(page, "check-note")
    with translation.override(language):
        expected = gettext(
            "Your face is checked at the start, about every %(check_seconds)s seconds while you "
            "answer, and at the end. Nothing of the camera is kept: no video, no picture."
        ) % {"check_seconds": CHECK_SECONDS}
    assert note == expected
    # Before any failed check the way without it stays hidden; the questions are not shown.
    assert " hidden" in element(page, "unverified")
    assert inner(page, "begin-unverified") == translated(language, "Begin without verification")
    assert " hidden" in element(page, "question-panel")
    assert inner(page, "question-text") == ""
    # Static scripts only (the Content Security Policy allows no inline script).
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    assert "/static/coach/interview.js" in page and "/static/peeka/camera.js" in page
    assert "/static/coach/coach.css" in page


def test_after_a_failed_start_check_the_page_offers_to_begin_without_it(
    client: Client, interview: MockInterview, clock: FrozenClock
) -> None:
    IdentityCheck.objects.create(
        interview=interview, moment=CheckMoment.START, at=at(clock), passed=False, live=True,
        reason="no_match",
    )  # fmt: skip
    page = page_of(client.get(url(interview)))
    assert " hidden" not in element(page, "unverified")
    assert (
        "the report will then say that this interview was not verified"
        in inner(page, "unverified-note").lower()
    )
    IdentityCheck.objects.create(
        interview=interview, moment=CheckMoment.START, at=at(clock, 20), passed=True, live=True,
        reason="ok",
    )  # fmt: skip
    assert " hidden" in element(page_of(client.get(url(interview))), "unverified")


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_reload_while_it_runs_shows_the_question_on_screen_with_the_time_left(
    client: Client, alice: User, interview: MockInterview, clock: FrozenClock, language: str
) -> None:
    interviews.interview_begin(user=alice, interview=interview)
    clock.now += 25
    interviews.interview_answer(user=alice, interview=interview, order=1, text="답변")
    clock.now += 12
    page = page_of(in_language(client, language).get(url(interview)))
    form = element(page, "interview-form")
    for name, value in (("state", "running"), ("current", "1"), ("remaining", "48"),
                        ("elapsed", "37")):  # fmt: skip
        assert f'data-{name}="{value}"' in form, name
    second = InterviewQuestion.objects.get(interview=interview, order=2)
    assert " hidden" not in element(page, "question-panel")
    assert " hidden" in element(page, "intro")
    with translation.override(language):
        number = gettext("Question %(number)s of %(total)s") % {"number": 2, "total": 2}
    assert inner(page, "question-number") == number
    assert inner(page, "question-text") == escape(second.question)
    assert inner(page, "timer") == "0:48"
    assert 'role="timer"' in element(page, "timer")
    assert 'aria-live="polite"' in element(page, "timer-alert")
    assert inner(page, "next") == translated(language, "Finish the interview")
    assert 'maxlength="1000"' in element(page, "answer")
    assert '<label class="form-label" for="answer">' in page
    # Only the question on screen is in the page: the next comes with the answer's reply.
    first = InterviewQuestion.objects.get(interview=interview, order=1).question
    assert escape(first) not in page


def test_a_finished_interview_leads_to_its_report_and_a_report_waits_for_the_end(
    client: Client, alice: User, interview: MockInterview
) -> None:
    response = client.get(url(interview, "report"))
    assert (response.status_code, response["Location"]) == (302, url(interview))
    interviews.interview_begin(user=alice, interview=interview)
    interviews.interview_finish(user=alice, interview=interview)
    response = client.get(url(interview))
    assert (response.status_code, response["Location"]) == (302, url(interview, "report"))


# --- the report --------------------------------------------------------------------------------


def finished(
    alice: User, interview: MockInterview, clock: FrozenClock, *, first: str, late: bool = False
) -> MockInterview:
    """Begun now, question 1 answered after 40 s (or 70 s: late), question 2 left blank at
    the end of its time, finished 60 s later; feedback from the offline provider."""
    interviews.interview_begin(user=alice, interview=interview)
    clock.now += 70 if late else 40
    interviews.interview_answer(user=alice, interview=interview, order=1, text=first)
    clock.now += 60
    interviews.interview_answer(user=alice, interview=interview, order=2, text="")
    interviews.interview_finish(user=alice, interview=interview)
    interview.refresh_from_db()
    return interview


def add_checks(interview: MockInterview, *rows: tuple[str, int, bool]) -> list[IdentityCheck]:
    """Identity checks (moment, seconds after the start, passed) as the server would record
    them — written here directly, for the report's rendering only."""
    assert interview.started is not None
    made = []
    for moment, offset, passed in rows:
        audit = AuditEvent.objects.create(
            event="presence_interview", success=passed, reason="ok" if passed else "no_match"
        )
        made.append(
            IdentityCheck.objects.create(
                interview=interview,
                moment=moment,
                at=datetime.fromtimestamp(interview.started.timestamp() + offset, tz=UTC),
                passed=passed,
                live=moment == CheckMoment.START,
                reason="ok" if passed else "no_match",
                audit_id=audit.pk,
            )
        )
    return made


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_verified_interview_reports_every_check_the_signals_and_the_feedback(
    client: Client, alice: User, interview: MockInterview, clock: FrozenClock, language: str
) -> None:
    done = finished(alice, interview, clock, first=ANSWER, late=True)
    checks = add_checks(
        done,
        (CheckMoment.START, -8, True),
        (CheckMoment.DURING, 1, True),
        (CheckMoment.DURING, 31, True),
        (CheckMoment.DURING, 61, True),
        (CheckMoment.DURING, 91, True),
        (CheckMoment.END, 130, True),
    )
    MockInterview.objects.filter(pk=done.pk).update(
        delivery={"frames": 15, "faces": 12, "facing": 9, "yaw_sum": 60.0}
    )
    page = page_of(in_language(client, language).get(url(done, "report")))
    assert f'<html lang="{language}"' in page
    assert re.search(
        r"<h1[^>]*>\s*" + re.escape(translated(language, "Mock interview report")), page
    )
    assert inner(page, "report-position") == "네오테크 · 백엔드 개발자"
    badge = element(page, "verified")
    assert 'data-verified="1"' in badge
    assert inner(page, "verified") == "✓ " + translated(language, "Verified practice")
    assert 'id="problems"' not in page
    # Every check, in order, with the server's times after the start, the kind and the outcome
    # in words (not colour alone) and its audit record.
    rows = re.findall(r'<tr data-moment="(\w+)" data-passed="(\d)">(.*?)</tr>', page, re.S)
    assert [(m, p) for m, p, _ in rows] == [
        ("start", "1"), ("during", "1"), ("during", "1"), ("during", "1"), ("during", "1"),
        ("end", "1"),
    ]  # fmt: skip
    cells = [texts_of_cells(row) for *_, row in rows]
    passed = translated(language, "Passed", "identity check")
    with translation.override(language):
        assert cells[0] == [
            pgettext("identity check", "At the start"), gettext("before the start"),
            gettext("Live check"), f"✓ {passed}", str(checks[0].audit_id),
        ]  # fmt: skip
        assert cells[2][1:] == [
            "0:31",
            gettext("Face match"),
            f"✓ {passed}",
            str(checks[2].audit_id),
        ]
        assert cells[5][:2] == [pgettext("identity check", "At the end"), "2:10"]
    # Delivery as summary numbers only.
    delivery = inner(page, "delivery")
    assert "15" in delivery and "80%" in delivery and "75%" in delivery
    assert 'id="no-frames"' not in page
    # Each question: its text, the answer as written (line breaks kept), time taken, lateness,
    # the offline coach's feedback; the blank one "Not answered".
    questions = page.split('class="report-question ')[1:]
    assert len(questions) == 2
    first, second = questions
    asked = InterviewQuestion.objects.get(interview=done, order=1).question
    assert f'<p class="fw-semibold report-question-text">{escape(asked)}</p>' in first
    assert f'<p class="report-answer">{ANSWER}</p>' in first  # its line break as typed
    with translation.override(language):
        assert (gettext("Answered in %(taken)s seconds of %(allowed)s.")
                % {"taken": 70, "allowed": SECONDS}) in first  # fmt: skip
    assert "report-late" in first and 'id="feedback-1"' in first
    assert "feedback-scores" in first
    assert "report-late" not in second and "feedback" not in second
    assert translated(language, "Not answered") in second
    assert 'id="print"' in element(page, "print") and "/static/coach/report.js" in page
    footer = inner(page, "report-footer")
    assert str(CHECK_SECONDS) in footer and str(2 * CHECK_SECONDS) in footer


@pytest.mark.parametrize("language", ["en", "ko"])
def test_an_interview_without_checks_is_not_verified_and_says_why(
    client: Client, alice: User, interview: MockInterview, clock: FrozenClock, language: str
) -> None:
    done = finished(alice, interview, clock, first="짧은 답")
    page = page_of(in_language(client, language).get(url(done, "report")))
    assert 'data-verified="0"' in element(page, "verified")
    assert inner(page, "verified") == "✗ " + translated(language, "Not verified")
    problems = re.findall(r'<li data-problem="(\w+)">(.*?)</li>', page, re.S)
    # 100 seconds from the start to the end with no check at all: a gap as well.
    assert [code for code, _ in problems] == ["no_start", "no_end", "gap"]
    with translation.override(language):
        assert problems[0][1] == gettext(
            "There was no live face check at the start: the interview began without one."
        )
        assert problems[1][1] == gettext(
            "There was no face check at the end, after the last answer."
        )
    assert inner(page, "no-checks") == translated(language, "No identity check was recorded.")
    assert 'id="no-frames"' in page
    first = page.split('class="report-question ')[1]
    assert "report-late" not in first  # 40 seconds of 60


def test_failed_checks_and_a_long_gap_are_named_and_shown_as_failed(
    client: Client, alice: User, interview: MockInterview, clock: FrozenClock
) -> None:
    done = finished(alice, interview, clock, first=ANSWER)
    add_checks(
        done,
        (CheckMoment.START, -20, False),
        (CheckMoment.START, -5, False),
        (CheckMoment.DURING, 2, True),
        (CheckMoment.DURING, 32, False),
        (CheckMoment.END, 100, True),
    )
    page = page_of(in_language(client, "en").get(url(done, "report")))
    problems = dict(re.findall(r'<li data-problem="(\w+)">(.*?)</li>', page, re.S))
    assert list(problems) == ["start_failed", "check_failed", "gap"]
    assert problems["start_failed"] == "The live face check at the start did not pass."
    # Passed checks at 2 s and 100 s: the face went 98 s unchecked, more than 2 x 30 s.
    assert problems["gap"] == (
        "The face went unchecked for 98 seconds in a row, longer than the 60 seconds allowed."
    )
    failed = re.findall(r'<tr data-moment="(\w+)" data-passed="0">(.*?)</tr>', page, re.S)
    assert [m for m, _ in failed] == ["start", "start", "during"]
    assert all("✗ Failed" in " ".join(re.sub(r"<[^>]+>", " ", row).split()) for _, row in failed)


@pytest.mark.parametrize(
    ("code", "sentence"),
    [
        ("no_start", "There was no live face check at the start"),
        ("start_failed", "The live face check at the start did not pass."),
        ("check_failed", "did not recognise the account holder"),
        ("gap", "The face went unchecked for 75 seconds in a row"),
        ("no_end", "There was no face check at the end"),
        ("not_finished", "The interview was not taken to its end."),
    ],
)
def test_each_verification_problem_has_its_sentence(
    alice: User, interview: MockInterview, code: str, sentence: str
) -> None:
    verification = selectors.Verification(False, [code], [], 75)
    request = RequestFactory().get("/")
    request.user = alice
    with translation.override("en"):
        page = render_to_string(
            "coach/report.html",
            {
                "interview": interview,
                "questions": list(interview.questions.all()),
                "verification": verification,
                "delivery": selectors.interview_delivery(interview=interview),
                "check_seconds": CHECK_SECONDS,
            },
            request=request,
        )
    problems = re.findall(r'<li data-problem="(\w+)">(.*?)</li>', page, re.S)
    assert len(problems) == 1 and problems[0][0] == code
    assert sentence in problems[0][1] and code not in problems[0][1]


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_providers_error_is_reported_in_words_with_the_answer(
    client: Client, alice: User, interview: MockInterview, clock: FrozenClock, language: str
) -> None:
    done = finished(alice, interview, clock, first=ANSWER)
    InterviewQuestion.objects.filter(interview=done, order=1).update(
        feedback=None, provider="", error="llm_timeout"
    )
    page = page_of(in_language(client, language).get(url(done, "report")))
    first = page.split('class="report-question ')[1]
    with translation.override(language):
        message = gettext(LLM_MESSAGES["llm_timeout"])
    assert 'data-code="llm_timeout"' in first and message in first
    assert ANSWER in first and "feedback-scores" not in first


# --- the JSON endpoints ------------------------------------------------------------------------


def refused(response: object, status: int, code: str) -> dict[str, object]:
    assert isinstance(response, HttpResponse)
    body: dict[str, object] = json.loads(response.content)
    assert (response.status_code, body.get("code")) == (status, code), body
    assert body.get("message")
    return body


def test_beginning_twice_changes_nothing(
    client: Client, interview: MockInterview, clock: FrozenClock
) -> None:
    first = client.post(url(interview, "begin"))
    one, two = interview.questions.values_list("question", flat=True)
    assert first.status_code == 200
    assert first.json() == {"current": 0, "remaining": SECONDS, "question": one}
    # Each question reaches the page only when its turn comes: no reading ahead.
    assert two not in client.get(url(interview, "")).content.decode()
    interview.refresh_from_db()
    started = interview.started
    assert interview.state == InterviewState.RUNNING and started == at(clock)
    clock.now += 10
    again = client.post(url(interview, "begin"))
    assert again.status_code == 200
    assert again.json() == {"current": 0, "remaining": SECONDS - 10, "question": one}
    interview.refresh_from_db()
    assert (interview.state, interview.started, interview.current) == (
        InterviewState.RUNNING, started, 0,
    )  # fmt: skip
    # Once begun, the start check is over: no challenge, no start step.
    refused(client.post(url(interview, "face/challenge")), 409, "interview_started")
    refused(
        client.post(url(interview, "face/frames"), {"challenge": "x", "timestamps": "1"}),
        409,
        "interview_started",
    )
    assert not IdentityCheck.objects.filter(interview=interview).exists()


def test_answers_are_taken_in_order_timed_by_the_server_and_never_too_long(
    client: Client, interview: MockInterview, clock: FrozenClock
) -> None:
    refused(client.post(url(interview, "answer"), {"order": "1", "text": "a"}), 409,
            "interview_not_running")  # fmt: skip
    client.post(url(interview, "begin"))
    refused(client.post(url(interview, "answer"), {"order": "2", "text": "둘째"}), 409,
            "interview_order")  # fmt: skip
    body = refused(client.post(url(interview, "answer"), {"order": "1", "text": "가" * 1001}),
                   400, "answer_too_long")  # fmt: skip
    assert "1000" in str(body["message"]) or "1,000" in str(body["message"])
    refused(client.post(url(interview, "answer"), {"order": "one", "text": "a"}), 400,
            "invalid_request")  # fmt: skip
    refused(client.post(url(interview, "answer"), {"order": "1"}), 400, "invalid_request")
    interview.refresh_from_db()
    assert interview.current == 0
    assert list(interview.questions.values_list("answer", "answered")) == [("", None), ("", None)]
    clock.now += 21
    ok = client.post(url(interview, "answer"), {"order": "1", "text": "가" * 1000})
    second = InterviewQuestion.objects.get(interview=interview, order=2).question
    assert ok.status_code == 200
    assert ok.json() == {"current": 1, "remaining": SECONDS, "question": second}
    saved = InterviewQuestion.objects.get(interview=interview, order=1)
    assert (len(saved.answer), saved.seconds_taken) == (1000, 21)
    refused(client.post(url(interview, "answer"), {"order": "1", "text": "again"}), 409,
            "interview_order")  # fmt: skip
    saved.refresh_from_db()
    assert saved.answer == "가" * 1000


def test_nothing_is_checked_when_the_interview_is_not_going_on(
    client: Client, alice: User, interview: MockInterview, frames: dict[str, bytes]
) -> None:
    photo = {"frames": uploads([frames["obama"]])}
    audits = AuditEvent.objects.count()
    refused(client.post(url(interview, "presence"), photo), 409, "interview_not_running")
    interviews.interview_begin(user=alice, interview=interview)
    interviews.interview_finish(user=alice, interview=interview)
    photo = {"frames": uploads([frames["obama"]])}
    refused(client.post(url(interview, "presence"), photo), 409, "interview_not_running")
    refused(client.post(url(interview, "answer"), {"order": "1", "text": "늦은 답"}), 409,
            "interview_not_running")  # fmt: skip
    assert not IdentityCheck.objects.filter(interview=interview).exists()
    assert AuditEvent.objects.count() == audits
    assert interview.delivery == {}


def test_another_users_interview_does_not_exist_for_them(
    bob: User, alice: User, interview: MockInterview
) -> None:
    intruder = logged_in(bob)
    for path in ("", "report"):
        assert intruder.get(url(interview, path)).status_code == 404
    for path in ("face/challenge", "face/frames", "begin", "presence", "answer", "finish"):
        assert intruder.post(url(interview, path), {"order": "1", "text": "x"}).status_code == 404
    interview.refresh_from_db()
    assert (interview.state, interview.current, interview.started) == (
        InterviewState.READY,
        0,
        None,
    )
    assert not IdentityCheck.objects.filter(interview=interview).exists()
    # Signed out: the login page; the wrong method: refused.
    assert Client().get(url(interview))["Location"].startswith("/accounts/login/")
    assert logged_in(alice).get(url(interview, "begin")).status_code == 405


def test_an_interview_taken_through_the_endpoints_ends_on_its_report(
    client: Client, interview: MockInterview, clock: FrozenClock
) -> None:
    assert client.post(url(interview, "begin")).json()["current"] == 0
    clock.now += 30
    body = client.post(url(interview, "answer"), {"order": "1", "text": ANSWER}).json()
    assert (body["current"], body["remaining"]) == (1, SECONDS)
    clock.now += 61
    assert client.post(url(interview, "answer"), {"order": "2", "text": ""}).json()["current"] == 2
    response = client.post(url(interview, "finish"))
    assert (response.status_code, response["Location"]) == (302, url(interview, "report"))
    page = page_of(client.get(response["Location"]))
    assert 'data-verified="0"' in element(page, "verified")
    first, second = page.split('class="report-question ')[1:]
    assert 'id="feedback-1"' in first and "report-late" not in first
    assert "report-unanswered" in second
    assert client.post(url(interview, "finish")).status_code == 302  # a second finish is harmless


# --- identity checks with real photos ----------------------------------------------------------


def webcam(photo: bytes, count: int = 3) -> list[bytes]:
    """`count` webcam frames of a photo's scene, as the page sends them."""
    return jpegs([load_image(frame) for frame in burst(photo, count)])


def test_checks_of_real_faces_are_recorded_and_reported_and_their_limit_skips_a_round(
    client: Client,
    alice: User,
    interview: MockInterview,
    clock: FrozenClock,
    frames: dict[str, bytes],
) -> None:
    """The account holder (obama.jpg, obama2.jpg enrolled) is recognised in obama3.jpg,
    another person (biden.jpg) is not; the report lists both with their audit records, and
    without a live check at the start it is not verified."""
    flows.face_enroll(
        user=alice,
        frames=[frames["obama"], frames["obama2"]],
        scheme="iom",
        client=ClientInfo(ip="127.0.0.1", user_agent="test"),
        channel="admin",
    )
    client.post(url(interview, "begin"))
    presence = url(interview, "presence")
    clock.now += 1
    mine = client.post(presence, {"frames": uploads(webcam(frames["obama3"]))})
    assert (mine.status_code, mine.json()) == (200, {"passed": True})
    clock.now += 30
    other = client.post(presence, {"frames": uploads(webcam(frames["biden"]))})
    assert (other.status_code, other.json()) == (200, {"passed": False})
    # The end check comes after the last answer only.
    end = {"frames": uploads(webcam(frames["obama3"])), "end": "1"}
    refused(client.post(presence, end), 409, "interview_not_answered")
    for order in (1, 2):
        clock.now += 20
        client.post(url(interview, "answer"), {"order": str(order), "text": f"답변 {order}"})
    end = {"frames": uploads(webcam(frames["obama3"])), "end": "1"}
    assert client.post(presence, end).json() == {"passed": True}
    rows = list(IdentityCheck.objects.filter(interview=interview))
    assert [(c.moment, c.passed, c.live) for c in rows] == [
        ("during", True, False), ("during", False, False), ("end", True, False),
    ]  # fmt: skip
    for row in rows:
        assert row.audit_id is not None
        audit = AuditEvent.objects.get(pk=row.audit_id)
        assert (audit.event, audit.success, audit.user_id) == (
            "presence_interview", row.passed, alice.pk,
        )  # fmt: skip
    interview.refresh_from_db()
    assert interview.delivery["frames"] == 9 and interview.delivery["faces"] == 9

    # Checked too often (here more than once a minute): refused with the time to wait and
    # nothing recorded; the page skips that round.
    clock.now = (clock.now // 60 + 1) * 60  # a new rate window, 120 s after the start
    with override_settings(PEEKA_RATE_LIMITS={**settings.PEEKA_RATE_LIMITS, "presence": 1}):
        answers = [
            client.post(presence, {"frames": uploads(webcam(frames["obama3"], 1))})
            for _ in range(2)
        ]
    throttled = answers[-1]
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
    assert IdentityCheck.objects.filter(interview=interview).count() == 4

    assert client.post(url(interview, "finish")).status_code == 302
    page = page_of(in_language(client, "en").get(url(interview, "report")))
    assert 'data-verified="0"' in element(page, "verified")
    # No live check at the start; biden at 0:31; and from 0:01 to the end check at 1:11 no
    # passed check: 70 s, more than twice the 30 s interval.
    problems = re.findall(r'<li data-problem="(\w+)">', page)
    assert problems == ["no_start", "check_failed", "gap"]
    table = re.findall(r'<tr data-moment="(\w+)" data-passed="(\d)">(.*?)</tr>', page, re.S)
    assert [(m, p) for m, p, _ in table] == [
        ("during", "1"), ("during", "0"), ("end", "1"), ("during", "1"),
    ]  # fmt: skip
    assert texts_of_cells(table[1][2]) == [
        "During the interview", "0:31", "Face match", "✗ Failed", str(rows[1].audit_id),
    ]  # fmt: skip
    assert "100%" in inner(page, "delivery")
