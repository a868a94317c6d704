"""The member's day (the workplace's front page) and the HR administrator's company view, with
the personas member, manager, HR administrator, outsider and anonymous."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from peeka.accounts.models import User
from peeka.workplace.approvals import services as approvals
from peeka.workplace.approvals.models import ApprovalForm
from peeka.workplace.attendance.services import punch_record
from peeka.workplace.dashboards.days import company_day
from peeka.workplace.leave.models import LeaveBooking
from peeka.workplace.leave.services import leave_adjust
from peeka.workplace.org.models import Member, Role
from peeka.workplace.org.services import department_create, member_create
from tests.webapp import PASSWORD, logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def company() -> dict[str, Member]:
    sales = department_create(name="Sales", code="sales")
    people = {}
    for username, number, role in [
        ("minji", "E001", Role.EMPLOYEE),
        ("junho", "E002", Role.MANAGER),
        ("hana", "E003", Role.HR_ADMIN),
        ("dami", "E004", Role.EMPLOYEE),
    ]:
        user = User.objects.create_user(username, password=PASSWORD)
        people[username] = member_create(
            user=user,
            employee_number=number,
            name=username.title(),
            department=sales,
            role=role,
            hire_date=dt.date(2020, 3, 2),
        )
    User.objects.create_user("outsider", password=PASSWORD)
    return people


def test_the_members_day_shows_what_waits_for_them(company: dict[str, Member]) -> None:
    minji, junho = company["minji"], company["junho"]
    assert Client().get("/workplace/")["Location"] == "/workplace/dashboards/"
    assert Client().get("/workplace/dashboards/").status_code == 302
    outsider = logged_in(User.objects.get(username="outsider"))
    assert outsider.get("/workplace/dashboards/").status_code == 403
    leave_adjust(member=minji, half_days=21, on_date=dt.date(2026, 1, 1), note="grant")
    came_in = timezone.now() - dt.timedelta(hours=2)
    punch_record(member=minji, method="face", at=came_in)
    document = approvals.document_draft(
        drafter=minji,
        form=ApprovalForm.objects.get(kind="general"),
        title="Printer",
        data={"body": "A new printer for the team."},
    )
    approvals.document_submit(document=document, actor=minji)

    page = logged_in(minji.user).get("/workplace/dashboards/")
    day = page.context["day"]
    assert page.status_code == 200 and day.attendance.clocked_in is True
    # Hours today run from the "in" (or from midnight, when it was yesterday) to now.
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    expected = (timezone.now() - max(came_in, midnight)).total_seconds() / 3600
    assert str(day.balance.days) == "10.5"
    assert abs(day.attendance.hours_today - expected) < 0.05
    assert 'id="clock-state" data-state="in"' in page.content.decode()
    manager = logged_in(junho.user).get("/workplace/dashboards/")
    assert manager.context["day"].to_approve == [document]
    assert b'id="approvals-badge"' in manager.content  # the navigation's badge
    assert b'id="approvals-badge"' not in page.content
    assert manager.context["sees_company"] is False


def test_hr_sees_who_is_in_late_on_leave_and_what_waits(company: dict[str, Member]) -> None:
    minji, dami, hana = company["minji"], company["dami"], company["hana"]
    for persona in ("minji", "junho"):
        assert (
            logged_in(company[persona].user).get("/workplace/dashboards/company/").status_code
            == 403
        )
    assert Client().get("/workplace/dashboards/company/").status_code == 302
    assert logged_in(hana.user).get("/workplace/dashboards/company/").status_code == 200
    # On Monday 7 December 2026 at 15:00: Minji came in at 10:30 (the default schedule starts
    # at 9), Dami is on leave, Junho and Hana have not come in.
    monday = dt.date(2026, 12, 7)
    zone = timezone.get_current_timezone()
    punch_record(member=minji, method="face", at=dt.datetime.combine(monday, dt.time(10, 30), zone))
    LeaveBooking.objects.create(member=dami, leave_type="annual", start=monday, end=monday,
                                half_days=2)  # fmt: skip
    now = dt.datetime.combine(monday, dt.time(15), zone)
    view = company_day(day=monday, language="en", now=now)
    statuses = {row.member.employee_number: row.status.status for row in view.members}
    assert statuses == {"E001": "late", "E002": "late", "E003": "late", "E004": "leave"}
    assert (view.late, view.not_in_yet, view.on_leave, view.in_now) == (1, 2, 1, 1)
    assert view.pending_count == 0
    later = company_day(day=monday, language="en", now=now + dt.timedelta(hours=17))
    assert later.in_now == 0  # a shift open longer than 16 hours is not "in"
