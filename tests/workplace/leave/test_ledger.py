"""The statutory accrual (근로기준법 제60조) and the append-only ledger in half days."""

from __future__ import annotations

import datetime as dt
import json

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


@pytest.mark.django_db
def test_booked_leave_is_spent_at_once_and_cancelling_gives_it_back(minji: Member) -> None:
    """Working days only (weekends and Chuseok 2026-09-24..26 are free); leave booked for a
    later date already counts, so an earlier request cannot spend it twice; a half day is
    one half; cancelling before the start returns the days, once."""
    services.leave_adjust(member=minji, half_days=8, on_date=dt.date(2026, 1, 1), note="grant")
    plan = services.leave_plan(
        member=minji, leave_type="annual", start=dt.date(2026, 9, 21), end=dt.date(2026, 9, 27)
    )
    assert plan.days == [dt.date(2026, 9, 21), dt.date(2026, 9, 22), dt.date(2026, 9, 23)]
    october = services.leave_book(
        member=minji, leave_type="annual", start=dt.date(2026, 10, 13), end=dt.date(2026, 10, 15),
        document=None,
    )  # fmt: skip
    assert october.half_days == 6
    assert selectors.leave_balance(member=minji, on=dt.date(2026, 9, 1)).half_days == 2
    with pytest.raises(services.LeaveError) as refused:
        services.leave_plan(member=minji, leave_type="annual", start=dt.date(2026, 9, 1),
                            end=dt.date(2026, 9, 2))  # fmt: skip
    assert refused.value.code == "leave_balance"
    half = services.leave_plan(member=minji, leave_type="half_am", start=dt.date(2026, 9, 1),
                               end=dt.date(2026, 9, 1))  # fmt: skip
    assert half.half_days == 1
    with pytest.raises(services.LeaveError):
        services.leave_plan(member=minji, leave_type="half_pm", start=dt.date(2026, 9, 1),
                            end=dt.date(2026, 9, 2))  # fmt: skip
    with pytest.raises(services.LeaveError):  # a weekend holds no working day
        services.leave_plan(member=minji, leave_type="sick", start=dt.date(2026, 9, 26),
                            end=dt.date(2026, 9, 27))  # fmt: skip
    # Cancelling leave that has not started gives it back, once.
    ahead = services.working_days(
        start=dt.date.today() + dt.timedelta(days=3), end=dt.date.today() + dt.timedelta(days=14)
    )[0]
    coming = services.leave_book(
        member=minji, leave_type="half_pm", start=ahead, end=ahead, document=None
    )
    assert selectors.leave_balance(member=minji).half_days == 1
    services.leave_cancel(booking=coming)
    assert selectors.leave_balance(member=minji).half_days == 2
    with pytest.raises(services.LeaveError) as twice:
        services.leave_cancel(booking=coming)
    assert twice.value.code == "leave_cancelled"
    with pytest.raises(services.LeaveError) as started:
        services.leave_cancel(booking=services.leave_book(
            member=minji, leave_type="sick", start=dt.date(2026, 1, 5), end=dt.date(2026, 1, 5),
            document=None))  # fmt: skip
    assert started.value.code == "leave_started"


def test_what_is_left_at_an_anniversary_expires_once(minji: Member) -> None:
    """Hired 2024-03-02: the first year's 11 days less 3 taken expire on 2025-03-02 (8 days);
    the 15 days granted that day less 2 taken expire on 2026-03-02 (13 days)."""
    services.leave_accrue(member=minji, through=dt.date(2026, 3, 2))
    taken = [dt.date(2024, 10, 7), dt.date(2024, 10, 8), dt.date(2024, 10, 10),
             dt.date(2025, 7, 1), dt.date(2025, 7, 2)]  # fmt: skip
    for day in taken:
        services.leave_book(member=minji, leave_type="annual", start=day, end=day, document=None)
    assert services.leave_expire(member=minji, through=dt.date(2026, 3, 2)) == 2
    assert services.leave_expire(member=minji, through=dt.date(2026, 3, 2)) == 0
    expiries = LeaveEntry.objects.filter(kind=EntryKind.EXPIRY).order_by("on_date")
    assert list(expiries.values_list("on_date", "half_days", "period")) == [
        (dt.date(2025, 3, 2), -2 * 8, "X01"),
        (dt.date(2026, 3, 2), -2 * 13, "X02"),
    ]
    # What is left is the grant of the second anniversary: 15 days from 2026-03-02.
    assert selectors.leave_balance(member=minji).half_days == 2 * 15


@pytest.mark.django_db
def test_the_administrators_policy_and_the_daily_command(
    minji: Member, capsys: pytest.CaptureFixture[str]
) -> None:
    from peeka.cli import main
    from peeka.workplace.leave.models import LeavePolicy

    LeavePolicy.objects.create(first_year_max=0, base_days=20, every_years=0, max_days=20,
                               expires=False)  # fmt: skip
    assert main(["org", "leave", "--through", "2026-03-02", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["members"], report["grants"], report["expiries"]) == (1, 2, 0)
    assert selectors.leave_balance(member=minji).half_days == 2 * 40  # 20 + 20, no expiry
    assert main(["org", "leave", "--through", "2026-03-02"]) == 0  # twice: nothing more
    assert "0 grants and 0 expiries" in capsys.readouterr().out
