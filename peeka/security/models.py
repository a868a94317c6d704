"""What the security floor keeps: the audit log and the failure counters of every lockout kind
(face, one-time codes, and later a PIN or payments: a new kind, never new columns)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One authentication event. `reason` names the failed check (clients never see it)."""

    time = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)
    """The name that was claimed, which may belong to nobody."""
    event = models.CharField(max_length=32)
    success = models.BooleanField()
    reason = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True)
    user_agent = models.CharField(max_length=256, blank=True)

    class Meta:
        ordering = ["-time"]


class Lockout(models.Model):
    """Consecutive failures of one kind of attempt by one account (NIST SP 800-63B-4
    throttling). No row means no failure since the last success."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32)
    """"face", "otp", ...: a `LockoutRule.kind`."""
    failures = models.PositiveIntegerField(default=0)
    """Consecutive failures of any kind: they set the back-off."""
    strikes = models.PositiveIntegerField(default=0)
    """Those of them that count toward disabling the kind (`LockoutRule`: for a face, the ones
    somebody answers for; for passwords and codes, all)."""
    failed_at = models.FloatField(null=True, blank=True)
    """Unix time of the last failure (the security clock's, so tests can freeze it)."""
    disabled = models.BooleanField(default=False)
    """Set after too many strikes; cleared when the password is changed or reset."""

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="unique_lockout_per_kind")
        ]
