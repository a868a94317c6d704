"""Writes of the leave ledger: statutory grants up to a date (idempotent: one grant a period,
enforced by a unique constraint), and an administrator's adjustment."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from peeka.errors import PeekaError, gettext_noop
from peeka.workplace.leave import policy
from peeka.workplace.leave.models import EntryKind, LeaveEntry
from peeka.workplace.org.models import Member


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
        for grant in policy.grants(member.hire_date, through)
    ]
    with transaction.atomic():
        before = LeaveEntry.objects.filter(member=member, kind=EntryKind.GRANT).count()
        LeaveEntry.objects.bulk_create(rows, ignore_conflicts=True)
        return LeaveEntry.objects.filter(member=member, kind=EntryKind.GRANT).count() - before


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
