"""Writes of the security floor: audit rows, lockout counters and rate-limit windows.

Lockouts follow NIST SP 800-63B-4 (throttling): per account and kind, after `backoff_after`
consecutive failures at least `backoff_seconds` between tries (growing by `backoff_growth` with
each further failure, up to `backoff_max_seconds`); after `disable_after` consecutive strikes
the kind is off until the password is changed or reset. Every failure is a strike, except the
face failures nobody answers for (see `FACE`): those only slow the next try down. Counters
are rows (updated atomically with F expressions), so every server process sees them. A name
that belongs to no account is counted alike in the cache (`name_lockout_*`), so a throttle
never tells which names exist. Rate-limit windows live in
Django's cache (Redis with REDIS_URL). A refusal is `ThrottledError`, answered with 429 and
Retry-After.

Only flows and services call these; views and API endpoints never do (the house-rules test)."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, ngettext

from peeka.errors import PeekaError
from peeka.security.client import ClientInfo
from peeka.security.clock import now
from peeka.security.models import AuditEvent, Lockout


class ThrottledError(PeekaError):
    """Too many attempts; `retry_after` seconds until the next is allowed (0: not by waiting)."""

    code = "throttled"

    def __init__(
        self, message: str, retry_after: int, code: str = "throttled", *, first: bool = True
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.code = code
        self.first = first  # False for a rate-limit window's later refusals: audit one only


@dataclass(frozen=True)
class LockoutRule:
    """The consecutive-failure limits of one kind of attempt."""

    kind: str
    backoff_after: int
    backoff_seconds: float
    disable_after: int
    disabled_code: str
    disabled_message: str
    """Marked with `gettext_noop`; translated when shown."""
    backoff_growth: float = 1.0
    """Each failure past `backoff_after` multiplies the wait by this (1: a fixed wait)."""
    backoff_max_seconds: float = math.inf

    def wait_after(self, failures: int) -> float:
        """Seconds an account with `failures` consecutive failures waits between tries."""
        if failures < self.backoff_after:
            return 0.0
        grown = self.backoff_seconds * self.backoff_growth ** (failures - self.backoff_after)
        return min(grown, self.backoff_max_seconds)


FACE = LockoutRule(
    "face",
    backoff_after=5,
    backoff_seconds=30.0,
    backoff_growth=2.0,
    backoff_max_seconds=3600.0,
    disable_after=50,
    disabled_code="face_login_disabled",
    disabled_message="Face login is disabled for this account after too many failed attempts. "
    "Log in with your password and a recovery code, then change your password to turn face "
    "login on again.",
)
"""Face checks. Each challenge counts as a failure when it is issued (an unanswered one stays
one; a pass resets the count), so a challenge is never free: 30 s after 5, doubling up to an
hour. Only failures somebody answers for are strikes toward disabling face login: after the
account's password (a login's second step, a step-up), from an authenticated API client, or a
live face that passed the liveness check and is not the user's. An anonymous client that
abandons or fails challenges for someone else's name slows their face login down but cannot
switch it off."""
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
PASSWORD = LockoutRule(
    "password",
    backoff_after=5,
    backoff_seconds=30.0,
    backoff_growth=2.0,
    backoff_max_seconds=3600.0,
    disable_after=100,  # NIST SP 800-63B-4: at most 100 consecutive failures per account
    disabled_code="password_disabled",
    disabled_message=gettext_noop(
        "This account's password is locked after too many wrong tries. Ask an administrator "
        "to reset it."
    ),
)
"""Every password check (login, login step, step-up):
30 s after 5 wrong passwords, doubling with each further one up to an hour (NIST's example
range), off at 100 until a reset. Reaching 100 takes days, not minutes, while a guesser gets
about one try an hour."""
NAME_LOCKOUT_SECONDS = 30 * 24 * 3600
"""How long the cache keeps the count of a name that belongs to no account."""


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


def lockout_check(*, user: AbstractBaseUser, rule: LockoutRule = FACE, claim: bool = False) -> bool:
    """Raise `ThrottledError` when `user` may not make an attempt of `rule.kind` now.

    With `claim`, an attempt allowed after a back-off is counted as a failure at once (and
    `True` returned: pass `counted=True` to `lockout_failed`), so parallel attempts cannot all
    slip through one opening; a success resets the count as usual."""
    row = Lockout.objects.filter(user_id=user.pk, kind=rule.kind).first()
    if row is None:
        return False
    _refuse(rule, row.failures, row.failed_at, row.disabled or row.strikes >= rule.disable_after)
    if not claim or row.failures < rule.backoff_after:
        return False
    claimed = Lockout.objects.filter(pk=row.pk, failures=row.failures).update(
        failures=F("failures") + 1, failed_at=now()
    )
    if not claimed:  # a parallel attempt took this opening
        raise _waiting(rule.wait_after(row.failures + 1))
    return True


def lockout_failed(
    *, user: AbstractBaseUser, rule: LockoutRule = FACE, counted: bool = False, strike: bool = True
) -> None:
    """Count one failure (atomically: concurrent failures all count); `counted` when
    `lockout_check(claim=True)` already did. With `strike` it counts toward disabling too."""
    row, _ = Lockout.objects.get_or_create(user_id=user.pk, kind=rule.kind)
    changes = {} if counted else {"failures": F("failures") + 1, "failed_at": now()}
    if strike:
        changes["strikes"] = F("strikes") + 1
    if changes:
        Lockout.objects.filter(pk=row.pk).update(**changes)
    Lockout.objects.filter(pk=row.pk, strikes__gte=rule.disable_after).update(disabled=True)


def lockout_attempt(*, user: AbstractBaseUser, rule: LockoutRule = FACE) -> None:
    """Refuse (`ThrottledError`) or count an attempt as a failure before it is made; its
    success resets the count (`lockout_succeeded`), and `lockout_strike` makes its failure a
    strike."""
    counted = lockout_check(user=user, rule=rule, claim=True)
    lockout_failed(user=user, rule=rule, counted=counted, strike=False)


def lockout_strike(*, user: AbstractBaseUser, rule: LockoutRule = FACE) -> None:
    """The failure of an attempt `lockout_attempt` counted is a strike."""
    lockout_failed(user=user, rule=rule, counted=True, strike=True)


def lockout_succeeded(*, user: AbstractBaseUser, rule: LockoutRule = FACE) -> None:
    """A success resets the consecutive counts (a disabled kind stays disabled)."""
    Lockout.objects.filter(user_id=user.pk, kind=rule.kind).update(
        failures=0, strikes=0, failed_at=None
    )


def name_lockout_check(*, name: str, rule: LockoutRule, claim: bool = False) -> bool:
    """`lockout_check` for a claimed name that belongs to no account: the same refusals after
    the same failures, so throttling never tells a name nobody has from an account's."""
    failures_key, at_key, base = _name_keys(name, rule)
    failures = int(cache.get(failures_key) or 0)
    failed_at = cache.get(at_key)
    strikes = int(cache.get(f"{base}:strikes") or 0)
    at = float(failed_at) if failed_at is not None else None
    _refuse(rule, failures, at, strikes >= rule.disable_after)
    if not claim or failures < rule.backoff_after:
        return False
    # One claim per count (add is atomic), as the row update above is for an account.
    if not cache.add(f"{base}:claim:{failures}", 1, timeout=NAME_LOCKOUT_SECONDS):
        raise _waiting(rule.wait_after(failures + 1))
    _name_count(failures_key, at_key)
    return True


