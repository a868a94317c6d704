"""What each member's calendar holds: who sees which event, repetitions expanded in the window
only and at the same wall-clock time across a daylight-saving change, refused rules, and the
public holidays (Korean names for Korean pages, 2026's Chuseok), the holiday country setting."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from peeka.accounts.models import User
from peeka.workplace.calendar import recurrence, selectors, services
from peeka.workplace.calendar.models import Event
from peeka.workplace.calendar.public_holidays import package_language, public_holidays
from peeka.workplace.org.models import Member
from tests.webapp import logged_in
from tests.workplace.calendar.conftest import SEOUL, event, member

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")
ROOT = Path(__file__).resolve().parents[3]


def seen(user: User, start: dt.date, end: dt.date, *, language: str = "en") -> list[str]:
    entries = selectors.calendar_entries(
        member=member(user), start=start, end=end, language=language, zone=SEOUL
    )
    return [e.title for e in entries if e.kind == "event"]


DECEMBER = (dt.date(2026, 12, 1), dt.date(2027, 1, 1))


def test_each_member_sees_their_own_their_departments_and_the_companys(
    company: dict[str, User],
) -> None:
    event(company["minji"], "Dentist")
    event(company["junho"], "Sales meeting", scope="department", dept="sales")
    event(company["hana"], "Founding day", scope="company")
    # Sales Korea is below Sales: its member sees Sales' event; Development is beside it.
    assert sorted(seen(company["minji"], *DECEMBER)) == ["Dentist", "Founding day", "Sales meeting"]
    assert sorted(seen(company["junho"], *DECEMBER)) == ["Founding day", "Sales meeting"]
    assert seen(company["wei"], *DECEMBER) == ["Founding day"]
    assert seen(company["sora"], *DECEMBER) == ["Founding day"]  # above Sales: not its event
    # HR may change any department's event, so sees it; never someone's personal one.
    assert sorted(seen(company["hana"], *DECEMBER)) == ["Founding day", "Sales meeting"]


def test_a_sub_departments_event_is_not_seen_above_it_and_personal_ones_stay_hidden(
    company: dict[str, User],
) -> None:
    korea = event(company["junho"], "Korea visit", scope="department", dept="sales-kr")
    dentist = event(company["minji"], "Dentist")
    assert "Korea visit" in seen(company["minji"], *DECEMBER)
    assert "Korea visit" in seen(company["junho"], *DECEMBER)  # its owner
    assert "Korea visit" not in seen(company["wei"], *DECEMBER)
    for persona in ("junho", "hana", "sora", "wei"):
        assert "Dentist" not in seen(company[persona], *DECEMBER), persona
        page = logged_in(company[persona]).get("/workplace/calendar/", {"month": "2026-12"})
        assert "Dentist" not in page.content.decode(), persona
        detail = logged_in(company[persona]).get(f"/workplace/calendar/events/{dentist.pk}/")
        assert detail.status_code == 404, persona
    wei = logged_in(company["wei"]).get(f"/workplace/calendar/events/{korea.pk}/")
    assert wei.status_code == 404


def test_an_inactive_member_has_no_calendar(company: dict[str, User]) -> None:
    Member.objects.filter(user=company["minji"]).update(active=False)
    assert logged_in(company["minji"]).get("/workplace/calendar/").status_code == 403


def test_a_superuser_without_a_member_row_reads_the_companys_events(
    company: dict[str, User],
) -> None:
    event(company["hana"], "Founding day", scope="company")
    event(company["junho"], "Sales meeting", scope="department", dept="sales")
    root = User.objects.create_superuser("root", password="x")
    client = logged_in(root)
    page = client.get("/workplace/calendar/", {"month": "2026-12"})
    body = page.content.decode()
    assert page.status_code == 200 and "Founding day" in body and "Sales meeting" not in body
    assert 'id="event-new"' not in body
    assert client.get("/workplace/calendar/events/new/").status_code == 403
    assert client.get("/workplace/calendar/feed/").status_code == 403


def test_a_weekly_rule_repeats_in_the_window_at_the_same_local_time_across_dst(
    company: dict[str, User],
) -> None:
    # New York moves its clocks on 8 March 2026; Korea has no daylight-saving time.
    User.objects.filter(pk=company["junho"].pk).update(time_zone="America/New_York")
    standup = event(
        company["junho"],
        "Stand-up",
        start=dt.datetime(2026, 2, 23, 9, tzinfo=NEW_YORK),
        rrule="FREQ=WEEKLY;BYDAY=MO",
        zone="America/New_York",
    )
    assert Event.objects.count() == 1  # one row however often it repeats
    entries = selectors.calendar_entries(
        member=member(company["junho"]),
        start=dt.date(2026, 3, 1),
        end=dt.date(2026, 4, 1),
        language="en",
        zone=NEW_YORK,
    )
    starts = [e.start for e in entries if e.event_id == standup.pk]
    assert all(isinstance(s, dt.datetime) for s in starts)
    timed = [s for s in starts if isinstance(s, dt.datetime)]
    local = [s.astimezone(NEW_YORK) for s in timed]
    assert [t.day for t in local] == [2, 9, 16, 23, 30]
    assert {(t.hour, t.minute) for t in local} == {(9, 0)}
    utc_hours = [s.astimezone(dt.UTC).hour for s in timed]
    assert utc_hours == [14, 13, 13, 13, 13]  # EST, then EDT
    # The month page of a reader in New York puts it on those Mondays at 09:00.
    page = logged_in(company["junho"]).get("/workplace/calendar/", {"month": "2026-03"})
    days = [
        day.date.day
        for week in page.context["grid"].weeks
        for day in week
        if day.in_month and any(e.event_id == standup.pk for e in day.entries)
    ]
    assert days == [2, 9, 16, 23, 30]
    # Six on the page: its first row of days begins on 23 February, the first stand-up.
    assert page.content.decode().count(">09:00</time> Stand-up") == 6


def test_repetitions_stop_at_until_and_count_and_are_capped_in_a_window(
    company: dict[str, User],
) -> None:
    until = event(
        company["minji"],
        "Course",
        start=dt.datetime(2026, 12, 1, 19, tzinfo=SEOUL),
        rrule="FREQ=DAILY;UNTIL=20261205",
    )
    assert until.rrule == "FREQ=DAILY;UNTIL=20261205T145959Z"  # the end of that day, in UTC
    event(
        company["minji"],
        "Physio",
        start=dt.datetime(2026, 12, 1, 8, tzinfo=SEOUL),
        rrule="rrule:freq=weekly;count=3",
    )
    event(
        company["minji"],
        "Water the plants",
        start=dt.datetime(2020, 1, 1, 8, tzinfo=SEOUL),
        rrule="FREQ=DAILY",
    )
    titles = seen(company["minji"], *DECEMBER)
    assert titles.count("Course") == 5 and titles.count("Physio") == 3
    assert titles.count("Water the plants") == 31
    years = seen(company["minji"], dt.date(2025, 1, 1), dt.date(2028, 1, 1))
    # Capped (the window's margins take a day or two of the cap), never 1,095 a read.
    assert years.count("Water the plants") >= recurrence.MAX_OCCURRENCES - 5
    assert years.count("Water the plants") <= recurrence.MAX_OCCURRENCES


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ("FREQ=HOURLY", "event_rule_too_frequent"),
        ("FREQ=MINUTELY;COUNT=5", "event_rule_too_frequent"),
        ("FREQ=SECONDLY", "event_rule_too_frequent"),
        ("FREQ=DAILY;BYHOUR=9,10", "event_rule_invalid"),
        ("FREQ=WEEKLY;COUNT=2;UNTIL=20270101", "event_rule_invalid"),
        ("FREQ=FORTNIGHTLY", "event_rule_invalid"),
        ("DTSTART:20260101T000000\nRRULE:FREQ=DAILY", "event_rule_invalid"),
        ("FREQ=DAILY;INTERVAL=0", "event_rule_invalid"),
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31", "event_rule_never"),
        ("FREQ=DAILY;INTERVAL=7;BYDAY=TU", "event_rule_never"),  # from a Thursday
    ],
)
def test_a_bad_or_too_frequent_rule_is_refused_quickly(
    company: dict[str, User], rule: str, code: str
) -> None:
    began = time.monotonic()
    with pytest.raises(services.EventError) as refused:
        event(company["minji"], "Spam", rrule=rule)
    assert refused.value.field == "rrule" and refused.value.code == code
    assert time.monotonic() - began < 2  # an impossible rule is not searched to the year 9999
    assert not Event.objects.exists()


def test_the_service_refuses_a_scope_the_writer_may_not_use(company: dict[str, User]) -> None:
    with pytest.raises(services.EventForbiddenError):
        event(company["minji"], "Party", scope="company")
    with pytest.raises(services.EventForbiddenError):
        event(company["junho"], "Dev sync", scope="department", dept="dev")
    assert not Event.objects.exists()


def test_chuseok_2026_is_on_the_calendar_by_itself_in_the_pages_language(
    company: dict[str, User],
) -> None:
    september = (dt.date(2026, 9, 1), dt.date(2026, 10, 1))
    korean = public_holidays(start=september[0], end=september[1], language="ko")
    assert [(h.date.day, h.name) for h in korean] == [
        (24, "추석 전날"),
        (25, "추석"),
        (26, "추석 다음날"),
    ]
    english = public_holidays(start=september[0], end=september[1], language="en")
    assert [h.name for h in english] == [
        "The day preceding Chuseok",
        "Chuseok",
        "The second day of Chuseok",
    ]
    # The package has no Chinese names for Korea's holidays: English, never Korean.
    chinese = public_holidays(start=september[0], end=september[1], language="zh-hans")
    assert [h.name for h in chinese] == [h.name for h in english]
    entries = selectors.calendar_entries(
        member=member(company["wei"]), start=september[0], end=september[1], language="ko"
    )
    holidays = [e for e in entries if e.kind == "holiday"]
    assert [(e.start, e.end, e.all_day, e.event_id) for e in holidays] == [
        (dt.date(2026, 9, d), dt.date(2026, 9, d + 1), True, None) for d in (24, 25, 26)
    ]
    assert not Event.objects.exists()  # holidays are no rows
    page = logged_in(company["wei"]).get(
        "/workplace/calendar/", {"month": "2026-09"}, headers={"accept-language": "ko"}
    )
    marked = {
        day.date.day: [h.title for h in day.holidays]
        for week in page.context["grid"].weeks
        for day in week
        if day.holidays and day.in_month
    }
    assert marked == {24: ["추석 전날"], 25: ["추석"], 26: ["추석 다음날"]}
    assert '<div class="cal-holiday">추석</div>' in page.content.decode()


def test_holidays_across_a_new_year_and_the_language_names() -> None:
    days = public_holidays(start=dt.date(2026, 12, 25), end=dt.date(2027, 1, 2), language="en")
    assert [h.date for h in days] == [dt.date(2026, 12, 25), dt.date(2027, 1, 1)]
    assert public_holidays(start=dt.date(2026, 1, 2), end=dt.date(2026, 1, 2), language="en") == []
    cn = ("en_US", "th", "zh_CN", "zh_TW")
    assert package_language("zh-hans", cn) == "zh_CN"
    assert package_language("ko", ("en_US", "ko", "th")) == "ko"
    assert package_language("zh-hans", ("en_US", "ko", "th")) == "en_US"
    assert package_language("zh-hans", ("zh_TW",)) is None  # the country's own, not Traditional


def _settings_with(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PEEKA_") and k not in ("DATABASE_URL", "REDIS_URL")
    }
    full = {
        **inherited,
        "PEEKA_DATA_DIR": str(tmp_path / "data"),
        "PEEKA_KEY_DIR": str(tmp_path / "keys"),
        "PEEKA_SECRET_KEY": "x",
        **env,
    }
    code = "import peeka.web.settings as s; print(s.PEEKA_HOLIDAY_COUNTRY)"
    return subprocess.run(
        [sys.executable, "-c", code],
        env=full,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_the_holiday_country_is_a_setting_and_an_unknown_one_stops_startup(
    tmp_path: Path,
) -> None:
    assert _settings_with({}, tmp_path).stdout.strip() == "KR"
    assert _settings_with({"PEEKA_HOLIDAY_COUNTRY": " cn "}, tmp_path).stdout.strip() == "CN"
    refused = _settings_with({"PEEKA_HOLIDAY_COUNTRY": "XX"}, tmp_path)
    assert refused.returncode != 0 and "ImproperlyConfigured" in refused.stderr
    assert "PEEKA_HOLIDAY_COUNTRY='XX'" in refused.stderr.splitlines()[-1]


def test_anonymous_visitors_are_sent_to_log_in() -> None:
    for path in ("/workplace/calendar/", "/workplace/calendar/events/1/"):
        response = Client().get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
