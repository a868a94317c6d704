"""Writes of the leave ledger: statutory grants up to a date (idempotent: one grant a period,
enforced by a unique constraint), an administrator's adjustment, and approved leave booked
(its days taken from the ledger) or cancelled before it starts (given back)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from peeka.errors import PeekaError, gettext_noop
from peeka.workplace.calendar.public_holidays import public_holidays
from peeka.workplace.leave import policy
from peeka.workplace.leave.models import (
    BALANCE_TYPES,
    HALF_DAY_TYPES,
    EntryKind,
    LeaveBooking,
    LeaveEntry,
    LeaveType,
)
from peeka.workplace.leave.selectors import leave_balance, leave_rules
from peeka.workplace.org.models import Member

ONE_DAY = dt.timedelta(days=1)


class LeaveError(PeekaError):
    code = "leave_invalid"


def leave_accrue(*, member: Member, through: dt.date) -> int:
    """Add the statutory grants of `member` due up to `through` that are not in the ledger
    yet; how many were added. Running it again, or twice at once, adds nothing more."""
    rows = [
        LeaveEntry(
            member=member,
            kind=EntryKind.GRANT,
            half_days=grant.days * 2,
            on_date=grant.due,
            period=grant.period,
        )
        for grant in policy.grants(member.hire_date, through, leave_rules())
    ]
    with transaction.atomic():
        before = LeaveEntry.objects.filter(member=member, kind=EntryKind.GRANT).count()
        LeaveEntry.objects.bulk_create(rows, ignore_conflicts=True)
        return LeaveEntry.objects.filter(member=member, kind=EntryKind.GRANT).count() - before


def leave_expire(*, member: Member, through: dt.date) -> int:
    """Book the expiries due up to `through` that are not in the ledger yet (when the rules say
    leave expires): at each anniversary, what is left of the leave granted before it (all the
    ledger's rows dated before it) expires, as one negative row. Idempotent: one expiry an
    anniversary, enforced by a unique constraint. How many were added."""
    if not leave_rules().expires:
        return 0
    added = 0
    for year, day in policy.anniversaries(member.hire_date, through):
        with transaction.atomic():
            Member.objects.select_for_update().filter(pk=member.pk).first()
            left = (
                LeaveEntry.objects.filter(member=member, on_date__lt=day).aggregate(
                    total=Sum("half_days")
                )["total"]
                or 0
            )
            done = LeaveEntry.objects.filter(
                member=member, kind=EntryKind.EXPIRY, period=f"X{year:02d}"
            ).exists()
            if left > 0 and not done:
                LeaveEntry.objects.create(
                    member=member,
                    kind=EntryKind.EXPIRY,
                    half_days=-left,
                    on_date=day,
                    period=f"X{year:02d}",
                )
                added += 1
    return added


def leave_run(*, through: dt.date) -> tuple[int, int, int]:
    """Accrue and expire for every active member up to `through` (a scheduler runs it daily):
    (members, grants added, expiries added)."""
    members = list(Member.objects.filter(active=True))
    granted = expired = 0
    for member in members:
        granted += leave_accrue(member=member, through=through)
        expired += leave_expire(member=member, through=through)
    return len(members), granted, expired


def leave_adjust(*, member: Member, half_days: int, on_date: dt.date, note: str) -> LeaveEntry:
    """An administrator's correction of `half_days` (signed, not zero) with a reason."""
    if half_days == 0 or abs(half_days) > 2 * 366:
        raise LeaveError(gettext_noop("An adjustment is a non-zero number of half days."))
    if not note.strip():
        raise LeaveError(gettext_noop("Say why the balance is adjusted."))
    return LeaveEntry.objects.create(
        member=member,
        kind=EntryKind.ADJUSTMENT,
        half_days=half_days,
        on_date=on_date,
        note=note.strip()[:200],
    )


MAX_SPAN_DAYS = 92
"""The longest leave one request books (a quarter); longer leave is several requests."""


@dataclass(frozen=True)
class Plan:
    """What a leave request would take: its working days and their half days."""

    leave_type: str
    start: dt.date
    end: dt.date
    days: list[dt.date]
    half_days: int


def leave_plan(*, member: Member, leave_type: str, start: dt.date, end: dt.date) -> Plan:
    """Check a request of `member` for `leave_type` from `start` to `end` (inclusive): a known
    type, dates in order and within `MAX_SPAN_DAYS`, a half day on one day, at least one
    working day (weekdays that are no public holiday), and for the balance types a balance
    that covers it on the first day."""
    if leave_type not in LeaveType.values:
        raise LeaveError(gettext_noop("Choose a type of leave."), code="leave_type")
    if end < start or (end - start).days >= MAX_SPAN_DAYS:
        raise LeaveError(
            gettext_noop("The last day must be on or after the first, within %(days)d days."),
            code="leave_dates",
            params={"days": MAX_SPAN_DAYS},
        )
    half = leave_type in HALF_DAY_TYPES
    if half and end != start:
        raise LeaveError(gettext_noop("A half day is one day."), code="leave_dates")
    days = working_days(start=start, end=end)
    if not days:
        raise LeaveError(
            gettext_noop("These dates hold no working day."), code="leave_no_working_day"
        )
    half_days = 1 if half else 2 * len(days)
    if leave_type in BALANCE_TYPES:
        balance = leave_balance(member=member, on=max(start, timezone.localdate())).half_days
        if balance < half_days:
            raise LeaveError(
                gettext_noop(
                    "Not enough annual leave: this takes %(needed)s days, %(left)s are left."
                ),
                code="leave_balance",
                params={"needed": Decimal(half_days) / 2, "left": Decimal(balance) / 2},
            )
    return Plan(leave_type, start, end, days, half_days)


def working_days(*, start: dt.date, end: dt.date) -> list[dt.date]:
    """Monday to Friday from `start` to `end` (inclusive), public holidays left out."""
    closed = {h.date for h in public_holidays(start=start, end=end + ONE_DAY, language="en")}
    days = (start + dt.timedelta(days=i) for i in range((end - start).days + 1))
    return [day for day in days if day.weekday() < 5 and day not in closed]


def leave_book(
    *, member: Member, leave_type: str, start: dt.date, end: dt.date, document: int | None
) -> LeaveBooking:
    """Book approved leave: checked again (`leave_plan`) under the member's row lock, so two
    approvals at once cannot spend one balance twice; the balance types take their half days
    from the ledger in the same transaction."""
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).first()
        plan = leave_plan(member=member, leave_type=leave_type, start=start, end=end)
        booking = LeaveBooking.objects.create(
            member=member,
            leave_type=leave_type,
            start=start,
            end=end,
            half_days=plan.half_days,
            document=document,
        )
        if leave_type in BALANCE_TYPES:
            LeaveEntry.objects.create(
                member=member,
                kind=EntryKind.USE,
                half_days=-plan.half_days,
                on_date=start,
                note=f"booking {booking.pk}",
            )
        return booking


def leave_cancel(*, booking: LeaveBooking) -> LeaveBooking:
    """Cancel booked leave that has not started: the booking is marked and its half days go
    back to the ledger as a "returned" row. Twice at once cancels once."""
    with transaction.atomic():
        row = LeaveBooking.objects.select_for_update().filter(pk=booking.pk).first()
        if row is None or row.cancelled_at is not None:
            raise LeaveError(
                gettext_noop("This leave is cancelled already."), code="leave_cancelled"
            )
        if row.start <= timezone.localdate():
            raise LeaveError(
                gettext_noop("Only leave that has not started can be cancelled."),
                code="leave_started",
            )
        row.cancelled_at = timezone.now()
        row.save(update_fields=["cancelled_at"])
        if row.leave_type in BALANCE_TYPES:
            LeaveEntry.objects.create(
                member=row.member,
                kind=EntryKind.RETURN,
                half_days=row.half_days,
                on_date=timezone.localdate(),
                note=f"booking {row.pk}",
            )
        return row
