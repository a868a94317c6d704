"""Kiosk devices and punches. A punch records who, when, in or out, how (face, PIN, by hand)
and on which device; no picture and no face measurement."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy

from peeka.workplace.org.models import Member


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


class Direction(models.TextChoices):
    IN = "in", gettext_lazy("In")
    OUT = "out", gettext_lazy("Out")


class Method(models.TextChoices):
    FACE = "face", gettext_lazy("Face")
    PIN = "pin", gettext_lazy("Employee number and PIN")
    MANUAL = "manual", gettext_lazy("By hand")


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
    open_shift = models.BooleanField(gettext_lazy("left open"), default=False)
    """An "in" with no "out" within `OPEN_SHIFT_HOURS`: closed by the next punch and flagged."""

    class Meta:
        verbose_name = gettext_lazy("punch")
        verbose_name_plural = gettext_lazy("punches")
        ordering = ["-at"]
        indexes = [models.Index(fields=["member", "-at"], name="attendance_punch_member_at")]

    def __str__(self) -> str:
        return f"{self.member} {self.direction} {self.at:%Y-%m-%d %H:%M}"
