"""Template context shared by every page."""

from __future__ import annotations

import functools

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from peeka.workplace.approvals.selectors import to_approve_count
from peeka.workplace.messages.selectors import unread_count_of
from peeka.workplace.org.selectors import member_of


def site(request: HttpRequest) -> dict[str, object]:
    language = translation.get_language() or settings.LANGUAGE_CODE
    return {
        "registration_open": settings.PEEKA_REGISTRATION == "open",
        "face_only_login": settings.PEEKA_FACE_ONLY_LOGIN,
        # BCP 47 for the html lang attribute: Django says zh-hans, browsers and screen
        # readers expect zh-Hans.
        "html_lang": _bcp47(language),
        # The switcher names each language in itself, whatever the page's language.
        "languages": [(code, name, _bcp47(code)) for code, name in settings.LANGUAGES],
        # Called by the template only where it asks (the navigation bar, signed in).
        # Each is computed once, and only when the template asks.
        "in_workplace": functools.cache(lambda: _in_workplace(request)),
        # The navigation bar's badges: one COUNT each, only where they are shown.
        "unread_messages": functools.cache(lambda: unread_count_of(user=request.user)),
        "approvals_waiting": functools.cache(lambda: _approvals_waiting(request)),
    }


def _in_workplace(request: HttpRequest) -> bool:
    user = request.user
    if not user.is_authenticated:
        return False
    return bool(getattr(user, "is_superuser", False) or member_of(user=user) is not None)


def _approvals_waiting(request: HttpRequest) -> int:
    member = member_of(user=request.user)
    return to_approve_count(member=member) if member is not None and member.active else 0


def _bcp47(code: str) -> str:
    return "zh-Hans" if code == "zh-hans" else code
