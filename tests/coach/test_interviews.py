"""Mock interviews through their endpoints, on real faces: the webcam recording's owner passes
the live check at the start and every check after it ("verified practice"); a still photo of
someone else fails them and the report says so; a page that stops sending checks leaves a gap
the server sees; the server's clock times the answers; a provider that is down at the end keeps
every answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.test import Client
from PIL import Image
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.accounts.models import User
from peeka.coach.models import IdentityCheck, InterviewQuestion, MockInterview, QuestionSet
from peeka.coach.services import practice
from peeka.faces import flows
from peeka.llm.base import Settings
from peeka.security.client import ClientInfo
from peeka.security.models import AuditEvent
from tests.webapp import FrozenClock, jpegs, logged_in, recorded, uploads

pytestmark = pytest.mark.django_db
CLIENT = ClientInfo(ip="127.0.0.1", user_agent="test")
ANSWER = (
    "In my internship our order API took over three seconds at peak (situation). I had to find "
    "the bottleneck (task). I profiled the queries, removed an N+1 query and added a Redis "
    "cache (action). Average latency fell by 40% and complaints halved (result)."
)


@pytest.fixture(autouse=True)
def blink_only(settings: SettingsWrapper, clock: FrozenClock) -> None:
    settings.PEEKA_LIVENESS = True
    settings.PEEKA_LIVENESS_FIXED_STEPS = ["blink"]  # the recording can only blink
    settings.PEEKA_COACH_CHECK_SECONDS = 30


@pytest.fixture
def alice(look: list[bytes]) -> User:
    """The webcam recording's face."""
    user = User.objects.create_user("alice", password="x" * 12)
    flows.face_enroll(user=user, frames=look[:3], scheme="iom", client=CLIENT, channel="admin")
    return user


@pytest.fixture
def question_set(alice: User) -> QuestionSet:
    letter = practice.letter_create(
        owner=alice,
        content=practice.LetterContent(
            title="Neotech backend",
            company_name="Neotech",
            position="Backend developer",
            items=[("Why us?", "I like payments and cut an API's latency by 40%.")],
        ),
    )
    return practice.questions_ask(user=alice, letter=letter, language="en")


@pytest.fixture
def biden_still(faces_dir: Path) -> list[bytes]:
    """A clip made from biden.jpg: the same photo, frame after frame."""
    picture = np.asarray(Image.open(faces_dir / "biden.jpg").convert("RGB"))
    return jpegs([picture] * 10)


def create(browser: Client, question_set: QuestionSet, *questions: int) -> MockInterview:
    response = browser.post(
        f"/coach/sets/{question_set.pk}/interviews/",
        {"questions": [str(q) for q in questions], "seconds": "60"},
    )
    assert response.status_code == 302, response.content[:500]
    interview = MockInterview.objects.latest("pk")
    assert response["Location"] == f"/coach/interviews/{interview.pk}/"
    return interview


def live_check(
    browser: Client, interview: MockInterview, frames: list[bytes], clock: FrozenClock
) -> dict[str, Any]:
    url = f"/coach/interviews/{interview.pk}/face/"
    issued = browser.post(f"{url}challenge/")
    assert issued.status_code == 200, issued.content
    answer = browser.post(
        f"{url}frames/", {"challenge": issued.json()["id"], **recorded(frames, clock)}
    )
    return {"status": answer.status_code, **answer.json()}


def presence(
    browser: Client, interview: MockInterview, frames: list[bytes], *, end: bool = False
) -> dict[str, Any]:
    data: dict[str, Any] = {"frames": uploads(frames)}
    if end:
        data["end"] = "1"
    response = browser.post(f"/coach/interviews/{interview.pk}/presence/", data)
    return {"status": response.status_code, **response.json()}


def answer(browser: Client, interview: MockInterview, order: int, text: str) -> dict[str, Any]:
    response = browser.post(
        f"/coach/interviews/{interview.pk}/answer/", {"order": str(order), "text": text}
    )
    return {"status": response.status_code, **response.json()}


def test_the_account_holder_practises_verified(
    alice: User,
    question_set: QuestionSet,
    blink: list[bytes],
    look: list[bytes],
    clock: FrozenClock,
) -> None:
    browser = logged_in(alice)
    interview = create(browser, question_set, 0, 3)
    assert live_check(browser, interview, blink, clock) == {
        "status": 200,
        "passed": True,
        "verified": True,
    }
    began = browser.post(f"/coach/interviews/{interview.pk}/begin/").json()
    first_question = interview.questions.get(order=1).question
    assert began == {"current": 0, "remaining": 60, "question": first_question}
    assert presence(browser, interview, look[:3]) == {"status": 200, "passed": True}
    clock.now += 25
    assert answer(browser, interview, 1, ANSWER)["current"] == 1
    assert presence(browser, interview, look[3:6]) == {"status": 200, "passed": True}
    clock.now += 40  # the second answer is late: 60 s allowed
    assert presence(browser, interview, look[:3]) == {"status": 200, "passed": True}
    clock.now += 40
    assert answer(browser, interview, 2, "I would ask my team first.")["current"] == 2
    assert presence(browser, interview, look[6:9], end=True)["passed"] is True
    clock.now += 1
    finished = browser.post(f"/coach/interviews/{interview.pk}/finish/")
    assert finished["Location"] == f"/coach/interviews/{interview.pk}/report/"

    interview.refresh_from_db()
    assert interview.state == "finished"
    first, second = InterviewQuestion.objects.filter(interview=interview)
    assert (first.seconds_taken, second.seconds_taken) == (25, 80)  # the server's clock
    assert first.feedback and first.provider == "offline"
    assert set(first.feedback["scores"]) == {"star", "relevance", "specificity", "fit", "tone"}
    moments = [c.moment for c in interview.checks.all()]
    assert moments == ["start", "during", "during", "during", "end"]
    assert interview.delivery["frames"] == 12 and interview.delivery["faces"] == 12
    # Every check is an audit row of its own, which the report cites.
    audited = AuditEvent.objects.filter(event__in=["liveness_interview", "presence_interview"])
    assert audited.count() == 5 and all(a.success for a in audited)
    report = browser.get(f"/coach/interviews/{interview.pk}/report/")
    assert report.status_code == 200
    page = report.content.decode()
    assert 'data-verified="1"' in page
    for check in interview.checks.all():
        assert str(check.audit_id) in page


