"""Electronic approval on the real webcam recording: the default line up the department chain;
drafts edited (new versions) and locked once submitted; a decision only in one's turn, after a
live face check, signed, and the signature broken by any later change; the number per
department and year at final approval; a leave request that books the leave; reject,
withdraw and re-draft; who may read what (personas); two decisions at once."""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from peeka.accounts.models import User
from peeka.faces import flows
from peeka.security.client import ClientInfo
from peeka.security.models import AuditEvent
from peeka.workplace.approvals import services
from peeka.workplace.approvals.models import ApprovalForm, Document, State, Step
from peeka.workplace.leave.models import LeaveBooking
from peeka.workplace.leave.selectors import leave_balance
from peeka.workplace.leave.services import leave_adjust, working_days
from peeka.workplace.org.models import Member, Role
from peeka.workplace.org.services import department_create, member_create
from tests.webapp import PASSWORD, FrozenClock, logged_in, recorded

CLIENT = ClientInfo(ip="127.0.0.1", user_agent="test")


@pytest.fixture(autouse=True)
def blink_only(settings: object, clock: FrozenClock) -> None:
    settings.PEEKA_LIVENESS = True  # type: ignore[attr-defined]
    settings.PEEKA_LIVENESS_FIXED_STEPS = ["blink"]  # type: ignore[attr-defined]


@pytest.fixture
def company(look: list[bytes]) -> dict[str, Member]:
    """HQ > Sales > Sales Korea. Minji (employee, Sales Korea) drafts; Junho manages Sales
    Korea, Sora manages Sales, both with the webcam recording's face; Hana is HR; Dami is
    another employee; an outsider has an account only."""
    hq = department_create(name="본사", code="hq")
    sales = department_create(name="영업본부", code="sales", parent=hq)
    korea = department_create(name="국내영업팀", code="sales-kr", parent=sales)
    people = {}
    for username, number, department, role in [
        ("minji", "E001", korea, Role.EMPLOYEE),
        ("junho", "E002", korea, Role.MANAGER),
        ("sora", "E003", sales, Role.MANAGER),
        ("hana", "E004", hq, Role.HR_ADMIN),
        ("dami", "E005", korea, Role.EMPLOYEE),
    ]:
        user = User.objects.create_user(username, password=PASSWORD)
        if username in ("junho", "sora"):
            flows.face_enroll(user=user, frames=look[:3], scheme="iom", client=CLIENT,
                              channel="admin")  # fmt: skip
        people[username] = member_create(
            user=user,
            employee_number=number,
            name=username.title(),
            department=department,
            role=role,
            hire_date=dt.date(2020, 3, 2),
        )
    User.objects.create_user("outsider", password=PASSWORD)
    return people


def next_monday() -> dt.date:
    """A Monday at least a week ahead that begins two working days (no public holiday on it
    or the Tuesday), so a two-day request takes exactly two days whenever the tests run."""
    today = timezone.localdate()
    monday = today + dt.timedelta(days=7 - today.weekday() + 7)
    while len(working_days(start=monday, end=monday + dt.timedelta(days=1))) < 2:
        monday += dt.timedelta(days=7)
    return monday


def leave_form() -> ApprovalForm:
    return ApprovalForm.objects.get(kind="leave")


def draft_leave(member: Member, days: int = 2) -> Document:
    start = next_monday()
    return services.document_draft(
        drafter=member,
        form=leave_form(),
        title="연차 신청",
        data={
            "leave_type": "annual",
            "start": start.isoformat(),
            "end": (start + dt.timedelta(days=days - 1)).isoformat(),
            "reason": "가족 여행",
        },
    )


def decide(
    browser: Client, document: Document, blink: list[bytes], clock: FrozenClock,
    decision: str = "approved", comment: str = "",
) -> tuple[int, dict[str, object]]:  # fmt: skip
    issued = browser.post(f"/workplace/approvals/{document.pk}/challenge/")
    if issued.status_code != 200:
        return issued.status_code, issued.json()
    answer = browser.post(
        f"/workplace/approvals/{document.pk}/frames/",
        {"challenge": issued.json()["id"], "decision": decision, "comment": comment,
         **recorded(blink, clock)},
    )  # fmt: skip
    return answer.status_code, answer.json()


