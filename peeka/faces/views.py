"""Face pages and their JSON endpoints: enrollment (consent, password re-check, camera), face
login (1:1, and 1:N when the deployment allows it) and the "My face data" page."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from peeka.accounts import mfa, otp
from peeka.accounts.mfa import step_up_required
from peeka.accounts.models import User
from peeka.biometrics.challenge import PROMPTS, Step
from peeka.errors import PeekaError
from peeka.faces import abuse, liveness, services
from peeka.faces.models import FaceTemplate, LivenessChallenge

_LOGIN_TRIES_KEY = "peeka_face_tries"


@login_required
@require_http_methods(["GET"])
@step_up_required
def enroll(request: HttpRequest) -> HttpResponse:
    """Consent and the camera, after a step-up (for a first enrollment, the password again)."""
    context = {
        "consent": services.CONSENT_TEXT,
        "consent_version": services.CONSENT_VERSION,
        "schemes": services.scheme_names(),
        "default_scheme": settings.PEEKA_SCHEME,
        "min_frames": settings.PEEKA_ENROLL_MIN_FRAMES,
        "liveness": settings.PEEKA_LIVENESS,
    }
    return render(request, "faces/enroll.html", context)


@login_required
@require_POST
def enroll_frames(request: HttpRequest) -> JsonResponse:
    user = _user(request)
    if not mfa.stepped_up(request):
        return JsonResponse(
            {
                "ok": False,
                "message": "Please confirm it is you again before enrolling.",
                "next": mfa.step_up_url(reverse("faces:enroll")),
            },
            status=403,
        )
    if request.POST.get("consent") != services.CONSENT_VERSION:
        return JsonResponse({"ok": False, "message": "Please accept the consent text."}, status=400)
    scheme = request.POST.get("scheme") or settings.PEEKA_SCHEME
    frames = [f.read() for f in request.FILES.getlist("frames")]
    if settings.PEEKA_LIVENESS:
        checked = _answer(request, "enroll", frames, user=user)
        if isinstance(checked, JsonResponse):
            return checked
        # The challenge's own frames enroll: evenly spaced, the quality and identity checks of
        # `services.enroll` drop the blinking and turned ones.
        frames = _spread(frames, settings.PEEKA_ENROLL_MAX_FRAMES)
    try:
        result = services.enroll(user, frames, scheme)
    except PeekaError as exc:
        services.audit(
            "enroll", success=False, reason=exc.code, user=user, client=services.client(request)
        )
        return JsonResponse({"ok": False, "message": str(exc)}, status=400)
    services.audit("enroll", success=True, user=user, client=services.client(request))
    # A first second factor comes with recovery codes (shown once), so that losing the camera
    # never locks the user out.
    codes = [] if otp.recovery_codes_left(user) else otp.new_recovery_codes(user)
    return JsonResponse(
        {
            "ok": True,
            "message": f"Your face is enrolled ({result.frames_used} of {result.frames_received} "
            "pictures used).",
            "next": reverse("faces:mine"),
            "recovery_codes": codes,
        }
    )


@require_http_methods(["GET"])
def face_login(request: HttpRequest) -> HttpResponse:
    request.session[_LOGIN_TRIES_KEY] = 0
    pending = mfa.pending_user(request)
    return render(
        request,
        "faces/login.html",
        {
            "max_frames": settings.PEEKA_LOGIN_MAX_FRAMES,
            "next": _requested_next(request),
            "liveness": settings.PEEKA_LIVENESS,
            # The second step of a login: the name is already known.
            "username": pending[0].get_username() if pending is not None else "",
        },
    )


def throttled(view: Callable[[HttpRequest], JsonResponse]) -> Callable[[HttpRequest], JsonResponse]:
    """Rate-limit a face endpoint per client IP, and turn `abuse.ThrottledError` into 429."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest) -> JsonResponse:
        try:
            abuse.limit("face", services.client_ip(request), abuse.per_minute("face"))
            return view(request)
        except abuse.ThrottledError as exc:
            return too_many(exc)

    return wrapper


def too_many(exc: abuse.ThrottledError) -> JsonResponse:
    response = JsonResponse(
        {"passed": False, "done": True, "code": exc.code, "message": str(exc)}, status=429
    )
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


@require_POST
@throttled
def challenge(request: HttpRequest) -> JsonResponse:
    """A new liveness challenge for a face login (with a claimed username, or none on a kiosk)
    or for the signed-in user's enrollment."""
    purpose = request.POST.get("purpose", "login")
    username = request.POST.get("username", "").strip()
    if purpose in ("enroll", "stepup"):
        if not isinstance(request.user, User):
            return JsonResponse({"message": "Log in first."}, status=403)
        if purpose == "stepup":
            if not services.has_template(request.user):
                return JsonResponse({"message": "You have no face enrolled."}, status=400)
            abuse.check(request.user)
        row = liveness.new_challenge(purpose, user=request.user)
    elif purpose == "login":
        if not username and not settings.PEEKA_FACE_ONLY_LOGIN:
            return JsonResponse({"message": "Enter your username."}, status=400)
        # An unknown name gets a challenge like any other: the answer fails the same way.
        claimed = services.find_user(username) if username else None
        if claimed is not None and services.has_template(claimed):
            abuse.check(claimed)
        row = liveness.new_challenge("login", user=claimed, claimed=username)
    else:
        return JsonResponse({"message": "Unknown purpose."}, status=400)
    return JsonResponse(
        {
            "id": row.id,
            "steps": row.steps,
            "prompts": [PROMPTS[Step(s)] for s in row.steps],
            "expires_at": row.expires_at,
        }
    )


