"""Reads of attendance by the month: a member's timesheet (a row a day, by `rules.day_status`,
with totals), a department's (a row a member, the departments below it included), the CSV of
each, today's status of many members for a dashboard, and who may see whose timesheet."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from peeka.security.spreadsheet import spreadsheet_cell
from peeka.workplace.attendance import rules
from peeka.workplace.attendance.models import (
    OPEN_SHIFT_HOURS,
    Punch,
    ScheduleAssignment,
    WorkSchedule,
)
from peeka.workplace.attendance.selectors import member_zone
from peeka.workplace.calendar.public_holidays import public_holidays
from peeka.workplace.leave.models import LeaveType
from peeka.workplace.leave.selectors import leave_days
from peeka.workplace.org.models import Department, Member, Role
from peeka.workplace.org.selectors import department_subtree, member_of

FIRST_YEAR, LAST_YEAR = 2000, 2100
_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")

STATUS_LABELS: dict[str, Promise] = {
    rules.PRESENT: pgettext_lazy("attendance status", "Present"),
    rules.LATE: pgettext_lazy("attendance status", "Late"),
    rules.LEFT_EARLY: pgettext_lazy("attendance status", "Left early"),
    rules.LATE_AND_EARLY: pgettext_lazy("attendance status", "Late and left early"),
    rules.HALF_DAY: pgettext_lazy("attendance status", "Half day"),
    rules.ABSENT: pgettext_lazy("attendance status", "Absent"),
    # Translators: a shift punched in but never punched out, to be corrected
    rules.OPEN: pgettext_lazy("attendance status", "Left open"),
    rules.LEAVE: pgettext_lazy("attendance status", "On leave"),
    rules.HALF_LEAVE: pgettext_lazy("attendance status", "Half-day leave"),
    rules.HOLIDAY: pgettext_lazy("attendance status", "Public holiday"),
    # Translators: a day that is not a working day in the member's schedule (e.g. Saturday)
    rules.WEEKEND: pgettext_lazy("attendance status", "Day off"),
    # Translators: a working day that has not come yet (or today before work starts)
    rules.FUTURE: pgettext_lazy("attendance status", "Not yet"),
}
"""Every status in words, for the pages and the CSV (never a color alone)."""

STATUS_BADGES: dict[str, str] = {
    rules.PRESENT: "text-bg-success",
    rules.LATE: "text-bg-warning",
    rules.LEFT_EARLY: "text-bg-warning",
    rules.LATE_AND_EARLY: "text-bg-warning",
    rules.HALF_DAY: "text-bg-info",
    rules.ABSENT: "text-bg-danger",
    rules.OPEN: "text-bg-danger",
    rules.LEAVE: "text-bg-primary",
    rules.HALF_LEAVE: "text-bg-primary",
    rules.HOLIDAY: "text-bg-secondary",
    rules.WEEKEND: "text-bg-light border",
    rules.FUTURE: "text-bg-light border",
}

FLAG_LABELS: dict[str, Promise] = {
    rules.FLAG_OPEN_SHIFT: gettext_lazy("Punched in but never out: ask for a correction"),
    rules.FLAG_NO_IN: gettext_lazy("Punched out without punching in"),
    rules.FLAG_REPEATED: gettext_lazy("Punched twice in a row: the first in and last out count"),
    rules.FLAG_OFF_DAY_WORK: gettext_lazy("Worked on a day off"),
    rules.FLAG_IN_PROGRESS: gettext_lazy("Day in progress"),
    rules.FLAG_NOT_IN_YET: gettext_lazy("Not in yet"),
}


# --- months --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    first: dt.date
    """The month's first day."""

    @property
    def end(self) -> dt.date:
        """The first day of the next month (the month's end, exclusive)."""
        return (self.first + dt.timedelta(days=32)).replace(day=1)

    @property
    def previous(self) -> Month:
        return Month((self.first - dt.timedelta(days=1)).replace(day=1))

    @property
    def next(self) -> Month:
        return Month(self.end)

    @property
    def key(self) -> str:
        return self.first.strftime("%Y-%m")

    @property
    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=i) for i in range((self.end - self.first).days)]


def month_of(text: str, *, today: dt.date) -> Month:
    """The month `text` names ("2026-12"); the month of `today` for anything else."""
    match = _MONTH.fullmatch(text.strip()[:10])
    if match is not None:
        year, number = int(match[1]), int(match[2])
        if FIRST_YEAR <= year <= LAST_YEAR and 1 <= number <= 12:
            return Month(dt.date(year, number, 1))
    return Month(today.replace(day=1))


# --- schedules -----------------------------------------------------------------------------


def schedule_default() -> WorkSchedule:
    """The default schedule; with none made the default, 09:00 to 18:00 on weekdays with an
    hour's break (an unsaved row)."""
    found = WorkSchedule.objects.filter(default=True).first()
    return found or WorkSchedule(name=gettext("Standard"), default=True)


def schedule_of(*, member: Member) -> WorkSchedule:
    return _schedules([member])[member.pk]


