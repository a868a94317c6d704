"""The attendance rules of one member's day, pure (no Django, no database): from the work
schedule, the day's punches, a public holiday and leave, the day's status with the minutes
late, early, worked and over the schedule; and a month's totals of such days.

Decisions, so a reader does not have to guess them:

- Punches pair up in time order; when they are ambiguous the first "in" of a run of "in"s and
  the last "out" of a run of "out"s count (`pair_punches`).
- A shift belongs to the day of its "in": an "out" after midnight closes the evening's "in"
  (`shift_days`).
- Break: once the day's worked time passes 4 hours the schedule's `break_minutes` is taken off,
  less any time the member punched out between two pairs (a lunch punched out is not taken off
  twice), and never below 4 hours (Korean Labour Standards Act art. 54 gives 30 minutes per
  4 hours, 60 per 8; one figure per schedule is what a small company keeps).
- Late and early minutes count from the schedule's start and end, but only beyond the grace:
  09:10 with a 10-minute grace is on time (0), 09:11 is 11 minutes late.
- Overtime is the worked time beyond the day's expected time (the schedule's span less its
  break); on a holiday, a weekend or a day of leave all worked time is overtime.
- A day still going on (today before the schedule's end, or an "in" not yet closed) is never
  "absent" or "left_early"; an "in" with no "out" after `OPEN_AFTER` is an open shift, flagged
  and counted as nothing worked, as `selectors.hours_on` does."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Protocol

HOLIDAY = "holiday"
WEEKEND = "weekend"
LEAVE = "leave"
HALF_LEAVE = "half_leave"
PRESENT = "present"
LATE = "late"
LEFT_EARLY = "left_early"
LATE_AND_EARLY = "late_and_early"
HALF_DAY = "half_day"
ABSENT = "absent"
OPEN = "open"
FUTURE = "future"
STATUSES = (
    PRESENT,
    LATE,
    LEFT_EARLY,
    LATE_AND_EARLY,
    HALF_DAY,
    ABSENT,
    OPEN,
    LEAVE,
    HALF_LEAVE,
    HOLIDAY,
    WEEKEND,
    FUTURE,
)

# Flags: what a reader of the timesheet should look at.
FLAG_OPEN_SHIFT = "open_shift"
"""An "in" with no "out" for longer than `OPEN_AFTER`: to be corrected."""
FLAG_NO_IN = "no_in"
"""An "out" with no "in" before it that day."""
FLAG_REPEATED = "repeated"
"""A second "in" or "out" in a row: the first "in" or the last "out" counted."""
FLAG_OFF_DAY_WORK = "off_day_work"
"""Punches on a public holiday, a non-working day or a day of full leave."""
FLAG_IN_PROGRESS = "in_progress"
"""The day is not over: today before the schedule's end, or the member is still in."""
FLAG_NOT_IN_YET = "not_in_yet"
"""Today after the start (and its grace) with no "in" yet."""
FLAGS = (
    FLAG_OPEN_SHIFT,
    FLAG_NO_IN,
    FLAG_REPEATED,
    FLAG_OFF_DAY_WORK,
    FLAG_IN_PROGRESS,
    FLAG_NOT_IN_YET,
)

IN, OUT = "in", "out"
HALF_MORNING, HALF_AFTERNOON = "half_am", "half_pm"
"""The leave types of half a day: the morning off (work the second half) or the afternoon."""
BREAK_AFTER_MINUTES = 240
OPEN_AFTER = dt.timedelta(hours=16)
"""As `models.OPEN_SHIFT_HOURS`, which the punches follow."""

ATTENDED_STATUSES = frozenset(
    {PRESENT, LATE, LEFT_EARLY, LATE_AND_EARLY, HALF_DAY, OPEN, HALF_LEAVE}
)
"""With an "in" that day, a day the member came to work (a holiday or leave worked is not)."""
LATE_STATUSES = frozenset({LATE, LATE_AND_EARLY})
EARLY_STATUSES = frozenset({LEFT_EARLY, LATE_AND_EARLY})


class PunchLike(Protocol):
    """What the rules read of a punch (`models.Punch` is one)."""

    @property
    def at(self) -> dt.datetime: ...

    @property
    def direction(self) -> str: ...

    @property
    def open_shift(self) -> bool: ...


@dataclass(frozen=True)
class Mark:
    """A punch as plain data (for tests and callers without a database row)."""

    at: dt.datetime
    direction: str
    open_shift: bool = False


