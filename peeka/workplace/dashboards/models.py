"""Security alerts: an hour whose failed face attempts or lockouts stood far above the usual
(`peeka.workplace.dashboards.services.alerts_check`), one row per kind and hour."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy


class AlertKind(models.TextChoices):
    FACE_FAILURES = "face_failures", gettext_lazy("Failed face attempts")
    LOCKOUTS = "lockouts", gettext_lazy("Lockouts")


class Alert(models.Model):
    kind = models.CharField(gettext_lazy("kind"), max_length=16, choices=AlertKind.choices)
    window_start = models.DateTimeField(gettext_lazy("hour starting"))
    """The start of the clock hour (UTC) the alert is about."""
    count = models.PositiveIntegerField(gettext_lazy("count"))
    """The hour's count, the highest seen by a check."""
    baseline = models.FloatField(gettext_lazy("usual count an hour"))
    """The median of the same count over the 24 hours before the window."""
    created_at = models.DateTimeField(gettext_lazy("raised"))
    acknowledged_at = models.DateTimeField(gettext_lazy("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("acknowledged by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = gettext_lazy("security alert")
        verbose_name_plural = gettext_lazy("security alerts")
        ordering = ["-window_start", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "window_start"], name="dashboards_alert_one_per_kind_and_hour"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.window_start:%Y-%m-%d %H:%M} ({self.count})"
