"""Reads for the two everyday dashboards: the member's day (clock state, hours this week, leave
balance, what waits for their decision, latest notices, unread messages, today's calendar) and
the HR administrator's company view (who is in, late, on leave or absent today; documents
waiting for a decision across the company)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext

from peeka.workplace.approvals.models import Document, State
from peeka.workplace.approvals.selectors import inbox
from peeka.workplace.attendance.models import OPEN_SHIFT_HOURS, Direction, Punch
from peeka.workplace.attendance.rules import (
    ABSENT,
    FLAG_NOT_IN_YET,
    HALF_LEAVE,
    LATE,
    LATE_AND_EARLY,
    LEAVE,
    DayStatus,
)
from peeka.workplace.attendance.selectors import MyAttendance, member_zone, my_attendance
from peeka.workplace.attendance.timesheets import STATUS_BADGES, STATUS_LABELS, day_statuses
from peeka.workplace.calendar.selectors import Entry, calendar_entries
from peeka.workplace.leave.models import LeaveBooking
from peeka.workplace.leave.selectors import Balance, leave_balance, leave_bookings
from peeka.workplace.messages.models import Delivery
from peeka.workplace.messages.selectors import recent_unread, unread_count
from peeka.workplace.notices.models import Post
from peeka.workplace.notices.selectors import latest_notices
from peeka.workplace.org.models import Member

LIST_SIZE = 5
UPCOMING_DAYS = 14


@dataclass(frozen=True)
class MyDay:
    member: Member
    attendance: MyAttendance
    balance: Balance
    to_approve: list[Document]
    to_approve_count: int
    notices: list[Post]
    unread: list[Delivery]
    unread_count: int
    today: list[Entry]


def my_day(*, member: Member, language: str) -> MyDay:
    zone = zoneinfo.ZoneInfo(member_zone(member))
    today = timezone.now().astimezone(zone).date()
    waiting = inbox(member=member, box="to_approve")
    return MyDay(
        member=member,
        attendance=my_attendance(member=member, today=today),
        balance=leave_balance(member=member, on=today),
        to_approve=list(waiting[:LIST_SIZE]),
        to_approve_count=waiting.count(),
        notices=latest_notices(member=member, limit=LIST_SIZE),
        unread=recent_unread(member=member, limit=LIST_SIZE),
        unread_count=unread_count(member=member),
        today=calendar_entries(
            member=member,
            start=today,
            end=today + dt.timedelta(days=1),
            language=language,
            zone=zone,
        ),
    )


@dataclass(frozen=True)
class MemberToday:
    member: Member
    status: DayStatus
    is_in: bool

    @property
    def label(self) -> str:
        if FLAG_NOT_IN_YET in self.status.flags:
            return gettext("Not in yet")
        return str(STATUS_LABELS[self.status.status])

    @property
    def badge(self) -> str:
        if FLAG_NOT_IN_YET in self.status.flags:
            return "text-bg-light border"
        return STATUS_BADGES[self.status.status]


@dataclass(frozen=True)
class CompanyDay:
    day: dt.date
    members: list[MemberToday]
    pending: list[Document]
    pending_count: int
    upcoming_leave: list[LeaveBooking]
    """Booked leave from today to `UPCOMING_DAYS` ahead."""

    def _count(self, statuses: tuple[str, ...]) -> int:
        return sum(1 for m in self.members if m.status.status in statuses)

    @property
    def in_now(self) -> int:
        return sum(1 for m in self.members if m.is_in)

    @property
    def late(self) -> int:
        """Came in late (not counting those who have not come in yet)."""
        return sum(
            1
            for m in self.members
            if m.status.status in (LATE, LATE_AND_EARLY) and FLAG_NOT_IN_YET not in m.status.flags
        )

    @property
    def not_in_yet(self) -> int:
        return sum(1 for m in self.members if FLAG_NOT_IN_YET in m.status.flags)

    @property
    def on_leave(self) -> int:
        return self._count((LEAVE, HALF_LEAVE))

    @property
    def absent(self) -> int:
        return self._count((ABSENT,))


def company_day(*, day: dt.date, language: str, now: dt.datetime | None = None) -> CompanyDay:
    """Every active member's status on `day` (`day_statuses`, the attendance rules) as of
    `now`, who is in (their last punch an "in" within the open-shift limit), and the documents
    in progress, oldest first."""
    now = now or timezone.now()
    members = list(
        Member.objects.filter(active=True)
        .select_related("department", "user")
        .order_by("department__code", "name")
    )
    statuses = day_statuses(members=members, day=day, now=now, language=language)
    last = Punch.objects.filter(member=OuterRef("pk"), at__lte=now).order_by("-at", "-pk")
    recent = now - dt.timedelta(hours=OPEN_SHIFT_HOURS)
    inside = set(
        Member.objects.filter(active=True)
        .annotate(
            last_direction=Subquery(last.values("direction")[:1]),
            last_at=Subquery(last.values("at")[:1]),
        )
        .filter(last_direction=Direction.IN, last_at__gte=recent)
        .values_list("pk", flat=True)
    )
    pending = Document.objects.filter(state=State.IN_PROGRESS).select_related(
        "drafter", "form", "department"
    )
    return CompanyDay(
        day=day,
        members=[MemberToday(m, statuses[m.pk], m.pk in inside) for m in members],
        pending=list(pending.order_by("submitted_at", "pk")[: LIST_SIZE * 2]),
        pending_count=pending.count(),
        upcoming_leave=leave_bookings(start=day, end=day + dt.timedelta(days=UPCOMING_DAYS)),
    )