@pytest.mark.django_db
def test_a_leave_request_goes_up_the_line_signed_by_face_and_books_the_leave(
    company: dict[str, Member], blink: list[bytes], clock: FrozenClock
) -> None:
    minji, junho, sora = company["minji"], company["junho"], company["sora"]
    leave_adjust(member=minji, half_days=20, on_date=dt.date(2026, 1, 1), note="grant")
    document = draft_leave(minji)
    assert [s.approver for s in document.steps.order_by("order")] == [junho]  # line depth 1
    services.document_line_set(document=document, actor=minji, approvers=[junho, sora],
                               cc=[company["hana"], company["dami"]])  # fmt: skip
    document = services.document_update(document=document, actor=minji, title="연차 신청 (2일)",
                                        data={**document.content})  # fmt: skip
    assert document.version == 3  # drafted, line changed, edited
    junho_browser, sora_browser = logged_in(junho.user), logged_in(sora.user)
    # Nothing to decide while it is a draft; Dami (CC) cannot read a draft.
    assert decide(junho_browser, document, blink, clock)[0] == 409
    assert (
        logged_in(company["dami"].user).get(f"/workplace/approvals/{document.pk}/").status_code
        == 404
    )

    services.document_submit(document=document, actor=minji)
    with pytest.raises(services.ApprovalError) as locked:
        services.document_update(document=document, actor=minji, title="x", data=document.content)
    assert locked.value.code == "document_locked"
    # Sora's turn comes after Junho's.
    status, body = decide(sora_browser, document, blink, clock)
    assert (status, body["code"]) == (409, "not_your_turn")
    inbox = junho_browser.get("/workplace/approvals/?box=to_approve")
    assert [d.pk for d in inbox.context["page"]] == [document.pk]
    assert list(sora_browser.get("/workplace/approvals/").context["page"]) == []

    status, body = decide(junho_browser, document, blink, clock, comment="좋습니다")
    assert (status, body["passed"], body["state"]) == (200, True, "in_progress")
    assert decide(junho_browser, document, blink, clock)[0] == 409  # twice: not again
    status, body = decide(sora_browser, document, blink, clock)
    year = timezone.localdate().year
    assert (body["state"], body["number"]) == ("approved", f"SALES-KR-{year}-0001")

    booking = LeaveBooking.objects.get(document=document.pk)
    assert (booking.member, booking.half_days) == (minji, 4)
    assert leave_balance(member=minji).half_days == 16
    # The calendar shows it: the type to Minji, "on leave" to her department's colleagues.
    month = f"?month={booking.start:%Y-%m}"
    own = logged_in(minji.user).get(f"/workplace/calendar/{month}").content.decode()
    seen = logged_in(company["dami"].user).get(f"/workplace/calendar/{month}").content.decode()
    assert "Annual leave" in own and "Minji: on leave" in seen and "Annual leave" not in seen
    steps = list(Step.objects.filter(document=document).order_by("order"))
    checks = AuditEvent.objects.filter(pk__in=[s.face_check for s in steps])
    assert {(c.event, c.success, c.user_id) for c in checks} == {
        ("liveness_approval", True, junho.user.pk),
        ("liveness_approval", True, sora.user.pk),
    }
    page = logged_in(company["dami"].user).get(f"/workplace/approvals/{document.pk}/")
    assert page.status_code == 200 and page.content.decode().count("signature-ok") == 2
    assert f"SALES-KR-{year}-0001" in page.content.decode()
    # Anyone changing the content afterwards breaks both signatures, visibly.
    Document.objects.filter(pk=document.pk).update(
        content={**document.content, "end": "2099-01-01"}
    )
    tampered = logged_in(minji.user).get(f"/workplace/approvals/{document.pk}/").content.decode()
    assert tampered.count("signature-broken") == 2 and 'id="signatures-broken"' in tampered


