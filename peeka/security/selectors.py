"""Reads of the security floor: lockout states and a user's audit trail."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser

from peeka.security.models import AuditEvent, Lockout
from peeka.security.services import LockoutRule


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
