"""Reads of the security floor: lockout states, a user's audit trail and their recent sign-in
activity."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q
from django.utils.translation import gettext

from peeka.security.labels import event_title, reason_label
from peeka.security.models import AuditEvent, Lockout
from peeka.security.services import LockoutRule

SIGN_IN_STEPS = frozenset(
    {
        "password_login",
        "totp",
        "recovery_code",
        "face_login",
        "face_login_1n",
        "liveness_login",
        "challenge_login",
        "liveness_stepup",
        "challenge_stepup",
    }
)
"""The steps of a sign-in or a step-up: shown when refused or throttled (a success shows as the
sign-in or step-up it completed)."""
SIGN_INS = frozenset({"login", "step_up"})
"""Completed sign-ins and step-ups (naming the factors used), and their refusals."""


def lockout_disabled(*, user: AbstractBaseUser, rule: LockoutRule) -> bool:
    """Whether too many failures turned `rule.kind` off for `user`."""
    return Lockout.objects.filter(user_id=user.pk, kind=rule.kind, disabled=True).exists()


def lockout_failures(*, user: AbstractBaseUser, rule: LockoutRule) -> int:
    """The consecutive failures of `rule.kind` since the last success."""
    row = Lockout.objects.filter(user_id=user.pk, kind=rule.kind).first()
    return 0 if row is None else row.failures


def audit_export(user: AbstractBaseUser) -> list[dict[str, object]]:
    """`user`'s audit events, oldest first, for their data export."""
    return [
        {
            "time": event.time.isoformat(),
            "event": event.event,
            "success": event.success,
            "reason": event.reason,
            "ip": event.ip,
            "user_agent": event.user_agent,
        }
        for event in AuditEvent.objects.filter(user_id=user.pk).order_by("time")
    ]


@dataclass(frozen=True)
class SignIn:
    """One row of a user's recent sign-in activity, in the active language."""

    time: datetime
    title: str
    success: bool
    reason: str
    ip: str | None
    device: str
    """A short summary of the browser ("Chrome on Windows"), or "" when unknown."""


def recent_sign_ins(*, user: AbstractBaseUser, limit: int = 10) -> list[SignIn]:
    """The `limit` latest sign-in events of `user`, newest first: each completed sign-in and
    step-up (with the factors used), a recovery code used, and every refused or throttled try
    of a password, face, authenticator or recovery code, by whoever made it in this account's
    name. A successful intermediate step shows as the sign-in it completed, not on its own."""
    shown = (
        Q(event__in=SIGN_INS)
        | Q(event__in=SIGN_IN_STEPS, success=False)
        | Q(event="recovery_code", success=True)
    )
    rows = AuditEvent.objects.filter(shown, user_id=user.pk).order_by("-time", "-pk")[:limit]
    return [
        SignIn(
            time=row.time,
            title=event_title(row.event, row.success),
            success=row.success,
            reason=reason_label(row.reason, event=row.event) if row.reason != "ok" else "",
            ip=row.ip,
            device=device_summary(row.user_agent),
        )
        for row in rows
    ]


# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS: tuple[tuple[str, str], ...] = (
    (r"Edg(e|A|iOS)?/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"SamsungBrowser/", "Samsung Internet"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"Chrome/|CriOS/|Chromium/", "Chrome"),
    (r"Safari/", "Safari"),
    (r"python-requests|python-httpx|aiohttp|Python-urllib", "Python"),
    (r"^curl/", "curl"),
)
_SYSTEMS: tuple[tuple[str, str], ...] = (
    (r"Windows", "Windows"),
    (r"Android", "Android"),
    (r"iPhone|iPod", "iPhone"),
    (r"iPad", "iPad"),
    (r"CrOS", "ChromeOS"),
    (r"Mac OS X|Macintosh", "macOS"),
    (r"Linux|X11", "Linux"),
)


def device_summary(user_agent: str) -> str:
    """ "Chrome on Windows", "Safari on iPhone", "Firefox", or "" when the User-Agent names
    nothing known. Only a hint: any client can send any User-Agent."""
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, user_agent)), "")
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, user_agent)), "")
    if browser and system:
        return gettext("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system
