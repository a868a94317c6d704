"""Reads of attendance: a device by its key, a day's punches, the hours worked in a day."""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from dataclasses import dataclass

from django.conf import settings

from peeka.workplace.attendance.models import (
    OPEN_SHIFT_HOURS,
    Direction,
    KioskDevice,
    KioskPin,
    Punch,
)
from peeka.workplace.org.models import Member


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def kiosk_find(*, key: str) -> KioskDevice | None:
    """The active device whose key is `key` (None for an unknown or revoked key)."""
    if not key or len(key) > 200:
        return None
    return KioskDevice.objects.filter(key_hash=key_hash(key), active=True).first()


def member_zone(member: Member) -> str:
    """The member's time zone: their account's setting, else the deployment's."""
    return str(getattr(member.user, "time_zone", "") or settings.TIME_ZONE)


def _day_bounds(day: dt.date, zone: str | None = None) -> tuple[dt.datetime, dt.datetime]:
    tz = zoneinfo.ZoneInfo(zone or settings.TIME_ZONE)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    return start, start + dt.timedelta(days=1)


def punches_on(*, day: dt.date, zone: str | None = None) -> list[Punch]:
    """Every punch of `day` (in the deployment's time zone unless `zone`), oldest first."""
    start, end = _day_bounds(day, zone)
    return list(
        Punch.objects.filter(at__gte=start, at__lt=end)
        .select_related("member__user", "device")
        .order_by("at", "pk")
    )


def hours_on(*, member: Member, day: dt.date, zone: str | None = None) -> float:
    """Hours between each "in" of `day` and the "out" that follows it (an open "in" counts up
    to the end of the day or now, whichever is first; a flagged open shift counts nothing)."""
    start, end = _day_bounds(day, zone)
    punches = list(
        Punch.objects.filter(member=member, at__gte=start, at__lt=end).order_by("at", "pk")
    )
    total = dt.timedelta()
    opened: dt.datetime | None = None
    for punch in punches:
        if punch.direction == Direction.IN:
            opened = None if punch.open_shift else punch.at
        elif opened is not None:
            total += punch.at - opened
            opened = None
    if opened is not None:
        total += min(end, dt.datetime.now(dt.UTC)) - opened
    return round(max(total, dt.timedelta()).total_seconds() / 3600, 2)


def pin_exists(*, member: Member) -> bool:
    return KioskPin.objects.filter(member=member).exists()


@dataclass(frozen=True)
class MyAttendance:
    """The member's attendance as their page shows it, in their time zone."""

    clocked_in: bool
    hours_today: float
    hours_week: float
    punches: list[Punch]
    """This week's punches, newest first."""


def my_attendance(*, member: Member, today: dt.date | None = None) -> MyAttendance:
    zone = member_zone(member)
    tz = zoneinfo.ZoneInfo(zone)
    today = today or dt.datetime.now(tz).date()
    monday = today - dt.timedelta(days=today.weekday())
    days = [monday + dt.timedelta(days=i) for i in range((today - monday).days + 1)]
    start, _ = _day_bounds(monday, zone)
    _, end = _day_bounds(today, zone)
    punches = list(
        Punch.objects.filter(member=member, at__gte=start, at__lt=end)
        .select_related("device")
        .order_by("-at", "-pk")
    )
    last = Punch.objects.filter(member=member).order_by("-at", "-pk").first()
    clocked_in = (
        last is not None
        and last.direction == Direction.IN
        and dt.datetime.now(dt.UTC) - last.at <= dt.timedelta(hours=OPEN_SHIFT_HOURS)
    )
    return MyAttendance(
        clocked_in=clocked_in,
        hours_today=hours_on(member=member, day=today, zone=zone),
        hours_week=round(sum(hours_on(member=member, day=d, zone=zone) for d in days), 2),
        punches=punches,
    )
