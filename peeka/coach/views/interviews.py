"""Mock interview pages: create one from a question set, the interview itself (a live face
check, then the questions one at a time with a timer, a few frames sent about every
`PEEKA_COACH_CHECK_SECONDS` and after the last answer), and the printable report.

The JSON endpoints answer {"code", "message"} with 4xx on a refusal, 429 with Retry-After when
throttled; the camera's step answers are `peeka.faces.camera`'s. Where the LLM server writes
speech down, a spoken answer is posted to `interview_transcribe` as the raw recording."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from peeka.accounts.models import User
from peeka.coach import selectors
from peeka.coach.forms import InterviewForm
from peeka.coach.models import ANSWER_MAX, InterviewState, MockInterview
from peeka.coach.services import interviews
from peeka.coach.services.practice import PracticeError
from peeka.coach.views.practice import content_length, posted_answer
from peeka.errors import ImageError
from peeka.faces.camera import (
    challenge_json,
    frames_of,
    step_json,
    throttled,
    throttled_response,
    timestamps_of,
)
from peeka.llm.base import AUDIO_MAX_BYTES, AUDIO_TYPES
from peeka.security.client import client_info
from peeka.security.services import ThrottledError
from peeka.security.wording import localized

PRESENCE_MAX_BYTES = 5 * 1024 * 1024
"""A check's frames (at most five JPEGs of a webcam picture): above this, refused from the
Content-Length before the frames are looked at (the CSRF check has parsed the form by then,
within the 40 MB request budget, `peeka.web.uploads`)."""
SPEAKING_PERMISSIONS = "camera=(self), microphone=(self), geolocation=(), payment=(), usb=()"
"""The interview page's Permissions-Policy where answers may be spoken: the site's own
(`peeka.web.security.PERMISSIONS`, which refuses the microphone everywhere) with this page's
microphone allowed."""


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _interview(request: HttpRequest, interview_id: int) -> MockInterview:
    interview = selectors.interview_get(user=request.user, interview_id=interview_id)
    if interview is None:
        raise Http404(gettext("No such mock interview."))
    return interview


def _refused(exc: PracticeError) -> JsonResponse:
    status = 409 if exc.code and exc.code.startswith("interview_") else 400
    return JsonResponse(
        {"passed": False, "done": True, "code": exc.code, "message": localized(exc)},
        status=status,
    )


@login_required
@require_POST
def interview_new(request: HttpRequest, set_id: int) -> HttpResponse:
    question_set = selectors.question_set_get(user=request.user, set_id=set_id)
    if question_set is None:
        raise Http404(gettext("No such question set."))
    form = InterviewForm(request.POST)
    back = reverse("coach:set", args=[question_set.pk]) + "#interview"
    if not form.is_valid():
        messages.error(request, gettext("Choose between 1 and 6 questions and the time for each."))
        return redirect(back)
    try:
        interview = interviews.interview_create(
            user=_user(request),
            question_set=question_set,
            indexes=form.cleaned_data["questions"],
            seconds=form.cleaned_data["seconds"],
        )
    except PracticeError as exc:
        messages.error(request, localized(exc))
        return redirect(back)
    return redirect("coach:interview", interview_id=interview.pk)


@never_cache
@login_required
@require_GET
def interview_page(request: HttpRequest, interview_id: int) -> HttpResponse:
    interview = _interview(request, interview_id)
    if interview.state == InterviewState.FINISHED:
        return redirect("coach:interview_report", interview_id=interview.pk)
    questions = list(interview.questions.all())
    context = {
        "interview": interview,
        "questions": questions,
        "start_checks": [c for c in interview.checks.all() if c.moment == "start"],
        "check_seconds": settings.PEEKA_COACH_CHECK_SECONDS,
        "answer_max": ANSWER_MAX,
        "remaining": selectors.question_remaining(interview=interview),
        "transcribe": interviews.transcription_available(),
    }
    response = render(request, "coach/interview.html", context)
    if context["transcribe"]:
        response["Permissions-Policy"] = SPEAKING_PERMISSIONS
    return response


@login_required
@require_POST
@throttled
def interview_challenge(request: HttpRequest, interview_id: int) -> JsonResponse:
    interview = _interview(request, interview_id)
    try:
        row = interviews.interview_challenge(
            user=_user(request), interview=interview, client=client_info(request)
        )
    except PracticeError as exc:
        return _refused(exc)
    return challenge_json(row)


@login_required
@require_POST
@throttled
def interview_frames(request: HttpRequest, interview_id: int) -> JsonResponse:
    interview = _interview(request, interview_id)
    try:
        checked = interviews.interview_start_step(
            user=_user(request),
            interview=interview,
            challenge_id=request.POST.get("challenge", ""),
            frames=frames_of(request),
            timestamps_ms=timestamps_of(request),
            client=client_info(request),
        )
    except PracticeError as exc:
        return _refused(exc)
    return step_json(checked, {"verified": True} if checked.passed else None, verified=False)


@login_required
@require_POST
def interview_begin(request: HttpRequest, interview_id: int) -> JsonResponse:
    interview = _interview(request, interview_id)
    try:
        interview = interviews.interview_begin(user=_user(request), interview=interview)
    except PracticeError as exc:
        return _refused(exc)
    return _on_screen(interview)


@login_required
@require_POST
@throttled
def interview_presence(request: HttpRequest, interview_id: int) -> JsonResponse:
    """A check's frames: {"passed": bool} (the page only shows that a check ran)."""
    interview = _interview(request, interview_id)
    if content_length(request) > PRESENCE_MAX_BYTES:
        message = gettext("Send at most five camera pictures.")
        return JsonResponse({"code": "too_large", "message": message}, status=413)
    try:
        check = interviews.interview_presence(
            user=_user(request),
            interview=interview,
            frames=frames_of(request),
            client=client_info(request),
            end=request.POST.get("end") == "1",
        )
    except PracticeError as exc:
        return _refused(exc)
    except ImageError as exc:
        return JsonResponse({"code": exc.code, "message": localized(exc)}, status=400)
    return JsonResponse({"passed": check.passed})


