"""The calendar's pages with each persona: the month (Monday first, today marked, prev/next, a
scope filter, a bad month read as this one), writing events per scope, changing and deleting
them (the owner, or HR for a department's or the company's, audited), field-bound errors."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.staticfiles import finders
from django.test import Client

from peeka.accounts import otp
from peeka.accounts.models import TotpDevice, User
from peeka.security.models import AuditEvent
from peeka.workplace.calendar.models import Event
from tests.webapp import PASSWORD, logged_in
from tests.workplace.calendar.conftest import SEOUL, department, event, member

pytestmark = pytest.mark.django_db
MONTH = "/workplace/calendar/"
NEW = "/workplace/calendar/events/new/"
TEMPLATES = Path(__file__).resolve().parents[3] / "peeka/workplace/calendar/templates"


def titles(response: object) -> set[str]:
    grid = response.context["grid"]  # type: ignore[attr-defined]
    return {e.title for week in grid.weeks for day in week for e in day.entries}


def test_members_see_the_month_and_others_do_not(company: dict[str, User]) -> None:
    for persona in ("minji", "junho", "hana", "sora", "wei"):
        response = logged_in(company[persona]).get(MONTH, {"month": "2026-12"})
        assert response.status_code == 200, persona
        assert b'href="/workplace/calendar/"' in response.content  # the navigation link
    outsider = logged_in(company["outsider"])
    assert outsider.get(MONTH).status_code == 403
    assert b'href="/workplace/calendar/"' not in outsider.get("/").content
    anonymous = Client().get(MONTH)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_the_month_is_a_monday_first_grid_with_today_and_its_neighbours(
    company: dict[str, User],
) -> None:
    client = logged_in(company["minji"])
    response = client.get(MONTH, {"month": "2026-12"})
    grid = response.context["grid"]
    assert grid.weeks[0][0].date == dt.date(2026, 11, 30)  # a Monday
    assert grid.weeks[-1][-1].date == dt.date(2027, 1, 3)  # a Sunday
    assert all(len(week) == 7 for week in grid.weeks)
    assert [d.date.day for d in grid.days] == list(range(1, 32))
    page = response.content.decode()
    assert 'href="?month=2026-11&amp;scope=all"' in page
    assert 'href="?month=2027-01&amp;scope=all"' in page
    assert "/static/workplace_calendar/calendar.css" in page
    today = dt.datetime.now(SEOUL).date()  # the persona's zone
    this_month = client.get(MONTH)
    assert this_month.context["grid"].month == today.replace(day=1)
    marked = re.findall(r'data-date="([0-9-]+)" aria-current="date"', this_month.content.decode())
    assert marked == [today.isoformat()]


@pytest.mark.parametrize(
    "month", ["2026-13", "2026-00", "abc", "0000-01", "99999-01", "2026-1", "2026-12-01", ""]
)
def test_a_bad_month_shows_this_month(company: dict[str, User], month: str) -> None:
    response = logged_in(company["minji"]).get(MONTH, {"month": month, "scope": "nonsense"})
    assert response.status_code == 200
    assert response.context["grid"].month == dt.datetime.now(SEOUL).date().replace(day=1)
    assert response.context["grid"].scope == "all"


def test_the_scope_filter_keeps_one_kind_of_event(company: dict[str, User]) -> None:
    event(company["minji"], "Dentist")
    event(company["junho"], "Sales meeting", scope="department", dept="sales")
    event(company["hana"], "Founding day", scope="company")
    client = logged_in(company["minji"])
    everything = {"Dentist", "Sales meeting", "Founding day"}
    assert titles(client.get(MONTH, {"month": "2026-12"})) == everything
    for scope, kept in [
        ("personal", "Dentist"),
        ("department", "Sales meeting"),
        ("company", "Founding day"),
    ]:
        response = client.get(MONTH, {"month": "2026-12", "scope": scope})
        assert titles(response) == {kept}
        assert f'href="?month=2026-12&amp;scope={scope}" aria-current="page"' in (
            response.content.decode()
        )


def form(title: str, scope: str = "personal", dept: str = "", **extra: str) -> dict[str, str]:
    data = {
        "title": title,
        "scope": scope,
        "department": str(department(dept).pk) if dept else "",
        "start_date": "2026-12-10",
        "start_time": "10:00",
        "end_date": "2026-12-10",
        "end_time": "11:30",
        "location": "",
        "description": "",
        "rrule": "",
    }
    data.update(extra)
    return data


@pytest.mark.parametrize(
    ("persona", "scope", "dept", "status"),
    [
        ("minji", "personal", "", 302),
        ("minji", "department", "sales-kr", 403),
        ("minji", "company", "", 403),
        ("junho", "department", "sales", 302),
        ("junho", "department", "sales-kr", 302),  # below the manager's department
        ("junho", "department", "hq", 403),  # above it
        ("junho", "department", "dev", 403),  # beside it
        ("junho", "company", "", 403),
        ("hana", "department", "dev", 302),  # HR writes for any department
        ("hana", "company", "", 302),
        ("sora", "company", "", 302),
        ("sora", "department", "dev", 302),  # an executive of HQ, above Development
    ],
)
def test_who_writes_which_scope(
    company: dict[str, User], persona: str, scope: str, dept: str, status: int
) -> None:
    response = logged_in(company[persona]).post(NEW, form("Planning", scope, dept))
    assert response.status_code == status
    stored = Event.objects.filter(title="Planning")
    if status == 302:
        created = stored.get()
        assert response["Location"] == f"/workplace/calendar/events/{created.pk}/"
        assert created.owner == member(company[persona]) and created.scope == scope
        assert created.start == dt.datetime(2026, 12, 10, 1, tzinfo=dt.UTC)  # 10:00 in Seoul
        assert created.time_zone == "Asia/Seoul"
    else:
        assert not stored.exists()
        assert "is-invalid" in response.content.decode()  # the refusal is on the scope field


def test_the_form_offers_only_the_scopes_and_departments_one_may_write(
    company: dict[str, User],
) -> None:
    scope_options = re.compile(r'<option value="(personal|department|company)"')
    member_form = logged_in(company["minji"]).get(NEW).content.decode()
    assert scope_options.findall(member_form) == ["personal"]
    manager_form = logged_in(company["junho"]).get(NEW, {"date": "2026-12-24"})
    page = manager_form.content.decode()
    assert scope_options.findall(page) == ["personal", "department"]
    assert ">Sales<" in page and ">Sales Korea<" in page and ">Development<" not in page
    assert 'value="2026-12-24"' in page  # the day clicked on the month
    assert "Asia/Seoul" in page
    outsider = logged_in(company["outsider"])
    assert outsider.get(NEW).status_code == 403
    assert outsider.post(NEW, form("x")).status_code == 403
    anonymous = Client().post(NEW, form("x"))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert not Event.objects.exists()


def test_an_all_day_event_takes_its_last_day_inclusive(company: dict[str, User]) -> None:
    data = form("Workshop", all_day="on", start_date="2026-12-24", end_date="2026-12-26")
    data.update(start_time="", end_time="")
    response = logged_in(company["minji"]).post(NEW, data)
    assert response.status_code == 302
    created = Event.objects.get(title="Workshop")
    assert created.all_day
    assert created.start.astimezone(SEOUL).time() == dt.time(0)
    assert created.end - created.start == dt.timedelta(days=3)
    month = logged_in(company["minji"]).get(MONTH, {"month": "2026-12"})
    days = {
        day.date.day
        for week in month.context["grid"].weeks
        for day in week
        if any(e.title == "Workshop" for e in day.entries)
    }
    assert days == {24, 25, 26}


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"end_date": "2026-12-09"}, "end_date", "The end comes after the start."),
        ({"rrule": "FREQ=HOURLY"}, "rrule", "at most daily"),
        ({"rrule": "FREQ=WEEKLY;BYDAY=XX"}, "rrule", "not valid"),
        ({"rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"}, "rrule", "never repeats"),
        ({"start_time": ""}, "start_time", "Give a time, or tick All day."),
        ({"title": "   "}, "title", ""),
        ({"start_date": "1800-01-01"}, "start_date", "between the years 1900 and 2200"),
        ({"scope": "department"}, "department", "Choose the department."),
        ({"scope": "everyone"}, "scope", ""),
    ],
)
def test_bad_input_is_an_error_on_its_field_and_saves_nothing(
    company: dict[str, User], changes: dict[str, str], field: str, words: str
) -> None:
    data = form("Review")
    data.update(changes)
    response = logged_in(company["junho"]).post(NEW, data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors, errors
    assert words in " ".join(errors[field])
    assert f'id="id_{field}-errors"' in response.content.decode()
    assert not Event.objects.exists()


def test_the_owner_edits_and_deletes_without_an_audit_row(company: dict[str, User]) -> None:
    mine = event(company["minji"], "Dentist")
    client = logged_in(company["minji"])
    page = client.get(f"/workplace/calendar/events/{mine.pk}/edit/").content.decode()
    assert 'value="Dentist"' in page and 'value="10:00"' in page and 'value="2026-12-10"' in page
    response = client.post(
        f"/workplace/calendar/events/{mine.pk}/edit/", form("Dentist (moved)", end_time="12:00")
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.title == "Dentist (moved)" and mine.end - mine.start == dt.timedelta(hours=2)
    assert client.get(f"/workplace/calendar/events/{mine.pk}/delete/").status_code == 200
    deleted = client.post(f"/workplace/calendar/events/{mine.pk}/delete/")
    assert deleted.status_code == 302 and deleted["Location"] == MONTH + "?month=2026-12"
    assert not Event.objects.filter(pk=mine.pk).exists()
    assert not AuditEvent.objects.filter(event__startswith="calendar_event").exists()


def test_others_cannot_change_an_event_but_hr_may_a_shared_one(company: dict[str, User]) -> None:
    personal = event(company["minji"], "Dentist")
    meeting = event(company["junho"], "Sales meeting", scope="department", dept="sales")
    edit = f"/workplace/calendar/events/{meeting.pk}/edit/"
    delete = f"/workplace/calendar/events/{meeting.pk}/delete/"
    member_client = logged_in(company["minji"])  # sees the meeting, may not change it
    assert member_client.get(f"/workplace/calendar/events/{meeting.pk}/").status_code == 200
    assert member_client.get(edit).status_code == 403
    assert member_client.post(edit, form("Hijacked")).status_code == 403
    assert member_client.post(delete).status_code == 403
    # Someone else's personal event does not exist for anyone else, HR included.
    for persona in ("junho", "hana"):
        client = logged_in(company[persona])
        for path in ("/", "/edit/", "/delete/"):
            url = f"/workplace/calendar/events/{personal.pk}{path}"
            assert client.get(url).status_code == 404, (persona, path)
    for path in ("/", "/edit/", "/delete/"):
        url = f"/workplace/calendar/events/{meeting.pk}{path}"
        assert logged_in(company["outsider"]).get(url).status_code == 403
        anonymous = Client().get(url)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    # HR changes and deletes the department's event, and the audit log says so.
    hr = logged_in(company["hana"])
    changed = hr.post(edit, form("Sales meeting (new room)", "department", "sales"))
    assert changed.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Sales meeting (new room)" and meeting.owner == member(company["junho"])
    assert hr.post(delete).status_code == 302
    assert not Event.objects.filter(pk=meeting.pk).exists()
    rows = AuditEvent.objects.filter(user=company["hana"]).order_by("pk")
    assert [(r.event, r.reason) for r in rows] == [
        ("calendar_event_update", f"event:{meeting.pk}"),
        ("calendar_event_delete", f"event:{meeting.pk}"),
    ]
    assert Event.objects.filter(pk=personal.pk).exists()


def test_moving_an_event_to_a_scope_one_may_not_write_is_refused(
    company: dict[str, User],
) -> None:
    mine = event(company["junho"], "Offsite", scope="department", dept="sales")
    response = logged_in(company["junho"]).post(
        f"/workplace/calendar/events/{mine.pk}/edit/", form("Offsite", "company")
    )
    assert response.status_code == 403
    mine.refresh_from_db()
    assert mine.scope == "department" and mine.title == "Offsite"


def test_an_event_page_shows_it_in_the_readers_words(company: dict[str, User]) -> None:
    weekly = event(company["hana"], "All hands", scope="company", rrule="FREQ=WEEKLY")
    page = logged_in(company["wei"]).get(f"/workplace/calendar/events/{weekly.pk}/")
    body = page.content.decode()
    assert page.status_code == 200 and "All hands" in body and "FREQ=WEEKLY" in body
    assert 'id="event-edit"' not in body
    assert logged_in(company["wei"]).get("/workplace/calendar/events/999999/").status_code == 404


def test_the_calendars_templates_have_no_inline_styles_or_scripts() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        assert " style=" not in text and "<script" not in text, template
    assert finders.find("workplace_calendar/calendar.css") is not None


def test_the_admin_lists_events_with_scope_owner_and_start(company: dict[str, User]) -> None:
    event(company["hana"], "Founding day", scope="company")
    root = User.objects.create_superuser("root", password=PASSWORD)
    otp.begin_totp(root)
    TotpDevice.objects.filter(user=root).update(confirmed=True)
    listing = logged_in(root).get("/admin/workplace_calendar/event/")
    assert listing.status_code == 200
    body = listing.content.decode()
    for column in ("column-title", "column-scope", "column-owner", "column-start"):
        assert column in body
    assert "Founding day" in body and "박하나" in body
    registered = admin.site._registry[Event]
    assert {"scope", "owner", "start"} <= set(registered.list_display)
