"""Reads of the leave ledger: a member's balance on a date, and the entries behind it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from peeka.workplace.leave.models import LeaveEntry
from peeka.workplace.org.models import Member


@dataclass(frozen=True)
class Balance:
    half_days: int

    @property
    def days(self) -> Decimal:
        """For display only: the ledger counts half days, as integers."""
        return Decimal(self.half_days) / 2


def leave_balance(*, member: Member, on: dt.date | None = None) -> Balance:
    entries = LeaveEntry.objects.filter(member=member)
    if on is not None:
        entries = entries.filter(on_date__lte=on)
    total = entries.aggregate(total=Sum("half_days"))["total"]
    return Balance(int(total or 0))


def leave_entries(*, member: Member) -> list[LeaveEntry]:
    return list(LeaveEntry.objects.filter(member=member).order_by("on_date", "pk"))
