"""Face pages and their JSON endpoints: enrollment (consent, step-up, camera), face login (1:1,
and 1:N when the deployment allows it), the step-up by face and the "My face data" page. Each
endpoint parses the request, calls one flow of `peeka.faces.flows` and renders its answer."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from peeka.accounts import mfa, otp
from peeka.accounts.mfa import step_up_required
from peeka.accounts.models import User
from peeka.accounts.selectors import user_find
from peeka.errors import ImageError, PeekaError
from peeka.faces import flows, selectors
from peeka.faces.camera import (
    challenge_json,
    frames_of,
    next_step,
    throttled,
    throttled_response,
    timestamps_of,
)
from peeka.faces.services.enrollment import CONSENT_TEXT, CONSENT_VERSION
from peeka.faces.services.frames import PREVIEW_MAX_BYTES
from peeka.protection.schemes import scheme_names
from peeka.security.client import client_info, client_ip
from peeka.security.services import ThrottledError, rate_limit
from peeka.security.wording import localized, localized_text

_LOGIN_TRIES_KEY = "peeka_face_tries"


@login_required
@require_http_methods(["GET"])
@step_up_required
def enroll(request: HttpRequest) -> HttpResponse:
    """Consent and the camera, after a step-up (for a first enrollment, the password again)."""
    context = {
        "consent": CONSENT_TEXT,
        "consent_version": CONSENT_VERSION,
        "schemes": scheme_names(),
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
                "message": gettext("Please confirm it is you again before enrolling."),
                "next": mfa.step_up_url(reverse("faces:enroll")),
            },
            status=403,
        )
    if request.POST.get("consent") != CONSENT_VERSION:
        return JsonResponse(
            {"ok": False, "message": gettext("Please accept the consent text.")}, status=400
        )
    scheme = request.POST.get("scheme") or settings.PEEKA_SCHEME
    try:
        if settings.PEEKA_LIVENESS:
            answered = flows.face_enroll_live(
                user=user,
                challenge_id=request.POST.get("challenge", ""),
                frames=frames_of(request),
                timestamps_ms=timestamps_of(request),
                scheme=scheme,
                client=client_info(request),
            )
        else:
            answered = flows.face_enroll(
                user=user,
                frames=frames_of(request),
                scheme=scheme,
                client=client_info(request),
                channel="web",
            )
    except PeekaError as exc:
        return JsonResponse({"ok": False, "message": localized(exc)}, status=400)
    if isinstance(answered, flows.FaceCheck):
        return JsonResponse({"ok": False, **next_step(answered)})
    return JsonResponse(
        {
            "ok": True,
            "message": gettext("Your face is enrolled."),
            "next": reverse("faces:mine"),
            "recovery_codes": answered.recovery_codes,
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


@require_POST
@throttled
def challenge(request: HttpRequest) -> JsonResponse:
    """A new liveness challenge for a face login (with a claimed username, or none on a kiosk)
    or for the signed-in user's enrollment or step-up."""
    purpose = request.POST.get("purpose", "login")
    username = request.POST.get("username", "").strip()
    client = client_info(request)
    if purpose in ("enroll", "stepup"):
        if not isinstance(request.user, User):
            return JsonResponse({"message": gettext("Log in first.")}, status=403)
        if purpose == "stepup" and not selectors.template_exists(user=request.user):
            return JsonResponse({"message": gettext("You have no face enrolled.")}, status=400)
        row = flows.challenge_start(
            purpose=purpose, client=client, user=request.user, accountable=True
        )
    elif purpose == "login":
        if not username and not settings.PEEKA_FACE_ONLY_LOGIN:
            return JsonResponse({"message": gettext("Enter your username.")}, status=400)
        # An unknown name gets a challenge like any other: the answer fails the same way.
        claimed = user_find(username=username) if username else None
        row = flows.challenge_start(
            purpose="login",
            client=client,
            user=claimed,
            claimed=username,
            accountable=_after_password(request, claimed),
        )
    else:
        return JsonResponse({"message": gettext("Unknown purpose.")}, status=400)
    return challenge_json(row)


@require_POST
def framing(request: HttpRequest) -> JsonResponse:
    """Framing advice on one small camera frame, before the page records: {"check", "hint",
    "box"}. Anyone may ask (the login page does), at most PEEKA_RATE_LIMITS["framing"] a
    minute per client IP; the size is decided from the upload's header before decoding."""
    try:
        rate_limit(scope="framing", ident=client_ip(request))
    except ThrottledError as exc:
        return throttled_response(exc)
    frame = request.FILES.get("frame")
    if frame is None or frame.size is None or frame.size > PREVIEW_MAX_BYTES:
        return JsonResponse(
            {
                "code": "invalid_frame",
                "message": gettext("Send one camera frame of at most 256 KiB as “frame”."),
            },
            status=400,
        )
    try:
        result = flows.face_framing(frame=frame.read())
    except ImageError as exc:
        return JsonResponse({"code": exc.code, "message": localized(exc)}, status=400)
    return JsonResponse({"check": result.check, "hint": gettext(result.hint), "box": result.box})