def _schedules(members: Sequence[Member]) -> dict[int, WorkSchedule]:
    assigned = {
        a.member_id: a.schedule
        for a in ScheduleAssignment.objects.filter(member__in=members).select_related("schedule")
    }
    default: WorkSchedule | None = None
    found: dict[int, WorkSchedule] = {}
    for member in members:
        schedule = assigned.get(member.pk)
        if schedule is None:
            default = default or schedule_default()
            schedule = default
        found[member.pk] = schedule
    return found


# --- days ----------------------------------------------------------------------------------


def _statuses(
    members: Sequence[Member], days: Sequence[dt.date], now: dt.datetime, language: str
) -> dict[int, list[rules.DayStatus]]:
    """Each member's status on each of `days` (consecutive), in the member's time zone."""
    if not members or not days:
        return {m.pk: [] for m in members}
    first, last = days[0], days[-1]
    # Punches from a little before and after: a night shift's "out" after midnight belongs to
    # the evening before, and the members' zones differ.
    margin = dt.timedelta(hours=OPEN_SHIFT_HOURS + 14)
    punches: dict[int, list[Punch]] = {m.pk: [] for m in members}
    for punch in Punch.objects.filter(
        member__in=members,
        at__gte=dt.datetime.combine(first, dt.time.min, tzinfo=dt.UTC) - margin,
        at__lt=dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
        + margin,
    ).order_by("at", "pk"):
        punches[punch.member_id].append(punch)
    holidays: dict[dt.date, str] = {}
    for holiday in public_holidays(start=first, end=last + dt.timedelta(days=1), language=language):
        holidays[holiday.date] = " · ".join(
            filter(None, [holidays.get(holiday.date), holiday.name])
        )
    schedules = _schedules(members)
    open_after = dt.timedelta(hours=OPEN_SHIFT_HOURS)
    found: dict[int, list[rules.DayStatus]] = {}
    for member in members:
        zone = zoneinfo.ZoneInfo(member_zone(member))
        schedule = schedules[member.pk].as_rules()
        leave = leave_days(member=member, start=first, end=last)
        by_day = rules.shift_days(punches[member.pk], zone, open_after)
        found[member.pk] = [
            rules.day_status(
                day=day,
                schedule=schedule,
                punches=by_day.get(day, []),
                zone=zone,
                now=now,
                holiday=holidays.get(day, ""),
                leave_type=leave.get(day, ""),
                open_after=open_after,
            )
            for day in days
        ]
    return found


def day_statuses(
    *,
    members: Iterable[Member],
    day: dt.date,
    now: dt.datetime | None = None,
    language: str | None = None,
) -> dict[int, rules.DayStatus]:
    """Each member's status on `day` (by member id): who is in, late, on leave or absent, for a
    dashboard of today."""
    chosen = list(members)
    found = _statuses(chosen, [day], now or timezone.now(), language or _language())
    return {pk: statuses[0] for pk, statuses in found.items()}


def _language() -> str:
    return translation.get_language() or "en"


# --- a member's month ----------------------------------------------------------------------


@dataclass(frozen=True)
class DayRow:
    """A day of a timesheet as the page shows it."""

    day: rules.DayStatus

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self.day.status])

    @property
    def badge(self) -> str:
        return STATUS_BADGES[self.day.status]

    @property
    def leave_label(self) -> str:
        leave = self.day.leave_type
        return str(LeaveType(leave).label) if leave in LeaveType.values else leave

    @property
    def flag_labels(self) -> list[str]:
        return [str(FLAG_LABELS[flag]) for flag in self.day.flags]

    @property
    def worked_hours(self) -> float:
        return round(self.day.worked_minutes / 60, 2)

    @property
    def overtime_hours(self) -> float:
        return round(self.day.overtime_minutes / 60, 2)


@dataclass(frozen=True)
class MemberTimesheet:
    member: Member
    month: Month
    schedule: WorkSchedule
    zone: str
    rows: list[DayRow]
    totals: rules.Totals


def member_timesheet(
    *, member: Member, month: Month, now: dt.datetime | None = None, language: str | None = None
) -> MemberTimesheet:
    """Every day of `month` for `member`, with the month's totals."""
    statuses = _statuses([member], month.days, now or timezone.now(), language or _language())
    days = statuses[member.pk]
    return MemberTimesheet(
        member=member,
        month=month,
        schedule=schedule_of(member=member),
        zone=member_zone(member),
        rows=[DayRow(d) for d in days],
        totals=rules.totals(days),
    )


# --- a department's month ------------------------------------------------------------------


@dataclass(frozen=True)
class MemberTotals:
    member: Member
    totals: rules.Totals


@dataclass(frozen=True)
class DepartmentTimesheet:
    department: Department
    month: Month
    rows: list[MemberTotals]
    totals: rules.Totals


