"""Mock interviews: 1 to 6 questions of a set, each with a time limit, answered while the
candidate's face is checked — a live check (liveness challenge) at the start, a few frames
matched to the account holder about every `PEEKA_COACH_CHECK_SECONDS` and at the end — all
through `peeka.faces.flows`, frames in memory only. The server's clock times everything; the
report's "verified practice" is decided from what the server recorded, never from the page.

Delivery signals (how many frames showed a face, how many looked at the camera, head turn)
come from the same frames and are kept as running totals only.

Where the LLM server writes speech down (`Settings.transcribe_model`), an answer may be spoken:
the recording goes to the provider in memory and only the text comes back to the page, which
adds it to the answer being typed; nothing of it is stored or logged here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

from django.db import transaction

from peeka.accounts.models import User
from peeka.coach import selectors
from peeka.coach.models import (
    INTERVIEW_QUESTIONS_MAX,
    INTERVIEW_SECONDS,
    CheckMoment,
    IdentityCheck,
    InterviewQuestion,
    InterviewState,
    MockInterview,
    QuestionSet,
)
from peeka.coach.services import feedback_give, provider
from peeka.coach.services.practice import (
    PracticeError,
    answer_length_check,
    llm_failed,
    owned,
    set_language,
)
from peeka.errors import gettext_noop
from peeka.faces import flows
from peeka.faces.flows import FaceCheck
from peeka.faces.models import LivenessChallenge
from peeka.llm.base import AudioError, LLMError, audio_extension
from peeka.security.client import ClientInfo
from peeka.security.clock import now
from peeka.security.services import ThrottledError, audit_record, rate_limit

PURPOSE: Final = "interview"
GRACE_SECONDS = 5
"""An answer that arrives this much after its question's time is still in time (the network)."""
AUDIO_MESSAGES = {
    "audio_empty": gettext_noop("Nothing was recorded. Try again, or type your answer."),
    "audio_too_large": gettext_noop(
        "The recording is too long to write down. Speak for a shorter time, or type your answer."
    ),
    "audio_type": gettext_noop(
        "This browser records sound in a format that cannot be written down. Type your answer "
        "instead."
    ),
}
"""What the user is told of a recording the provider refuses (`peeka.llm.base.AudioError`)."""


def _now() -> datetime:
    return datetime.fromtimestamp(now(), tz=UTC)


def interview_create(
    *, user: User, question_set: QuestionSet, indexes: Sequence[int], seconds: int
) -> MockInterview:
    """A mock interview over questions `indexes` of the set (in that order), `seconds` each."""
    owned(user, question_set.owner_id)
    chosen = list(dict.fromkeys(indexes))
    if not 1 <= len(chosen) <= INTERVIEW_QUESTIONS_MAX:
        raise PracticeError(
            gettext_noop("Choose between 1 and %(count)d questions."),
            field="questions",
            code="interview_questions",
            params={"count": INTERVIEW_QUESTIONS_MAX},
        )
    low, high = INTERVIEW_SECONDS
    if not low <= seconds <= high:
        raise PracticeError(
            gettext_noop("Allow between %(low)d and %(high)d seconds a question."),
            field="seconds",
            code="interview_seconds",
            params={"low": low, "high": high},
        )
    rows = []
    for order, index in enumerate(chosen, start=1):
        found = question_set.question(index)
        if found is None:
            raise PracticeError(gettext_noop("No such question."), field="questions")
        kind, text = found
        rows.append(InterviewQuestion(order=order, kind=kind, question=text[:1000]))
    with transaction.atomic():
        interview = MockInterview.objects.create(
            owner=user, question_set=question_set, seconds=seconds
        )
        for row in rows:
            row.interview = interview
        InterviewQuestion.objects.bulk_create(rows)
    return interview


def interview_challenge(
    *, user: User, interview: MockInterview, client: ClientInfo
) -> LivenessChallenge:
    """The live check before the interview begins (only then)."""
    _ready(user, interview)
    return flows.challenge_start(purpose=PURPOSE, client=client, user=user)


