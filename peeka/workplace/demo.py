"""`peeka org demo`: a small company to look around in — departments, members with passwords
(returned once), their statutory leave, a kiosk device key (returned once), the last working
week of punches (and this morning's), a notice, a message and approval documents in every
state — so a newcomer sees a living product. Refuses to run twice. The sample decisions were
made by this command, not after a live face check: their documents say so."""

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
from peeka.workplace.approvals import services as approvals
from peeka.workplace.approvals.models import ApprovalForm
from peeka.workplace.attendance.models import KioskDevice
from peeka.workplace.attendance.services import kiosk_create, punch_record
from peeka.workplace.leave.services import leave_accrue, leave_expire, working_days
from peeka.workplace.messages.services import message_send
from peeka.workplace.notices.services import post_create
from peeka.workplace.org.models import Department, Member, Role
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
    documents: dict[str, int]
    """Sample approval documents by state."""


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
            leave_expire(member=member, through=today)
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
        punches += _today(created, device, zone, rng)
        documents = _documents({m.employee_number: m for m in created}, today)
        _notice_and_message({m.employee_number: m for m in created})
    return Demo(members, device.name, key, punches, documents)


def _today(
    people: list[Member], device: KioskDevice, zone: zoneinfo.ZoneInfo, rng: random.Random
) -> int:
    """On a weekday after 09:30, everyone but the last member has come in this morning (one
    of them late); the last has not."""
    now = timezone.now().astimezone(zone)
    if now.weekday() >= 5 or now.time() < dt.time(9, 30):
        return 0
    made = 0
    for i, member in enumerate(people[:-1]):
        minutes = 25 if i == 1 else rng.randrange(-20, 5)
        at = dt.datetime.combine(now.date(), dt.time(9), tzinfo=zone) + dt.timedelta(
            minutes=minutes
        )
        punch_record(member=member, method="face", device=device, at=at)
        made += 1
    return made


def _notice_and_message(people: dict[str, Member]) -> None:
    hana, junho, minji = people["D001"], people["D002"], people["D003"]
    post_create(
        user=hana.user,
        title="연말 연차 사용 안내 · Using your leave before the year ends",
        body="남은 연차는 입사 기념일에 소멸됩니다. 휴가는 전자결재로 신청해 주세요.\n"
        "Leave left at your anniversary expires: request it through approvals.",
        kind="notice",
        pinned=True,
    )
    message_send(
        sender=junho,
        to=minji.employee_number,
        subject="주간 회의",
        body="내일 오전 10시 주간 회의 자료를 부탁드립니다.",
    )


def _documents(people: dict[str, Member], today: dt.date) -> dict[str, int]:
    """One sample document in each state: a draft, one waiting for its approver, one approved
    (numbered; for leave, booked), one rejected and one withdrawn."""
    forms = {form.kind: form for form in ApprovalForm.objects.all()}
    minji, junho, wang, seojun, alex = (people[n] for n in ("D003", "D002", "D004", "D005", "D006"))
    first, second = working_days(
        start=today + dt.timedelta(days=7), end=today + dt.timedelta(days=30)
    )[:2]
    leave = {"leave_type": "annual", "start": first.isoformat(), "end": ""}
    draft = approvals.document_draft(
        drafter=minji,
        form=forms["general"],
        title="신규 고객 방문 계획",
        data={"body": "다음 주 화요일 오후 방문 예정입니다."},
    )
    waiting = approvals.document_draft(
        drafter=minji, form=forms["leave"], title="연차 신청", data={**leave, "reason": "개인 사유"}
    )
    approvals.document_submit(document=waiting, actor=minji)
    approved = approvals.document_draft(
        drafter=wang,
        form=forms["leave"],
        title="年假申请",
        data={**leave, "start": second.isoformat()},
    )
    approvals.document_submit(document=approved, actor=wang)
    approvals.document_decide_seeded(
        document=approved, approver=junho, decision="approved", comment="좋습니다."
    )
    rejected = approvals.document_draft(
        drafter=alex, form=forms["expense"], title="Conference ticket",
        data={"amount": "450000", "spent_on": today.isoformat(), "purpose": "PyCon KR ticket"},
    )  # fmt: skip
    approvals.document_submit(document=rejected, actor=alex)
    approvals.document_decide_seeded(
        document=rejected,
        approver=seojun,
        decision="rejected",
        comment="예산 확인 후 다시 올려 주세요.",
    )
    withdrawn = approvals.document_draft(
        drafter=alex, form=forms["general"], title="Team dinner", data={"body": "Friday 7 pm?"}
    )
    approvals.document_submit(document=withdrawn, actor=alex)
    approvals.document_withdraw(document=withdrawn, actor=alex)
    return {
        "draft": draft.pk,
        "in_progress": waiting.pk,
        "approved": approved.pk,
        "rejected": rejected.pk,
        "withdrawn": withdrawn.pk,
    }


def _last_workdays(today: dt.date, count: int) -> list[dt.date]:
    """The `count` weekdays before `today`, oldest first."""
    days: list[dt.date] = []
    day = today
    while len(days) < count:
        day -= dt.timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return sorted(days)
