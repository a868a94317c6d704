"""Account pages: register, login (password first, then whatever second factor the login
policy asks for), logout, the step-up page, security settings (authenticator app, recovery
codes, personal access tokens, recent sign-ins), profile, data export and deletion, and new
passwords: a change behind step-up (so the old password is not asked again), a reset by e-mail
where e-mail is set up, and the new password a temporary one asks for.

Every destructive action shows what it will do first (GET) and acts only when confirmed
(POST); every action ends with a message."""

from __future__ import annotations

import functools
from typing import Any

import pyotp
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from peeka.accounts import mfa, otp, services, tokens
from peeka.accounts.factors import factor_enrolled
from peeka.accounts.forms import (
    CodeForm,
    DeleteAccountForm,
    LoginForm,
    NewPasswordForm,
    PasswordCheckForm,
    PasswordResetForm,
    ProfileForm,
    RegisterForm,
    StepForm,
)
from peeka.accounts.models import AccessToken, LoginPolicy, User
from peeka.security.client import client_info
from peeka.security.privacy import privacy_export
from peeka.security.selectors import lockout_disabled, recent_sign_ins
from peeka.security.services import CODES, FACE, PASSWORD, ThrottledError
from peeka.security.wording import localized

_FACTOR_NAMES = {
    "password": gettext_lazy("your password"),
    "face": gettext_lazy("your face"),
    "totp": gettext_lazy("a code from your authenticator app"),
    mfa.RECOVERY: gettext_lazy("a recovery code"),
}
_FACTOR_ERRORS = {
    "password": gettext_lazy("That password is not right."),
    "totp": gettext_lazy("That code from your authenticator app is not right."),
    mfa.RECOVERY: gettext_lazy("That recovery code is not right or was already used."),
}


def _throttled(
    request: HttpRequest, template: str, context: dict[str, Any], exc: ThrottledError
) -> HttpResponse:
    """The page again with the refusal, and with the seconds to wait (`retry_after`, counted
    down by countdown.js) when waiting helps."""
    context = {
        **context,
        "throttled": str(exc),
        "throttled_code": exc.code,
        "retry_after": exc.retry_after,
    }
    response = render(request, template, context, status=429)
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


def _limit_login(
    request: HttpRequest, event: str, *, user: User | None = None, username: str = ""
) -> None:
    """Password, authenticator and recovery-code attempts, per client IP."""
    if user is None and isinstance(request.user, User):
        user = request.user
    services.attempt_rate_limit(
        client=client_info(request), event=event, user=user, username=username
    )


class LoginView(auth_views.LoginView):
    """Django's login view, rate-limited per client IP, its password checked under the
    per-account lockout (`LoginForm`); a right password is the first factor, and the policy
    decides whether another is needed."""

    template_name = "accounts/login.html"
    form_class = LoginForm

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        username = str(request.POST.get("username", ""))[:150]
        try:
            _limit_login(request, "password_login", username=username)
            return super().post(request, *args, **kwargs)
        except ThrottledError as exc:
            # A new, unbound form: rendering the posted one would check its password again.
            form = LoginForm(request, initial={"username": username})
            return _throttled(request, self.template_name, {"form": form}, exc)

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        return redirect(mfa.factor_passed(self.request, user, "password", self.get_success_url()))


