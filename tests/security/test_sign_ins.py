"""A user's recent sign-in activity: real audit rows (from real logins through the pages, and
from the audit service), newest first, in words, with a device summary; only this user's
sign-in events; times rendered in the active time zone and language."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone, translation

from peeka.accounts.models import User
from peeka.security.client import ClientInfo
from peeka.security.models import AuditEvent
from peeka.security.selectors import SignIn, device_summary, recent_sign_ins
from peeka.security.services import audit_record
from tests.webapp import PASSWORD

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def record(user: User | None, event: str, success: bool, reason: str, **client: str) -> None:
    info = ClientInfo(
        ip=client.get("ip", "203.0.113.7"), user_agent=client.get("agent", CHROME_WINDOWS)
    )
    audit_record(event=event, success=success, reason=reason, user=user, client=info)


def test_it_lists_real_password_logins_newest_first(alice: User, bob: User) -> None:
    browser = Client(HTTP_USER_AGENT=SAFARI_IPHONE, REMOTE_ADDR="198.51.100.4")
    browser.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    response = browser.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    Client().post("/accounts/login/", {"username": "bob", "password": "wrong"})  # not hers

    with translation.override("en"):
        rows = recent_sign_ins(user=alice)
    assert [(r.title, r.success, r.reason) for r in rows] == [
        ("Signed in", True, "Password"),
        ("Password refused", False, "Wrong password or code"),
    ]
    assert all(r.device == "Safari on iPhone" and r.ip == "198.51.100.4" for r in rows)
    assert rows[0].time >= rows[1].time
    assert isinstance(rows[0], SignIn)


def test_it_covers_every_kind_of_sign_in_and_refusal(alice: User) -> None:
    record(alice, "challenge_login", True, "issued")  # not an outcome: left out
    record(alice, "challenge_login", False, "throttled")
    record(alice, "liveness_login", False, "duplicates")
    record(alice, "liveness_login", True, "ok")  # shown as the sign-in it completed
    record(alice, "password_login", True, "ok")  # likewise
    record(alice, "login", True, "face+password")
    record(alice, "totp", False, "bad_credentials")
    record(alice, "recovery_code", True, "ok")
    record(alice, "step_up", True, "face")
    record(alice, "liveness_stepup", False, "face_changed")
    record(alice, "password_login", False, "password_disabled")
    record(alice, "totp_setup", True, "")  # not a sign-in
    record(alice, "enroll", True, "ok")  # nor this

    with translation.override("en"):
        rows = recent_sign_ins(user=alice, limit=50)
    assert [(r.title, r.reason) for r in rows] == [
        ("Password refused", "Password locked after too many failures"),
        ("Face confirmation refused", "A different face appeared during the check"),
        ("Identity confirmed", "Face"),
        ("Recovery code used", ""),
        ("Authenticator code refused", "Wrong password or code"),
        ("Signed in", "Face + password"),
        ("Face login refused", "Same picture repeated (possible photo or replay)"),
        ("Face login check not started", "Too many failed attempts: waiting time"),
    ]


def test_it_keeps_to_the_limit_and_to_the_user(alice: User, bob: User) -> None:
    for _ in range(12):
        record(alice, "login", True, "password")
    record(bob, "login", True, "password")
    record(None, "password_login", False, "bad_credentials")  # a name nobody has
    assert len(recent_sign_ins(user=alice)) == 10
    assert len(recent_sign_ins(user=alice, limit=3)) == 3
    assert len(recent_sign_ins(user=bob)) == 1
    assert recent_sign_ins(user=alice, limit=0) == []


def test_titles_and_reasons_follow_the_language(alice: User) -> None:
    record(alice, "liveness_login", False, "duplicates")
    with translation.override("ko"):
        (row,) = recent_sign_ins(user=alice)
    assert row.title != "Face login refused" and row.reason != "duplicates"
    assert "Same picture" not in row.reason


@pytest.mark.parametrize(
    ("agent", "device"),
    [
        (CHROME_WINDOWS, "Chrome on Windows"),
        (SAFARI_IPHONE, "Safari on iPhone"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
            "Gecko) Version/17.4 Safari/605.1.15",
            "Safari on macOS",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
            "Firefox on Linux",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
            "Edge on Windows",
        ),
        ("python-requests/2.32.3", "Python"),
        ("curl/8.5.0", "curl"),
        ("", ""),
        ("something else entirely", ""),
    ],
)
def test_the_device_is_summarised_from_the_user_agent(agent: str, device: str) -> None:
    with translation.override("en"):
        assert device_summary(agent) == device


def test_the_include_renders_times_in_the_active_zone_and_language(alice: User) -> None:
    record(alice, "login", True, "face+password", agent=SAFARI_IPHONE)
    at = dt.datetime(2025, 3, 1, 23, 30, tzinfo=dt.UTC)
    AuditEvent.objects.update(time=at)
    with translation.override("ko"), timezone.override("Asia/Seoul"):
        html = render_to_string(
            "accounts/_sign_ins.html", {"sign_ins": recent_sign_ins(user=alice)}
        )
    assert "2025년 3월 2일" in html  # 08:30 the next day in Seoul, in Korean
    assert 'datetime="2025-03-02T08:30:00+09:00"' in html
    assert "Recent sign-in activity" not in html  # the heading is translated
    assert 'href="/accounts/password/"' in html
    with translation.override("en"), timezone.override("UTC"):
        html = render_to_string(
            "accounts/_sign_ins.html", {"sign_ins": recent_sign_ins(user=alice)}
        )
    assert "Recent sign-in activity" in html and "Signed in" in html
    assert "Face + password" in html and "Safari on iPhone" in html
    assert '<th scope="col">' in html
    with translation.override("en"):
        empty = render_to_string("accounts/_sign_ins.html", {"sign_ins": []})
    assert "No sign-in activity yet." in empty and "<table" not in empty
