"""Kiosk devices and punches. A punch records who, when, in or out, how (face, PIN, by hand)
and on which device; no picture and no face measurement. Work schedules (HR's) and the
members' own ones, which the attendance rules (`rules.py`) read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy

from peeka.workplace.attendance import rules
from peeka.workplace.org.models import Member

OPEN_SHIFT_HOURS = 16
"""An "in" older than this with no "out" is a shift left open: the next punch is an "in" again
and the open one is flagged for a correction."""


class KioskDevice(models.Model):
    name = models.CharField(gettext_lazy("name"), max_length=100, unique=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    """SHA-256 of the device key, which is shown once when the device is registered."""
    active = models.BooleanField(gettext_lazy("active"), default=True)
    created_at = models.DateTimeField(gettext_lazy("registered"), auto_now_add=True)

    class Meta:
        verbose_name = gettext_lazy("kiosk device")
        verbose_name_plural = gettext_lazy("kiosk devices")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def scope(self) -> str:
        """The device's name for the liveness challenges issued to it (`peeka.faces`)."""
        return f"kiosk:{self.pk}"


class Direction(models.TextChoices):
    IN = "in", gettext_lazy("In")
    OUT = "out", gettext_lazy("Out")


class Method(models.TextChoices):
    FACE = "face", gettext_lazy("Face")
    PIN = "pin", gettext_lazy("Employee number and PIN")
    MANUAL = "manual", gettext_lazy("By hand")


class Fallback(models.TextChoices):
    """Why a punch was made with the employee number and PIN instead of the face."""

    NOT_RECOGNISED = "not_recognised", gettext_lazy("My face was not recognised")
    NO_FACE = "no_face", gettext_lazy("I have no face enrolled")
    CAMERA = "camera", gettext_lazy("The camera does not work")
    OTHER = "other", gettext_lazy("Another reason")


