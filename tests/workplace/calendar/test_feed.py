"""Each member's private iCalendar feed: issued (and reset, and turned off) on a page of their
own, shown once, kept only as a hash; the feed itself needs no login, holds what its member
sees with repeating events as their RRULE and holidays as all-day events, and a wrong, reset
or withdrawn token is a 404 like any unknown one."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from icalendar import Calendar

from peeka.accounts.models import User
from peeka.security.models import AuditEvent
from peeka.workplace.calendar import selectors
from peeka.workplace.calendar.models import FeedToken
from peeka.workplace.calendar.public_holidays import public_holidays
from peeka.workplace.org.models import Member
from tests.webapp import logged_in
from tests.workplace.calendar.conftest import SEOUL, event, member

pytestmark = pytest.mark.django_db
PAGE = "/workplace/calendar/feed/"
FEED_URL = re.compile(r'value="(http://testserver/workplace/calendar/feed/([^"/]+)\.ics)"')


def issue(client: Client) -> tuple[str, str]:
    """Make (or reset) the feed on its page: the full URL and its path."""
    response = client.post(PAGE, {"action": "reset"})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")  # shown once, never cached
    found = FEED_URL.search(response.content.decode())
    assert found is not None
    return found[1], found[1].removeprefix("http://testserver")


def parse(response: object) -> Calendar:
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response["Content-Type"] == "text/calendar; charset=utf-8"  # type: ignore[index]
    return Calendar.from_ical(response.content)  # type: ignore[attr-defined]


def test_the_feed_page_with_each_persona(company: dict[str, User]) -> None:
    for persona in ("minji", "junho", "hana"):
        client = logged_in(company[persona])
        page = client.get(PAGE)
        assert page.status_code == 200 and 'id="feed-create"' in page.content.decode()
    outsider = logged_in(company["outsider"])
    assert outsider.get(PAGE).status_code == 403
    assert outsider.post(PAGE, {"action": "reset"}).status_code == 403
    anonymous = Client().post(PAGE, {"action": "reset"})
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert logged_in(company["minji"]).post(PAGE, {"action": "nonsense"}).status_code == 400
    assert not FeedToken.objects.exists()


def test_the_url_is_shown_once_and_only_its_hash_is_kept(company: dict[str, User]) -> None:
    client = logged_in(company["minji"])
    url, _ = issue(client)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 43  # 32 random bytes
    row = FeedToken.objects.get(member=member(company["minji"]))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    again = client.get(PAGE).content.decode()
    assert token not in again and 'id="feed-reset"' in again
    assert AuditEvent.objects.filter(event="calendar_feed_reset", user=company["minji"]).exists()


def test_the_feed_holds_what_its_member_sees(company: dict[str, User]) -> None:
    today = dt.datetime.now(SEOUL).date()
    soon = dt.datetime.combine(today + dt.timedelta(days=3), dt.time(9), tzinfo=SEOUL)
    weekly = event(
        company["minji"], "Stand-up", start=soon, rrule="FREQ=WEEKLY;BYDAY=MO,WE;COUNT=20"
    )
    meeting = event(company["junho"], "Sales meeting", scope="department", dept="sales", start=soon)
    event(company["wei"], "Wei's dentist", start=soon)
    event(company["minji"], "Long ago", start=soon - dt.timedelta(days=200))
    new_york = ZoneInfo("America/New_York")
    event(
        company["hana"],
        "Town hall",
        scope="company",
        start=dt.datetime.combine(today + dt.timedelta(days=10), dt.time(9), tzinfo=new_york),
        zone="America/New_York",
    )
    _, path = issue(logged_in(company["minji"]))
    calendar = parse(Client().get(path))  # no login: the token is the key
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert {"Stand-up", "Sales meeting", "Town hall"} <= set(events)
    assert "Wei's dentist" not in events and "Long ago" not in events
    standup = events["Stand-up"]
    assert str(standup["UID"]) == f"event-{weekly.pk}@peeka"
    assert standup["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=20;BYDAY=MO,WE"  # not expanded
    assert list(calendar.walk("VEVENT")).count(standup) == 1
    assert standup["DTSTART"].params["TZID"] == "Asia/Seoul"
    assert standup.decoded("DTSTART") == soon
    assert "DTSTAMP" in standup
    assert str(events["Sales meeting"]["UID"]) == f"event-{meeting.pk}@peeka"
    town_hall = events["Town hall"]
    assert town_hall["DTSTART"].params["TZID"] == "America/New_York"
    assert town_hall.decoded("DTSTART").hour == 9
    zones = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    assert {"Asia/Seoul", "America/New_York"} <= zones
    # The public holidays of the window, as all-day events, in the member's language.
    first, last = today - dt.timedelta(days=30), today + dt.timedelta(days=365)
    expected = public_holidays(start=first, end=last, language="en")
    holidays = [e for e in calendar.walk("VEVENT") if str(e["UID"]).startswith("holiday-kr-")]
    assert sorted((e.decoded("DTSTART"), str(e["SUMMARY"])) for e in holidays) == sorted(
        (h.date, h.name) for h in expected
    )
    assert all(type(e.decoded("DTSTART")) is dt.date for e in holidays)
    assert len({str(e["UID"]) for e in holidays}) == len(holidays)


def test_chuseok_2026_is_in_a_feed_read_that_september(company: dict[str, User]) -> None:
    User.objects.filter(pk=company["minji"].pk).update(language="ko")
    _, path = issue(logged_in(company["minji"]))
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    data = selectors.feed_ical(token=token, today=dt.date(2026, 9, 1))
    assert data is not None
    calendar = Calendar.from_ical(data)
    chuseok = {
        e.decoded("DTSTART"): str(e["SUMMARY"])
        for e in calendar.walk("VEVENT")
        if str(e["UID"]).startswith("holiday-kr-202609")
    }
    assert chuseok == {
        dt.date(2026, 9, 24): "추석 전날",
        dt.date(2026, 9, 25): "추석",
        dt.date(2026, 9, 26): "추석 다음날",
    }


def page_of(content: bytes, path: str) -> bytes:
    """A page without what differs between any two requests: its address and CSRF token."""
    content = content.replace(path.encode(), b"")
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)


def test_a_wrong_reset_or_withdrawn_token_is_not_found(company: dict[str, User]) -> None:
    client = logged_in(company["minji"])
    _, first = issue(client)
    assert Client().get(first).status_code == 200
    unknown = Client().get("/workplace/calendar/feed/not-a-token.ics")
    assert unknown.status_code == 404
    _, second = issue(client)  # reset: the old address stops working
    assert second != first
    reset = Client().get(first)
    assert reset.status_code == 404
    assert page_of(reset.content, first) == page_of(
        unknown.content, "/workplace/calendar/feed/not-a-token.ics"
    )
    assert Client().get(second).status_code == 200
    assert Client().get(second.replace(".ics", "x.ics")).status_code == 404
    assert Client().get("/workplace/calendar/feed/" + "a" * 500 + ".ics").status_code == 404
    Member.objects.filter(user=company["minji"]).update(active=False)
    assert Client().get(second).status_code == 404  # a member who left has no feed
    Member.objects.filter(user=company["minji"]).update(active=True)
    off = client.post(PAGE, {"action": "delete"})
    assert off.status_code == 200 and 'id="feed-off"' in off.content.decode()
    assert Client().get(second).status_code == 404
    assert not FeedToken.objects.exists()
    assert Client().post(second).status_code == 405
