"""Monthly timesheets on real punches (`services.punch_record`) and booked leave: a member's
own month, a member's month for their managers, HR and executives, a department's month with
the departments below it, their CSV files (UTF-8 with a byte-order mark, spreadsheet-safe),
the personas member, manager, HR administrator, executive, outsider and anonymous; work
schedules (the default, a member's own) and today's statuses for a dashboard."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from peeka.accounts.models import User
from peeka.workplace.attendance import services, timesheets
from peeka.workplace.attendance.models import ScheduleAssignment, WorkSchedule
from peeka.workplace.leave.services import leave_adjust, leave_book
from peeka.workplace.org import services as org
from peeka.workplace.org.models import Department, Member, Role
from tests.webapp import PASSWORD, FrozenClock, logged_in, reauthenticated

pytestmark = pytest.mark.django_db
SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
NOVEMBER = "2026-11"
"""A past month: 21 working days (2 to 30 November 2026, no public holiday), 1 Nov a Sunday."""


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SEOUL)


def punch(member: Member, *times: dt.datetime) -> None:
    for when in times:
        services.punch_record(member=member, method="face", at=when)


@pytest.fixture
def company() -> dict[str, User]:
    """HQ with Sales (and Sales Korea below it) and Development below it; the member minji
    (Sales Korea), the manager junho (Sales), the HR administrator hana and the executive sora
    (HQ), wei of Development, and an outsider with an account but no member row."""
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


@pytest.fixture
def november(company: dict[str, User]) -> None:
    """minji's November: on time every working day but late on the 3rd, early on the 4th,
    absent on the 5th, on annual leave on the 6th, the afternoon off on the 9th, a shift left
    open on the 10th, and four hours on Saturday the 7th; junho came on the 2nd only."""
    minji = member(company["minji"])
    leave_adjust(member=minji, half_days=10, on_date=dt.date(2026, 1, 1), note="grant")
    leave_book(
        member=minji,
        leave_type="annual",
        start=dt.date(2026, 11, 6),
        end=dt.date(2026, 11, 6),
        document=None,
    )
    leave_book(
        member=minji,
        leave_type="half_pm",
        start=dt.date(2026, 11, 9),
        end=dt.date(2026, 11, 9),
        document=None,
    )
    special = {3, 4, 5, 6, 9, 10}
    times = [at(3, 9, 30), at(3, 18), at(4, 9), at(4, 17), at(7, 10), at(7, 14)]
    times += [at(9, 9), at(9, 13), at(10, 9)]  # no out on the 10th: the 11th's is an "in"
    for day in range(2, 31):
        if dt.date(2026, 11, day).weekday() < 5 and day not in special:
            times += [at(day, 9), at(day, 18)]
    punch(minji, *sorted(times))  # in time order, as the kiosk records them
    punch(member(company["junho"]), at(2, 8, 55), at(2, 18, 5))


def test_my_timesheet_has_a_row_a_day_and_the_months_totals(
    company: dict[str, User], november: None
) -> None:
    page = logged_in(company["minji"]).get("/workplace/attendance/timesheet/", {"month": NOVEMBER})
    assert page.status_code == 200
    sheet = page.context["sheet"]
    statuses = {row.day.day.day: row.day.status for row in sheet.rows}
    assert len(statuses) == 30
    assert statuses[1] == "weekend" and statuses[2] == "present" and statuses[3] == "late"
    assert statuses[4] == "left_early" and statuses[5] == "absent" and statuses[6] == "leave"
    assert statuses[7] == "weekend" and statuses[9] == "half_leave" and statuses[10] == "open"
    assert statuses[11] == "present" and statuses[30] == "present"
    total = sheet.totals
    assert (total.present, total.late, total.left_early, total.absent) == (19, 1, 1, 1)
    assert total.open_shifts == 1 and str(total.leave_days) == "1.5"
    assert total.worked_minutes == 15 * 480 + 450 + 420 + 240 + 240
    assert str(total.worked_hours) == "142.50" and str(total.overtime_hours) == "4.00"
    body = page.content.decode()
    # Each status is a badge with its words, never a color alone.
    assert '<span class="badge text-bg-warning">Late</span>' in body
    assert '<span class="badge text-bg-danger">Absent</span>' in body
    assert "09:30" in body and "Annual leave" in body
    assert "Punched in but never out" in body
    # In Korean, too.
    korean = logged_in(company["minji"])
    korean.cookies["django_language"] = "ko"
    assert korean.get("/workplace/attendance/timesheet/", {"month": NOVEMBER}).status_code == 200


def test_a_bad_month_shows_this_month_and_never_fails(company: dict[str, User]) -> None:
    client = logged_in(company["minji"])
    this_month = timesheets.month_of("", today=dt.date.today())
    for bad in (
        "2026-13",
        "abc",
        "99999-01",
        "1999-12",
        "2026-1-1",
        "%00",
        "\uff12\uff10\uff12\uff16-\uff11\uff11",
    ):
        page = client.get("/workplace/attendance/timesheet/", {"month": bad})
        assert page.status_code == 200
        assert page.context["sheet"].month.first.replace(day=1) in (
            this_month.first,
            this_month.next.first,  # the test ran over midnight at a month's end
        )
    assert client.get("/workplace/attendance/timesheet/", {"month": "2026-2"}).status_code == 200


def test_the_attendance_page_links_to_my_timesheet(company: dict[str, User]) -> None:
    page = logged_in(company["minji"]).get("/workplace/attendance/")
    assert page.status_code == 200
    assert 'href="/workplace/attendance/timesheet/"' in page.content.decode()


def test_who_sees_a_members_timesheet(company: dict[str, User], november: None) -> None:
    url = "/workplace/attendance/timesheet/E001/"
    for persona in ("minji", "junho", "hana", "sora"):
        page = logged_in(company[persona]).get(url, {"month": NOVEMBER})
        assert page.status_code == 200, persona
        assert page.context["sheet"].member.employee_number == "E001"
    assert logged_in(company["minji"]).get("/workplace/attendance/timesheet/e001/").status_code == (
        200
    )
    # A member sees no one else's; a manager no one outside their department's subtree.
    assert logged_in(company["wei"]).get(url).status_code == 403
    assert logged_in(company["minji"]).get("/workplace/attendance/timesheet/E002/").status_code == (
        403
    )
    assert logged_in(company["junho"]).get("/workplace/attendance/timesheet/E005/").status_code == (
        403
    )
    assert logged_in(company["junho"]).get("/workplace/attendance/timesheet/E003/").status_code == (
        403
    )
    assert logged_in(company["hana"]).get("/workplace/attendance/timesheet/E999/").status_code == (
        404
    )
    outsider = logged_in(company["outsider"])
    assert outsider.get(url).status_code == 403
    assert outsider.get("/workplace/attendance/timesheet/").status_code == 403
    for path in (url, "/workplace/attendance/timesheet/"):
        anonymous = Client().get(path)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    # Who has left stays readable for HR (their past months), not for the member any more.
    Member.objects.filter(user=company["minji"]).update(active=False)
    assert logged_in(company["hana"]).get(url).status_code == 200
    assert logged_in(company["minji"]).get(url).status_code == 403


def test_who_sees_a_departments_timesheet(company: dict[str, User], november: None) -> None:
    url = "/workplace/attendance/department/sales/"
    for persona in ("junho", "hana", "sora"):
        page = logged_in(company[persona]).get(url, {"month": NOVEMBER})
        assert page.status_code == 200, persona
    for persona in ("minji", "wei", "outsider"):
        assert logged_in(company[persona]).get(url).status_code == 403, persona
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    manager = logged_in(company["junho"])
    assert manager.get("/workplace/attendance/department/SALES-KR/").status_code == 200
    assert manager.get("/workplace/attendance/department/dev/").status_code == 403
    assert manager.get("/workplace/attendance/department/hq/").status_code == 403
    assert manager.get("/workplace/attendance/department/nope/").status_code == 404
    # A manager's own timesheet links to the department's; a member's does not.
    mine = manager.get("/workplace/attendance/timesheet/", {"month": NOVEMBER}).content.decode()
    assert 'href="/workplace/attendance/department/SALES/?month=2026-11"' in mine
    minji = logged_in(company["minji"]).get("/workplace/attendance/timesheet/").content.decode()
    assert "/workplace/attendance/department/" not in minji


def test_a_departments_month_adds_up_its_members_and_those_below(
    company: dict[str, User], november: None
) -> None:
    page = logged_in(company["junho"]).get(
        "/workplace/attendance/department/sales/", {"month": NOVEMBER}
    )
    sheet = page.context["sheet"]
    rows = {row.member.employee_number: row.totals for row in sheet.rows}
    assert list(rows) == ["E002", "E001"]  # Sales, then Sales Korea below it
    assert (rows["E002"].present, rows["E002"].absent, rows["E002"].worked_minutes) == (
        1,
        20,
        9 * 60 + 10 - 60,
    )
    assert rows["E001"].present == 19 and rows["E001"].late == 1
    assert sheet.totals.present == 20 and sheet.totals.absent == 21
    assert sheet.totals.worked_minutes == rows["E001"].worked_minutes + 490
    body = page.content.decode()
    assert 'href="/workplace/attendance/timesheet/E001/?month=2026-11"' in body
    whole = logged_in(company["hana"]).get(
        "/workplace/attendance/department/hq/", {"month": NOVEMBER}
    )
    numbers = [row.member.employee_number for row in whole.context["sheet"].rows]
    assert sorted(numbers) == ["E001", "E002", "E003", "E004", "E005"]


def test_timesheets_export_as_csv_with_a_byte_order_mark(
    company: dict[str, User], november: None
) -> None:
    Member.objects.filter(employee_number="E002").update(name="=HYPERLINK(1)")
    hr = logged_in(company["hana"])
    response = hr.get("/workplace/attendance/timesheet/E001/", {"month": NOVEMBER, "format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="peeka-timesheet-E001-2026-11.csv"' in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 30 and rows[0]["name"] == "김민지"
    third = rows[2]
    assert (third["date"], third["status"], third["status_label"]) == ("2026-11-03", "late", "Late")
    assert (third["first_in"], third["last_out"], third["late_minutes"]) == ("09:30", "18:00", "30")
    assert rows[9]["status"] == "open" and rows[9]["flags"] == "open_shift"
    assert rows[5]["leave_type"] == "annual" and rows[8]["leave_type"] == "half_pm"

    department = hr.get(
        "/workplace/attendance/department/sales/", {"month": NOVEMBER, "format": "csv"}
    )
    assert department.content.startswith(b"\xef\xbb\xbf")
    totals = list(csv.DictReader(io.StringIO(department.content.decode("utf-8-sig"))))
    assert [r["employee_number"] for r in totals] == ["E002", "E001"]
    assert totals[0]["name"] == "'=HYPERLINK(1)"  # not a formula in a spreadsheet
    assert totals[1]["department"] == "SALES-KR" and totals[1]["days_present"] == "19"
    assert totals[1]["leave_days"] == "1.5" and totals[1]["worked_hours"] == "142.50"
    # The file is refused to whom the page is refused.
    member_csv = logged_in(company["minji"]).get(
        "/workplace/attendance/department/sales/", {"format": "csv"}
    )
    assert member_csv.status_code == 403
    mine = logged_in(company["minji"]).get(
        "/workplace/attendance/timesheet/", {"month": NOVEMBER, "format": "csv"}
    )
    assert mine.status_code == 200 and mine.content.startswith(b"\xef\xbb\xbf")


def test_a_members_own_schedule_and_the_default_one(
    company: dict[str, User], november: None
) -> None:
    minji = member(company["minji"])
    month = timesheets.month_of(NOVEMBER, today=dt.date(2026, 12, 7))
    assert timesheets.member_timesheet(member=minji, month=month).schedule.pk is None
    # A later start for everyone (the new default): 09:30 on the 3rd is on time, 09:00 early.
    late_start = WorkSchedule.objects.create(name="10 to 7", start=dt.time(10), end=dt.time(19))
    services.schedule_make_default(schedule=late_start)
    sheet = timesheets.member_timesheet(member=minji, month=month)
    assert sheet.schedule == late_start and sheet.rows[2].day.status == "left_early"
    # minji keeps 09:00 to 18:00 with her own schedule.
    own = WorkSchedule.objects.create(name="9 to 6", late_grace_minutes=0)
    ScheduleAssignment.objects.create(member=minji, schedule=own)
    sheet = timesheets.member_timesheet(member=minji, month=month)
    assert sheet.schedule == own and sheet.rows[2].day.status == "late"
    # One default at a time: the database refuses a second; making one moves it.
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkSchedule.objects.create(name="Second", default=True)
    services.schedule_make_default(schedule=own)
    assert list(WorkSchedule.objects.filter(default=True)) == [own]


def test_todays_statuses_for_a_dashboard(company: dict[str, User], november: None) -> None:
    members = Member.objects.filter(employee_number__in=["E001", "E002", "E003"])
    found = timesheets.day_statuses(members=members, day=dt.date(2026, 11, 3), now=at(3, 10))
    by_number = {m.employee_number: found[m.pk] for m in members}
    assert by_number["E001"].status == "late" and by_number["E001"].in_progress
    assert by_number["E002"].status == "late" and "not_in_yet" in by_number["E002"].flags
    assert by_number["E003"].late_minutes == 60
    early = timesheets.day_statuses(members=members, day=dt.date(2026, 11, 6), now=at(6, 8))
    assert {m.employee_number: early[m.pk].status for m in members} == {
        "E001": "leave",
        "E002": "future",
        "E003": "future",
    }
    after = timesheets.day_statuses(members=members, day=dt.date(2026, 11, 5), now=at(6, 8))
    assert {s.status for s in after.values()} == {"absent"}


def test_hr_keeps_schedules_in_the_admin_after_a_step_up(
    company: dict[str, User], clock: FrozenClock
) -> None:
    from tests.accounts.test_mfa import with_totp

    root = User.objects.create_superuser("root", password=PASSWORD)
    with_totp(root, clock)
    refused = logged_in(root).post("/admin/attendance/workschedule/add/", {"name": "Early"})
    assert refused["Location"].startswith("/accounts/step-up/")
    admin = reauthenticated(root)
    form = {
        "name": "Early",
        "start": "07:00",
        "end": "16:00",
        "workdays": "54321",
        "break_minutes": "60",
        "late_grace_minutes": "5",
        "early_grace_minutes": "0",
        "half_day_hours": "4",
        "absent_hours": "1",
    }
    added = admin.post("/admin/attendance/workschedule/add/", form)
    assert added.status_code == 302
    early = WorkSchedule.objects.get(name="Early")
    assert early.workdays == "12345" and not early.default
    bad = admin.post(
        "/admin/attendance/workschedule/add/", {**form, "name": "Bad", "workdays": "189"}
    )
    assert bad.status_code == 200 and not WorkSchedule.objects.filter(name="Bad").exists()
    action = admin.post(
        "/admin/attendance/workschedule/",
        {"action": "make_default", "_selected_action": [str(early.pk)]},
    )
    assert action.status_code == 302
    assert WorkSchedule.objects.get(pk=early.pk).default
    assigned = admin.post(
        "/admin/attendance/scheduleassignment/add/",
        {"member": str(member(company["wei"]).pk), "schedule": str(early.pk)},
    )
    assert assigned.status_code == 302
    assert timesheets.schedule_of(member=member(company["wei"])) == early
    assert admin.get("/admin/attendance/workschedule/").status_code == 200
    # The default cannot be deleted.
    assert admin.get(f"/admin/attendance/workschedule/{early.pk}/delete/").status_code == 403


def test_the_department_page_without_members(company: dict[str, User]) -> None:
    empty = org.department_create(
        name="Empty", code="empty", parent=Department.objects.get(code="HQ")
    )
    page = logged_in(company["hana"]).get(f"/workplace/attendance/department/{empty.code}/")
    assert page.status_code == 200 and page.context["sheet"].rows == []
