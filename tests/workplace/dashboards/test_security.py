"""The security view: failed face attempts and lockouts per hour from the audit log, liveness
rejections by check, kiosks, members without a second factor, and alerts (raised once per kind
and hour, above a floor and the usual, mailed to HR administrators in their language,
acknowledged with an audit row), with the personas member, manager, HR administrator,
superuser, outsider and anonymous."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.accounts.models import RecoveryCode, TotpDevice, User
from peeka.cli import main
from peeka.faces.models import FaceTemplate
from peeka.security.client import ClientInfo
from peeka.security.labels import reason_label
from peeka.security.models import AuditEvent
from peeka.security.services import audit_record
from peeka.workplace.attendance.models import Direction, KioskDevice, Method, Punch
from peeka.workplace.dashboards import selectors, services
from peeka.workplace.dashboards.models import Alert, AlertKind
from peeka.workplace.org import services as org
from peeka.workplace.org.models import Member, Role
from tests.webapp import PASSWORD, FrozenClock, logged_in

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2027, 1, 15, 10, 30, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
URL = "/workplace/dashboards/security/"


def record(
    event: str,
    success: bool,
    reason: str = "",
    *,
    at: dt.datetime,
    ip: str | None = None,
    username: str = "",
) -> None:
    client = ClientInfo(ip=ip, user_agent="t")
    row = audit_record(
        event=event, success=success, reason=reason, username=username, client=client
    )
    AuditEvent.objects.filter(pk=row.pk).update(time=at)


def failures(count: int, *, at: dt.datetime, event: str = "liveness_login") -> None:
    for i in range(count):
        record(event, False, "duplicates", at=at + dt.timedelta(seconds=i))


@pytest.fixture
def company() -> dict[str, User]:
    """A member, a manager, two HR administrators (Korean and Chinese, with e-mail), a
    superuser and an outsider with an account but no member row."""
    hq = org.department_create(name="본사", code="hq")
    sales = org.department_create(name="Sales", code="sales", parent=hq)
    people = {}
    for username, number, name, department, role, email, language, zone in [
        ("minji", "E001", "김민지", sales, Role.EMPLOYEE, "", "", ""),
        ("junho", "E002", "이준호", sales, Role.MANAGER, "junho@example.org", "", ""),
        ("hana", "E003", "박하나", hq, Role.HR_ADMIN, "hana@example.org", "ko", "Asia/Seoul"),
        ("wei", "E004", "王伟", hq, Role.HR_ADMIN, "", "zh-hans", "Asia/Shanghai"),
    ]:
        user = User.objects.create_user(
            username, password=PASSWORD, language=language, time_zone=zone
        )
        org.member_create(
            user=user,
            employee_number=number,
            name=name,
            department=department,
            role=role,
            email=email,
            hire_date=dt.date(2024, 3, 2),
        )
        people[username] = user
    User.objects.filter(username="wei").update(email="wei@example.cn")
    people["wei"].refresh_from_db()
    people["root"] = User.objects.create_superuser("root", password=PASSWORD)
    people["outsider"] = User.objects.create_user("outsider", password=PASSWORD)
    return people


# --- the numbers ----------------------------------------------------------------------------


def test_it_counts_failed_face_attempts_and_lockouts_per_hour() -> None:
    nine, ten = NOW.replace(hour=9, minute=10), NOW.replace(hour=10, minute=5)
    failures(3, at=nine)  # liveness_login
    record("face_login", False, "no_match", at=nine + 40 * dt.timedelta(minutes=1))
    record("liveness_enroll", False, "steps", at=nine)  # any liveness check
    record("kiosk_identify", False, "no_match", at=ten)
    record("api_verify", False, "no_match", at=ten)
    record("api_identify", True, "ok", at=ten)  # a success is no failure
    record("challenge_login", False, "rate_limited", at=ten)  # starting a check is no attempt
    record("password_login", False, "bad_credentials", at=ten)  # not a face
    # Lockouts: a back-off, and factors or a PIN turned off; a rate limit is not one.
    record("password_login", False, "throttled", at=nine)
    record("liveness_login", False, "face_login_disabled", at=ten)  # a face failure too
    record("kiosk_pin", False, "pin_disabled", at=ten)
    record("login", False, "rate_limited", at=ten)
    failures(5, at=NOW - 25 * HOUR)  # before the chart's 24 hours

    hours = selectors.hourly_counts(first=NOW - 23 * HOUR, hours=24)
    assert len(hours) == 24 and hours[0].start == NOW.replace(minute=0) - 23 * HOUR
    assert hours[-2].start == NOW.replace(hour=9, minute=0)
    assert (hours[-2].face_failures, hours[-2].lockouts) == (5, 1)
    assert (hours[-1].face_failures, hours[-1].lockouts) == (3, 2)
    assert sum(h.face_failures for h in hours[:-2]) == 0

    overview = selectors.security_overview(now=NOW)
    chart = overview.face_chart
    assert chart.total == 8 and chart.highest == 5 and len(chart.bars) == 24
    tallest, last = chart.bars[-2], chart.bars[-1]
    tallest_height = selectors.Chart.PLOT_HEIGHT
    assert tallest.height == tallest_height and tallest.y == 115 - tallest_height
    assert last.height == 66 and last.count == 3  # 3/5 of the tallest
    assert chart.bars[0].height == 0 and chart.bars[0].label and not chart.bars[1].label
    assert overview.lockout_chart.total == 3


def test_it_counts_liveness_rejections_by_check_over_a_day_and_a_week() -> None:
    failures(2, at=NOW - 2 * HOUR)  # liveness_login, duplicates
    record("liveness_api", False, "duplicates", at=NOW - 5 * 24 * HOUR)
    record("liveness_kiosk", False, "too_fast", at=NOW - 3 * 24 * HOUR)
    record("liveness_punch", False, "", at=NOW - HOUR)
    record("liveness_login", False, "too_fast", at=NOW - 8 * 24 * HOUR)  # too old
    record("liveness_login", True, "ok", at=NOW - HOUR)  # passed
    record("face_login", False, "no_match", at=NOW - HOUR)  # no liveness check
    rows = selectors.liveness_rejections(now=NOW)
    assert [(r.reason, r.last_day, r.last_week) for r in rows] == [
        ("duplicates", 2, 3),
        ("", 1, 1),
        ("too_fast", 0, 1),
    ]
    with translation.override("en"):
        rows = selectors.liveness_rejections(now=NOW)
    assert rows[0].label == "Same picture repeated (possible photo or replay)"
    assert rows[1].label == "No reason recorded"


def test_it_lists_kiosks_with_punches_and_failed_pin_tries_today(
    company: dict[str, User],
) -> None:
    lobby = KioskDevice.objects.create(name="Lobby", key_hash="a" * 64)
    garage = KioskDevice.objects.create(name="Garage", key_hash="b" * 64, active=False)
    KioskDevice.objects.create(name="Spare", key_hash="c" * 64)
    minji = Member.objects.get(employee_number="E001")
    for at, device in [
        (NOW - 2 * HOUR, lobby),
        (NOW - HOUR, lobby),
        (NOW - 16 * HOUR, lobby),  # yesterday (in UTC)
        (NOW - 40 * HOUR, garage),
        (NOW - HOUR, None),  # on the member's own page
    ]:
        Punch.objects.create(
            member=minji, at=at, direction=Direction.IN, method=Method.FACE, device=device
        )
    record("kiosk_enter", True, "ok", at=NOW - 90 * 24 * HOUR, ip="10.0.0.5", username="Lobby")
    record("kiosk_enter", False, "bad_key", at=NOW - 24 * HOUR, ip="10.0.0.9")
    for ip in ("10.0.0.5", "10.0.0.5", "10.0.0.9"):
        record("kiosk_pin", False, "bad_credentials", at=NOW - HOUR, ip=ip)
    record("kiosk_pin", True, "camera", at=NOW - HOUR, ip="10.0.0.5")
    record("kiosk_pin", False, "bad_credentials", at=NOW - 11 * HOUR, ip="10.0.0.5")  # yesterday
    with timezone.override(dt.UTC):
        found = selectors.kiosks(now=NOW)
    rows = {row.device.name: row for row in found.rows}
    assert list(rows) == ["Garage", "Lobby", "Spare"]
    assert rows["Lobby"].last_punch == NOW - HOUR and rows["Lobby"].punches_today == 2
    assert rows["Lobby"].failed_pins_today == 2 and rows["Lobby"].addresses == ["10.0.0.5"]
    assert rows["Garage"].last_punch == NOW - 40 * HOUR and rows["Garage"].punches_today == 0
    assert rows["Spare"].last_punch is None and rows["Spare"].failed_pins_today == 0
    assert (found.failed_pins_today, found.unattributed_pins_today) == (3, 1)
    # "Today" is the viewer's: in Seoul (UTC+9) it began at 15:00 UTC the day before.
    with timezone.override(dt.timezone(dt.timedelta(hours=9))):
        seoul = selectors.kiosks(now=NOW)
    assert {r.device.name: r.punches_today for r in seoul.rows}["Lobby"] == 3
    assert seoul.failed_pins_today == 4 and seoul.unattributed_pins_today == 1


def test_it_lists_members_with_only_a_password(company: dict[str, User]) -> None:
    FaceTemplate.objects.create(
        user=company["junho"], scheme="iom", model="m", key_id="k", data=b"t", frames_used=3,
        consent_version="1",
    )  # fmt: skip
    TotpDevice.objects.create(user=company["hana"], wrapped_secret=b"s", confirmed=True)
    TotpDevice.objects.create(user=company["wei"], wrapped_secret=b"s", confirmed=False)
    RecoveryCode.objects.create(user=company["wei"], lookup="abcd", code_hash="x")
    left = User.objects.create_user("left", password=PASSWORD)
    org.member_create(
        user=left, employee_number="E009", name="Gone", department=Member.objects.get(
            employee_number="E001").department, hire_date=dt.date(2020, 1, 1),
    )  # fmt: skip
    Member.objects.filter(user=left).update(active=False)
    rows = selectors.members_without_second_factor()
    # An unconfirmed authenticator is no factor; recovery codes stand in for one, are not one.
    assert [(r.member.employee_number, r.recovery_codes) for r in rows] == [
        ("E004", True),
        ("E001", False),
    ]


# --- alerts ---------------------------------------------------------------------------------


def test_an_hour_far_above_the_floor_raises_one_alert_however_often_checked() -> None:
    failures(12, at=NOW.replace(minute=1))
    alerts = services.alerts_check(now=NOW)
    assert [(a.kind, a.count, a.baseline) for a in alerts] == [(AlertKind.FACE_FAILURES, 12, 0)]
    assert alerts[0].window_start == NOW.replace(minute=0) and alerts[0].created_at == NOW
    assert services.alerts_check(now=NOW) == []
    failures(3, at=NOW.replace(minute=20))
    assert services.alerts_check(now=NOW + dt.timedelta(minutes=5)) == []
    stored = Alert.objects.get()
    assert stored.count == 15 and stored.created_at == NOW  # the count grew, still one alert
    assert selectors.unacknowledged_alerts_count() == 1


def test_no_alert_under_the_floor_nor_under_three_times_the_usual() -> None:
    failures(9, at=NOW.replace(minute=1))
    for i in range(9):  # lockouts too
        record("password_login", False, "throttled", at=NOW.replace(minute=2, second=i))
    assert services.alerts_check(now=NOW) == []
    # 5 an hour over the 24 hours before: an alert takes 15.
    for hours_ago in range(1, 25):
        failures(5, at=NOW.replace(minute=0) - hours_ago * HOUR)
    failures(5, at=NOW.replace(minute=3))  # 14 this hour
    assert services.alerts_check(now=NOW) == []
    failures(1, at=NOW.replace(minute=4))
    (alert,) = services.alerts_check(now=NOW)
    assert (alert.kind, alert.count, alert.baseline) == (AlertKind.FACE_FAILURES, 15, 5.0)
    assert services.alert_threshold(baseline=5.0) == 15
    assert services.alert_threshold(baseline=0.5) == services.ALERT_FLOOR


def test_a_burst_at_the_end_of_an_hour_still_raises_its_alert_a_little_later() -> None:
    for i in range(10):
        record("kiosk_pin", False, "pin_disabled", at=NOW.replace(minute=58, second=i) - HOUR)
    (alert,) = services.alerts_check(now=NOW.replace(minute=2))
    assert alert.kind == AlertKind.LOCKOUTS and alert.window_start == NOW.replace(minute=0) - HOUR
    assert alert.count == 10


def test_new_alerts_are_mailed_to_hr_administrators_in_their_language(
    company: dict[str, User],
    settings: SettingsWrapper,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.PEEKA_EMAIL_ENABLED = True
    org.member_create(
        user=User.objects.create_user("gone", password=PASSWORD, email="gone@example.org"),
        employee_number="E008", name="Gone", role=Role.HR_ADMIN,
        department=Member.objects.get(employee_number="E003").department,
        hire_date=dt.date(2020, 1, 1),
    )  # fmt: skip
    Member.objects.filter(employee_number="E008").update(active=False)
    failures(12, at=NOW.replace(minute=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.alerts_check(now=NOW)
    by_address = {message.to[0]: message for message in mail.outbox}
    # The member's e-mail, else the account's; not the manager's, nor a former HR member's.
    assert sorted(by_address) == ["hana@example.org", "wei@example.cn"]
    korean, chinese = by_address["hana@example.org"], by_address["wei@example.cn"]
    assert "2027년 1월 15일 7:00 오후" in korean.body and "Asia/Seoul" in korean.body
    assert "2027年1月15日 18:00" in chinese.body and "Asia/Shanghai" in chinese.body
    assert URL in korean.body and "12" in korean.body
    with translation.override("ko"):
        subject = gettext("Peeka security alert: %(kind)s") % {
            "kind": AlertKind.FACE_FAILURES.label
        }
    assert korean.subject == subject
    # Checked again: nothing new, nothing mailed.
    with django_capture_on_commit_callbacks(execute=True):
        services.alerts_check(now=NOW)
    assert len(mail.outbox) == 2


def test_no_mail_without_e_mail_set_up(
    company: dict[str, User],
    settings: SettingsWrapper,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.PEEKA_EMAIL_ENABLED = False
    failures(12, at=NOW.replace(minute=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert len(services.alerts_check(now=NOW)) == 1
    assert mail.outbox == []


def test_peeka_org_alerts_checks_for_alerts(
    clock: FrozenClock, capsys: pytest.CaptureFixture[str]
) -> None:
    clock.now = NOW.timestamp()
    failures(11, at=NOW.replace(minute=1), event="api_verify")
    assert main(["org", "alerts", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)["alerts"]
    assert [(a["kind"], a["count"]) for a in found] == [("face_failures", 11)]
    assert main(["org", "alerts"]) == 0
    assert "0 new alert(s)" in capsys.readouterr().out
    assert Alert.objects.count() == 1


# --- the pages ------------------------------------------------------------------------------


def test_only_hr_administrators_and_superusers_see_the_security_view(
    company: dict[str, User],
) -> None:
    for persona in ("hana", "root"):
        response = logged_in(company[persona]).get(URL)
        assert response.status_code == 200, persona
        assert b'id="face-chart"' in response.content
    for persona in ("minji", "junho", "outsider"):
        assert logged_in(company[persona]).get(URL).status_code == 403, persona
    anonymous = Client().get(URL)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert logged_in(company["hana"]).post(URL).status_code == 405


def test_the_view_shows_words_not_codes_and_checks_for_alerts_once_a_minute(
    company: dict[str, User], clock: FrozenClock
) -> None:
    clock.now = NOW.timestamp()
    failures(12, at=NOW.replace(minute=1))
    record("liveness_kiosk", False, "too_fast", at=NOW - HOUR)
    hr = logged_in(company["root"])  # no language of their own: English
    response = hr.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    assert Alert.objects.get().count == 12  # opening the view checked
    assert 'id="open-alerts"' in page and 'id="acknowledge-' in page
    with translation.override("en"):
        assert reason_label("duplicates") in page and ">duplicates<" not in page
    assert 'data-count="12"' in page and "<table" in page.split('id="face-chart"')[1]
    assert "김민지" in page  # no second factor
    assert " style=" not in page.split('id="main"')[1]  # the CSP: no inline styles
    failures(5, at=NOW.replace(minute=10))
    hr.get(URL)
    assert Alert.objects.get().count == 12  # checked less than a minute ago
    cache.delete(services.LAZY_CHECK_KEY)
    hr.get(URL)
    assert Alert.objects.get().count == 17


def test_hr_acknowledges_an_alert_once_and_it_is_audited(company: dict[str, User]) -> None:
    failures(12, at=NOW.replace(minute=1))
    (alert,) = services.alerts_check(now=NOW)
    action = f"/workplace/dashboards/security/alerts/{alert.pk}/acknowledge/"
    for persona in ("minji", "junho", "outsider"):
        assert logged_in(company[persona]).post(action).status_code == 403, persona
    assert Client().post(action).status_code == 302
    assert selectors.unacknowledged_alerts_count(user=company["hana"]) == 1
    assert selectors.unacknowledged_alerts_count(user=company["minji"]) == 0
    hr = logged_in(company["hana"])
    assert hr.get(action).status_code == 405
    response = hr.post(action)
    assert response.status_code == 302 and response["Location"] == URL
    alert.refresh_from_db()
    assert alert.acknowledged_by == company["hana"] and alert.acknowledged_at is not None
    audited = AuditEvent.objects.get(event="alert_acknowledge")
    assert audited.user == company["hana"] and audited.reason == AlertKind.FACE_FAILURES
    assert selectors.unacknowledged_alerts_count() == 0
    # Again, by someone else: nothing changes, nothing more is audited.
    again = logged_in(company["root"]).post(action, follow=True)
    assert again.status_code == 200 and 'id="open-alerts"' not in again.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_by == company["hana"]
    assert AuditEvent.objects.filter(event="alert_acknowledge").count() == 1
    assert hr.post("/workplace/dashboards/security/alerts/999/acknowledge/").status_code == 404