def department_timesheet(
    *,
    department: Department,
    month: Month,
    now: dt.datetime | None = None,
    language: str | None = None,
) -> DepartmentTimesheet:
    """A row of month totals for each member of `department` and the departments below it:
    the active members and those who left but punched in the month."""
    codes = department_subtree(code=department.code)
    start = dt.datetime.combine(month.first, dt.time.min, tzinfo=dt.UTC) - dt.timedelta(days=1)
    end = dt.datetime.combine(month.end, dt.time.min, tzinfo=dt.UTC) + dt.timedelta(days=1)
    punched = Punch.objects.filter(at__gte=start, at__lt=end).values("member_id")
    members = list(
        Member.objects.filter(department__code__in=codes)
        .filter(Q(active=True) | Q(pk__in=punched))
        .select_related("department", "user")
        .order_by("department__code", "employee_number")
    )
    statuses = _statuses(members, month.days, now or timezone.now(), language or _language())
    rows = [MemberTotals(m, rules.totals(statuses[m.pk])) for m in members]
    return DepartmentTimesheet(
        department=department,
        month=month,
        rows=rows,
        totals=sum((r.totals for r in rows), rules.Totals()),
    )


# --- who sees what -------------------------------------------------------------------------

WHOLE_COMPANY = frozenset({Role.HR_ADMIN, Role.EXECUTIVE})


def _viewer(user: AbstractBaseUser | AnonymousUser) -> Member | None:
    member = member_of(user=user)
    return member if member is not None and member.active else None


def may_read_timesheets(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    """Active members (each at least their own) and the deployment's superusers."""
    return getattr(user, "is_superuser", False) or _viewer(user) is not None


def can_see_member(*, user: AbstractBaseUser | AnonymousUser, member: Member) -> bool:
    """A member sees their own timesheet; a manager those of their department and the ones
    below it; HR administrators, executives and superusers everyone's."""
    if getattr(user, "is_superuser", False):
        return True
    viewer = _viewer(user)
    if viewer is None:
        return False
    if viewer.pk == member.pk or viewer.role in WHOLE_COMPANY:
        return True
    return viewer.role == Role.MANAGER and member.department.code in department_subtree(
        code=viewer.department.code
    )


def can_see_department(*, user: AbstractBaseUser | AnonymousUser, department: Department) -> bool:
    """A manager sees their department and the ones below it; HR administrators, executives
    and superusers every department."""
    if getattr(user, "is_superuser", False):
        return True
    viewer = _viewer(user)
    if viewer is None:
        return False
    if viewer.role in WHOLE_COMPANY:
        return True
    return viewer.role == Role.MANAGER and department.code in department_subtree(
        code=viewer.department.code
    )


def member_by_number(*, employee_number: str) -> Member | None:
    """The member with that employee number, one who has left included (their past months)."""
    return (
        Member.objects.select_related("department", "user")
        .filter(employee_number__iexact=employee_number[:20])
        .first()
    )


def department_by_code(*, code: str) -> Department | None:
    return Department.objects.filter(code__iexact=code[:32]).first()


# --- CSV -----------------------------------------------------------------------------------

MEMBER_CSV_COLUMNS = (
    "employee_number",
    "name",
    "date",
    "status",
    "status_label",
    "first_in",
    "last_out",
    "worked_minutes",
    "late_minutes",
    "early_minutes",
    "overtime_minutes",
    "leave_type",
    "holiday",
    "flags",
)
"""A member's month as CSV: a row a day; times are HH:MM in the member's time zone."""
DEPARTMENT_CSV_COLUMNS = (
    "employee_number",
    "name",
    "department",
    "days_present",
    "late",
    "left_early",
    "absent",
    "open_shifts",
    "leave_days",
    "worked_hours",
    "overtime_hours",
)
"""A department's month as CSV: a row a member with the month's totals."""
BOM = "\ufeff"
"""Excel reads a CSV file as UTF-8 (and Korean and Chinese as written) only after this mark."""


def member_timesheet_csv(sheet: MemberTimesheet) -> str:
    zone = zoneinfo.ZoneInfo(sheet.zone)

    def clock(at: dt.datetime | None) -> str:
        return at.astimezone(zone).strftime("%H:%M") if at is not None else ""

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(MEMBER_CSV_COLUMNS)
    for row in sheet.rows:
        day = row.day
        writer.writerow(
            [
                spreadsheet_cell(value)
                for value in (
                    sheet.member.employee_number,
                    sheet.member.name,
                    day.day.isoformat(),
                    day.status,
                    row.label,
                    clock(day.first_in),
                    clock(day.last_out),
                    day.worked_minutes,
                    day.late_minutes,
                    day.early_minutes,
                    day.overtime_minutes,
                    day.leave_type,
                    day.holiday,
                    " ".join(day.flags),
                )
            ]
        )
    return BOM + out.getvalue()


def department_timesheet_csv(sheet: DepartmentTimesheet) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(DEPARTMENT_CSV_COLUMNS)
    for row in sheet.rows:
        t = row.totals
        writer.writerow(
            [
                spreadsheet_cell(value)
                for value in (
                    row.member.employee_number,
                    row.member.name,
                    row.member.department.code,
                    t.present,
                    t.late,
                    t.left_early,
                    t.absent,
                    t.open_shifts,
                    t.leave_days,
                    t.worked_hours,
                    t.overtime_hours,
                )
            ]
        )
    return BOM + out.getvalue()
