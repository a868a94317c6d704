"""A working day of PEEKA workplace in Chromium, each person in their own browser and
language, with the fake camera playing the real webcam recording: the kiosk (Korean, a
tablet) punches Minji in by face after she confirms her name; Minji (Korean, a phone) drafts
a leave request; Junho, her manager (English, a laptop), approves it with a live face check;
the calendar shows the leave, her balance drops by the two days, the document has its number
and "signed with face"; Hana, HR (Chinese, a laptop), sees it on the company dashboard; Minji
punches out from her attendance page with a face check.

One person is recorded, so Junho's face is the recording's too: he is enrolled only after the
kiosk's punch-in, because two accounts with one face are, rightly, nobody to a 1:N search.
Minji's punch-out is therefore her own 1:1 face check on her attendance page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from peeka.accounts.models import User
from peeka.faces import flows
from peeka.security.client import ClientInfo
from peeka.workplace.approvals.models import ApprovalForm, Document
from peeka.workplace.attendance.models import Punch
from peeka.workplace.attendance.services import kiosk_create
from peeka.workplace.leave.models import LeaveBooking
from peeka.workplace.leave.selectors import leave_balance
from peeka.workplace.leave.services import leave_adjust, working_days
from peeka.workplace.org.models import Member, Role
from peeka.workplace.org.services import department_create, member_create
from tests.web.chromium import (
    DESKTOP,
    PHONE,
    chromium,
    face_check,
    live_clip,
    needs_chromium,
    new_context,
    one_browser_at_a_time,
    sign_in,
    watch,
)
from tests.webapp import PASSWORD, logged_in

pytestmark = [needs_chromium, one_browser_at_a_time, pytest.mark.slow]
CLIENT = ClientInfo(ip="127.0.0.1", user_agent="test")


def company() -> dict[str, Member]:
    hq = department_create(name="본사", code="hq")
    sales = department_create(name="영업팀", code="sales", parent=hq)
    people = {}
    for username, number, name, department, role in [
        ("minji", "E001", "김민지", sales, Role.EMPLOYEE),
        ("junho", "E002", "Junho Lee", sales, Role.MANAGER),
        ("hana", "E003", "朴河娜", hq, Role.HR_ADMIN),
    ]:
        user = User.objects.create_user(username, password=PASSWORD)
        people[username] = member_create(
            user=user,
            employee_number=number,
            name=name,
            department=department,
            role=role,
            hire_date=dt.date(2020, 3, 2),
        )
    return people


def enroll(member: Member, look: list[bytes]) -> None:
    flows.face_enroll(user=member.user, frames=look[:3], scheme="ckks", client=CLIENT,
                      channel="admin")  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_a_working_day(
    live_server: LiveServer,
    liveness_dir: Path,
    look: list[bytes],
    settings: SettingsWrapper,
    tmp_path: Path,
    async_unsafe: None,
) -> None:
    settings.PEEKA_LIVENESS = True
    settings.PEEKA_LIVENESS_FIXED_STEPS = ["blink"]  # the recording can only blink
    url = live_server.url
    people = company()
    minji, junho, hana = people["minji"], people["junho"], people["hana"]
    enroll(minji, look)
    leave_adjust(member=minji, half_days=30, on_date=dt.date(2026, 1, 1), note="grant")
    _, key = kiosk_create(name="1층 로비")
    today = timezone.localdate()
    first, second = working_days(
        start=today + dt.timedelta(days=7), end=today + dt.timedelta(days=14)
    )[:2]
    errors: list[str] = []
    webcam = liveness_dir / "face_video" / "tfjs_facemesh_input.mp4"
    with chromium(live_clip(webcam, tmp_path / "live.y4m")) as browser:
        # The kiosk: set up with its device key, then Minji's face, her name, the punch.
        kiosk = watch(new_context(browser, "ko", DESKTOP).new_page(), errors)
        kiosk.goto(f"{url}/workplace/kiosk/")
        kiosk.fill("#key", key)
        kiosk.click("#kiosk-enter")
        expect(kiosk.locator("#kiosk")).to_be_visible()
        face_check(kiosk, lambda p: p.locator("#kiosk-confirm").is_visible())
        expect(kiosk.locator("#confirm-question")).to_contain_text("김민지")
        kiosk.click("#confirm-yes")
        expect(kiosk.locator("#kiosk-result")).to_be_visible()
        punch = Punch.objects.get()
        assert (punch.member, punch.direction, punch.method) == (minji, "in", "face")
        # Back to the start for the next person.
        expect(kiosk.locator("[data-capture]")).to_have_attribute("data-capture-state", "idle")

        # Minji drafts a leave request on her phone and submits it.
        phone = new_context(browser, "ko", PHONE)
        sign_in(phone, logged_in(minji.user), url)
        page = watch(phone.new_page(), errors)
        page.goto(f"{url}/workplace/approvals/new/")
        leave_form = ApprovalForm.objects.get(kind="leave")
        page.click(f"#forms a[href='/workplace/approvals/new/{leave_form.pk}/']")
        page.fill("#id_title", "연차 신청")
        page.select_option("#id_leave_type", "annual")
        page.fill("#id_start", first.isoformat())
        page.fill("#id_end", second.isoformat())
        page.fill("#id_reason", "가족 여행")
        page.click("#save")
        page.click("#submit-document")
        expect(page.locator(".approval-state-in_progress").first).to_be_visible()
        document = Document.objects.get()
        before = leave_balance(member=minji).half_days

        # Junho approves it with a live face check, on his laptop, in English.
        enroll(junho, look)
        laptop = new_context(browser, "en", DESKTOP)
        sign_in(laptop, logged_in(junho.user), url)
        page = watch(laptop.new_page(), errors)
        page.goto(f"{url}/workplace/approvals/")
        page.click(f"#documents a[href='/workplace/approvals/{document.pk}/']")
        page.fill("#comment", "Enjoy your trip")
        face_check(page, lambda p: p.locator("#document-number").is_visible())
        document = Document.objects.get(pk=document.pk)
        assert document.state == "approved" and document.number.startswith("SALES-")
        expect(page.locator("#document-number")).to_have_text(document.number)
        expect(page.locator("#approval-line .signature-ok")).to_have_text("Signed with face")

        # Minji's calendar shows the leave; her balance dropped by the two days.
        page = watch(phone.new_page(), errors)
        page.goto(f"{url}/workplace/calendar/?month={first:%Y-%m}")
        expect(page.locator(".cal-leave").first).to_be_visible()
        booking = LeaveBooking.objects.get(document=document.pk)
        assert leave_balance(member=minji).half_days == before - booking.half_days == before - 4
        page.goto(f"{url}/workplace/dashboards/")
        assert before == 30
        expect(page.locator("#leave-balance")).to_have_text("13")

        # Hana (HR) sees the leave coming on the company dashboard, in Chinese.
        desk = new_context(browser, "zh-hans", DESKTOP)
        sign_in(desk, logged_in(hana.user), url)
        page = watch(desk.new_page(), errors)
        page.goto(f"{url}/workplace/dashboards/company/")
        assert page.get_attribute("html", "lang") == "zh-Hans"
        expect(page.locator("#upcoming-leave li[data-member='E001']")).to_contain_text("김민지")
        expect(page.locator("#members-today tr[data-member='E001']")).to_be_visible()

        # Minji punches out from her attendance page with her face.
        page = watch(phone.new_page(), errors)
        page.goto(f"{url}/workplace/attendance/")
        face_check(page, lambda p: p.locator("#clock-state[data-state='out']").count() == 1)
        assert list(Punch.objects.order_by("at").values_list("direction", "method")) == [
            ("in", "face"),
            ("out", "face"),
        ]
    assert errors == [], errors