class LogoutView(auth_views.LogoutView):
    """Django's logout (POST only), then a word that it happened."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.success(request, gettext("You are logged out."))
        return response


@require_http_methods(["GET", "POST"])
def login_step(request: HttpRequest) -> HttpResponse:
    """The next factor of a login in progress."""
    pending = mfa.pending_user(request)
    if pending is None:
        messages.info(request, gettext("Your login timed out. Please start again."))
        return redirect("accounts:login")
    user, factors = pending
    options = mfa.next_factors(user, factors)
    context: dict[str, Any] = {
        "options": options,
        "passed": [_FACTOR_NAMES[f] for f in sorted(factors)],
        "username": user.get_username(),
        "names": _FACTOR_NAMES,
        "locked": [
            gettext(rule.disabled_message)
            for rule in (FACE, CODES, PASSWORD)
            if lockout_disabled(user=user, rule=rule)
        ],
    }
    if request.method == "POST":
        form = StepForm(request.POST)
        method = form.data.get("method", "")
        context["method"] = method  # its box stays open
        if not form.is_valid() or method not in options:
            context["error"] = gettext("Choose one of the ways below.")
            return render(request, "accounts/login_step.html", context, status=400)
        secret_field = "password" if method == "password" else "code"
        try:
            _limit_login(request, services.FACTOR_EVENTS[method], user=user)
            if services.factor_attempt(
                user=user,
                method=method,
                secret=form.cleaned_data.get(secret_field) or "",
                client=client_info(request),
            ):
                return redirect(mfa.factor_passed(request, user, method))
        except ThrottledError as exc:
            return _throttled(request, "accounts/login_step.html", context, exc)
        context["field_error"] = _FACTOR_ERRORS[method]
        return render(request, "accounts/login_step.html", context, status=400)
    return render(request, "accounts/login_step.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def step_up(request: HttpRequest) -> HttpResponse:
    """Prove it is you again before a sensitive action: by face with liveness, or (no camera)
    with the password and an authenticator or recovery code."""
    user = _user(request)
    next_url = mfa.safe_next(request.GET.get("next") or request.POST.get("next") or "")
    methods = mfa.step_up_methods(user)
    form = PasswordCheckForm(request.POST or None)
    code_form = CodeForm(request.POST or None)
    context: dict[str, Any] = {
        "methods": methods,
        "form": form,
        "code_form": code_form,
        "next": next_url,
        "totp": otp.has_totp(user),
    }
    if request.method == "POST":
        client = client_info(request)
        method = "code" if "code" in methods else "password"
        try:
            _limit_login(request, "step_up")
            if (
                method not in methods
                or not form.is_valid()
                or (method == "code" and not code_form.is_valid())
            ):
                services.step_up_failed(user=user, client=client)
            else:
                wrong = services.step_up_attempt(
                    user=user,
                    password=form.cleaned_data["password"],
                    code=code_form.cleaned_data["code"] if method == "code" else None,
                    client=client,
                )
                if not wrong:
                    mfa.mark_stepped_up(request, user, method)
                    return redirect(next_url)
                if wrong == "password":
                    form.add_error("password", gettext("That is not your current password."))
                else:
                    code_form.add_error(
                        "code",
                        gettext("That code is not right, or that recovery code was already used."),
                    )
        except ThrottledError as exc:
            return _throttled(request, "accounts/step_up.html", context, exc)
        return render(request, "accounts/step_up.html", context, status=400)
    return render(request, "accounts/step_up.html", context)


@login_required
@require_http_methods(["GET"])
def security(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    policy = LoginPolicy.current()
    context = {
        "totp": otp.has_totp(user),
        "codes_left": otp.recovery_codes_left(user),
        "face": factor_enrolled("face", user),
        "combinations": [
            # Translators: joins the factors of one way to log in, e.g. "your password + your face".
            gettext(" + ").join(str(_FACTOR_NAMES[f]) for f in mfa.FACTORS if f in combo)
            for combo in policy.combinations()
        ],
        "password_only": policy.password_only,
        "sign_ins": recent_sign_ins(user=user, limit=10),
        "tokens": _token_rows(user),
        "token_form": TokenForm(),
    }
    return render(request, "accounts/security.html", context)


@never_cache  # the page shows the secret key
@login_required
@require_http_methods(["GET", "POST"])
@mfa.step_up_required
def totp_setup(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if otp.has_totp(user):
        messages.info(request, gettext("Your authenticator app is already set up."))
        return redirect("accounts:security")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _limit_login(request, "totp_setup")
            confirmed = services.totp_confirm(
                user=user, code=form.cleaned_data["code"], client=client_info(request)
            )
        except (ThrottledError, otp.SetupError) as exc:
            messages.error(request, str(exc))
            return redirect("accounts:totp")
        if confirmed:
            return _recovery_codes_or(request, user, gettext("Your authenticator app is set up."))
        form.add_error(
            "code", gettext("That code is not right. Check the app's clock and try again.")
        )
    uri = otp.pending_uri(user) or otp.begin_totp(user)
    context = {"form": form, "qr": otp.qr_svg(uri), "secret": _secret_of(uri)}
    return render(request, "accounts/totp.html", context)


def _secret_of(uri: str) -> str:
    """The key in groups of four, for typing into an app that cannot scan."""
    secret = pyotp.parse_uri(uri).secret
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _confirm(
    request: HttpRequest,
    *,
    title: str,
    consequences: list[str],
    button: str,
    cancel: str,
    danger: bool = True,
) -> HttpResponse:
    """The page before a destructive action: what it will do, a confirm button (posting to
    this same address) and a way back."""
    context = {
        "title": title,
        "consequences": consequences,
        "button": button,
        "cancel": cancel,
        "danger": danger,
    }
    return render(request, "accounts/confirm.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@mfa.step_up_required
def totp_remove(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not otp.has_totp(user):
        messages.info(request, gettext("You have no authenticator app set up."))
        return redirect("accounts:security")
    if request.method == "GET":
        consequences = [
            gettext(
                "Codes from your authenticator app will no longer log you in or confirm it is you."
            ),
            gettext("Your face stays your second factor.")
            if factor_enrolled("face", user)
            else gettext("You will have no second factor left until you set one up again."),
            gettext("You can delete Peeka's entry in the app afterwards."),
        ]
        return _confirm(
            request,
            title=gettext("Remove your authenticator app?"),
            consequences=consequences,
            # Translators: confirm button that removes the authenticator app from the account
            button=gettext("Remove the authenticator app"),
            cancel=reverse("accounts:security"),
        )
    services.totp_delete(user=user, client=client_info(request))
    messages.success(request, gettext("Your authenticator app is removed."))
    return redirect("accounts:security")


@never_cache  # the page shows the codes
@login_required
@require_http_methods(["GET", "POST"])
@mfa.step_up_required
def recovery_codes(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if request.method == "GET":
        left = otp.recovery_codes_left(user)
        consequences = [
            ngettext(
                "Your %(count)d unused recovery code stops working at once.",
                "Your %(count)d unused recovery codes stop working at once.",
                left,
            )
            % {"count": left}
            if left
            else gettext("You have no unused recovery codes now."),
            ngettext(
                "You get %(count)d new code, shown only once: save it before you go on.",
                "You get %(count)d new codes, shown only once: save them before you go on.",
                otp.RECOVERY_CODES,
            )
            % {"count": otp.RECOVERY_CODES},
        ]
        return _confirm(
            request,
            title=gettext("Make new recovery codes?"),
            consequences=consequences,
            # Translators: confirm button that replaces the recovery codes with new ones
            button=gettext("Make new codes"),
            cancel=reverse("accounts:security"),
            danger=bool(left),
        )
    codes = services.recovery_codes_create(user=user, client=client_info(request))
    messages.success(
        request, gettext("Your new recovery codes are made; the old ones no longer work.")
    )
    return render(request, "accounts/recovery_codes.html", {"codes": codes})


def _recovery_codes_or(request: HttpRequest, user: User, done: str) -> HttpResponse:
    """After a second factor is set up: the user's first recovery codes (shown once), or back
    to the security page when the user has some."""
    messages.success(request, done)
    if otp.recovery_codes_left(user):
        return redirect("accounts:security")
    codes = services.recovery_codes_create(user=user, client=client_info(request))
    return render(request, "accounts/recovery_codes.html", {"codes": codes})


# --- personal access tokens ----------------------------------------------------------------

_TOKEN_EXAMPLES = {"wallet": "/api/v1/wallet/balance"}
"""A request each scope answers, for the example shown with a new token."""


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=tokens.NAME_LENGTH,
        help_text=gettext_lazy("What the token is for, e.g. the script that uses it."),
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("Access to"), choices=AccessToken.Scope.choices, initial="wallet"
    )
    days = forms.TypedChoiceField(
        label=gettext_lazy("Expires"), coerce=int, empty_value=None, required=False, initial="90"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Made per form, so the words follow the request's language.
        field = self.fields["days"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [
            *(
                (
                    str(days),
                    # Translators: when a new personal access token stops working
                    ngettext("in %(count)d day", "in %(count)d days", days) % {"count": days},
                )
                for days in tokens.EXPIRY_CHOICES
            ),
            ("", gettext("never (until revoked)")),
        ]


def _token_rows(user: User) -> list[dict[str, Any]]:
    return [
        {"token": token, "state": tokens.token_state(token)}
        for token in tokens.tokens_of(user=user)
    ]


def _form_kept_through_step_up(view: mfa.View) -> mfa.View:
    """A post of the token form from a session that must step up first comes back after the
    step-up as this page with the form filled in as posted (a name, a scope, a lifetime: no
    secret), instead of empty."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if (
            request.method == "POST"
            and request.user.is_authenticated
            and not mfa.stepped_up(request)
        ):
            fields = {f: str(request.POST.get(f, ""))[:200] for f in TokenForm.base_fields}
            return redirect(mfa.step_up_url(f"{request.path}?{urlencode(fields)}"))
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


