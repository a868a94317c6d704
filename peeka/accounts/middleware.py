"""Per-request user settings: the signed-in user's language and time zone
(`UserPreferencesMiddleware`, after Django's authentication and locale middleware), and staff
need a second factor: every admin page sends a staff account that has set up neither a face
nor an authenticator app to its security page first (`StaffSecondFactorMiddleware`, after
the message middleware); a user given a temporary password chooses a new one before anything
else (`PasswordChangeRequiredMiddleware`, after that)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext

from peeka.accounts import mfa
from peeka.accounts.models import User


class UserPreferencesMiddleware:
    """A signed-in user's saved language wins over the cookie and the browser (LocaleMiddleware
    chose those), and their time zone over the deployment's, for this request only."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if isinstance(user, User) and user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
            if user.time_zone:
                timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
        try:
            # LocaleMiddleware's Content-Language, set on the way out, follows the activation.
            return self.get_response(request)
        finally:
            timezone.deactivate()


class StaffSecondFactorMiddleware:
    """Refuse the admin (all of it but its logout) to staff and superusers without a face or
    an authenticator app: a password alone must never open it. Recovery codes alone do not
    count; they stand in for a second factor, they are not one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._refused(request):
            messages.warning(
                request,
                gettext(
                    "Set up a second factor (your face or an authenticator app) before you use "
                    "the admin."
                ),
            )
            return redirect("accounts:security")
        return self.get_response(request)

    @staticmethod
    def _refused(request: HttpRequest) -> bool:
        path = request.path_info
        if not path.startswith(reverse("admin:index")) or path == reverse("admin:logout"):
            return False
        user = getattr(request, "user", None)
        return (
            isinstance(user, User)
            and user.is_authenticated
            and (user.is_staff or user.is_superuser)
            and not mfa.has_second_factor(user)
        )


class PasswordChangeRequiredMiddleware:
    """Send a signed-in user whose password is a temporary one (`User.must_change_password`,
    set by an administrator) to the page that chooses a new one, from every page but that
    one, logging out, the language switcher and the scripts' catalog."""

    _OPEN = (
        "accounts:password_required",
        "accounts:logout",
        "accounts:language",
        "admin:logout",
        "jsi18n",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            isinstance(user, User)
            and user.is_authenticated
            and user.must_change_password
            and request.path_info not in {reverse(name) for name in self._OPEN}
            and not request.path_info.startswith("/static/")
        ):
            target = reverse("accounts:password_required")
            if request.method == "GET":
                target = f"{target}?{urlencode({'next': request.get_full_path()})}"
            return redirect(target)
        return self.get_response(request)
