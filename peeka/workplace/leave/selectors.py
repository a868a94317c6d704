"""Reads of the leave ledger: a member's balance on a date, and the entries behind it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum

from peeka.workplace.leave import policy
from peeka.workplace.leave.models import EntryKind, LeaveBooking, LeaveEntry, LeavePolicy
from peeka.workplace.org.models import Member


@dataclass(frozen=True)
class Balance:
    half_days: int

    @property
    def days(self) -> Decimal:
        """For display only: the ledger counts half days, as integers."""
        return Decimal(self.half_days) / 2


def leave_balance(*, member: Member, on: dt.date | None = None) -> Balance:
    """What `member` may still take on `on`: the grants due by then, less everything booked
    (leave booked for a later date is spent already; a grant due later is not there yet)."""
    entries = LeaveEntry.objects.filter(member=member)
    if on is not None:
        entries = entries.filter(Q(on_date__lte=on) | ~Q(kind=EntryKind.GRANT))
    total = entries.aggregate(total=Sum("half_days"))["total"]
    return Balance(int(total or 0))


def leave_entries(*, member: Member) -> list[LeaveEntry]:
    return list(LeaveEntry.objects.filter(member=member).order_by("on_date", "pk"))


def leave_bookings(
    *, start: dt.date, end: dt.date, members: Iterable[Member] | None = None
) -> list[LeaveBooking]:
    """Booked leave (not cancelled) that overlaps `start` to `end` (inclusive), of `members`
    when given, oldest first."""
    rows = LeaveBooking.objects.filter(cancelled_at=None, start__lte=end, end__gte=start)
    if members is not None:
        rows = rows.filter(member__in=list(members))
    return list(rows.select_related("member").order_by("start", "pk"))


def leave_days(*, member: Member, start: dt.date, end: dt.date) -> dict[dt.date, str]:
    """The days from `start` to `end` (inclusive) that `member` is on booked leave, each with
    its leave type; weekends and public holidays inside a booking included (the booking's
    half days count only working days)."""
    found: dict[dt.date, str] = {}
    for booking in leave_bookings(start=start, end=end, members=[member]):
        day = max(booking.start, start)
        while day <= min(booking.end, end):
            found[day] = booking.leave_type
            day += dt.timedelta(days=1)
    return found


def leave_rules() -> policy.Rules:
    """The administrator's rules (`LeavePolicy`), else the statutory ones."""
    row = LeavePolicy.objects.first()
    if row is None:
        return policy.STATUTORY
    return policy.Rules(
        first_year_max=row.first_year_max,
        base_days=row.base_days,
        every_years=row.every_years,
        max_days=row.max_days,
        expires=row.expires,
    )
