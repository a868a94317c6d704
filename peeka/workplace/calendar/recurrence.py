"""Repeat rules of events (RFC 5545 RRULE): checked and written in one canonical form when an
event is saved (`rule_normalize`), expanded with dateutil only inside a window of time
(`occurrence_starts`), in the event's own time zone, so a weekly 09:00 meeting stays at 09:00
across a daylight-saving change.

The canonical form keeps the iCalendar feed honest: UNTIL is UTC for a timed event and a date
for an all-day one, as RFC 5545 asks of an event whose start has a TZID (or is a date)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rruleset, rrulestr
from icalendar import vRecur

from peeka.errors import PeekaError, gettext_noop

MAX_OCCURRENCES = 500
"""At most this many occurrences of one event in any window read."""
MAX_RULE_LENGTH = 500
MAX_NUMBER = 10_000
"""The largest INTERVAL or COUNT."""
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
TOO_FREQUENT = ("SECONDLY", "MINUTELY", "HOURLY")
PARTS = (
    "FREQ",
    "INTERVAL",
    "COUNT",
    "UNTIL",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
)
"""The RFC 5545 parts a rule may have, in the order the canonical form writes them."""
TIME_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
"""Refused: an event's times come from its start, and these would repeat it within a day."""
REPEAT_WITHIN_YEARS = 100
"""A rule must repeat within this many years of the start: one that never does (the 31st of
February) would keep dateutil searching up to the year 9999."""
_UNTIL = re.compile(r"(\d{8})(?:T(\d{6})(Z?))?")
_GREGORIAN_CYCLE_YEARS = 400
"""Dates, weekdays and leap years repeat exactly every 400 years."""


class RuleError(PeekaError):
    code = "event_rule_invalid"


def rule_normalize(text: str, *, start: dt.datetime, all_day: bool, zone: ZoneInfo) -> str:
    """The rule `text` (with or without "RRULE:", any case) in canonical form, or "" for no
    rule; `RuleError` for a rule that is not RFC 5545, repeats more often than daily, sets
    times of day, or never repeats. `start` is the event's (aware) start."""
    text = text.strip()
    if not text:
        return ""
    if len(text) > MAX_RULE_LENGTH:
        raise RuleError(gettext_noop("A repeat rule has at most 500 characters."))
    text = text.upper()
    text = text.removeprefix("RRULE:")
    if re.search(r"[\s:]", text):
        raise RuleError(
            gettext_noop(
                "Write one rule such as FREQ=WEEKLY;BYDAY=MO, without DTSTART or other lines."
            )
        )
    parts = _parts(text)
    frequency = parts.get("FREQ", "")
    if frequency in TOO_FREQUENT:
        raise RuleError(
            gettext_noop("Events repeat at most daily: FREQ=%(freq)s is refused."),
            code="event_rule_too_frequent",
            params={"freq": frequency},
        )
    if frequency not in FREQUENCIES:
        raise RuleError(
            gettext_noop("A repeat rule starts with FREQ=DAILY, WEEKLY, MONTHLY or YEARLY.")
        )
    if "COUNT" in parts and "UNTIL" in parts:
        raise RuleError(gettext_noop("A repeat rule ends by COUNT or by UNTIL, not both."))
    for name in ("INTERVAL", "COUNT"):
        value = parts.get(name)
        if value is not None and not (value.isdigit() and 1 <= int(value) <= MAX_NUMBER):
            raise RuleError(
                gettext_noop("%(part)s is a whole number from 1 to 10000."), params={"part": name}
            )
    local = _local_start(start, all_day, zone)
    if "UNTIL" in parts:
        parts["UNTIL"] = _until_canonical(parts["UNTIL"], local, all_day, zone)
    canonical = ";".join(f"{name}={parts[name]}" for name in PARTS if name in parts)
    try:
        rule = _rule(canonical, local, all_day, zone)
        vRecur.from_ical(canonical)  # what the feed writes must read back
    except (ValueError, TypeError, OverflowError, KeyError, IndexError):
        raise RuleError(_INVALID) from None
    if not _repeats(rule, local):
        raise RuleError(
            gettext_noop("This rule never repeats the event; check its days and months."),
            code="event_rule_never",
        )
    return canonical


_INVALID = gettext_noop("This repeat rule is not valid. Write it like FREQ=WEEKLY;BYDAY=MO,WE.")


