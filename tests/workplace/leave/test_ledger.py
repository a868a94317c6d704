"""The statutory accrual (근로기준법 제60조) and the append-only ledger in half days."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from peeka.accounts.models import User
from peeka.workplace.leave import policy, selectors, services
from peeka.workplace.leave.models import AppendOnlyError, EntryKind, LeaveEntry
from peeka.workplace.org.models import Member
from peeka.workplace.org.services import department_create, member_create
from tests.webapp import PASSWORD

HIRED = dt.date(2024, 3, 2)


def test_the_first_year_earns_a_day_a_month_then_fifteen_and_more_every_two_years() -> None:
    assert policy.grants(HIRED, dt.date(2024, 4, 1)) == []
    assert policy.grants(HIRED, dt.date(2024, 4, 2)) == [
        policy.Grant(dt.date(2024, 4, 2), 1, "M01")
    ]
    first_year = policy.grants(HIRED, dt.date(2025, 3, 1))
    assert [g.days for g in first_year] == [1] * 11 and first_year[-1].due == dt.date(2025, 2, 2)
    assert policy.grants(HIRED, dt.date(2025, 3, 2))[-1] == policy.Grant(
        HIRED.replace(year=2025), 15, "Y01"
    )
    by_year = {year: policy.yearly_days(year) for year in (1, 2, 3, 4, 5, 20, 21, 22, 40)}
    assert by_year == {1: 15, 2: 15, 3: 16, 4: 16, 5: 17, 20: 24, 21: 25, 22: 25, 40: 25}


def test_months_end_on_the_last_day_of_a_shorter_month() -> None:
    assert policy.add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert policy.add_months(dt.date(2023, 1, 31), 1) == dt.date(2023, 2, 28)
    assert policy.add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    grants = policy.grants(dt.date(2024, 1, 31), dt.date(2024, 3, 31))
    assert [g.due for g in grants] == [dt.date(2024, 2, 29), dt.date(2024, 3, 31)]


@pytest.fixture
def minji(db: None) -> Member:
    user = User.objects.create_user("minji", password=PASSWORD)
    return member_create(
        user=user,
        employee_number="E001",
        name="김민지",
        department=department_create(name="Sales", code="sales"),
        hire_date=HIRED,
    )


def test_accruing_twice_adds_nothing_and_the_balance_is_the_ledgers_sum(minji: Member) -> None:
    assert services.leave_accrue(member=minji, through=dt.date(2025, 3, 2)) == 12
    assert services.leave_accrue(member=minji, through=dt.date(2025, 3, 2)) == 0
    balance = selectors.leave_balance(member=minji)
    assert balance.half_days == 2 * (11 + 15) and str(balance.days) == "26"
    assert selectors.leave_balance(member=minji, on=dt.date(2024, 12, 31)).half_days == 2 * 9
    services.leave_adjust(member=minji, half_days=-1, on_date=dt.date(2025, 3, 3), note="오전 반차")
    assert str(selectors.leave_balance(member=minji).days) == "25.5"
    with pytest.raises(services.LeaveError):
        services.leave_adjust(member=minji, half_days=0, on_date=HIRED, note="nothing")
    with pytest.raises(services.LeaveError):
        services.leave_adjust(member=minji, half_days=2, on_date=HIRED, note="  ")
    assert len(selectors.leave_entries(member=minji)) == 13


def test_ledger_rows_are_never_changed_or_deleted(minji: Member) -> None:
    services.leave_accrue(member=minji, through=dt.date(2024, 4, 2))
    entry = LeaveEntry.objects.get()
    entry.half_days = 40
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    assert LeaveEntry.objects.get().half_days == 2
    # The database itself holds one grant a period, and no empty entry.
    with pytest.raises(IntegrityError), transaction.atomic():
        LeaveEntry.objects.create(
            member=minji, kind=EntryKind.GRANT, half_days=2, on_date=HIRED, period="M01"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        LeaveEntry.objects.create(member=minji, kind=EntryKind.USE, half_days=0, on_date=HIRED)