@require_POST
@throttled
def face_login_frames(request: HttpRequest) -> JsonResponse:
    """The frames of a login challenge; pass/fail and a hint only, never a score."""
    checked = flows.challenge_answer(
        challenge_id=request.POST.get("challenge", ""),
        purpose="login",
        frames=frames_of(request),
        timestamps_ms=timestamps_of(request),
        client=client_info(request),
    )
    if checked.going_on:
        return JsonResponse({"passed": False, **next_step(checked)})
    if not checked.passed or checked.user is None:
        return JsonResponse({"passed": False, "hint": localized_text(checked.hint)})
    next_url = mfa.factor_passed(request, checked.user, "face", _requested_next(request))
    return JsonResponse({"passed": True, "next": next_url})


@login_required
@require_POST
@throttled
def step_up_frames(request: HttpRequest) -> JsonResponse:
    """The frames of a step-up challenge: the signed-in user's face, live."""
    user = _user(request)
    checked = flows.face_check(
        user=user,
        purpose="stepup",
        challenge_id=request.POST.get("challenge", ""),
        frames=frames_of(request),
        timestamps_ms=timestamps_of(request),
        client=client_info(request),
    )
    if checked.going_on:
        return JsonResponse({"passed": False, **next_step(checked)})
    if not checked.passed:
        return JsonResponse({"passed": False, "hint": localized_text(checked.hint)})
    mfa.mark_stepped_up(request, user, "face")
    return JsonResponse({"passed": True, "next": _next(request)})


@require_POST
@throttled
def face_login_frame(request: HttpRequest) -> JsonResponse:
    """One camera frame of a face login without liveness (only where the deployment turned
    liveness off); pass/fail only, never a score."""
    if settings.PEEKA_LIVENESS:
        return JsonResponse(
            {
                "passed": False,
                "done": True,
                "message": gettext("This server needs a liveness check."),
            },
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
        claimed = user_find(username=username)
        checked = flows.face_verify(
            user=claimed,
            claimed=username,
            frame=data,
            client=client_info(request),
            channel="web",
            accountable=_after_password(request, claimed),
        )
    elif settings.PEEKA_FACE_ONLY_LOGIN:
        checked = flows.face_identify(frame=data, client=client_info(request), channel="web")
    else:
        return JsonResponse(
            {"passed": False, "done": True, "message": gettext("Enter your username.")}
        )
    if not checked.passed or checked.user is None:
        return JsonResponse({"passed": False, "done": tries >= settings.PEEKA_LOGIN_MAX_FRAMES})
    next_url = mfa.factor_passed(request, checked.user, "face", _requested_next(request))
    return JsonResponse({"passed": True, "done": True, "next": next_url})


@login_required
@require_http_methods(["GET"])
def mine(request: HttpRequest) -> HttpResponse:
    views = selectors.template_views(user=_user(request))
    return render(request, "faces/mine.html", {"templates": views})


@login_required
@require_http_methods(["GET", "POST"])
@step_up_required
def delete(request: HttpRequest) -> HttpResponse:
    """What deleting the face data does (GET), and the deletion once confirmed (POST)."""
    user = _user(request)
    if request.method == "GET":
        if not selectors.template_exists(user=user):
            messages.info(request, gettext("No face template is stored for you."))
            return redirect("faces:mine")
        consequences = [
            gettext("Your face template is deleted, and the key that protects it destroyed."),
            gettext(
                "You will no longer log in or confirm it is you with your face. You can add "
                "it again at any time."
            ),
            gettext("Your authenticator app stays your second factor.")
            if otp.has_totp(user)
            else gettext("You will have no second factor left until you set one up again."),
        ]
        context = {
            "title": gettext("Delete your face data?"),
            "consequences": consequences,
            # Translators: confirm button that deletes the user's face template and its key
            "button": gettext("Delete my face data"),
            "cancel": reverse("faces:mine"),
            "danger": True,
        }
        return render(request, "accounts/confirm.html", context)
    count = flows.face_delete(user=user, client=client_info(request), channel="web")
    messages.success(
        request,
        ngettext(
            "Deleted %(count)d template; its key is destroyed.",
            "Deleted %(count)d templates; their keys are destroyed.",
            count,
        )
        % {"count": count},
    )
    return redirect("faces:mine")


def _after_password(request: HttpRequest, claimed: User | None) -> bool:
    """Whether this is the second step of `claimed`'s login, after their password: somebody
    answers for a failure then (a strike toward disabling face login)."""
    pending = mfa.pending_user(request)
    return (
        pending is not None
        and claimed is not None
        and pending[0].pk == claimed.pk
        and "password" in pending[1]
    )


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