def test_a_photo_of_someone_else_fails_and_the_report_says_so(
    alice: User, question_set: QuestionSet, biden_still: list[bytes], clock: FrozenClock
) -> None:
    browser = logged_in(alice)
    interview = create(browser, question_set, 1)
    checked = live_check(browser, interview, biden_still, clock)
    assert checked["passed"] is False and checked["verified"] is False and checked["hint"]
    assert IdentityCheck.objects.get(interview=interview).passed is False
    # The candidate may practise all the same, unverified.
    assert browser.post(f"/coach/interviews/{interview.pk}/begin/").status_code == 200
    assert presence(browser, interview, biden_still[:3]) == {"status": 200, "passed": False}
    clock.now += 10
    assert answer(browser, interview, 1, ANSWER)["current"] == 1
    assert presence(browser, interview, biden_still[:3], end=True)["passed"] is False
    browser.post(f"/coach/interviews/{interview.pk}/finish/")
    page = browser.get(f"/coach/interviews/{interview.pk}/report/").content.decode()
    assert 'data-verified="0"' in page
    refused = AuditEvent.objects.filter(event="presence_interview", success=False)
    assert refused.count() == 2


def test_checks_that_stop_coming_leave_the_practice_unverified(
    alice: User,
    question_set: QuestionSet,
    blink: list[bytes],
    look: list[bytes],
    clock: FrozenClock,
) -> None:
    browser = logged_in(alice)
    interview = create(browser, question_set, 2)
    assert live_check(browser, interview, blink, clock)["passed"] is True
    browser.post(f"/coach/interviews/{interview.pk}/begin/")
    clock.now += 75  # no check while the candidate answers: the page skipped them
    answer(browser, interview, 1, ANSWER)
    assert presence(browser, interview, look[:3], end=True)["passed"] is True
    browser.post(f"/coach/interviews/{interview.pk}/finish/")
    page = browser.get(f"/coach/interviews/{interview.pk}/report/").content.decode()
    assert 'data-verified="0"' in page


def test_the_interview_keeps_its_order_and_refuses_what_does_not_fit(
    alice: User, question_set: QuestionSet, look: list[bytes]
) -> None:
    browser = logged_in(alice)
    interview = create(browser, question_set, 0, 1)
    assert presence(browser, interview, look[:3])["code"] == "interview_not_running"
    assert answer(browser, interview, 1, ANSWER)["code"] == "interview_not_running"
    browser.post(f"/coach/interviews/{interview.pk}/begin/")
    assert browser.post(f"/coach/interviews/{interview.pk}/begin/").status_code == 200
    assert answer(browser, interview, 2, ANSWER)["code"] == "interview_order"
    too_long = answer(browser, interview, 1, "x" * 1001)
    assert (too_long["status"], too_long["code"]) == (400, "answer_too_long")
    assert presence(browser, interview, look[:3], end=True)["code"] == "interview_not_answered"
    six = presence(browser, interview, look[:3] * 2)
    assert (six["status"], six["code"]) == (400, "frames")  # refused before decoding
    challenge = browser.post(f"/coach/interviews/{interview.pk}/face/challenge/")
    assert challenge.json()["code"] == "interview_started"
    assert InterviewQuestion.objects.filter(interview=interview).exclude(answer="").count() == 0
    stranger = logged_in(User.objects.create_user("mallory", password="x" * 12))
    assert stranger.get(f"/coach/interviews/{interview.pk}/").status_code == 404
    refused = stranger.post(
        f"/coach/interviews/{interview.pk}/answer/", {"order": "1", "text": "x"}
    )
    assert refused.status_code == 404


@pytest.mark.parametrize("questions", [[], [0, 1, 2, 3, 4, 5, 0, 1], [9]])
def test_one_to_six_questions_of_the_set(
    alice: User, question_set: QuestionSet, questions: list[int]
) -> None:
    browser = logged_in(alice)
    response = browser.post(
        f"/coach/sets/{question_set.pk}/interviews/",
        {"questions": [str(q) for q in questions], "seconds": "60"},
    )
    assert response.status_code == 302
    if questions == [0, 1, 2, 3, 4, 5, 0, 1]:  # the repeats are dropped: six questions
        assert MockInterview.objects.get().questions.count() == 6
    else:
        assert not MockInterview.objects.exists()


def test_a_provider_down_at_the_end_keeps_every_answer(
    alice: User, question_set: QuestionSet, settings: SettingsWrapper
) -> None:
    browser = logged_in(alice)
    interview = create(browser, question_set, 0)
    browser.post(f"/coach/interviews/{interview.pk}/begin/")
    answer(browser, interview, 1, ANSWER)
    settings.PEEKA_LLM = Settings(base_url="http://127.0.0.1:9/v1", model="m", timeout=2)
    browser.post(f"/coach/interviews/{interview.pk}/finish/")
    question = InterviewQuestion.objects.get(interview=interview)
    assert (question.answer, question.error, question.feedback) == (ANSWER, "llm_unavailable", None)
    page = browser.get(f"/coach/interviews/{interview.pk}/report/").content.decode()
    assert "40%" in page and 'data-verified="0"' in page