def interview_start_step(
    *,
    user: User,
    interview: MockInterview,
    challenge_id: str,
    frames: Sequence[bytes],
    timestamps_ms: Sequence[int],
    client: ClientInfo,
) -> FaceCheck:
    """A step of the live check before the interview; when the check ends, its outcome is
    recorded as the interview's start check (a later try replaces none: each is kept)."""
    _ready(user, interview)
    checked = flows.face_check(
        user=user,
        purpose=PURPOSE,
        challenge_id=challenge_id,
        frames=frames,
        timestamps_ms=timestamps_ms,
        client=client,
    )
    if not checked.going_on and checked.reason != "challenge_not_found":
        IdentityCheck.objects.create(
            interview=interview,
            moment=CheckMoment.START,
            at=_now(),
            passed=checked.passed,
            live=True,
            reason=checked.reason[:40],
            audit_id=checked.audit_id,
        )
    return checked


def interview_begin(*, user: User, interview: MockInterview) -> MockInterview:
    """The first question is shown now (a second call changes nothing). A candidate whose
    face could not be checked may practise all the same: the report says it is unverified."""
    owned(user, interview.owner_id)
    with transaction.atomic():
        locked = MockInterview.objects.select_for_update().get(pk=interview.pk)
        if locked.state == InterviewState.READY:
            moment = _now()
            locked.state = InterviewState.RUNNING
            locked.started = moment
            locked.question_shown = moment
            locked.current = 0
            locked.save(update_fields=["state", "started", "question_shown", "current"])
    interview.refresh_from_db()
    return interview


def interview_presence(
    *,
    user: User,
    interview: MockInterview,
    frames: Sequence[bytes],
    client: ClientInfo,
    end: bool = False,
) -> IdentityCheck:
    """A check while the interview runs (`end`: the one after the last answer): the frames are
    matched to the account holder, and their delivery signals added to the interview's
    totals. Throttled checks raise `ThrottledError` (audited by the flow); frames that are not
    pictures raise their `ImageError` (audited, but no check of the interview)."""
    owned(user, interview.owner_id)
    if interview.state != InterviewState.RUNNING:
        raise PracticeError(
            gettext_noop("This interview is not going on."), code="interview_not_running"
        )
    if end and interview.current < interview.questions.count():
        raise PracticeError(
            gettext_noop("Answer the last question first."), code="interview_not_answered"
        )
    seen = flows.face_presence(user=user, purpose=PURPOSE, frames=frames, client=client)
    if seen.image_error is not None:
        raise seen.image_error  # not a picture: no check took place (a gap, if it lasts)
    with transaction.atomic():
        locked = MockInterview.objects.select_for_update().get(pk=interview.pk)
        totals = dict(locked.delivery)
        for key, value in (
            ("frames", seen.frames),
            ("faces", seen.faces),
            ("facing", seen.facing),
            ("yaw_sum", seen.mean_abs_yaw * seen.faces),
        ):
            totals[key] = totals.get(key, 0) + value
        locked.delivery = totals
        locked.save(update_fields=["delivery"])
        check = IdentityCheck.objects.create(
            interview=interview,
            moment=CheckMoment.END if end else CheckMoment.DURING,
            at=_now(),
            passed=seen.passed,
            reason=seen.reason[:40],
            audit_id=seen.audit_id,
        )
    return check


