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
    RETURN = "return", gettext_lazy("Returned (leave cancelled)")


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
            models.UniqueConstraint(
                fields=["member", "period"],
                condition=models.Q(kind="expiry") & ~models.Q(period=""),
                name="leave_one_expiry_per_period",
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


HALF_DAY_TYPES = frozenset({LeaveType.HALF_MORNING, LeaveType.HALF_AFTERNOON})
BALANCE_TYPES = frozenset({LeaveType.ANNUAL, *HALF_DAY_TYPES})
"""The types taken from the annual leave balance; sick and special leave are counted apart."""


class LeaveBooking(models.Model):
    """Leave that was approved: its working days, shown on the calendar and the timesheets.
    Taking it wrote a "taken" ledger row (for the balance types); cancelling it writes a
    "returned" row and marks the booking, never deletes it."""

    member = models.ForeignKey(
        Member, verbose_name=gettext_lazy("member"), on_delete=models.PROTECT, related_name="+"
    )
    leave_type = models.CharField(gettext_lazy("type"), max_length=12, choices=LeaveType.choices)
    start = models.DateField(gettext_lazy("first day"))
    end = models.DateField(gettext_lazy("last day"))
    half_days = models.PositiveIntegerField(gettext_lazy("half days"))
    """The working days it covers, in half days (weekends and public holidays not counted)."""
    document = models.PositiveIntegerField(gettext_lazy("approval document"), null=True)
    """The id of the approval document that granted it (approvals own the documents)."""
    cancelled_at = models.DateTimeField(gettext_lazy("cancelled"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = gettext_lazy("leave booking")
        verbose_name_plural = gettext_lazy("leave bookings")
        ordering = ["-start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="leave_booking_dates"
            ),
            models.UniqueConstraint(fields=["document"], name="leave_booking_one_per_document"),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.leave_type} {self.start}..{self.end}"


class LeavePolicy(models.Model):
    """The annual leave rules, one row, edited by the administrator; without it the Korean
    statutory rules apply (`policy.STATUTORY`). A change applies to grants and expiries not in
    the ledger yet."""

    first_year_max = models.PositiveSmallIntegerField(
        gettext_lazy("days in the first year (one a month, at most)"), default=11
    )
    base_days = models.PositiveSmallIntegerField(
        gettext_lazy("days at the first anniversary"), default=15
    )
    every_years = models.PositiveSmallIntegerField(
        gettext_lazy("one more day every … years"),
        default=2,
        help_text=gettext_lazy("0: never more."),
    )
    max_days = models.PositiveSmallIntegerField(gettext_lazy("days a year at most"), default=25)
    expires = models.BooleanField(
        gettext_lazy("leave left at an anniversary expires"), default=True
    )

    class Meta:
        verbose_name = gettext_lazy("leave policy")
        verbose_name_plural = gettext_lazy("leave policy")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_days__gte=models.F("base_days")),
                name="leave_policy_max_at_least_base",
            )
        ]

    def __str__(self) -> str:
        return str(gettext_lazy("Leave policy"))
