"""Account pages: register, login (password first, then whatever second factor the login
policy asks for), the step-up page, security settings (authenticator app, recovery codes),
profile, data export and deletion. Logout and password change are Django's own views, wired
in urls.py (password change behind step-up)."""

from __future__ import annotations

from typing import Any

import pyotp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from peeka.accounts import mfa, otp
from peeka.accounts.forms import (
    CodeForm,
    PasswordCheckForm,
    ProfileForm,
    RegisterForm,
    StepForm,
)
from peeka.accounts.models import LoginPolicy, User
from peeka.faces import abuse, services

_FACTOR_NAMES = {
    "password": "your password",
    "face": "your face",
    "totp": "a code from your authenticator app",
    mfa.RECOVERY: "a recovery code",
}


def _throttled(
    request: HttpRequest, template: str, context: dict[str, Any], exc: abuse.ThrottledError
) -> HttpResponse:
    response = render(request, template, {**context, "throttled": str(exc)}, status=429)
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


def _limit_login(request: HttpRequest) -> None:
    """Password, authenticator and recovery-code attempts, per client IP."""
    abuse.limit("password", services.client_ip(request), abuse.per_minute("password"))


class LoginView(auth_views.LoginView):
    """Django's login view, rate-limited per client IP; a right password is the first factor,
    and the policy decides whether another is needed."""

    template_name = "accounts/login.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            _limit_login(request)
        except abuse.ThrottledError as exc:
            return _throttled(request, self.template_name, {"form": self.get_form()}, exc)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        services.audit(
            "password_login",
            success=True,
            reason="ok",
            user=user,
            client=services.client(self.request),
        )
        return redirect(mfa.factor_passed(self.request, user, "password", self.get_success_url()))


@require_http_methods(["GET", "POST"])
def login_step(request: HttpRequest) -> HttpResponse:
    """The next factor of a login in progress."""
    pending = mfa.pending_user(request)
    if pending is None:
        messages.info(request, "Your login timed out. Please start again.")
        return redirect("accounts:login")
    user, factors = pending
    options = mfa.next_factors(user, factors)
    context: dict[str, Any] = {
        "options": options,
        "passed": [_FACTOR_NAMES[f] for f in sorted(factors)],
        "username": user.get_username(),
        "names": _FACTOR_NAMES,
        "locked": [
            lockout.disabled_message
            for lockout, off in ((abuse.FACE, user.face_disabled), (abuse.CODES, user.otp_disabled))
            if off
        ],
    }
    if request.method == "POST":
        form = StepForm(request.POST)
        method = form.data.get("method", "")
        if not form.is_valid() or method not in options:
            context["error"] = "Choose one of the ways below."
            return render(request, "accounts/login_step.html", context, status=400)
        client = services.client(request)
        try:
            _limit_login(request)
            if _check_factor(user, method, form.cleaned_data):
                services.audit(_EVENTS[method], success=True, reason="ok", user=user, client=client)
                return redirect(mfa.factor_passed(request, user, method))
        except abuse.ThrottledError as exc:
            services.audit(
                _EVENTS[method], success=False, reason=exc.code, user=user, client=client
            )
            return _throttled(request, "accounts/login_step.html", context, exc)
        services.audit(
            _EVENTS[method], success=False, reason="bad_credentials", user=user, client=client
        )
        context["error"] = "That was not right. Try again."
        return render(request, "accounts/login_step.html", context, status=400)
    return render(request, "accounts/login_step.html", context)


_EVENTS = {"password": "password_login", "totp": "totp", mfa.RECOVERY: "recovery_code"}


def _check_factor(user: User, method: str, data: dict[str, Any]) -> bool:
    if method == "password":
        return user.check_password(data.get("password") or "")
    if method == "totp":
        return otp.verify_totp(user, data.get("code") or "")
    return otp.use_recovery_code(user, data.get("code") or "")


@login_required
@require_http_methods(["GET", "POST"])
def step_up(request: HttpRequest) -> HttpResponse:
    """Prove it is you again before a sensitive action: by face with liveness, or (no camera)
    with the password and an authenticator or recovery code."""
    user = _user(request)
    next_url = mfa.safe_next(request.GET.get("next") or request.POST.get("next") or "")
    methods = mfa.step_up_methods(user)
    form = PasswordCheckForm(user, request.POST or None)
    code_form = CodeForm(request.POST or None)
    context: dict[str, Any] = {
        "methods": methods,
        "form": form,
        "code_form": code_form,
        "next": next_url,
        "totp": otp.has_totp(user),
    }
    if request.method == "POST":
        try:
            _limit_login(request)
            method = "code" if "code" in methods else "password"
            if method in methods and form.is_valid() and _step_up_code(user, method, code_form):
                mfa.mark_stepped_up(request, user, method)
                return redirect(next_url)
        except abuse.ThrottledError as exc:
            return _throttled(request, "accounts/step_up.html", context, exc)
        services.audit(
            "step_up",
            success=False,
            reason="bad_credentials",
            user=user,
            client=services.client(request),
        )
        if "code" in methods and form.is_valid():
            code_form.add_error("code", "That code is not right.")
        return render(request, "accounts/step_up.html", context, status=400)
    return render(request, "accounts/step_up.html", context)


