"""The attendance rules of a day, with no database: on time, late within and beyond the grace,
left early, half day, absent, public holidays (Chuseok 2026, Gaecheonjeol on a Saturday),
weekends, full and half-day leave, an open shift, duplicate punches, a day in progress, the
break, a night shift, and times in Asia/Seoul given as UTC."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import holidays
import pytest

from peeka.workplace.attendance import rules
from peeka.workplace.attendance.rules import Mark, Schedule

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
NINE_TO_SIX = Schedule(
    start=dt.time(9),
    end=dt.time(18),
    break_minutes=60,
    late_grace_minutes=10,
    early_grace_minutes=5,
    half_day_minutes=240,
    absent_minutes=60,
)
MONDAY = dt.date(2026, 12, 7)
LATER = dt.datetime(2027, 1, 4, 12, tzinfo=SEOUL)
"""A "now" long after the days under test."""


def at(hour: int, minute: int = 0, day: dt.date = MONDAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SEOUL)


def marks(*times: tuple[str, dt.datetime]) -> list[Mark]:
    return [Mark(at=when, direction=direction) for direction, when in times]


def status(
    punches: list[Mark],
    *,
    day: dt.date = MONDAY,
    now: dt.datetime = LATER,
    holiday: str = "",
    leave: str = "",
    schedule: Schedule = NINE_TO_SIX,
) -> rules.DayStatus:
    return rules.day_status(
        day=day,
        schedule=schedule,
        punches=punches,
        zone=SEOUL,
        now=now,
        holiday=holiday,
        leave_type=leave,
    )


def test_a_full_day_on_time_is_present_with_the_break_taken_off() -> None:
    s = status(marks(("in", at(8, 55)), ("out", at(18, 2))))
    assert s.status == "present"
    assert s.first_in == at(8, 55) and s.last_out == at(18, 2)
    assert s.worked_minutes == 9 * 60 + 7 - 60
    assert s.expected_minutes == 8 * 60
    assert (s.late_minutes, s.early_minutes, s.overtime_minutes) == (0, 0, 7)
    assert s.flags == ()


def test_late_within_the_grace_is_on_time_and_beyond_it_counts_from_the_start() -> None:
    within = status(marks(("in", at(9, 10)), ("out", at(18))))
    assert within.status == "present" and within.late_minutes == 0
    beyond = status(marks(("in", at(9, 11)), ("out", at(18))))
    assert beyond.status == "late" and beyond.late_minutes == 11
    assert beyond.worked_minutes == 8 * 60 - 11 and beyond.overtime_minutes == 0


def test_leaving_early_and_both() -> None:
    early = status(marks(("in", at(9)), ("out", at(17, 30))))
    assert early.status == "left_early" and early.early_minutes == 30
    within = status(marks(("in", at(9)), ("out", at(17, 55))))
    assert within.status == "present" and within.early_minutes == 0
    both = status(marks(("in", at(9, 30)), ("out", at(17))))
    assert both.status == "late_and_early"
    assert (both.late_minutes, both.early_minutes) == (30, 60)


def test_a_short_day_is_a_half_day_and_a_very_short_one_absent() -> None:
    half = status(marks(("in", at(9)), ("out", at(12))))
    assert half.status == "half_day" and half.worked_minutes == 180
    # Up to 4 hours no break is taken off; 4 h 30 min leaves 4 h.
    four = status(marks(("in", at(9)), ("out", at(13, 30))))
    assert four.status == "left_early" and four.worked_minutes == 240
    short = status(marks(("in", at(9)), ("out", at(9, 40))))
    assert short.status == "absent" and short.worked_minutes == 40


def test_no_punch_on_a_past_working_day_is_absent() -> None:
    s = status([])
    assert s.status == "absent" and s.first_in is None and s.worked_minutes == 0
    assert s.expected_minutes == 480


def test_public_holidays_of_korea_from_the_holidays_package() -> None:
    korea = holidays.country_holidays("KR", years=2026)
    chuseok = [dt.date(2026, 9, 24), dt.date(2026, 9, 25), dt.date(2026, 9, 26)]
    assert all(day in korea for day in chuseok)
    for day in chuseok:
        s = status([], day=day, holiday=str(korea.get(day)))
        assert s.status == "holiday" and s.holiday and s.expected_minutes == 0
    # Gaecheonjeol falls on a Saturday: a holiday either way; Monday 5 October makes up for it.
    foundation = dt.date(2026, 10, 3)
    assert foundation.isoweekday() == 6 and foundation in korea
    assert status([], day=foundation, holiday=str(korea.get(foundation))).status == "holiday"
    assert dt.date(2026, 10, 5) in korea
    # Working on a holiday is all overtime, and flagged.
    worked = status(
        marks(("in", at(10, day=chuseok[1])), ("out", at(14, day=chuseok[1]))),
        day=chuseok[1],
        holiday="Chuseok",
    )
    assert worked.status == "holiday" and worked.overtime_minutes == 240
    assert worked.flags == ("off_day_work",)


def test_a_weekend_is_a_day_off_and_a_schedule_names_its_working_days() -> None:
    saturday = dt.date(2026, 12, 12)
    assert status([], day=saturday).status == "weekend"
    six_days = Schedule(start=dt.time(9), end=dt.time(18), workdays=frozenset(range(1, 7)))
    assert status([], day=saturday, schedule=six_days).status == "absent"


def test_full_leave_and_half_day_leave_expecting_half_a_day() -> None:
    leave = status([], leave="annual")
    assert leave.status == "leave" and leave.leave_type == "annual" and leave.expected_minutes == 0
    assert status([], leave="sick").status == "leave"
    # The afternoon off: the morning is expected, 09:00 to 13:00.
    afternoon_off = status(marks(("in", at(8, 58)), ("out", at(13, 1))), leave="half_pm")
    assert afternoon_off.status == "half_leave" and afternoon_off.expected_minutes == 240
    # 4 h 3 min: past 4 hours the break begins, so 4 hours count.
    assert afternoon_off.worked_minutes == 240 and afternoon_off.overtime_minutes == 0
    # The morning off: 14:00 to 18:00 is expected; coming at 14:30 is late by 30 minutes.
    morning_off = status(marks(("in", at(14, 30)), ("out", at(18))), leave="half_am")
    assert morning_off.status == "late" and morning_off.late_minutes == 30
    assert status(marks(("in", at(13, 55)), ("out", at(18))), leave="half_am").status == (
        "half_leave"
    )
    assert status([], leave="half_am").status == "absent"
    # Leave on a Saturday inside a booking is still a day off.
    assert status([], day=dt.date(2026, 12, 12), leave="annual").status == "weekend"


def test_an_in_with_no_out_after_16_hours_is_an_open_shift() -> None:
    s = status(marks(("in", at(9))))
    assert s.status == "open" and s.flags == ("open_shift",)
    assert s.first_in == at(9) and s.last_out is None and s.worked_minutes == 0
    # Flagged by the punches (the next "in" closed it) counts the same, whatever the clock.
    flagged = [Mark(at=at(9), direction="in", open_shift=True)]
    assert status(flagged, now=at(20)).status == "open"
    # Corrected later with the missing "out" (through an approval): an ordinary day again.
    corrected = [*flagged, Mark(at=at(18), direction="out")]
    assert list(rules.shift_days(corrected, SEOUL)) == [MONDAY]
    fixed = status(corrected)
    assert fixed.status == "present" and fixed.worked_minutes == 480 and fixed.flags == ()


def test_duplicate_punches_the_first_in_and_the_last_out_count() -> None:
    s = status(
        marks(
            ("in", at(8, 50)),
            ("in", at(9, 20)),
            ("out", at(12)),
            ("in", at(13)),
            ("out", at(18)),
            ("out", at(18, 30)),
        )
    )
    assert s.status == "present" and s.first_in == at(8, 50) and s.last_out == at(18, 30)
    # 3 h 10 min + 5 h 30 min worked; the hour punched out at lunch is the break already.
    assert s.worked_minutes == 190 + 330 and s.overtime_minutes == 40
    assert s.flags == ("repeated",)
    lone_out = status(marks(("out", at(18))))
    assert lone_out.status == "absent" and lone_out.flags == ("no_in",)


def test_a_day_in_progress_is_neither_absent_nor_left_early_yet() -> None:
    before_work = status([], now=at(8, 30))
    assert before_work.status == "future" and before_work.in_progress
    not_in_yet = status([], now=at(9, 40))
    assert not_in_yet.status == "late" and not_in_yet.late_minutes == 40
    assert not_in_yet.flags == ("in_progress", "not_in_yet")
    still_in = status(marks(("in", at(9))), now=at(11))
    assert still_in.status == "present" and still_in.worked_minutes == 120
    assert still_in.last_out is None and still_in.in_progress
    out_for_lunch = status(marks(("in", at(9)), ("out", at(12))), now=at(12, 30))
    assert out_for_lunch.status == "present" and out_for_lunch.early_minutes == 0
    # After the schedule's end, still in: overtime so far, not an open shift.
    evening = status(marks(("in", at(9))), now=at(20))
    assert evening.status == "present" and evening.overtime_minutes == 120
    tomorrow = status([], day=MONDAY + dt.timedelta(days=1), now=at(12))
    assert tomorrow.status == "future" and not tomorrow.in_progress
    assert status([], day=MONDAY + dt.timedelta(days=1), now=at(12), leave="annual").status == (
        "leave"
    )


def test_times_given_in_utc_are_read_in_seoul() -> None:
    utc = [
        Mark(at=dt.datetime(2026, 12, 7, 0, 5, tzinfo=dt.UTC), direction="in"),  # 09:05 KST
        Mark(at=dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC), direction="out"),  # 18:00 KST
    ]
    s = status(utc)
    assert s.status == "present" and s.first_in == at(9, 5) and s.worked_minutes == 475
    grouped = rules.shift_days(utc, SEOUL)
    assert list(grouped) == [MONDAY]
    # The same punches, 09:05 UTC to 18:00 UTC, are an evening in Seoul: 18:05 to 03:00.
    evening = [
        Mark(at=dt.datetime(2026, 12, 7, 9, 5, tzinfo=dt.UTC), direction="in"),
        Mark(at=dt.datetime(2026, 12, 7, 18, 0, tzinfo=dt.UTC), direction="out"),
    ]
    assert list(rules.shift_days(evening, SEOUL)) == [MONDAY]  # the out after midnight too
    late = status(evening)
    assert late.status == "late" and late.late_minutes == 9 * 60 + 5


def test_a_night_shift_ends_the_next_day() -> None:
    night = Schedule(start=dt.time(22), end=dt.time(6), break_minutes=60)
    assert night.expected_minutes == 7 * 60
    s = status(
        marks(("in", at(21, 55)), ("out", at(6, 5, day=MONDAY + dt.timedelta(days=1)))),
        schedule=night,
    )
    assert s.status == "present" and s.worked_minutes == 8 * 60 + 10 - 60


def test_a_month_adds_up() -> None:
    days = [
        status(marks(("in", at(9)), ("out", at(18)))),
        status(marks(("in", at(9, 30)), ("out", at(18)))),
        status(marks(("in", at(9)), ("out", at(17)))),
        status([]),
        status([], leave="annual"),
        status(marks(("in", at(9)), ("out", at(13))), leave="half_pm"),
        status([], day=dt.date(2026, 12, 12)),
        status(marks(("in", at(9)))),
    ]
    total = rules.totals(days)
    assert (total.present, total.late, total.left_early, total.absent) == (5, 1, 1, 1)
    assert total.open_shifts == 1 and total.leave_days == 1.5 and total.days == 8
    assert total.worked_minutes == 480 + 450 + 420 + 240
    assert str(total.worked_hours) == "26.50"
    assert (total + total).late == 2


@pytest.mark.parametrize(
    ("gross", "gaps", "taken"), [(240, 0, 0), (241, 0, 1), (300, 0, 60), (540, 30, 30)]
)
def test_the_break_is_taken_off_only_beyond_four_hours(gross: int, gaps: int, taken: int) -> None:
    assert rules.break_deduction(gross, gaps, 60) == taken