@never_cache  # the page after a post shows the new token
@login_required
@require_http_methods(["GET", "POST"])
@_form_kept_through_step_up
@mfa.step_up_required
def token_create(request: HttpRequest) -> HttpResponse:
    """A new personal access token, shown once: the form (from the security page, or here
    after a step-up), then the token with an example request."""
    user = _user(request)
    if request.method == "GET":
        initial = {f: request.GET[f] for f in TokenForm.base_fields if f in request.GET}
        form = TokenForm(initial=initial or None)
        return render(request, "accounts/token_new.html", {"form": form})
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, secret = tokens.token_create(
                user=user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                days=form.cleaned_data["days"],
                client=client_info(request),
            )
        except tokens.TokenError as exc:
            form.add_error(None, localized(exc))
        else:
            messages.success(request, gettext("Your personal access token is made."))
            example = _TOKEN_EXAMPLES.get(token.scope)
            context = {
                "token": token,
                "secret": secret,
                "example_url": example and f"{request.scheme}://{request.get_host()}{example}",
            }
            return render(request, "accounts/token_created.html", context)
    return render(request, "accounts/token_new.html", {"form": form}, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of the user's tokens, confirmed first; another user's token is a 404. No
    step-up: taking access away is always allowed."""
    user = _user(request)
    if request.method == "GET":
        token = tokens.token_get(user=user, token_id=token_id)
        if token is None or token.revoked is not None:
            raise Http404(gettext("You have no such token."))
        return _confirm(
            request,
            title=gettext("Revoke the token “%(name)s”?") % {"name": token.name},
            consequences=[
                gettext("Scripts and apps that use it are refused from the next request on."),
                gettext("It cannot be turned on again; you can make a new one."),
            ],
            # Translators: confirm button that revokes a personal access token
            button=gettext("Revoke the token"),
            cancel=reverse("accounts:security"),
        )
    try:
        revoked = tokens.token_revoke(user=user, token_id=token_id, client=client_info(request))
    except tokens.TokenError:
        raise Http404(gettext("You have no such token.")) from None
    messages.success(
        request,
        gettext("The token “%(name)s” is revoked: it no longer works.") % {"name": revoked.name},
    )
    return redirect("accounts:security")


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    if settings.PEEKA_REGISTRATION != "open":
        raise Http404(gettext("Registration is closed; ask an administrator for an account."))
    form = RegisterForm(request.POST or None)
    if request.method == "POST":
        try:
            user = services.account_register(form=form, client=client_info(request))
        except ThrottledError as exc:
            return _throttled(request, "accounts/register.html", {"form": RegisterForm()}, exc)
        if user is not None:
            target = mfa.factor_passed(request, user, "password", reverse("faces:enroll"))
            if request.user.is_authenticated:
                # The password was typed a moment ago: that is the re-check enrolling asks for.
                mfa.mark_stepped_up(request, user, "password")
                messages.success(request, gettext("Welcome! Add your face as a second factor."))
            return redirect(target)
    return render(request, "accounts/register.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        form.save()
        if user.language:
            translation.activate(user.language)  # the message below in the new language
        messages.success(request, gettext("Profile saved."))
        return _remember_language(redirect("accounts:profile"), user.language)
    return render(request, "accounts/profile.html", {"form": form})


@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """The language switcher: remembered in a cookie for everyone, and in the profile of a
    signed-in user; then back to the page it was used on."""
    chosen = request.POST.get("language", "")
    if chosen not in dict(settings.LANGUAGES):
        return HttpResponse(gettext("Unknown language."), status=400)
    if request.user.is_authenticated:
        services.user_language_set(user=_user(request), language=chosen)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("web:home")
    return _remember_language(redirect(back), chosen)


def _remember_language(response: HttpResponse, language: str) -> HttpResponse:
    """The switcher's cookie set to `language`, or dropped when the user went back to the
    browser's language (else the old choice would go on overriding it)."""
    if not language:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, samesite="Lax")
    else:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.LANGUAGE_COOKIE_SECURE,
        )
    return response