def name_lockout_failed(
    *, name: str, rule: LockoutRule, counted: bool = False, strike: bool = True
) -> None:
    """`lockout_failed` for a claimed name that belongs to no account."""
    failures_key, at_key, base = _name_keys(name, rule)
    if not counted:
        _name_count(failures_key, at_key)
    if strike:
        _name_count(f"{base}:strikes", None)


def name_lockout_attempt(*, name: str, rule: LockoutRule) -> None:
    """`lockout_attempt` for a claimed name that belongs to no account."""
    counted = name_lockout_check(name=name, rule=rule, claim=True)
    name_lockout_failed(name=name, rule=rule, counted=counted, strike=False)


def name_lockout_strike(*, name: str, rule: LockoutRule) -> None:
    """`lockout_strike` for a claimed name that belongs to no account."""
    name_lockout_failed(name=name, rule=rule, counted=True, strike=True)


def _name_keys(name: str, rule: LockoutRule) -> tuple[str, str, str]:
    base = f"peeka:lockout:{rule.kind}:{hashlib.sha256(name.encode()).hexdigest()}"
    return f"{base}:failures", f"{base}:at", base


def _name_count(failures_key: str, at_key: str | None) -> None:
    cache.add(failures_key, 0, timeout=NAME_LOCKOUT_SECONDS)
    try:
        cache.incr(failures_key)
        cache.touch(failures_key, timeout=NAME_LOCKOUT_SECONDS)
    except ValueError:  # evicted between add and incr
        cache.set(failures_key, 1, timeout=NAME_LOCKOUT_SECONDS)
    if at_key is not None:
        cache.set(at_key, now(), timeout=NAME_LOCKOUT_SECONDS)


