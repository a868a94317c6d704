"""Writes of the security floor: audit rows, lockout counters and rate-limit windows.

Lockouts follow NIST SP 800-63B-4 (throttling): per account and kind, after `backoff_after`
consecutive failures at least `backoff_seconds` between tries, after `disable_after` the kind is
off until the password is changed or reset. Counters are rows (updated atomically with F
expressions), so every server process sees them; rate-limit windows live in Django's cache
(Redis with REDIS_URL). A refusal is `ThrottledError`, answered with 429 and Retry-After.

Only flows and services call these; views and API endpoints never do (the house-rules test)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.db.models import F
from django.utils import timezone

from peeka.errors import PeekaError
from peeka.security.client import ClientInfo
from peeka.security.clock import now
from peeka.security.models import AuditEvent, Lockout


class ThrottledError(PeekaError):
    """Too many attempts; `retry_after` seconds until the next is allowed (0: not by waiting)."""

    code = "throttled"

    def __init__(self, message: str, retry_after: int, code: str = "throttled") -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.code = code


@dataclass(frozen=True)
class LockoutRule:
    """The consecutive-failure limits of one kind of attempt."""

    kind: str
    backoff_after: int
    backoff_seconds: float
    disable_after: int
    disabled_code: str
    disabled_message: str


FACE = LockoutRule(
    "face",
    backoff_after=5,
    backoff_seconds=30.0,
    disable_after=50,
    disabled_code="face_login_disabled",
    disabled_message="Face login is disabled for this account after too many failed attempts. "
    "Log in with your password and a recovery code, then change your password to turn face "
    "login on again.",
)
CODES = LockoutRule(
    "otp",
    backoff_after=5,
    backoff_seconds=30.0,
    disable_after=100,  # NIST SP 800-63B-4: at most 100 consecutive failures per account
    disabled_code="codes_disabled",
    disabled_message="One-time codes are disabled for this account after too many wrong "
    "codes. Ask an administrator to reset your password.",
)
"""Authenticator (TOTP) and recovery codes share one count."""


def audit_record(
    *,
    event: str,
    success: bool,
    reason: str = "",
    user: AbstractBaseUser | None = None,
    username: str = "",
    client: ClientInfo | None = None,
) -> AuditEvent:
    """Append one event to the audit log."""
    return AuditEvent.objects.create(
        event=event,
        success=success,
        reason=reason,
        user_id=user.pk if user is not None else None,
        username=(username or (user.get_username() if user is not None else ""))[:150],
        ip=client.ip if client else None,
        user_agent=client.user_agent[:256] if client else "",
    )


def audit_prune(*, days: int, at: datetime | None = None) -> int:
    """Delete audit events older than `days` days; how many were deleted."""
    cutoff = (at or timezone.now()) - timedelta(days=days)
    deleted, _ = AuditEvent.objects.filter(time__lt=cutoff).delete()
    return deleted


def lockout_check(*, user: AbstractBaseUser, rule: LockoutRule = FACE) -> None:
    """Raise `ThrottledError` when `user` may not make an attempt of `rule.kind` now."""
    row = Lockout.objects.filter(user_id=user.pk, kind=rule.kind).first()
    if row is None:
        return
    if row.disabled:
        raise ThrottledError(rule.disabled_message, retry_after=0, code=rule.disabled_code)
    if row.failures >= rule.backoff_after and row.failed_at is not None:
        wait = rule.backoff_seconds - (now() - row.failed_at)
        if wait > 0:
            raise ThrottledError(
                f"Too many failed attempts. Try again in {math.ceil(wait)} seconds.",
                retry_after=math.ceil(wait),
            )


def lockout_failed(*, user: AbstractBaseUser, rule: LockoutRule = FACE) -> None:
    """Count one failure (atomically: concurrent failures all count)."""
    row, _ = Lockout.objects.get_or_create(user_id=user.pk, kind=rule.kind)
    rows = Lockout.objects.filter(pk=row.pk)
    rows.update(failures=F("failures") + 1, failed_at=now())
    rows.filter(failures__gte=rule.disable_after).update(disabled=True)


def lockout_succeeded(*, user: AbstractBaseUser, rule: LockoutRule = FACE) -> None:
    """A success resets the consecutive count (a disabled kind stays disabled)."""
    Lockout.objects.filter(user_id=user.pk, kind=rule.kind).update(failures=0, failed_at=None)


def lockouts_reset(*, user: AbstractBaseUser) -> None:
    """Every kind may be tried again: the owner proved themselves by changing the password."""
    Lockout.objects.filter(user_id=user.pk).delete()


def rate_limit(*, scope: str, ident: str) -> None:
    """Count one request of `ident` (an IP address, an API key id) in `scope`; raise
    `ThrottledError` past the scope's PEEKA_RATE_LIMITS in the current minute."""
    limits: dict[str, int] = settings.PEEKA_RATE_LIMITS
    at = now()
    window = int(at // 60)
    key = f"peeka:rate:{scope}:{ident}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    if count > limits[scope]:
        raise ThrottledError(
            "Too many requests. Slow down and try again shortly.",
            retry_after=max(1, math.ceil((window + 1) * 60 - at)),
            code="rate_limited",
        )