@never_cache  # everything stored about the user
@login_required
@require_http_methods(["GET"])
def export(request: HttpRequest) -> HttpResponse:
    """Everything stored about the signed-in user, as a JSON download."""
    data = privacy_export(_user(request))
    response = JsonResponse(data, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = 'attachment; filename="peeka-my-data.json"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
@mfa.step_up_required
def delete_account(request: HttpRequest) -> HttpResponse:
    """What deleting the account does, and a tick to confirm it (the step-up just proved it is
    the user: the password is not asked again)."""
    user = _user(request)
    form = DeleteAccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            services.account_delete(user=user, client=client_info(request))
            logout(request)
            messages.success(
                request, gettext("Your account and every face template of it are deleted.")
            )
            return redirect("web:home")
        return render(request, "accounts/delete.html", {"form": form}, status=400)
    return render(request, "accounts/delete.html", {"form": form})


class PasswordChangeView(auth_views.PasswordChangeView):
    """A new password, typed twice. The page is behind a step-up, so the old password is not
    asked again; each post counts toward the client address's password rate limit."""

    template_name = "accounts/password.html"
    success_url = reverse_lazy("accounts:profile")
    form_class = NewPasswordForm

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = _user(request)
        try:
            services.password_change_limit(user=user, client=client_info(request))
        except ThrottledError as exc:
            return _throttled(request, self.template_name, {"form": NewPasswordForm(user)}, exc)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        user = services.password_set(form=form, client=client_info(self.request))
        update_session_auth_hash(self.request, user)  # this session stays logged in
        messages.success(self.request, gettext("Your password is changed."))
        return redirect(self.get_success_url())


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def password_required(request: HttpRequest) -> HttpResponse:
    """The new password a temporary one asks for, before any other page
    (`PasswordChangeRequiredMiddleware`); then on to where the user was going."""
    user = _user(request)
    if not user.must_change_password:
        return redirect("accounts:password")
    next_url = mfa.safe_next(request.GET.get("next") or request.POST.get("next") or "")
    template = "accounts/password_required.html"
    form = NewPasswordForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        try:
            services.password_change_limit(user=user, client=client_info(request))
        except ThrottledError as exc:
            context = {"form": NewPasswordForm(user), "next": next_url}
            return _throttled(request, template, context, exc)
        if form.is_valid():
            services.password_set(form=form, client=client_info(request))
            update_session_auth_hash(request, user)
            messages.success(request, gettext("Your new password is saved."))
            return redirect(next_url)
    return render(request, template, {"form": form, "next": next_url})


class PasswordResetView(auth_views.PasswordResetView):
    """The "forgot your password" page: a reset link by e-mail where e-mail is set up
    (PEEKA_EMAIL_ENABLED), rate-limited per client address, with the same answer whether or
    not the address belongs to an account; else the way through an administrator."""

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    form_class = PasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not settings.PEEKA_EMAIL_ENABLED:
            return render(request, "accounts/password_reset_admin.html")
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            services.password_reset_limit(client=client_info(request))
        except ThrottledError as exc:
            return _throttled(request, self.template_name, {"form": PasswordResetForm()}, exc)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        options = {
            "use_https": self.request.is_secure(),
            "token_generator": self.token_generator,
            "from_email": self.from_email,
            "email_template_name": self.email_template_name,
            "subject_template_name": self.subject_template_name,
            "request": self.request,
        }
        services.password_reset_request(
            form=form, client=client_info(self.request), options=options
        )
        return redirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link from the e-mail: a new password, typed twice (Django checks the link and
    moves its token out of the address first). It does not log in: the login policy's
    factors still do that."""

    template_name = "accounts/password_reset_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("accounts:login")

    def form_valid(self, form: Any) -> HttpResponse:
        services.password_set(form=form, client=client_info(self.request), event="password_reset")
        self.request.session.pop(auth_views.INTERNAL_RESET_SESSION_TOKEN, None)
        messages.success(self.request, gettext("Your password is changed. Log in with it now."))
        return redirect(self.get_success_url())


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required guarantees it
    return user
