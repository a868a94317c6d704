"""What the security floor keeps: the audit log and the failure counters of every lockout kind
(face, one-time codes, and later a PIN or payments: a new kind, never new columns)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import formats, timezone
from django.utils.translation import gettext, gettext_lazy

from peeka.security.labels import event_title, lockout_kind_label


class AuditEvent(models.Model):
    """One authentication event. `reason` names the failed check (clients never see it)."""

    time = models.DateTimeField(gettext_lazy("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=gettext_lazy("account"),
    )
    username = models.CharField(gettext_lazy("user name"), max_length=150, blank=True)
    """The name that was claimed, which may belong to nobody."""
    event = models.CharField(gettext_lazy("event code"), max_length=32)
    """A code (`peeka.security.labels` has its words)."""
    success = models.BooleanField(gettext_lazy("success"))
    reason = models.CharField(gettext_lazy("reason code"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(gettext_lazy("IP address"), null=True)
    user_agent = models.CharField(gettext_lazy("browser (user agent)"), max_length=256, blank=True)

    class Meta:
        ordering = ["-time"]
        verbose_name = gettext_lazy("audit event")
        verbose_name_plural = gettext_lazy("audit events")

    def __str__(self) -> str:
        when = (
            formats.date_format(timezone.localtime(self.time), "DATETIME_FORMAT")
            if self.time
            else ""
        )
        return gettext("%(title)s: %(user)s, %(time)s") % {
            "title": event_title(self.event, self.success),
            "user": self.username or "-",
            "time": when,
        }


class Lockout(models.Model):
    """Consecutive failures of one kind of attempt by one account (NIST SP 800-63B-4
    throttling). No row means no failure since the last success."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=gettext_lazy("account"),
    )
    kind = models.CharField(gettext_lazy("kind"), max_length=32)
    """"face", "otp", ...: a `LockoutRule.kind`."""
    failures = models.PositiveIntegerField(gettext_lazy("consecutive failures"), default=0)
    """Consecutive failures of any kind: they set the back-off."""
    strikes = models.PositiveIntegerField(gettext_lazy("strikes"), default=0)
    """Those of them that count toward disabling the kind (`LockoutRule`: for a face, the ones
    somebody answers for; for passwords and codes, all)."""
    failed_at = models.FloatField(gettext_lazy("last failure (Unix time)"), null=True, blank=True)
    """Unix time of the last failure (the security clock's, so tests can freeze it)."""
    disabled = models.BooleanField(gettext_lazy("disabled"), default=False)
    """Set after too many strikes; cleared when the password is changed or reset."""

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="unique_lockout_per_kind")
        ]
        verbose_name = gettext_lazy("lockout")
        verbose_name_plural = gettext_lazy("lockouts")

    def __str__(self) -> str:
        return gettext("%(kind)s: %(user)s") % {
            "kind": lockout_kind_label(self.kind),
            "user": self.user.get_username() if self.user_id else "-",
        }
