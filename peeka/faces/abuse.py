"""Abuse controls after NIST SP 800-63B-4 (throttling of biometric attempts): per account,
after 5 consecutive failed face attempts at least 30 s between tries, and after 50 face login
is disabled until the password is changed or reset; per client IP and per API key, request
rate limits. A refusal is `ThrottledError`, which the views turn into 429 with Retry-After.

Account counters live on the user row (updated atomically with F expressions), so every server
process sees them; rate-limit windows live in Django's cache (Redis with REDIS_URL)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db.models import F

from peeka.accounts.models import User
from peeka.errors import PeekaError

BACKOFF_AFTER = 5
BACKOFF_SECONDS = 30.0
DISABLE_AFTER = 50

clock: Callable[[], float] = time.time
"""The time source; tests replace it with a frozen clock."""


class ThrottledError(PeekaError):
    """Too many attempts; `retry_after` seconds until the next is allowed (0: not by waiting)."""

    code = "throttled"

    def __init__(self, message: str, retry_after: int, code: str = "throttled") -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.code = code


def check_face(user: User) -> None:
    """Raise `ThrottledError` when `user` may not try a face login now."""
    user.refresh_from_db(fields=["face_failures", "face_failed_at", "face_disabled"])
    if user.face_disabled:
        raise ThrottledError(
            "Face login is disabled for this account after too many failed attempts. Log in "
            "with your password and change it to turn face login on again.",
            retry_after=0,
            code="face_login_disabled",
        )
    if user.face_failures >= BACKOFF_AFTER and user.face_failed_at is not None:
        wait = BACKOFF_SECONDS - (clock() - user.face_failed_at)
        if wait > 0:
            raise ThrottledError(
                f"Too many failed attempts. Try again in {math.ceil(wait)} seconds.",
                retry_after=math.ceil(wait),
            )


def face_failed(user: User) -> None:
    User.objects.filter(pk=user.pk).update(
        face_failures=F("face_failures") + 1, face_failed_at=clock()
    )
    User.objects.filter(pk=user.pk, face_failures__gte=DISABLE_AFTER).update(face_disabled=True)


def face_succeeded(user: User) -> None:
    User.objects.filter(pk=user.pk).update(face_failures=0, face_failed_at=None)


def limit(scope: str, ident: str, per_minute: int) -> None:
    """Count one request of `ident` (an IP address, an API key id) in `scope`; raise
    `ThrottledError` past `per_minute` in the current minute."""
    now = clock()
    window = int(now // 60)
    key = f"peeka:rate:{scope}:{ident}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    if count > per_minute:
        raise ThrottledError(
            "Too many requests. Slow down and try again shortly.",
            retry_after=max(1, math.ceil((window + 1) * 60 - now)),
            code="rate_limited",
        )


def per_minute(scope: str) -> int:
    limits: dict[str, int] = settings.PEEKA_RATE_LIMITS
    return limits[scope]
