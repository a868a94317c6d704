"""Account forms. The login form checks the password through `services.password_login` (the
per-account lockout); a new password is typed twice, never after the old one (the pages that
set one come after a step-up, a reset link or a temporary password); a new web account's name
passes `web_username_clean`."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from peeka.accounts import services
from peeka.accounts.models import User
from peeka.accounts.names import has_invisible
from peeka.accounts.selectors import username_taken

USERNAME_TAKEN = _("That name is taken or too similar to one that is.")


def web_username_clean(username: str) -> str:
    """`username` (already NFKC-normalised by Django's `UsernameField`) when a new web account
    may have it, else `ValidationError`. The characters are checked before anything is looked
    up, so a name in an API client's namespace ("1/obama": web names never hold "/") is refused
    as invalid whether or not that subject exists, never as taken."""
    User.username_validator(username)  # letters, digits and @ . + - _ only
    if has_invisible(username):
        raise ValidationError(User.username_validator.message, code="invalid")
    if username_taken(username=username):
        raise ValidationError(USERNAME_TAKEN, code="username_taken")
    return username


class RegisterForm(auth_forms.UserCreationForm[User]):
    class Meta:
        model = User
        fields = ("username", "display_name", "email")

    def clean_username(self) -> str:
        # Replaces Django's check, which looks at every user (API subjects included) and runs
        # before the character validators, so "1/obama" answered "already exists".
        return web_username_clean(self.cleaned_data.get("username") or "")


class LoginForm(auth_forms.AuthenticationForm):
    """Django's login form, with the password checked under the per-account lockout: a
    throttled try raises `ThrottledError` (the view answers 429) before any hash is computed."""

    @sensitive_variables()
    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            assert self.request is not None  # LoginView passes it
            self.user_cache = services.password_login(
                request=self.request, username=username, password=password
            )
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class NewPasswordForm(auth_forms.SetPasswordForm):  # type: ignore[type-arg]
    """A new password, typed twice: Django's set-password form (the password validators
    apply)."""


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's "forgot your password" form: a link only to active web accounts with a usable
    password, each mailed in the account's own language (else the page's)."""

    def get_users(self, email: str) -> Iterator[User]:
        for user in super().get_users(email):
            if isinstance(user, User) and user.api_client_id is None:
                yield user

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user = context["user"]
        language = getattr(user, "language", "") or translation.get_language()
        with translation.override(language):
            super().send_mail(
                subject_template_name,
                email_template_name,
                context,
                from_email,
                to_email,
                html_email_template_name,
            )


class DeleteAccountForm(forms.Form):
    """The last word before an account goes: a tick, after the step-up (never the password
    again)."""

    confirm = forms.BooleanField(
        label=_("I understand that my account and my face data are deleted for good."),
        error_messages={"required": _("Tick the box to confirm.")},
    )


def _language_choices() -> list[tuple[str, str]]:
    return [("", str(_("The browser's language"))), *settings.LANGUAGES]


def _time_zone_choices() -> list[tuple[str, str]]:
    default = _("This site's time zone (%(zone)s)") % {"zone": settings.TIME_ZONE}
    zones = sorted(zoneinfo.available_timezones() - {"localtime"})
    return [("", default), *[(zone, zone) for zone in zones]]


class ProfileForm(forms.ModelForm[User]):
    display_name = forms.CharField(label=_("Display name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail address"), required=False)
    # Choices are callables, so each form lists them in the language of its request.
    language = forms.ChoiceField(label=_("Language"), required=False, choices=_language_choices)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False, choices=_time_zone_choices)

    class Meta:
        model = User
        fields = ("display_name", "email", "language", "time_zone")


class PasswordCheckForm(forms.Form):
    """The current password again, for an action that needs proof it is really the user (the
    view has a service check it, under the per-account lockout)."""

    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class CodeForm(forms.Form):
    """A code from the authenticator app or a recovery code."""

    code = forms.CharField(
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"}
        ),
    )


class StepForm(forms.Form):
    """One more login factor: the password, an authenticator code or a recovery code."""

    method = forms.ChoiceField(choices=[(m, m) for m in ("password", "totp", "recovery")])
    password = forms.CharField(required=False, widget=forms.PasswordInput)
    code = forms.CharField(required=False, max_length=32)