@pytest.mark.django_db
def test_reject_withdraw_and_redraft(
    company: dict[str, Member], blink: list[bytes], clock: FrozenClock
) -> None:
    minji, junho = company["minji"], company["junho"]
    leave_adjust(member=minji, half_days=20, on_date=dt.date(2026, 1, 1), note="grant")
    document = draft_leave(minji)
    services.document_submit(document=document, actor=minji)
    browser = logged_in(junho.user)
    status, body = decide(browser, document, blink, clock, decision="rejected")
    assert (status, body["code"]) == (400, "comment_required")
    status, body = decide(browser, document, blink, clock, decision="rejected", comment="마감 주간")
    assert body["state"] == "rejected" and not LeaveBooking.objects.exists()
    assert leave_balance(member=minji).half_days == 20
    with pytest.raises(services.ApprovalError):
        services.document_withdraw(document=document, actor=minji)

    again = services.document_redraft(document=document, actor=minji)
    assert (again.state, again.content, again.redraft_of_id) == (State.DRAFT, document.content,
                                                                 document.pk)  # fmt: skip
    assert [s.approver for s in again.steps.all()] == [junho]
    services.document_submit(document=again, actor=minji)
    withdrawn = services.document_withdraw(document=again, actor=minji)
    assert withdrawn.state == State.WITHDRAWN
    # Only the drafter acts on a draft; a dead line is refused.
    other = draft_leave(minji)
    with pytest.raises(services.ApprovalError) as refused:
        services.document_submit(document=other, actor=company["dami"])
    assert refused.value.code == "not_drafter"
    with pytest.raises(services.ApprovalError):
        services.document_line_set(document=other, actor=minji, approvers=[minji], cc=[])
    too_much = services.document_draft
    with pytest.raises(Exception) as overdrawn:
        too_much(drafter=company["dami"], form=leave_form(), title="t", data={
            "leave_type": "annual", "start": next_monday().isoformat(), "end": ""})  # fmt: skip
    assert getattr(overdrawn.value, "code", "") == "leave_balance"


@pytest.mark.django_db
def test_who_reads_and_drafts_personas(company: dict[str, Member]) -> None:
    minji, hana, dami = company["minji"], company["hana"], company["dami"]
    leave_adjust(member=minji, half_days=20, on_date=dt.date(2026, 1, 1), note="grant")
    assert Client().get("/workplace/approvals/").status_code == 302
    outsider = logged_in(User.objects.get(username="outsider"))
    assert outsider.get("/workplace/approvals/").status_code == 403
    browser = logged_in(minji.user)
    forms = browser.get("/workplace/approvals/new/")
    assert forms.status_code == 200 and len(forms.context["forms"]) == 5
    start = next_monday().isoformat()
    bad = browser.post(f"/workplace/approvals/new/{leave_form().pk}/",
                       {"title": "", "leave_type": "annual", "start": start})  # fmt: skip
    assert bad.status_code == 400 and not Document.objects.exists()
    weekend = next_monday() - dt.timedelta(days=1)
    data = {"title": "휴가", "leave_type": "annual", "start": weekend.isoformat()}
    none = browser.post(f"/workplace/approvals/new/{leave_form().pk}/", data)
    assert none.status_code == 400 and "working day" in none.content.decode()
    made = browser.post(f"/workplace/approvals/new/{leave_form().pk}/",
                        {"title": "휴가", "leave_type": "half_am", "start": start})  # fmt: skip
    document = Document.objects.get()
    assert made.status_code == 302 and made["Location"] == f"/workplace/approvals/{document.pk}/"
    assert browser.post(f"/workplace/approvals/{document.pk}/submit/").status_code == 302
    assert Document.objects.get().state == State.IN_PROGRESS
    # HR reads every document; CC members read once submitted; another employee does not.
    assert logged_in(hana.user).get(f"/workplace/approvals/{document.pk}/").status_code == 200
    assert logged_in(dami.user).get(f"/workplace/approvals/{document.pk}/").status_code == 404
    assert logged_in(dami.user).get(f"/workplace/approvals/{document.pk}/print/").status_code == 404
    assert outsider.get(f"/workplace/approvals/{document.pk}/").status_code == 403
    edit = browser.get(f"/workplace/approvals/{document.pk}/edit/")
    assert edit.status_code == 403  # in progress: locked