@dataclass(frozen=True)
class Schedule:
    """A work schedule in the member's local time: `workdays` are ISO weekdays (1 = Monday);
    an `end` at or before `start` ends the next day (a night shift)."""

    start: dt.time
    end: dt.time
    workdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    break_minutes: int = 60
    late_grace_minutes: int = 0
    early_grace_minutes: int = 0
    half_day_minutes: int = 240
    """Worked less than this (and at least `absent_minutes`): a half day."""
    absent_minutes: int = 60
    """Worked less than this, or no punch on a working day: absent."""

    def window(self, day: dt.date, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(day, self.start, tzinfo=zone)
        end = dt.datetime.combine(day, self.end, tzinfo=zone)
        if end <= start:
            end += dt.timedelta(days=1)
        return start, end

    @property
    def span_minutes(self) -> int:
        start, end = self.window(dt.date(2001, 1, 1), dt.UTC)
        return _minutes(end - start)

    @property
    def expected_minutes(self) -> int:
        """A full day's worked time: the span less the break."""
        span = self.span_minutes
        return span - break_deduction(span, 0, self.break_minutes)


@dataclass(frozen=True)
class DayStatus:
    day: dt.date
    status: str
    first_in: dt.datetime | None = None
    last_out: dt.datetime | None = None
    """The last "out" that closed a pair (None while the member is in, or for an open shift
    with no pair before it)."""
    worked_minutes: int = 0
    late_minutes: int = 0
    early_minutes: int = 0
    overtime_minutes: int = 0
    expected_minutes: int = 0
    leave_type: str = ""
    holiday: str = ""
    """The public holiday's name, when the day is one."""
    flags: tuple[str, ...] = ()

    @property
    def in_progress(self) -> bool:
        return FLAG_IN_PROGRESS in self.flags


@dataclass(frozen=True)
class Paired:
    pairs: list[tuple[dt.datetime, dt.datetime]]
    dangling: PunchLike | None
    """The last "in" that no "out" followed."""
    flags: frozenset[str] = frozenset()


def pair_punches(punches: Iterable[PunchLike]) -> Paired:
    """Pairs of ("in", "out") times in order: of two "in"s in a row the first counts (unless
    it was left open: then the next "in" starts afresh), of two "out"s the last."""
    pairs: list[tuple[dt.datetime, dt.datetime]] = []
    opened: PunchLike | None = None
    flags: set[str] = set()
    for punch in sorted(punches, key=lambda p: p.at):
        if punch.direction == IN:
            if opened is None:
                opened = punch
            elif opened.open_shift:
                flags.add(FLAG_OPEN_SHIFT)
                opened = punch
            else:
                flags.add(FLAG_REPEATED)
        elif opened is not None:
            pairs.append((opened.at, punch.at))
            opened = None
        elif pairs:
            pairs[-1] = (pairs[-1][0], punch.at)
            flags.add(FLAG_REPEATED)
        else:
            flags.add(FLAG_NO_IN)
    return Paired(pairs, opened, frozenset(flags))


def shift_days(
    punches: Iterable[PunchLike], zone: dt.tzinfo, open_after: dt.timedelta = OPEN_AFTER
) -> dict[dt.date, list[PunchLike]]:
    """The punches grouped by the day of their shift, in `zone`: an "in" by its own date, an
    "out" by the date of the last "in" when that "in" is at most `open_after` earlier (so a
    night shift's "out" after midnight stays with its evening; so does an "out" added later by
    a correction to an "in" that was flagged as left open)."""
    days: dict[dt.date, list[PunchLike]] = {}
    last_in: PunchLike | None = None
    for punch in sorted(punches, key=lambda p: p.at):
        day = punch.at.astimezone(zone).date()
        if punch.direction == IN:
            last_in = punch
        elif last_in is not None and punch.at - last_in.at <= open_after:
            day = last_in.at.astimezone(zone).date()
        days.setdefault(day, []).append(punch)
    return days


def break_deduction(gross_minutes: int, gap_minutes: int, break_minutes: int) -> int:
    """What to take off `gross_minutes` worked for the break: nothing up to 4 hours, else the
    break less the time already punched out between pairs, never below 4 hours worked."""
    if gross_minutes <= BREAK_AFTER_MINUTES:
        return 0
    owed = max(0, break_minutes - gap_minutes)
    return min(owed, gross_minutes - BREAK_AFTER_MINUTES)


def day_status(
    *,
    day: dt.date,
    schedule: Schedule,
    punches: Sequence[PunchLike],
    zone: dt.tzinfo,
    now: dt.datetime,
    holiday: str = "",
    leave_type: str = "",
    open_after: dt.timedelta = OPEN_AFTER,
) -> DayStatus:
    """The status of `day` for a member with `schedule` and the day's `punches` (as
    `shift_days` groups them), `holiday` the public holiday's name if it is one, `leave_type`
    the member's booked leave that day ("" for none), all at the moment `now`."""
    today = now.astimezone(zone).date()
    paired = pair_punches(punches)
    flags = set(paired.flags)
    pairs = list(paired.pairs)
    last_out = pairs[-1][1] if pairs else None
    dangling = paired.dangling
    open_shift = dangling is not None and (dangling.open_shift or now - dangling.at > open_after)
    still_in = dangling is not None and not open_shift
    if open_shift:
        flags.add(FLAG_OPEN_SHIFT)
    if still_in and dangling is not None:
        pairs.append((dangling.at, max(now, dangling.at)))
        flags.add(FLAG_IN_PROGRESS)
    starts = [start for start, _ in pairs] + ([dangling.at] if dangling is not None else [])
    first_in = min(starts) if starts else None
    gross = sum(_minutes(end - start) for start, end in pairs)
    gaps = sum(_minutes(b[0] - a[1]) for a, b in itertools.pairwise(pairs))
    worked = gross - break_deduction(gross, max(0, gaps), schedule.break_minutes)
    base = DayStatus(
        day=day,
        status="",
        first_in=first_in,
        last_out=last_out,
        worked_minutes=worked,
        leave_type=leave_type,
        holiday=holiday,
    )

    half = leave_type in (HALF_MORNING, HALF_AFTERNOON)
    workday = day.isoweekday() in schedule.workdays
    if holiday or not workday or (leave_type and not half):
        status = HOLIDAY if holiday else WEEKEND if not workday else LEAVE
        if first_in is not None:
            flags.add(FLAG_OFF_DAY_WORK)
        return replace(
            base,
            status=OPEN if open_shift else status,
            overtime_minutes=worked,
            flags=_sorted(flags),
        )

    start, end = schedule.window(day, zone)
    expected = schedule.expected_minutes
    absent_below = schedule.absent_minutes
    if half:
        # Half the day's work: the afternoon for a morning off, the morning for an afternoon off.
        expected //= 2
        absent_below //= 2
        if leave_type == HALF_MORNING:
            start = end - dt.timedelta(minutes=expected)
        else:
            end = start + dt.timedelta(minutes=expected)
    base = replace(base, expected_minutes=expected)
    if day > today:
        return replace(base, status=HALF_LEAVE if half else FUTURE, flags=_sorted(flags))
    going_on = still_in or now < end
    if going_on:
        flags.add(FLAG_IN_PROGRESS)

    if first_in is None:
        late = _minutes(now - start) if going_on else 0
        if not going_on:
            status = ABSENT
        elif late > schedule.late_grace_minutes:
            status = LATE
            flags.add(FLAG_NOT_IN_YET)
        else:
            status, late = (HALF_LEAVE if half else FUTURE), 0
        return replace(base, status=status, late_minutes=late, flags=_sorted(flags))

    late = _minutes(first_in - start)
    late = late if late > schedule.late_grace_minutes else 0
    early = 0
    if not going_on and not open_shift and last_out is not None:
        early = _minutes(end - last_out)
        early = early if early > schedule.early_grace_minutes else 0
    if open_shift:
        status = OPEN
    elif not going_on and worked < absent_below:
        status = ABSENT
    elif not going_on and not half and worked < schedule.half_day_minutes:
        status = HALF_DAY
    elif late and early:
        status = LATE_AND_EARLY
    elif late:
        status = LATE
    elif early:
        status = LEFT_EARLY
    else:
        status = HALF_LEAVE if half else PRESENT
    return replace(
        base,
        status=status,
        late_minutes=late,
        early_minutes=early,
        overtime_minutes=max(0, worked - expected),
        flags=_sorted(flags),
    )


@dataclass(frozen=True)
class Totals:
    """A month (or any run) of days added up."""

    present: int = 0
    """Working days the member came in (late, early, half days and open shifts included)."""
    late: int = 0
    left_early: int = 0
    absent: int = 0
    open_shifts: int = 0
    leave_half_days: int = 0
    worked_minutes: int = 0
    overtime_minutes: int = 0
    days: int = field(default=0, compare=False)

    @property
    def leave_days(self) -> Decimal:
        return Decimal(self.leave_half_days) / 2

    @property
    def worked_hours(self) -> Decimal:
        return _hours(self.worked_minutes)

    @property
    def overtime_hours(self) -> Decimal:
        return _hours(self.overtime_minutes)

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            present=self.present + other.present,
            late=self.late + other.late,
            left_early=self.left_early + other.left_early,
            absent=self.absent + other.absent,
            open_shifts=self.open_shifts + other.open_shifts,
            leave_half_days=self.leave_half_days + other.leave_half_days,
            worked_minutes=self.worked_minutes + other.worked_minutes,
            overtime_minutes=self.overtime_minutes + other.overtime_minutes,
            days=self.days + other.days,
        )


def totals(statuses: Iterable[DayStatus]) -> Totals:
    present = late = early = absent = open_shifts = leave = worked = overtime = days = 0
    for s in statuses:
        days += 1
        present += (
            s.first_in is not None and s.expected_minutes > 0 and s.status in ATTENDED_STATUSES
        )
        late += s.status in LATE_STATUSES
        early += s.status in EARLY_STATUSES
        absent += s.status == ABSENT
        open_shifts += s.status == OPEN
        if s.status == LEAVE:
            leave += 2
        elif s.leave_type in (HALF_MORNING, HALF_AFTERNOON) and s.status not in (
            HOLIDAY,
            WEEKEND,
        ):
            leave += 1
        worked += s.worked_minutes
        overtime += s.overtime_minutes
    return Totals(present, late, early, absent, open_shifts, leave, worked, overtime, days)


def _minutes(delta: dt.timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


def _sorted(flags: set[str]) -> tuple[str, ...]:
    return tuple(f for f in FLAGS if f in flags)
