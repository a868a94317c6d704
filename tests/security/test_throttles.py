"""Abuse controls with a frozen clock: the face lockout (5 failures -> 30 s between tries, 50 ->
face login off until the password changes), the password lockout's growing wait and its twin
for names nobody has, one try per opening when attempts race, per-IP limits on face and
password login and hourly ones, per-key limits on the API, each answered with 429 and
Retry-After."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.accounts.models import User
from peeka.api.models import ApiClient
from peeka.security.models import Lockout
from peeka.security.selectors import lockout_failures
from peeka.security.services import (
    FACE,
    ThrottledError,
    lockout_check,
    lockout_failed,
    lockout_succeeded,
    name_lockout_check,
    name_lockout_failed,
    rate_limit,
)
from peeka.security.services import PASSWORD as PASSWORDS
from tests.webapp import PASSWORD, FrozenClock, burst, enroll, reauthenticated


@pytest.fixture(autouse=True)
def plain_face_login(settings: SettingsWrapper) -> None:
    settings.PEEKA_LIVENESS = False  # one frame per attempt keeps these tests short


def attempt(
    frame: bytes, username: str = "alice", *, after_password: bool = False
) -> tuple[int, dict[str, object], str | None]:
    client = Client()
    if after_password:  # the login's second step: somebody answers for this attempt
        login = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
        assert login["Location"] == "/accounts/login/next/"
    client.get("/face/login/")
    response = client.post(
        "/face/login/frame/",
        {"frame": SimpleUploadedFile("f.jpg", frame), "username": username},
    )
    return response.status_code, dict(response.json()), response.get("Retry-After")


def test_five_failures_make_the_account_wait_30_seconds(
    alice: User, frames: dict[str, bytes], clock: FrozenClock
) -> None:
    assert enroll(reauthenticated(alice), burst(frames["obama"]), "iom")["ok"] is True
    for _ in range(5):
        assert attempt(frames["biden"])[0] == 200
    status, body, retry = attempt(frames["obama2"])  # even the right face must wait
    assert (status, body["code"], retry) == (429, "throttled", "30")
    clock.now += 10
    assert attempt(frames["obama2"])[2] == "20"
    clock.now += 21
    status, body, _ = attempt(frames["obama2"])
    assert status == 200 and body["passed"] is True
    assert lockout_failures(user=alice, rule=FACE) == 0  # a success resets the count
    assert attempt(frames["biden"])[0] == 200  # and the next failure does not wait


def test_fifty_strikes_turn_face_login_off_until_the_password_changes(
    alice: User, frames: dict[str, bytes], clock: FrozenClock
) -> None:
    enrolled = enroll(reauthenticated(alice), burst(frames["obama"]), "iom")
    codes = list(enrolled["recovery_codes"])  # type: ignore[call-overload]
    Lockout.objects.create(
        user=alice, kind="face", failures=49, strikes=49, failed_at=clock.now - 4000
    )
    assert attempt(frames["biden"])[0] == 200  # anonymous: the 50th failure, not a strike
    clock.now += 4000
    assert Lockout.objects.get(user=alice, kind="face").strikes == 49
    assert attempt(frames["biden"], after_password=True)[0] == 200  # the 50th strike
    clock.now += 3600
    status, body, retry = attempt(frames["obama2"])
    assert status == 429 and body["code"] == "face_login_disabled" and retry is None
    assert "recovery code" in str(body["message"])
    # Failing the face on purpose does not let a password alone in ...
    client = Client()
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response["Location"] == "/accounts/login/next/"
    page = client.get("/accounts/login/next/")
    assert page.context["options"] == ["recovery"]  # the locked face is not offered
    # ... but the password and a recovery code do, and a new password turns face login on.
    step = {"method": "recovery", "code": codes[0]}
    assert client.post("/accounts/login/next/", step)["Location"] == "/"
    step_up = {"password": PASSWORD, "code": codes[1], "next": "/accounts/password/"}
    assert client.post("/accounts/step-up/", step_up)["Location"] == "/accounts/password/"
    new = "a brand new passphrase 99"
    changed = client.post(
        "/accounts/password/",
        {"new_password1": new, "new_password2": new},
    )
    assert changed.status_code == 302
    assert attempt(frames["obama2"])[1]["passed"] is True


def test_anonymous_failures_slow_face_login_down_but_never_switch_it_off(
    alice: User, frames: dict[str, bytes], clock: FrozenClock
) -> None:
    """Someone who knows alice's name fails her face login for days: each wait doubles up to
    an hour, and her face still logs her in after it."""
    assert enroll(reauthenticated(alice), burst(frames["obama"]), "iom")["ok"] is True
    waits: list[int] = []
    failures = 0
    while failures < 60:
        status, _, retry = attempt(frames["biden"])
        if status == 429:
            waits.append(int(retry or 0))
            clock.now += waits[-1]
        else:
            failures += 1
    row = Lockout.objects.get(user=alice, kind="face")
    assert row.failures == 60 and row.strikes == 0 and not row.disabled
    assert waits[:5] == [30, 60, 120, 240, 480] and max(waits) == 3600
    clock.now += 3600
    assert attempt(frames["obama2"])[1]["passed"] is True


def test_face_login_is_rate_limited_per_address(
    alice: User, frames: dict[str, bytes], clock: FrozenClock, settings: SettingsWrapper
) -> None:
    settings.PEEKA_RATE_LIMITS = {**settings.PEEKA_RATE_LIMITS, "face": 3}
    clock.now = 1_800_000_020.0  # 20 s into a minute
    for _ in range(3):
        assert attempt(frames["biden"], "nobody")[0] == 200
    status, body, retry = attempt(frames["biden"], "nobody")
    assert (status, body["code"], retry) == (429, "rate_limited", "40")
    clock.now += 40
    assert attempt(frames["biden"], "nobody")[0] == 200


def test_password_login_is_rate_limited_per_address(
    alice: User, clock: FrozenClock, settings: SettingsWrapper
) -> None:
    settings.PEEKA_RATE_LIMITS = {**settings.PEEKA_RATE_LIMITS, "password": 2}
    client = Client()
    for _ in range(2):
        assert (
            client.post("/accounts/login/", {"username": "alice", "password": "x"}).status_code
            == 200
        )
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429 and response["Retry-After"]
    assert "Too many requests" in response.text
    assert not client.get("/").context["user"].is_authenticated
    clock.now += 60
    assert (
        client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code
        == 302
    )


def test_api_keys_are_rate_limited_and_subjects_locked_out(
    frames: dict[str, bytes], clock: FrozenClock, settings: SettingsWrapper, db: None
) -> None:
    key = ApiClient.create("busy")[1]
    other = ApiClient.create("calm")[1]
    client = Client()
    photo = SimpleUploadedFile("a.jpg", frames["obama"])
    assert client.post("/api/v1/enrollments", {"user": "s", "images": [photo]},
                       headers={"X-API-Key": key}).status_code == 201  # fmt: skip

    def verify(use: str, image: bytes) -> tuple[int, dict[str, object], str | None]:
        response = client.post(
            "/api/v1/verify",
            {"user": "s", "image": SimpleUploadedFile("p.jpg", image)},
            headers={"X-API-Key": use},
        )
        return response.status_code, dict(response.json()), response.get("Retry-After")

    for _ in range(5):
        assert verify(key, frames["biden"])[1] == {"match": False}
    status, body, retry = verify(key, frames["obama2"])
    assert (status, body["code"], retry) == (429, "throttled", "30")

    settings.PEEKA_RATE_LIMITS = {**settings.PEEKA_RATE_LIMITS, "api": 1}
    clock.now += 60
    assert verify(key, frames["obama2"])[1] == {"match": True}
    status, body, retry = verify(key, frames["obama2"])
    assert status == 429 and body["code"] == "rate_limited" and retry is not None
    assert verify(other, frames["obama2"]) == (200, {"match": False}, None)  # its own window


def test_the_password_wait_doubles_from_30_seconds_to_an_hour() -> None:
    assert [PASSWORDS.wait_after(n) for n in range(4, 14)] == [
        0, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600
    ]  # fmt: skip
    assert PASSWORDS.disable_after == 100  # NIST SP 800-63B-4's ceiling
    # The face's doubles too: its anonymous failures never disable it, so waiting is the limit.
    assert [FACE.wait_after(n) for n in (5, 6, 12, 40)] == [30, 60, 3600, 3600]


def _outcome(check: Callable[[], object]) -> tuple[str, int, str] | None:
    """What a check answers: None when it lets the attempt through."""
    try:
        check()
    except ThrottledError as exc:
        return exc.code, exc.retry_after, str(exc)
    return None


def test_a_name_nobody_has_is_throttled_exactly_like_an_account(
    alice: User, clock: FrozenClock
) -> None:
    for step in range(101):
        account = _outcome(lambda: lockout_check(user=alice, rule=PASSWORDS))
        name = _outcome(lambda: name_lockout_check(name="nobody", rule=PASSWORDS))
        assert account == name, step
        lockout_failed(user=alice, rule=PASSWORDS)
        name_lockout_failed(name="nobody", rule=PASSWORDS)
        clock.now += 600 if step % 3 else 5
    assert _outcome(lambda: name_lockout_check(name="nobody", rule=PASSWORDS)) == (
        "password_disabled",
        0,
        "This account's password is locked after too many wrong tries. Ask an administrator "
        "to reset it.",
    )


def test_racing_attempts_get_one_try_per_opening(alice: User, clock: FrozenClock) -> None:
    for _ in range(5):
        lockout_failed(user=alice, rule=PASSWORDS)
        name_lockout_failed(name="nobody", rule=PASSWORDS)
    clock.now += 30
    # Two attempts checked at the same instant: the first takes the opening (its failure is
    # counted at once), the second waits as if the first had failed.
    assert lockout_check(user=alice, rule=PASSWORDS, claim=True) is True
    assert _outcome(lambda: lockout_check(user=alice, rule=PASSWORDS, claim=True)) == (
        "throttled", 60, "Too many failed attempts. Try again in 60 seconds."
    )  # fmt: skip
    assert name_lockout_check(name="nobody", rule=PASSWORDS, claim=True) is True
    second = _outcome(lambda: name_lockout_check(name="nobody", rule=PASSWORDS, claim=True))
    assert second is not None and second[:2] == ("throttled", 60)
    assert lockout_failures(user=alice, rule=PASSWORDS) == 6
    lockout_failed(user=alice, rule=PASSWORDS, counted=True)  # the claimed try failed ...
    assert lockout_failures(user=alice, rule=PASSWORDS) == 6  # ... and is not counted twice
    lockout_succeeded(user=alice, rule=PASSWORDS)
    assert lockout_failures(user=alice, rule=PASSWORDS) == 0


def test_an_hourly_limit_counts_in_hour_windows(clock: FrozenClock) -> None:
    clock.now = 1_800_000_000.0 - 1_800_000_000.0 % 3600 + 600
    for _ in range(5):
        rate_limit(scope="register", ident="192.0.2.9", limit=5, window_seconds=3600)
    refusals = []
    for _ in range(2):
        try:
            rate_limit(scope="register", ident="192.0.2.9", limit=5, window_seconds=3600)
        except ThrottledError as exc:
            refusals.append((exc.code, exc.retry_after, exc.first))
    assert refusals == [("rate_limited", 3000, True), ("rate_limited", 3000, False)]
    rate_limit(scope="register", ident="192.0.2.10", limit=5, window_seconds=3600)
    clock.now += 3000
    rate_limit(scope="register", ident="192.0.2.9", limit=5, window_seconds=3600)