@login_required
@require_POST
def interview_answer(request: HttpRequest, interview_id: int) -> JsonResponse:
    """The answer to question `order`; then what `_on_screen` says."""
    interview = _interview(request, interview_id)
    text = posted_answer(request)
    if isinstance(text, JsonResponse):
        return text
    order = request.POST.get("order", "")
    if not order.isdigit() or len(order) > 2:
        message = gettext("Send the number of the question.")
        return JsonResponse({"code": "invalid_request", "message": message}, status=400)
    try:
        interviews.interview_answer(
            user=_user(request), interview=interview, order=int(order), text=text
        )
    except PracticeError as exc:
        return _refused(exc)
    interview.refresh_from_db()
    return _on_screen(interview)


@login_required
@require_POST
def interview_transcribe(request: HttpRequest, interview_id: int) -> JsonResponse:
    """A spoken answer written down: the request's body is the recording itself (not a form),
    with its own Content-Type (e.g. "audio/webm;codecs=opus", as MediaRecorder makes it).
    {"text": ...} (possibly "": nothing was heard), or {"code", "message"}: 413 "too_large"
    from the Content-Length over `AUDIO_MAX_BYTES`, 400 "audio_empty" and 415 "audio_type"
    (not one of `AUDIO_TYPES`), all three decided before the body is read; 409 when the
    interview is not going on; 429 with Retry-After when throttled; 503 with the provider's
    code ("llm_unsupported" where it cannot transcribe, "llm_timeout", ...)."""
    interview = _interview(request, interview_id)
    length = content_length(request)
    if length > AUDIO_MAX_BYTES:
        message = gettext(interviews.AUDIO_MESSAGES["audio_too_large"])
        return JsonResponse({"code": "too_large", "message": message}, status=413)
    if length == 0:
        message = gettext(interviews.AUDIO_MESSAGES["audio_empty"])
        return JsonResponse({"code": "audio_empty", "message": message}, status=400)
    # Checked before reading: a form, say, is never parsed here.
    if (request.content_type or "").lower() not in AUDIO_TYPES:
        message = gettext(interviews.AUDIO_MESSAGES["audio_type"])
        return JsonResponse({"code": "audio_type", "message": message}, status=415)
    try:
        text = interviews.interview_transcribe(
            user=_user(request),
            interview=interview,
            audio=request.body,
            content_type=request.headers.get("Content-Type", ""),
            client=client_info(request),
        )
    except ThrottledError as exc:
        return throttled_response(exc)
    except PracticeError as exc:
        return JsonResponse(
            {"code": exc.code, "message": localized(exc)}, status=_transcribe_status(exc.code)
        )
    return JsonResponse({"text": text})


def _transcribe_status(code: str | None) -> int:
    code = code or ""
    if code.startswith("interview_"):
        return 409
    if code.startswith("llm_"):
        return 503
    return {"audio_too_large": 413, "audio_type": 415}.get(code, 400)


def _on_screen(interview: MockInterview) -> JsonResponse:
    """{"current": questions answered, "remaining": seconds for the one on screen, "question":
    its text}: each question reaches the page only when its turn comes."""
    return JsonResponse(
        {
            "current": interview.current,
            "remaining": selectors.question_remaining(interview=interview),
            "question": selectors.question_on_screen(interview=interview),
        }
    )


@login_required
@require_POST
def interview_finish(request: HttpRequest, interview_id: int) -> HttpResponse:
    interview = _interview(request, interview_id)
    try:
        interviews.interview_finish(user=_user(request), interview=interview)
    except PracticeError as exc:
        messages.error(request, localized(exc))
        return redirect("coach:interview", interview_id=interview.pk)
    return redirect("coach:interview_report", interview_id=interview.pk)


@never_cache
@login_required
@require_GET
def interview_report(request: HttpRequest, interview_id: int) -> HttpResponse:
    interview = _interview(request, interview_id)
    if interview.state != InterviewState.FINISHED:
        return redirect("coach:interview", interview_id=interview.pk)
    context = {
        "interview": interview,
        "questions": list(interview.questions.all()),
        "verification": selectors.interview_verification(
            interview=interview, interval=settings.PEEKA_COACH_CHECK_SECONDS
        ),
        "delivery": selectors.interview_delivery(interview=interview),
        "check_seconds": settings.PEEKA_COACH_CHECK_SECONDS,
    }
    return render(request, "coach/report.html", context)
