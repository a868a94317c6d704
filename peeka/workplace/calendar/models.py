"""Calendar events and the members' feed tokens. An event is one row however often it repeats:
its rule (RFC 5545 RRULE) is expanded when a window of days is read, never stored as rows.
Public holidays are no rows at all (`public_holidays`)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy, pgettext_lazy

from peeka.workplace.org.models import Department, Member


class Scope(models.TextChoices):
    """Who sees an event: its owner, a department (and the departments below it) or all."""

    # Translators: who sees a calendar event: only the person who created it
    PERSONAL = "personal", pgettext_lazy("event scope", "Personal")
    # Translators: who sees a calendar event: the members of one department
    DEPARTMENT = "department", pgettext_lazy("event scope", "Department")
    # Translators: who sees a calendar event: everyone in the company
    COMPANY = "company", pgettext_lazy("event scope", "Company")


class Event(models.Model):
    title = models.CharField(gettext_lazy("title"), max_length=200)
    description = models.TextField(gettext_lazy("description"), blank=True)
    location = models.CharField(gettext_lazy("location"), max_length=200, blank=True)
    owner = models.ForeignKey(
        Member,
        verbose_name=gettext_lazy("owner"),
        on_delete=models.CASCADE,
        related_name="calendar_events",
    )
    scope = models.CharField(
        gettext_lazy("visible to"), max_length=10, choices=Scope.choices, default=Scope.PERSONAL
    )
    department = models.ForeignKey(
        Department,
        verbose_name=gettext_lazy("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="calendar_events",
    )
    """Set for a department's event only: its members and those of the departments below it
    see the event."""
    all_day = models.BooleanField(gettext_lazy("all day"), default=False)
    start = models.DateTimeField(gettext_lazy("start"), db_index=True)
    end = models.DateTimeField(gettext_lazy("end"))
    """Exclusive. An all-day event starts and ends at midnight in `time_zone`: 24-26 September
    is 24 September 00:00 to 27 September 00:00."""
    time_zone = models.CharField(gettext_lazy("time zone"), max_length=64)
    """The IANA zone the event was written in: its all-day dates are dates there, and its
    repetitions keep their wall-clock time there across daylight-saving changes."""
    rrule = models.CharField(gettext_lazy("repeat rule"), max_length=500, blank=True)
    """An RFC 5545 RRULE in the form `recurrence.rule_normalize` writes ("" for none)."""
    created_at = models.DateTimeField(gettext_lazy("created"), auto_now_add=True)
    updated_at = models.DateTimeField(gettext_lazy("changed"), auto_now=True)

    class Meta:
        verbose_name = gettext_lazy("event")
        verbose_name_plural = gettext_lazy("events")
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="calendar_event_ends_after_start"
            ),
            models.CheckConstraint(
                condition=(Q(scope=Scope.DEPARTMENT) & Q(department__isnull=False))
                | (~Q(scope=Scope.DEPARTMENT) & Q(department__isnull=True)),
                name="calendar_event_department_iff_department_scope",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class FeedToken(models.Model):
    """A member's private iCalendar feed: the URL holds a random secret, this row only its
    SHA-256, so a copy of the database opens no feed. One a member; a reset replaces it."""

    member = models.OneToOneField(
        Member,
        verbose_name=gettext_lazy("member"),
        on_delete=models.CASCADE,
        related_name="calendar_feed",
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(gettext_lazy("created"))

    class Meta:
        verbose_name = gettext_lazy("calendar feed")
        verbose_name_plural = gettext_lazy("calendar feeds")

    def __str__(self) -> str:
        return str(self.member)
