"""Face pages and their JSON endpoints: enrollment (consent, password re-check, camera), face
login (1:1, and 1:N when the deployment allows it) and the "My face data" page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from peeka.accounts.forms import PasswordCheckForm
from peeka.accounts.models import User
from peeka.errors import PeekaError
from peeka.faces import services
from peeka.faces.models import FaceTemplate

_LOGIN_TRIES_KEY = "peeka_face_tries"


@login_required
@require_http_methods(["GET", "POST"])
def enroll(request: HttpRequest) -> HttpResponse:
    """Consent and password re-check first; then the camera page."""
    user = _user(request)
    form = PasswordCheckForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.mark_reauthenticated(request)
        return redirect("faces:enroll")
    context = {
        "form": form,
        "ready": services.reauthenticated(request),
        "consent": services.CONSENT_TEXT,
        "consent_version": services.CONSENT_VERSION,
        "schemes": services.scheme_names(),
        "default_scheme": settings.PEEKA_SCHEME,
        "min_frames": settings.PEEKA_ENROLL_MIN_FRAMES,
    }
    return render(request, "faces/enroll.html", context)


@login_required
@require_POST
def enroll_frames(request: HttpRequest) -> JsonResponse:
    user = _user(request)
    if not services.reauthenticated(request):
        return JsonResponse(
            {"ok": False, "message": "Please enter your password again before enrolling."},
            status=403,
        )
    if request.POST.get("consent") != services.CONSENT_VERSION:
        return JsonResponse({"ok": False, "message": "Please accept the consent text."}, status=400)
    scheme = request.POST.get("scheme") or settings.PEEKA_SCHEME
    frames = [f.read() for f in request.FILES.getlist("frames")]
    try:
        result = services.enroll(user, frames, scheme)
    except PeekaError as exc:
        services.audit(
            "enroll", success=False, reason=exc.code, user=user, client=services.client(request)
        )
        return JsonResponse({"ok": False, "message": str(exc)}, status=400)
    services.audit("enroll", success=True, user=user, client=services.client(request))
    return JsonResponse(
        {
            "ok": True,
            "message": f"Your face is enrolled ({result.frames_used} of {result.frames_received} "
            "pictures used).",
            "next": reverse("faces:mine"),
        }
    )


@require_http_methods(["GET"])
def face_login(request: HttpRequest) -> HttpResponse:
    request.session[_LOGIN_TRIES_KEY] = 0
    return render(
        request,
        "faces/login.html",
        {"max_frames": settings.PEEKA_LOGIN_MAX_FRAMES, "next": _next(request)},
    )


@require_POST
def face_login_frame(request: HttpRequest) -> JsonResponse:
    """One camera frame of a face login; pass/fail only, never a score."""
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
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return JsonResponse({"passed": True, "done": True, "next": _next(request)})


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
def delete(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    count = services.delete_templates(user)
    services.audit("template_delete", success=True, user=user, client=services.client(request))
    messages.success(request, f"Deleted {count} template(s); their keys are destroyed.")
    return redirect("faces:mine")


def _next(request: HttpRequest) -> str:
    target = request.GET.get("next") or request.POST.get("next") or ""
    # Only local paths: never an open redirect to another site.
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise Http404
    return user
