"""Abuse controls after NIST SP 800-63B-4 (throttling): per account, after 5 consecutive failed
face attempts at least 30 s between tries, and after 50 face login is disabled until the
password is changed or reset; the same for one-time codes (authenticator and recovery codes)
with 100; per client IP and per API key, request rate limits. A refusal is `ThrottledError`,
which the views turn into 429 with Retry-After.

Account counters live on the user row (updated atomically with F expressions), so every server
process sees them; rate-limit windows live in Django's cache (Redis with REDIS_URL)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import F

from peeka.accounts.models import User
from peeka.errors import PeekaError

clock: Callable[[], float] = time.time
"""The time source; tests replace it with a frozen clock."""


class ThrottledError(PeekaError):
    """Too many attempts; `retry_after` seconds until the next is allowed (0: not by waiting)."""

    code = "throttled"

    def __init__(self, message: str, retry_after: int, code: str = "throttled") -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.code = code


@dataclass(frozen=True)
class Lockout:
    """Consecutive-failure limits of one factor, counted in the user's `<factor>_failures`,
    `<factor>_failed_at` and `<factor>_disabled` columns."""

    factor: str
    backoff_after: int
    backoff_seconds: float
    disable_after: int
    disabled_code: str
    disabled_message: str


FACE = Lockout(
    "face",
    backoff_after=5,
    backoff_seconds=30.0,
    disable_after=50,
    disabled_code="face_login_disabled",
    disabled_message="Face login is disabled for this account after too many failed attempts. "
    "Log in with your password and a recovery code, then change your password to turn face "
    "login on again.",
)
CODES = Lockout(
    "otp",
    backoff_after=5,
    backoff_seconds=30.0,
    disable_after=100,  # NIST SP 800-63B-4: at most 100 consecutive failures per account
    disabled_code="codes_disabled",
    disabled_message="One-time codes are disabled for this account after too many wrong "
    "codes. Ask an administrator to reset your password.",
)
"""Authenticator (TOTP) and recovery codes share one count."""


def check(user: User, lockout: Lockout = FACE) -> None:
    """Raise `ThrottledError` when `user` may not try `lockout`'s factor now."""
    fields = [f"{lockout.factor}_{name}" for name in ("failures", "failed_at", "disabled")]
    user.refresh_from_db(fields=fields)
    failures, failed_at, disabled = (getattr(user, name) for name in fields)
    if disabled:
        raise ThrottledError(lockout.disabled_message, retry_after=0, code=lockout.disabled_code)
    if failures >= lockout.backoff_after and failed_at is not None:
        wait = lockout.backoff_seconds - (clock() - failed_at)
        if wait > 0:
            raise ThrottledError(
                f"Too many failed attempts. Try again in {math.ceil(wait)} seconds.",
                retry_after=math.ceil(wait),
            )


def failed(user: User, lockout: Lockout = FACE) -> None:
    factor = lockout.factor
    User.objects.filter(pk=user.pk).update(
        **{f"{factor}_failures": F(f"{factor}_failures") + 1, f"{factor}_failed_at": clock()}
    )
    User.objects.filter(pk=user.pk, **{f"{factor}_failures__gte": lockout.disable_after}).update(
        **{f"{factor}_disabled": True}
    )


def succeeded(user: User, lockout: Lockout = FACE) -> None:
    User.objects.filter(pk=user.pk).update(
        **{f"{lockout.factor}_failures": 0, f"{lockout.factor}_failed_at": None}
    )


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