def _step_up_code(user: User, method: str, code_form: CodeForm) -> bool:
    if method == "password":
        return True  # the password was checked by the form
    if not code_form.is_valid():
        return False
    code = code_form.cleaned_data["code"]
    digits = "".join(code.split())
    if otp.has_totp(user) and digits.isdigit():
        return otp.verify_totp(user, digits)
    return otp.use_recovery_code(user, code)


@login_required
@require_http_methods(["GET"])
def security(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    policy = LoginPolicy.current()
    context = {
        "totp": otp.has_totp(user),
        "codes_left": otp.recovery_codes_left(user),
        "face": services.has_template(user),
        "combinations": [
            " + ".join(_FACTOR_NAMES[f] for f in mfa.FACTORS if f in combo)
            for combo in policy.combinations()
        ],
        "password_only": policy.password_only,
    }
    return render(request, "accounts/security.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@mfa.step_up_required
def totp_setup(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if otp.has_totp(user):
        messages.info(request, "Your authenticator app is already set up.")
        return redirect("accounts:security")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _limit_login(request)
            confirmed = otp.confirm_totp(user, form.cleaned_data["code"])
        except (abuse.ThrottledError, otp.SetupError) as exc:
            messages.error(request, str(exc))
            return redirect("accounts:totp")
        if confirmed:
            services.audit("totp_setup", success=True, user=user, client=services.client(request))
            return _recovery_codes_or(request, user, "Your authenticator app is set up.")
        form.add_error("code", "That code is not right. Check the app's clock and try again.")
    uri = otp.pending_uri(user) or otp.begin_totp(user)
    context = {"form": form, "qr": otp.qr_svg(uri), "secret": _secret_of(uri)}
    return render(request, "accounts/totp.html", context)


def _secret_of(uri: str) -> str:
    """The key in groups of four, for typing into an app that cannot scan."""
    secret = pyotp.parse_uri(uri).secret
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
@require_POST
@mfa.step_up_required
def totp_remove(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    otp.remove_totp(user)
    services.audit("totp_remove", success=True, user=user, client=services.client(request))
    messages.success(request, "Your authenticator app is removed.")
    return redirect("accounts:security")


@login_required
@require_POST
@mfa.step_up_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    codes = otp.new_recovery_codes(user)
    services.audit("recovery_codes", success=True, user=user, client=services.client(request))
    return render(request, "accounts/recovery_codes.html", {"codes": codes})


def _recovery_codes_or(request: HttpRequest, user: User, done: str) -> HttpResponse:
    """After a second factor is set up: the user's first recovery codes (shown once), or back
    to the security page when the user has some."""
    if otp.recovery_codes_left(user):
        messages.success(request, done)
        return redirect("accounts:security")
    codes = otp.new_recovery_codes(user)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "done": done})


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if settings.PEEKA_REGISTRATION != "open":
        raise Http404("Registration is closed; ask an administrator for an account.")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        target = mfa.factor_passed(request, user, "password", reverse("faces:enroll"))
        if request.user.is_authenticated:
            # The password was typed a moment ago: that is the re-check enrolling asks for.
            mfa.mark_stepped_up(request, user, "password")
            messages.success(request, "Welcome! Add your face as a second factor.")
        return redirect(target)
    return render(request, "accounts/register.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Profile saved.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
@require_http_methods(["GET"])
def export(request: HttpRequest) -> HttpResponse:
    """Everything stored about the signed-in user, as a JSON download."""
    response = JsonResponse(services.personal_data(_user(request)), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = 'attachment; filename="peeka-my-data.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
@mfa.step_up_required
def delete_account(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = PasswordCheckForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.delete_templates(user)
        services.audit("account_delete", success=True, user=user, client=services.client(request))
        logout(request)
        user.delete()
        messages.success(request, "Your account and every face template of it are deleted.")
        return redirect("web:home")
    return render(request, "accounts/delete.html", {"form": form})


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required guarantees it
    return user
