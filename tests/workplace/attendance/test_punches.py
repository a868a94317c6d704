"""Kiosk devices and punches: the key shown once and kept as a hash, direction from the
member's state (concurrent punches cannot both be "in"), a shift left open flagged after 16 h,
hours in a day, and `peeka org kiosk` / `peeka org attendance`."""

from __future__ import annotations

import datetime as dt
import json
import threading
import zoneinfo

import pytest
from django.db import connection
from django.utils import timezone

from peeka.accounts.models import User
from peeka.cli import main
from peeka.workplace.attendance import selectors, services
from peeka.workplace.attendance.models import KioskDevice, Punch
from peeka.workplace.leave.selectors import leave_balance
from peeka.workplace.org.models import Member
from peeka.workplace.org.services import department_create, member_create
from tests.webapp import PASSWORD

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")


def make_member(username: str = "minji", number: str = "E001") -> Member:
    department = department_create(name="Sales", code=f"sales-{number}")
    user = User.objects.create_user(username, password=PASSWORD)
    return member_create(
        user=user,
        employee_number=number,
        name=username,
        department=department,
        hire_date=dt.date(2024, 3, 2),
    )


@pytest.mark.django_db
def test_a_kiosk_key_is_shown_once_and_kept_as_a_hash() -> None:
    device, key = services.kiosk_create(name="Lobby")
    assert key.startswith("pkk_") and key not in device.key_hash
    assert selectors.kiosk_find(key=key) == device
    assert selectors.kiosk_find(key=key + "x") is None and selectors.kiosk_find(key="") is None
    with pytest.raises(services.KioskError) as exists:
        services.kiosk_create(name="Lobby")
    assert exists.value.code == "kiosk_exists"
    services.kiosk_revoke(device=device)
    assert selectors.kiosk_find(key=key) is None


@pytest.mark.django_db
def test_direction_follows_the_members_state_and_hours_add_up() -> None:
    member = make_member()
    day = dt.date(2026, 12, 7)

    def at(hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SEOUL)

    directions = [
        services.punch_record(member=member, method="face", at=at(h, m)).direction
        for h, m in [(9, 0), (12, 0), (13, 0), (18, 30)]
    ]
    assert directions == ["in", "out", "in", "out"]
    assert selectors.hours_on(member=member, day=day, zone="Asia/Seoul") == 8.5
    # In at 9 the next day and no out: 16 h later the shift counts as left open.
    services.punch_record(member=member, method="pin", at=at(9) + dt.timedelta(days=1))
    late = services.punch_record(member=member, method="face", at=at(9) + dt.timedelta(days=2))
    assert late.direction == "in"
    left_open = Punch.objects.get(at=at(9) + dt.timedelta(days=1))
    assert left_open.open_shift
    assert selectors.hours_on(member=member, day=day + dt.timedelta(days=1), zone="Asia/Seoul") == 0
    with pytest.raises(services.KioskError):
        services.punch_record(member=member, method="telepathy")


@pytest.mark.django_db(transaction=True)
def test_two_punches_at_once_are_one_in_and_one_out() -> None:
    member = make_member()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def punch() -> None:
        try:
            barrier.wait()
            services.punch_record(member=member, method="face")
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=punch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors and "locked" in str(errors[0]):  # SQLite may refuse the second writer
        assert Punch.objects.count() == 1
        return
    assert errors == []
    assert sorted(Punch.objects.values_list("direction", flat=True)) == ["in", "out"]


@pytest.mark.django_db
def test_the_commands_register_a_kiosk_and_list_a_day(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["org", "kiosk", "Front desk", "--json"]) == 0
    key = json.loads(capsys.readouterr().out)["key"]
    assert selectors.kiosk_find(key=key) == KioskDevice.objects.get(name="Front desk")
    assert main(["org", "kiosk", "Front desk"]) == 2
    assert "[kiosk_exists]" in capsys.readouterr().err
    member = make_member()
    device = KioskDevice.objects.get()
    at = dt.datetime(2026, 12, 7, 0, 30, tzinfo=dt.UTC)
    services.punch_record(member=member, method="face", device=device, at=at)
    assert main(["org", "attendance", "--date", "2026-12-07", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows == [{"member": "minji", "direction": "in", "at": at.isoformat(), "method": "face"}]
    assert main(["org", "attendance", "--date", "2026-12-06", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    with pytest.raises(SystemExit):
        main(["org", "attendance", "--date", "07/12/2026"])


@pytest.mark.django_db
def test_the_demo_company_is_a_living_one_and_is_made_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["org", "demo", "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert len(made["members"]) == Member.objects.count() == 7
    hana = next(m for m in made["members"] if m["role"] == "hr_admin")
    assert User.objects.get(username=hana["username"]).check_password(hana["password"])
    assert selectors.kiosk_find(key=made["kiosk_key"]) is not None
    # Five working days, each member in and out once a day; on a weekday after 09:30, six of
    # the seven have come in this morning.
    today = timezone.localtime().date()
    week = Punch.objects.filter(at__date__lt=today)
    assert made["punches"] == Punch.objects.count() and week.count() == 7 * 5 * 2
    directions = list(week.order_by("at").values_list("direction", flat=True))
    assert directions.count("in") == directions.count("out") == 35
    assert Punch.objects.exclude(pk__in=week).count() in (0, 6)
    assert set(Punch.objects.exclude(pk__in=week).values_list("direction", flat=True)) <= {"in"}
    assert not Punch.objects.filter(open_shift=True).exists()
    # Everyone hired before today has statutory leave in the ledger.
    assert all(leave_balance(member=m).half_days > 0 for m in Member.objects.all())
    # An approval document in every state; the approved leave is numbered and booked.
    from peeka.workplace.approvals.models import Document
    from peeka.workplace.leave.models import LeaveBooking

    documents = {Document.objects.get(pk=pk).state: pk for pk in made["documents"].values()}
    assert set(documents) == {"draft", "in_progress", "approved", "rejected", "withdrawn"}
    approved = Document.objects.get(pk=documents["approved"])
    assert approved.number and LeaveBooking.objects.filter(document=approved.pk).exists()
    assert main(["org", "demo"]) == 2
    assert "[demo_exists]" in capsys.readouterr().err
    assert Member.objects.count() == 7
