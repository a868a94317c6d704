"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "registration_open": settings.PEEKA_REGISTRATION == "open",
        "face_only_login": settings.PEEKA_FACE_ONLY_LOGIN,
    }
