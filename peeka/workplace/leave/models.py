"""The leave ledger: every grant, use, expiry and adjustment of a member's leave as a row in
half days (signed); a balance is their sum. Rows are never changed or deleted: a mistake is
corrected by another row."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy

from peeka.workplace.org.models import Member


class LeaveType(models.TextChoices):
    ANNUAL = "annual", gettext_lazy("Annual leave")
    HALF_MORNING = "half_am", gettext_lazy("Half day (morning)")
    HALF_AFTERNOON = "half_pm", gettext_lazy("Half day (afternoon)")
    SICK = "sick", gettext_lazy("Sick leave")
    SPECIAL = "special", gettext_lazy("Special leave")


class EntryKind(models.TextChoices):
    GRANT = "grant", gettext_lazy("Granted")
    USE = "use", gettext_lazy("Taken")
    EXPIRY = "expiry", gettext_lazy("Expired")
    ADJUSTMENT = "adjustment", gettext_lazy("Adjusted")


class AppendOnlyError(Exception):
    """A ledger row was to be changed or deleted."""


class LeaveEntry(models.Model):
    member = models.ForeignKey(
        Member, verbose_name=gettext_lazy("member"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(gettext_lazy("kind"), max_length=12, choices=EntryKind.choices)
    half_days = models.IntegerField(gettext_lazy("half days"))
    """Positive adds to the balance, negative takes from it."""
    on_date = models.DateField(gettext_lazy("date"))
    period = models.CharField(gettext_lazy("period"), max_length=8, blank=True)
    """For a statutory grant, what it is for ("M01".."M11", "Y01", ...): one grant a period."""
    note = models.CharField(gettext_lazy("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = gettext_lazy("leave ledger entry")
        verbose_name_plural = gettext_lazy("leave ledger")
        ordering = ["on_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "period"],
                condition=models.Q(kind="grant") & ~models.Q(period=""),
                name="leave_one_grant_per_period",
            ),
            models.CheckConstraint(condition=~models.Q(half_days=0), name="leave_entry_not_zero"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("leave ledger rows are never changed; add a correction")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("leave ledger rows are never deleted; add a correction")

    def __str__(self) -> str:
        return f"{self.member} {self.kind} {self.half_days:+d} ({self.on_date})"