def interview_answer(
    *, user: User, interview: MockInterview, order: int, text: str
) -> InterviewQuestion:
    """The answer to the question on screen (`order`, from 1), timed by the server from when
    it was shown; the next question is shown now. An answer past its time is kept and marked
    as late in the report."""
    owned(user, interview.owner_id)
    answer_length_check(text)
    with transaction.atomic():
        locked = MockInterview.objects.select_for_update().get(pk=interview.pk)
        if locked.state != InterviewState.RUNNING:
            raise PracticeError(
                gettext_noop("This interview is not going on."), code="interview_not_running"
            )
        if order != locked.current + 1:
            raise PracticeError(
                gettext_noop("That question is not the one on screen."), code="interview_order"
            )
        question = InterviewQuestion.objects.get(interview=locked, order=order)
        moment = _now()
        shown = locked.question_shown or moment
        question.answer = text
        question.answered = moment
        question.seconds_taken = max(0, round((moment - shown).total_seconds()))
        question.save(update_fields=["answer", "answered", "seconds_taken"])
        locked.current = order
        locked.question_shown = moment
        locked.save(update_fields=["current", "question_shown"])
    interview.refresh_from_db()
    return question


def transcription_available() -> bool:
    """Whether the deployment's provider writes speech down (the interview page then offers to
    speak an answer). No request is made."""
    return provider().transcribes()


def interview_transcribe(
    *,
    user: User,
    interview: MockInterview,
    audio: bytes,
    content_type: str,
    client: ClientInfo | None = None,
) -> str:
    """The spoken answer in `audio` (at most `peeka.llm.base.AUDIO_MAX_BYTES` of one of its
    AUDIO_TYPES) written down by the provider in the set's language, for the page to add to
    the answer being typed; only while the interview runs. Rate-limited per
    user (scope "transcribe": `ThrottledError`, the first refusal of a window audited as
    "transcribe_interview"). A refused recording or a provider's error is a `PracticeError`
    (a provider that cannot transcribe: "llm_unsupported"). The audio and the text are
    neither stored nor logged."""
    owned(user, interview.owner_id)
    if interview.state != InterviewState.RUNNING:
        raise PracticeError(
            gettext_noop("This interview is not going on."), code="interview_not_running"
        )
    try:
        rate_limit(scope="transcribe", ident=f"user:{user.pk}")
    except ThrottledError as exc:
        if exc.first:  # one row a window, not one a refused recording
            audit_record(
                event="transcribe_interview",
                success=False,
                reason=exc.code,
                user=user,
                client=client,
            )
        raise
    try:
        audio_extension(audio, content_type)
        return provider().transcribe(
            audio, content_type=content_type, language=set_language(interview.question_set)
        )
    except AudioError as exc:
        message = AUDIO_MESSAGES.get(exc.code, AUDIO_MESSAGES["audio_type"])
        raise PracticeError(message, code=exc.code) from None
    except LLMError as exc:
        raise llm_failed(exc) from None


def interview_finish(*, user: User, interview: MockInterview) -> MockInterview:
    """The interview ends now; each answered question gets the provider's feedback (a
    provider's error is kept per question, with the answer)."""
    owned(user, interview.owner_id)
    with transaction.atomic():
        locked = MockInterview.objects.select_for_update().get(pk=interview.pk)
        if locked.state == InterviewState.FINISHED:
            return locked
        if locked.state != InterviewState.RUNNING:
            raise PracticeError(
                gettext_noop("This interview has not begun."), code="interview_not_running"
            )
        locked.state = InterviewState.FINISHED
        locked.finished = _now()
        locked.save(update_fields=["state", "finished"])
    question_set = locked.question_set
    language = set_language(question_set)
    company = selectors.company_profile(name=question_set.company_name)
    for question in locked.questions.exclude(answer=""):
        try:
            judged = feedback_give(
                question=question.question,
                answer=question.answer,
                company=company,
                kind="job" if question.kind == "job" else "personality",
                language=language,
            )
        except LLMError as exc:
            question.error = exc.code
            question.save(update_fields=["error"])
            continue
        question.provider = judged.provider
        question.feedback = judged.feedback.model_dump(mode="json")
        question.save(update_fields=["provider", "feedback"])
    return locked


def _ready(user: User, interview: MockInterview) -> None:
    owned(user, interview.owner_id)
    if interview.state != InterviewState.READY:
        raise PracticeError(
            gettext_noop("This interview has already begun."), code="interview_started"
        )
