"""Reads of attendance: a device by its key, a day's punches, the hours worked in a day."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings

from peeka.workplace.attendance.models import Direction, KioskDevice, Punch
from peeka.workplace.attendance.services import key_hash
from peeka.workplace.org.models import Member


def kiosk_find(*, key: str) -> KioskDevice | None:
    """The active device whose key is `key` (None for an unknown or revoked key)."""
    if not key or len(key) > 200:
        return None
    return KioskDevice.objects.filter(key_hash=key_hash(key), active=True).first()


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