class Punch(models.Model):
    member = models.ForeignKey(
        Member, verbose_name=gettext_lazy("member"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(gettext_lazy("time"), db_index=True)
    direction = models.CharField(gettext_lazy("direction"), max_length=3, choices=Direction.choices)
    method = models.CharField(gettext_lazy("method"), max_length=8, choices=Method.choices)
    device = models.ForeignKey(
        KioskDevice,
        verbose_name=gettext_lazy("device"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    fallback = models.CharField(
        gettext_lazy("why not by face"), max_length=16, choices=Fallback.choices, blank=True
    )
    """For a punch by PIN: the reason the member gave."""
    open_shift = models.BooleanField(gettext_lazy("left open"), default=False)
    """An "in" with no "out" within `OPEN_SHIFT_HOURS`: closed by the next punch and flagged."""

    class Meta:
        verbose_name = gettext_lazy("punch")
        verbose_name_plural = gettext_lazy("punches")
        ordering = ["-at"]
        indexes = [models.Index(fields=["member", "-at"], name="attendance_punch_member_at")]

    def __str__(self) -> str:
        return f"{self.member} {self.direction} {self.at:%Y-%m-%d %H:%M}"


class KioskPin(models.Model):
    """A member's PIN for the kiosk's fallback, kept as a password hash; tries are throttled
    and locked like a factor (`peeka.workplace.attendance.services.KIOSK_PIN`)."""

    member = models.OneToOneField(
        Member, verbose_name=gettext_lazy("member"), on_delete=models.CASCADE, related_name="+"
    )
    pin_hash = models.CharField(max_length=256)
    set_at = models.DateTimeField(gettext_lazy("last set"), auto_now=True)

    class Meta:
        verbose_name = gettext_lazy("kiosk PIN")
        verbose_name_plural = gettext_lazy("kiosk PINs")

    def __str__(self) -> str:
        return str(self.member)


def validate_workdays(value: str) -> None:
    if not value or any(c not in "1234567" for c in value) or len(set(value)) != len(value):
        raise ValidationError(
            gettext_lazy(
                "Write the working days as ISO weekday digits, e.g. 12345 for Monday to Friday."
            ),
            code="workdays",
        )


class WorkSchedule(models.Model):
    """The hours a member is expected at work, kept by HR in the admin. Members without a
    `ScheduleAssignment` follow the default one (at most one is; with none, 09:00 to 18:00 on
    weekdays: `timesheets.schedule_default`)."""

    name = models.CharField(gettext_lazy("name"), max_length=100, unique=True)
    start = models.TimeField(gettext_lazy("start"), default=dt.time(9))
    end = models.TimeField(
        gettext_lazy("end"),
        default=dt.time(18),
        help_text=gettext_lazy("At or before the start: the shift ends the next day."),
    )
    workdays = models.CharField(
        gettext_lazy("working days"),
        max_length=7,
        default="12345",
        validators=[validate_workdays],
        help_text=gettext_lazy(
            "ISO weekday digits: 1 is Monday, 7 is Sunday; 12345 is Monday to Friday."
        ),
    )
    break_minutes = models.PositiveSmallIntegerField(
        gettext_lazy("break (minutes)"),
        default=60,
        help_text=gettext_lazy(
            "Taken off the worked time once it passes 4 hours, less any time punched out "
            "between; never below 4 hours."
        ),
    )
    late_grace_minutes = models.PositiveSmallIntegerField(
        gettext_lazy("grace for coming late (minutes)"),
        default=10,
        help_text=gettext_lazy("Coming in this late is still on time."),
    )
    early_grace_minutes = models.PositiveSmallIntegerField(
        gettext_lazy("grace for leaving early (minutes)"),
        default=0,
        help_text=gettext_lazy("Leaving this early is still on time."),
    )
    half_day_hours = models.DecimalField(
        gettext_lazy("half-day threshold (hours)"),
        max_digits=4,
        decimal_places=2,
        default=Decimal(4),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(24))],
        help_text=gettext_lazy("Worked less than this on a working day: a half day."),
    )
    absent_hours = models.DecimalField(
        gettext_lazy("absence threshold (hours)"),
        max_digits=4,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(24))],
        help_text=gettext_lazy("Worked less than this on a working day, or no punch: absent."),
    )
    default = models.BooleanField(
        gettext_lazy("default"),
        default=False,
        help_text=gettext_lazy("The schedule of every member without one of their own."),
    )

    class Meta:
        verbose_name = gettext_lazy("work schedule")
        verbose_name_plural = gettext_lazy("work schedules")
        ordering = ["-default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["default"],
                condition=models.Q(default=True),
                name="attendance_workschedule_one_default",
                violation_error_message=gettext_lazy(
                    "Another schedule is the default: make this one the default from the list."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        self.workdays = "".join(sorted(set(self.workdays or "")))
        if self.start == self.end:
            raise ValidationError(
                {"end": gettext_lazy("The end must differ from the start.")}, code="schedule_span"
            )
        absent, half = self.absent_hours, self.half_day_hours
        if absent is not None and half is not None and absent > half:
            raise ValidationError(
                {
                    "absent_hours": gettext_lazy(
                        "The absence threshold cannot be above the half-day threshold."
                    )
                },
                code="schedule_thresholds",
            )

    def as_rules(self) -> rules.Schedule:
        """The schedule as the attendance rules read it."""
        return rules.Schedule(
            start=self.start,
            end=self.end,
            workdays=frozenset(int(c) for c in self.workdays if c in "1234567"),
            break_minutes=self.break_minutes,
            late_grace_minutes=self.late_grace_minutes,
            early_grace_minutes=self.early_grace_minutes,
            half_day_minutes=int(Decimal(self.half_day_hours) * 60),
            absent_minutes=int(Decimal(self.absent_hours) * 60),
        )


class ScheduleAssignment(models.Model):
    """A member's own work schedule; a member without one follows the default schedule."""

    member = models.OneToOneField(
        Member, verbose_name=gettext_lazy("member"), on_delete=models.CASCADE, related_name="+"
    )
    schedule = models.ForeignKey(
        WorkSchedule,
        verbose_name=gettext_lazy("work schedule"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )

    class Meta:
        verbose_name = gettext_lazy("work schedule of a member")
        verbose_name_plural = gettext_lazy("work schedules of members")
        ordering = ["member__employee_number"]

    def __str__(self) -> str:
        return f"{self.member}: {self.schedule}"