def _parts(text: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for item in filter(None, text.split(";")):
        name, equals, value = item.partition("=")
        if not equals or not value:
            raise RuleError(_INVALID)
        if name in TIME_PARTS:
            raise RuleError(
                gettext_noop("An event repeats at its start time: remove %(part)s."),
                params={"part": name},
            )
        if name not in PARTS:
            raise RuleError(
                gettext_noop("%(part)s is not a part of a repeat rule this calendar knows."),
                params={"part": name},
            )
        if name in parts:
            raise RuleError(
                gettext_noop("%(part)s appears twice in the rule."), params={"part": name}
            )
        parts[name] = value
    return parts


def _local_start(start: dt.datetime, all_day: bool, zone: ZoneInfo) -> dt.datetime:
    """The start as a wall-clock time in `zone` (midnight for an all-day event), without a
    zone: dateutil then steps in wall-clock time, which is what keeps 09:00 at 09:00."""
    local = start.astimezone(zone).replace(tzinfo=None)
    return dt.datetime.combine(local.date(), dt.time()) if all_day else local


def _until_canonical(value: str, local: dt.datetime, all_day: bool, zone: ZoneInfo) -> str:
    """UNTIL as a date (all-day events) or a UTC time (timed ones). A date alone ends a timed
    rule at the end of that day; a time without Z is a time in the event's zone."""
    match = _UNTIL.fullmatch(value)
    if match is None:
        raise RuleError(_INVALID)
    day, time, utc = match.groups()
    try:
        date = dt.datetime.strptime(day, "%Y%m%d").date()
        clock = dt.datetime.strptime(time, "%H%M%S").time() if time else dt.time(23, 59, 59)
    except ValueError:
        raise RuleError(_INVALID) from None
    until = dt.datetime.combine(date, clock, tzinfo=dt.UTC if utc else zone)
    if all_day:
        return until.astimezone(zone).strftime("%Y%m%d")
    return until.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _rule(canonical: str, local: dt.datetime, all_day: bool, zone: ZoneInfo) -> rrule:
    """The dateutil rule of a canonical rule, stepping from the wall-clock start `local`; its
    UNTIL turned into a wall-clock time as well (dateutil wants both alike)."""
    parts = dict(item.split("=", 1) for item in canonical.split(";"))
    until_text = parts.pop("UNTIL", None)
    text = ";".join(f"{k}={v}" for k, v in parts.items())
    rule = rrulestr(text, dtstart=local, ignoretz=True)
    if not isinstance(rule, rrule):  # pragma: no cover - a single RRULE line is one rule
        raise ValueError(canonical)
    if until_text is not None:
        if all_day:
            until = dt.datetime.strptime(until_text, "%Y%m%d")
        else:
            aware = dt.datetime.strptime(until_text, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
            until = aware.astimezone(zone).replace(tzinfo=None)
        rule = rule.replace(until=until)
    return rule


def _repeats(rule: rrule, local: dt.datetime) -> bool:
    """Whether the rule's pattern (COUNT and UNTIL left aside) has an occurrence after the
    start within `REPEAT_WITHIN_YEARS`. dateutil searches an impossible pattern up to the year
    9999 whatever its UNTIL, so the question is asked of the same start moved whole Gregorian
    cycles later, near that year: the answer is the same, and the search short."""
    cycles = (9999 - REPEAT_WITHIN_YEARS - local.year) // _GREGORIAN_CYCLE_YEARS
    shifted = local.replace(year=local.year + cycles * _GREGORIAN_CYCLE_YEARS)
    probe = rule.replace(dtstart=shifted, until=None, count=None)
    following = probe.after(shifted)
    if following is None:
        return False
    return following.year - shifted.year <= REPEAT_WITHIN_YEARS


def occurrence_starts(
    *,
    rule: str,
    start: dt.datetime,
    all_day: bool,
    zone: ZoneInfo,
    after: dt.datetime,
    before: dt.datetime,
    limit: int = MAX_OCCURRENCES,
) -> list[dt.datetime]:
    """The starts (aware, in `zone`) of the occurrences of an event starting at `start` with
    the canonical rule `rule`, from `after` (inclusive) to `before` (exclusive), at most
    `limit`. The start itself always counts as the first occurrence (RFC 5545), whether or not
    the rule matches it."""
    local = _local_start(start, all_day, zone)
    rules = rruleset()
    rules.rrule(_rule(rule, local, all_day, zone))
    rules.rdate(local)
    # Compared in wall-clock time with a day's margin (a zone is at most 26 hours from
    # another), then exactly once each occurrence has its zone again.
    low = after.astimezone(zone).replace(tzinfo=None) - dt.timedelta(days=1)
    high = before.astimezone(zone).replace(tzinfo=None) + dt.timedelta(days=1)
    found: list[dt.datetime] = []
    for occurrence in rules.xafter(low, inc=True):
        if occurrence >= high or len(found) >= limit:
            break
        aware = occurrence.replace(tzinfo=zone)
        if after <= aware < before:
            found.append(aware)
    return found
