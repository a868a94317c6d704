"""The company of the calendar's tests: HQ with Sales (and Sales Korea below it) and Development
below it; the personas member (Sales Korea), manager (Sales), HR administrator and executive
(HQ), a member of another department (Development), and an outsider with an account but no
member row."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from peeka.accounts.models import User
from peeka.workplace.calendar import services
from peeka.workplace.calendar.models import Event
from peeka.workplace.org import services as org
from peeka.workplace.org.models import Department, Member, Role
from tests.webapp import PASSWORD

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture
def company(db: None) -> dict[str, User]:
    hq = org.department_create(name="본사", code="hq")
    sales = org.department_create(name="Sales", code="sales", parent=hq)
    korea = org.department_create(name="Sales Korea", code="sales-kr", parent=sales)
    dev = org.department_create(name="Development", code="dev", parent=hq)
    people = {}
    for username, number, name, department, role in [
        ("minji", "E001", "김민지", korea, Role.EMPLOYEE),
        ("junho", "E002", "이준호", sales, Role.MANAGER),
        ("hana", "E003", "박하나", hq, Role.HR_ADMIN),
        ("sora", "E004", "최소라", hq, Role.EXECUTIVE),
        ("wei", "E005", "王伟", dev, Role.EMPLOYEE),
    ]:
        user = User.objects.create_user(username, password=PASSWORD, time_zone="Asia/Seoul")
        org.member_create(
            user=user,
            employee_number=number,
            name=name,
            department=department,
            role=role,
            hire_date=dt.date(2024, 3, 2),
        )
        people[username] = user
    people["outsider"] = User.objects.create_user("outsider", password=PASSWORD)
    return people


def member(user: User) -> Member:
    return Member.objects.get(user=user)


def department(code: str) -> Department:
    return Department.objects.get(code=code.upper())


def event(
    owner: User,
    title: str,
    *,
    scope: str = "personal",
    dept: str | None = None,
    start: dt.datetime | None = None,
    hours: int = 1,
    rrule: str = "",
    zone: str = "Asia/Seoul",
) -> Event:
    """An event written through the service, by default on 10 December 2026, 10:00 in Seoul."""
    begins = start or dt.datetime(2026, 12, 10, 10, tzinfo=ZoneInfo(zone))
    return services.event_create(
        actor=member(owner),
        title=title,
        scope=scope,
        department=department(dept) if dept else None,
        start=begins,
        end=begins + dt.timedelta(hours=hours),
        time_zone=zone,
        rrule=rrule,
    )