@pytest.mark.django_db(transaction=True)
def test_two_decisions_at_once_are_one_decision(
    company: dict[str, Member], blink: list[bytes], clock: FrozenClock
) -> None:
    """The same approver signs in two windows at once: one decision is recorded, the other is
    refused (its turn is gone), never two."""
    minji, junho = company["minji"], company["junho"]
    leave_adjust(member=minji, half_days=20, on_date=dt.date(2026, 1, 1), note="grant")
    document = draft_leave(minji)
    services.document_submit(document=document, actor=minji)
    browsers = [logged_in(junho.user), logged_in(junho.user)]
    issued = [
        b.post(f"/workplace/approvals/{document.pk}/challenge/").json()["id"] for b in browsers
    ]
    barrier = threading.Barrier(2)
    answers: list[int] = []

    def sign(browser: Client, challenge: str) -> None:
        data = {"challenge": challenge, "decision": "approved", **recorded(blink, clock)}
        barrier.wait()
        try:
            answers.append(
                browser.post(f"/workplace/approvals/{document.pk}/frames/", data).status_code
            )
        finally:
            connection.close()

    threads = [
        threading.Thread(target=sign, args=pair) for pair in zip(browsers, issued, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200, 409] or (
        connection.vendor == "sqlite" and 500 not in answers and 200 in answers
    )
    assert Step.objects.get(document=document).decision == "approved"
    assert Document.objects.get(pk=document.pk).number.endswith("-0001")
    assert LeaveBooking.objects.filter(document=document.pk).count() == 1


@pytest.mark.django_db
def test_an_approved_correction_adds_the_missing_punch_by_hand(
    company: dict[str, Member], blink: list[bytes], clock: FrozenClock
) -> None:
    from peeka.workplace.attendance.models import Punch
    from peeka.workplace.attendance.selectors import member_zone

    minji = company["minji"]
    form = ApprovalForm.objects.get(kind="correction")
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    future = {"date": (yesterday + dt.timedelta(days=3)).isoformat(), "time": "09:00",
              "direction": "in", "reason": "카드 분실"}  # fmt: skip
    with pytest.raises(Exception) as refused:
        services.document_draft(drafter=minji, form=form, title="출근 누락", data=future)
    assert getattr(refused.value, "code", "") == "correction_date"
    data = {**future, "date": yesterday.isoformat()}
    document = services.document_draft(drafter=minji, form=form, title="출근 누락", data=data)
    services.document_submit(document=document, actor=minji)
    _, body = decide(logged_in(company["junho"].user), document, blink, clock)
    assert body["state"] == "approved"
    punch = Punch.objects.get(member=minji)
    assert (punch.direction, punch.method) == ("in", "manual")
    zone = zoneinfo.ZoneInfo(member_zone(minji))
    assert punch.at.astimezone(zone) == dt.datetime.combine(yesterday, dt.time(9), tzinfo=zone)


@pytest.mark.django_db
def test_an_administrators_own_fields_are_asked_and_checked(company: dict[str, Member]) -> None:
    from django.core.exceptions import ValidationError

    form = ApprovalForm.objects.get(kind="general")
    form.extra_fields = [{"name": "body", "label": "Again", "type": "text", "required": True}]
    with pytest.raises(ValidationError):  # a name the kind uses already
        form.full_clean()
    form.extra_fields = [
        {"name": "project", "label": "프로젝트", "type": "text", "required": True},
        {"name": "due", "label": "Due", "type": "date", "required": False},
    ]
    form.full_clean()
    form.save()
    minji = company["minji"]
    with pytest.raises(Exception) as missing:
        services.document_draft(drafter=minji, form=form, title="t", data={"body": "x"})
    assert (missing.value.code, missing.value.field) == ("document_required", "project")  # type: ignore[attr-defined]
    page = logged_in(minji.user).get(f"/workplace/approvals/new/{form.pk}/")
    assert "프로젝트" in page.content.decode() and 'type="date"' in page.content.decode()
    made = services.document_draft(
        drafter=minji, form=form, title="t", data={"body": "x", "project": "Apollo", "due": ""}
    )
    assert made.content == {"body": "x", "project": "Apollo", "due": ""}
    shown = logged_in(minji.user).get(f"/workplace/approvals/{made.pk}/").context["fields"]
    assert ("프로젝트", "Apollo") in shown
