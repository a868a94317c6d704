"""`peeka org demo`: a small company to look around in — departments, members with passwords
(returned once), their statutory leave, a kiosk device key (returned once) and the last
working week of punches —
so a newcomer sees a living product. Refuses to run twice."""

from __future__ import annotations

import datetime as dt
import random
import secrets
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from peeka.accounts.models import User
from peeka.errors import PeekaError, gettext_noop
from peeka.workplace.attendance.services import kiosk_create, punch_record
from peeka.workplace.leave.services import leave_accrue
from peeka.workplace.org.models import Department, Role
from peeka.workplace.org.services import department_create, member_create

DEPARTMENTS = [
    ("DEMO-HQ", "본사 Headquarters", None),
    ("DEMO-HR", "인사팀 HR", "DEMO-HQ"),
    ("DEMO-SALES", "영업팀 Sales", "DEMO-HQ"),
    ("DEMO-DEV", "개발팀 Engineering", "DEMO-HQ"),
]
PEOPLE = [
    # username, employee number, name, department, role, position, extension
    ("demo.hana", "D001", "박하나", "DEMO-HR", Role.HR_ADMIN, "인사 담당", "201"),
    ("demo.junho", "D002", "이준호", "DEMO-SALES", Role.MANAGER, "영업팀장", "301"),
    ("demo.minji", "D003", "김민지", "DEMO-SALES", Role.EMPLOYEE, "사원", "302"),
    ("demo.wangfang", "D004", "王芳", "DEMO-SALES", Role.EMPLOYEE, "Sales associate", "303"),
    ("demo.seojun", "D005", "최서준", "DEMO-DEV", Role.MANAGER, "개발팀장", "401"),
    ("demo.alex", "D006", "Alex Kim", "DEMO-DEV", Role.EMPLOYEE, "Engineer", "402"),
    ("demo.ceo", "D000", "정대표", "DEMO-HQ", Role.EXECUTIVE, "대표이사", "100"),
]


class DemoError(PeekaError):
    code = "demo_exists"


@dataclass(frozen=True)
class Demo:
    members: list[dict[str, str]]
    """username, password (shown once), name, role, department."""
    kiosk: str
    kiosk_key: str
    punches: int


def demo_create(*, today: dt.date | None = None, seed: int = 7) -> Demo:
    """The demo company, in one transaction; `DemoError` when it exists already."""
    if Department.objects.filter(code="DEMO-HQ").exists():
        raise DemoError(gettext_noop("The demo company exists already."))
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    today = today or timezone.localdate()
    rng = random.Random(seed)
    with transaction.atomic():
        departments: dict[str, Department] = {}
        for code, name, parent in DEPARTMENTS:
            departments[code] = department_create(
                name=name, code=code, parent=departments.get(parent or "")
            )
        members, created = [], []
        for username, number, name, department, role, position, extension in PEOPLE:
            password = "-".join(secrets.token_hex(2) for _ in range(4))
            user = User.objects.create_user(username, password=password)
            member = member_create(
                user=user,
                employee_number=number,
                name=name,
                department=departments[department],
                role=role,
                position=position,
                extension=extension,
                hire_date=dt.date(2023, 3, 2) + dt.timedelta(days=rng.randrange(700)),
            )
            created.append(member)
            leave_accrue(member=member, through=today)
            members.append(
                {
                    "username": username,
                    "password": password,
                    "name": name,
                    "role": str(role),
                    "department": department,
                }
            )
        device, key = kiosk_create(name="Demo lobby kiosk")
        punches = 0
        for day in _last_workdays(today, 5):
            for member in created:
                start = dt.datetime.combine(day, dt.time(8, 40), tzinfo=zone)
                arrive = start + dt.timedelta(minutes=rng.randrange(45))
                leave = arrive + dt.timedelta(hours=9, minutes=rng.randrange(-30, 90))
                for at in (arrive, leave):
                    punch_record(member=member, method="face", device=device, at=at)
                    punches += 1
    return Demo(members, device.name, key, punches)


def _last_workdays(today: dt.date, count: int) -> list[dt.date]:
    """The `count` weekdays before `today`, oldest first."""
    days: list[dt.date] = []
    day = today
    while len(days) < count:
        day -= dt.timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return sorted(days)