@require_POST
@throttled
def face_login_frames(request: HttpRequest) -> JsonResponse:
    """The frames of a login challenge; pass/fail and a hint only, never a score."""
    frames = [f.read() for f in request.FILES.getlist("frames")]
    checked = _answer(request, "login", frames)
    if isinstance(checked, JsonResponse):
        return checked
    user = checked.user
    if user is None:
        return JsonResponse({"passed": False, "hint": liveness.NOT_RECOGNISED})
    return JsonResponse(
        {"passed": True, "next": mfa.factor_passed(request, user, "face", _requested_next(request))}
    )


@login_required
@require_POST
@throttled
def step_up_frames(request: HttpRequest) -> JsonResponse:
    """The frames of a step-up challenge: the signed-in user's face, live."""
    user = _user(request)
    frames = [f.read() for f in request.FILES.getlist("frames")]
    checked = _answer(request, "stepup", frames, user=user)
    if isinstance(checked, JsonResponse):
        return checked
    if checked.user is None or checked.user.pk != user.pk:
        return JsonResponse({"passed": False, "hint": liveness.NOT_RECOGNISED})
    mfa.mark_stepped_up(request, user, "face")
    return JsonResponse({"passed": True, "next": _next(request)})


@require_POST
@throttled
def face_login_frame(request: HttpRequest) -> JsonResponse:
    """One camera frame of a face login without liveness (only where the deployment turned
    liveness off); pass/fail only, never a score."""
    if settings.PEEKA_LIVENESS:
        return JsonResponse(
            {"passed": False, "done": True, "message": "This server needs a liveness check."},
            status=403,
        )
    tries = int(request.session.get(_LOGIN_TRIES_KEY, 0)) + 1
    request.session[_LOGIN_TRIES_KEY] = tries
    if tries > settings.PEEKA_LOGIN_MAX_FRAMES:
        return JsonResponse({"passed": False, "done": True}, status=429)
    frame = request.FILES.get("frame")
    data = frame.read() if frame is not None else b""
    username = request.POST.get("username", "").strip()
    if username:
        user = services.find_user(username)
        passed, reason = services.verify(user, data)
        event = "face_login"
    elif settings.PEEKA_FACE_ONLY_LOGIN:
        user, reason = services.identify(data)
        passed, event = user is not None, "face_login_1n"
    else:
        return JsonResponse({"passed": False, "done": True, "message": "Enter your username."})
    services.audit(
        event,
        success=passed,
        reason=reason,
        user=user,
        username=username,
        client=services.client(request),
    )
    if not passed or user is None:
        return JsonResponse({"passed": False, "done": tries >= settings.PEEKA_LOGIN_MAX_FRAMES})
    next_url = mfa.factor_passed(request, user, "face", _requested_next(request))
    return JsonResponse({"passed": True, "done": True, "next": next_url})


@login_required
@require_http_methods(["GET"])
def mine(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    templates = [
        (template, services.template_view(template))
        for template in FaceTemplate.objects.filter(user=user)
    ]
    return render(request, "faces/mine.html", {"templates": templates})


@login_required
@require_POST
@step_up_required
def delete(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    count = services.delete_templates(user)
    services.audit("template_delete", success=True, user=user, client=services.client(request))
    messages.success(request, f"Deleted {count} template(s); their keys are destroyed.")
    return redirect("faces:mine")


def _answer(
    request: HttpRequest, purpose: str, frames: list[bytes], *, user: User | None = None
) -> liveness.Answer | JsonResponse:
    """The liveness answer for the challenge named in the request, or the error response."""
    rows = LivenessChallenge.objects.filter(pk=request.POST.get("challenge", ""), purpose=purpose)
    row = (rows.filter(user=user) if user is not None else rows).first()
    if row is None:
        if purpose != "enroll":
            return JsonResponse({"passed": False, "hint": "Start the check again."})
        return JsonResponse({"ok": False, "message": "Start the check again."}, status=400)
    try:
        stamps = [int(v) for v in request.POST.get("timestamps", "").split(",") if v]
    except ValueError:
        stamps = []
    result = liveness.answer(
        row, frames, stamps, client=services.client(request), enrolling=purpose == "enroll"
    )
    if not result.passed:
        if purpose != "enroll":  # one shape for every failure: nothing tells accounts apart
            return JsonResponse({"passed": False, "hint": result.hint})
        return JsonResponse({"ok": False, "message": result.hint}, status=400)
    return result


def _spread(frames: list[bytes], count: int) -> list[bytes]:
    if len(frames) <= count:
        return frames
    picks = sorted({round(i * (len(frames) - 1) / (count - 1)) for i in range(count)})
    return [frames[i] for i in picks]


def _requested_next(request: HttpRequest) -> str:
    """The page asked for, unchecked ("" for none: a login then goes where it started)."""
    return str(request.GET.get("next") or request.POST.get("next") or "")


def _next(request: HttpRequest) -> str:
    return mfa.safe_next(_requested_next(request))


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise Http404
    return user
