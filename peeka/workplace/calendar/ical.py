"""A member's calendar as an iCalendar file (RFC 5545) for calendar apps to subscribe to:
events with stable UIDs, their times in their own zone (TZID, with its VTIMEZONE), a repeating
event as its RRULE, and public holidays as all-day events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from django.utils import timezone
from icalendar import Calendar, vRecur
from icalendar import Event as VEvent

from peeka.workplace.calendar.models import Event, Scope
from peeka.workplace.calendar.public_holidays import Holiday

PRODUCT = "-//Peeka//Workplace calendar//EN"


def calendar_file(
    *,
    events: Sequence[Event],
    holidays: Sequence[Holiday],
    name: str,
    first: dt.date,
    last: dt.date,
) -> bytes:
    """`events` and `holidays` as one VCALENDAR named after its member (`name`); `first` and
    `last` bound the days it covers (for the time zones' definitions)."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Peeka · {name}")
    stamp = timezone.now().astimezone(dt.UTC)
    earliest = first
    for event in events:
        calendar.add_component(_vevent(event))
        earliest = min(earliest, event.start.date())
    on_day: dict[dt.date, int] = {}
    for holiday in holidays:
        on_day[holiday.date] = on_day.get(holiday.date, 0) + 1
        calendar.add_component(_holiday(holiday, on_day[holiday.date], stamp))
    calendar.add_missing_timezones(
        first_date=max(earliest, dt.date(1970, 1, 1)) - dt.timedelta(days=1),
        last_date=last + dt.timedelta(days=366),
    )
    data: bytes = calendar.to_ical()
    return data


def _vevent(event: Event) -> VEvent:
    zone = ZoneInfo(event.time_zone)
    vevent = VEvent()
    vevent.add("uid", f"event-{event.pk}@peeka")
    vevent.add("dtstamp", event.updated_at.astimezone(dt.UTC))
    vevent.add("last-modified", event.updated_at.astimezone(dt.UTC))
    vevent.add("summary", event.title)
    if event.all_day:
        vevent.add("dtstart", event.start.astimezone(zone).date())
        vevent.add("dtend", event.end.astimezone(zone).date())
    else:
        vevent.add("dtstart", event.start.astimezone(zone))
        vevent.add("dtend", event.end.astimezone(zone))
    if event.rrule:
        vevent.add("rrule", vRecur.from_ical(event.rrule))
    if event.description:
        vevent.add("description", event.description)
    if event.location:
        vevent.add("location", event.location)
    vevent.add("class", "PRIVATE" if event.scope == Scope.PERSONAL else "PUBLIC")
    return vevent


def _holiday(holiday: Holiday, nth: int, stamp: dt.datetime) -> VEvent:
    """The `nth` holiday of its day (two may share a day) as an all-day event."""
    vevent = VEvent()
    suffix = f"-{nth}" if nth > 1 else ""
    uid = f"holiday-{holiday.country.lower()}-{holiday.date:%Y%m%d}{suffix}@peeka"
    vevent.add("uid", uid)
    vevent.add("dtstamp", stamp)
    vevent.add("summary", holiday.name)
    vevent.add("dtstart", holiday.date)
    vevent.add("dtend", holiday.date + dt.timedelta(days=1))
    vevent.add("transp", "TRANSPARENT")
    vevent.add("categories", ["HOLIDAY"])
    return vevent