def _refuse(rule: LockoutRule, failures: int, failed_at: float | None, disabled: bool) -> None:
    if disabled:
        raise ThrottledError(gettext(rule.disabled_message), retry_after=0, code=rule.disabled_code)
    if failures >= rule.backoff_after and failed_at is not None:
        wait = rule.wait_after(failures) - (now() - failed_at)
        if wait > 0:
            raise _waiting(wait)


def _waiting(wait: float) -> ThrottledError:
    seconds = max(1, math.ceil(wait))
    message = gettext("Too many failed attempts. Try again in %(duration)s.") % {
        "duration": _duration(seconds)
    }
    return ThrottledError(message, retry_after=seconds)


def _duration(seconds: int) -> str:
    if seconds < 120:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def lockout_reset(*, user: AbstractBaseUser, rule: LockoutRule) -> None:
    """`rule`'s kind may be tried again, a disabled one too: its secret was just replaced."""
    Lockout.objects.filter(user_id=user.pk, kind=rule.kind).delete()


def lockouts_reset(*, user: AbstractBaseUser) -> None:
    """Every kind may be tried again: the owner proved themselves by changing the password."""
    Lockout.objects.filter(user_id=user.pk).delete()


def rate_limit(
    *, scope: str, ident: str, limit: int | None = None, window_seconds: int = 60
) -> None:
    """Count one request of `ident` (an IP address, an API key id) in `scope`; raise
    `ThrottledError` past `limit` requests in the current window of `window_seconds` (by
    default the scope's PEEKA_RATE_LIMITS, per minute)."""
    if limit is None:
        limits: dict[str, int] = settings.PEEKA_RATE_LIMITS
        limit = limits[scope]
    at = now()
    window = int(at // window_seconds)
    key = f"peeka:rate:{scope}:{ident}:{window_seconds}:{window}"
    cache.add(key, 0, timeout=2 * window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=2 * window_seconds)
        count = 1
    if count > limit:
        retry_after = max(1, math.ceil((window + 1) * window_seconds - at))
        message = (
            gettext("Too many requests. Slow down and try again shortly.")
            if window_seconds <= 60
            else gettext("Too many requests from your address. Try again in %(duration)s.")
            % {"duration": _duration(retry_after)}
        )
        raise ThrottledError(
            message, retry_after=retry_after, code="rate_limited", first=count == limit + 1
        )
