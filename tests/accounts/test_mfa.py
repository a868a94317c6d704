"""Multi-factor login, step-up and their abuse controls, with a frozen clock: the authenticator
app (RFC 6238: QR code, one step of drift, no code twice), recovery codes (hashed, single use,
standing in for a lost camera), the deployment's login policy and its admin page, step-up
before sensitive actions (API keys included), the client address behind a proxy, and a new
session key at every factor."""

from __future__ import annotations

import hashlib

import pyotp
import pytest
from django.test import Client, RequestFactory
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.accounts import mfa, otp
from peeka.accounts.models import LoginPolicy, RecoveryCode, TotpDevice, User
from peeka.api.models import ApiClient
from peeka.faces.models import FaceTemplate
from peeka.security.client import client_ip
from peeka.security.models import AuditEvent, Lockout
from tests.webapp import PASSWORD, FrozenClock, logged_in, reauthenticated


def with_totp(user: User, clock: FrozenClock) -> pyotp.TOTP:
    """`user` with a confirmed authenticator and recovery codes (as the set-up page leaves
    them); the app's generator."""
    uri = otp.begin_totp(user)
    app = pyotp.parse_uri(uri)
    assert isinstance(app, pyotp.TOTP)
    assert otp.confirm_totp(user, app.at(clock.now))
    otp.new_recovery_codes(user)
    clock.now += 30  # the set-up code is spent
    return app


def with_face(user: User) -> None:
    """A template row: enough for the policy to count the face as set up."""
    FaceTemplate.objects.create(user=user, scheme="iom", key_id="k", data=b"t", frames_used=3,
                                consent_version="1")  # fmt: skip


def password_first(client: Client, next_url: str = "") -> str:
    query = f"?next={next_url}" if next_url else ""
    response = client.post(f"/accounts/login/{query}", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    return str(response["Location"])


def step(client: Client, method: str, code: str) -> tuple[int, str]:
    field = "password" if method == "password" else "code"
    response = client.post("/accounts/login/next/", {"method": method, field: code})
    return response.status_code, str(response.get("Location", ""))


def test_setting_up_an_authenticator_shows_a_qr_code_and_needs_a_first_code(
    alice: User, clock: FrozenClock
) -> None:
    assert (
        logged_in(alice)
        .get("/accounts/security/totp/")["Location"]
        .startswith("/accounts/step-up/")
    )
    client = reauthenticated(alice)
    page = client.get("/accounts/security/totp/")
    assert page.status_code == 200 and "<svg" in page.text and 'id="qr"' in page.text
    secret = page.context["secret"].replace(" ", "")
    app = pyotp.TOTP(secret)
    # The secret is stored wrapped by the key vault, never as it is.
    stored = bytes(TotpDevice.objects.get(user=alice).wrapped_secret)
    assert secret.encode() not in stored and stored.startswith(b"PKW1")
    wrong = client.post("/accounts/security/totp/", {"code": "000000"})
    assert "not right" in wrong.text and not otp.has_totp(alice)
    done = client.post("/accounts/security/totp/", {"code": app.at(clock.now)})
    assert otp.has_totp(alice)
    codes = done.context["codes"]  # the first factor comes with recovery codes, shown once
    assert len(codes) == 10 and len(set(codes)) == 10
    for row in RecoveryCode.objects.filter(user=alice):
        assert not any(code.replace("-", "") in row.code_hash for code in codes)
    assert client.get("/accounts/security/totp/")["Location"] == "/accounts/security/"


def test_password_and_authenticator_log_in_and_a_code_works_once(
    alice: User, clock: FrozenClock
) -> None:
    app = with_totp(alice, clock)
    client = Client()
    assert password_first(client) == "/accounts/login/next/"
    assert client.get("/accounts/login/next/").context["options"] == ["totp", "recovery"]
    assert not client.get("/").context["user"].is_authenticated
    code = app.at(clock.now)
    assert step(client, "totp", code) == (302, "/")
    assert client.get("/").context["user"] == alice
    assert AuditEvent.objects.get(event="login").reason == "password+totp"
    # The same code again (a replay, even within its 30 s) fails; the next one works.
    other = Client()
    password_first(other)
    assert step(other, "totp", code)[0] == 400
    clock.now += 30
    assert step(other, "totp", app.at(clock.now)) == (302, "/")
    # One step of clock drift either way is accepted, two are not.
    for drift, status in ((-30, 302), (60, 400)):
        clock.now += 90
        late = Client()
        password_first(late)
        assert step(late, "totp", app.at(clock.now + drift))[0] == status


def test_recovery_codes_stand_in_for_a_lost_camera_once_each(alice: User) -> None:
    with_face(alice)
    codes = otp.new_recovery_codes(alice)
    client = Client()
    password_first(client)
    assert client.get("/accounts/login/next/").context["options"] == ["face", "recovery"]
    assert step(client, "recovery", codes[3].upper()) == (302, "/")  # case and dashes forgiven
    assert AuditEvent.objects.get(event="login").reason == "password+recovery"
    again = Client()
    password_first(again)
    assert step(again, "recovery", codes[3])[0] == 400  # used up
    assert otp.recovery_codes_left(alice) == 9
    # A recovery code is never a first factor, and never enough with nothing else.
    assert not mfa.complete(alice, {"recovery"})


def test_wrong_codes_make_the_account_wait_then_turn_codes_off(
    alice: User, clock: FrozenClock
) -> None:
    app = with_totp(alice, clock)
    client = Client()
    password_first(client)
    for _ in range(5):
        assert step(client, "totp", "123456")[0] == 400
    response = client.post("/accounts/login/next/", {"method": "totp", "code": app.at(clock.now)})
    assert response.status_code == 429 and response["Retry-After"] == "30"  # even the right one
    clock.now += 31
    assert step(client, "totp", app.at(clock.now)) == (302, "/")
    # 100 consecutive wrong codes (NIST's ceiling) turn codes off until a password reset.
    Lockout.objects.update_or_create(
        user=alice,
        kind="otp",
        defaults={"failures": 99, "strikes": 99, "failed_at": clock.now - 100},
    )
    client = Client()
    password_first(client)
    assert step(client, "recovery", "aaaa-bbbb-cccc")[0] == 400  # the 100th
    response = client.post("/accounts/login/next/", {"method": "totp", "code": app.at(clock.now)})
    assert response.status_code == 400 and "codes are disabled" in response.text
    alice.refresh_from_db()
    alice.set_password(PASSWORD)  # an administrator's reset
    alice.save()
    clock.now += 30
    client = Client()
    password_first(client)
    assert step(client, "totp", app.at(clock.now)) == (302, "/")


def test_the_policy_decides_which_factors_log_in(alice: User, bob: User) -> None:
    with_face(alice)
    otp.new_recovery_codes(alice)
    policy = LoginPolicy.current()
    # Default: a face counts only beside something else, per NIST SP 800-63B-4.
    for factors, expected in (
        ({"password"}, False), ({"face"}, False), ({"password", "face"}, True),
        ({"face", "totp"}, True), ({"password", "totp"}, True),
        ({"password", "recovery"}, True), ({"face", "recovery"}, True),
    ):  # fmt: skip
        assert mfa.complete(alice, factors) is expected, factors
    assert mfa.complete(bob, {"password"})  # nothing else set up: the password alone
    LoginPolicy.objects.filter(pk=policy.pk).update(password_only=False)
    assert not mfa.complete(bob, {"password"})
    LoginPolicy.objects.filter(pk=policy.pk).update(face_only=True, password_totp=False)
    assert mfa.complete(alice, {"face"})  # a kiosk
    assert not mfa.complete(alice, {"password", "totp"})
    # Locking the face by failing it on purpose does not make the password enough.
    LoginPolicy.objects.filter(pk=policy.pk).update(password_only=True, face_only=False)
    RecoveryCode.objects.filter(user=alice).delete()
    Lockout.objects.create(user=alice, kind="face", failures=50, disabled=True)
    alice.refresh_from_db()
    assert mfa.next_factors(alice, {"password"}) == []
    assert not mfa.complete(alice, {"password"})


def test_the_policy_page_in_the_admin_needs_a_step_up(db: None, clock: FrozenClock) -> None:
    root = User.objects.create_superuser("root", password=PASSWORD)
    with_totp(root, clock)  # staff need a second factor
    client = logged_in(root)
    listing = client.get("/admin/accounts/loginpolicy/")
    assert listing["Location"] == f"/admin/accounts/loginpolicy/{LoginPolicy.current().pk}/change/"
    assert client.get(listing["Location"])["Location"].startswith("/accounts/step-up/")
    client = reauthenticated(root)
    page = client.get(listing["Location"])
    assert page.status_code == 200 and "Face alone" in page.text
    fields = {"password_face": "on", "password_totp": "on", "face_totp": "on",
              "face_only": "on", "password_only": "on"}  # fmt: skip
    assert client.post(listing["Location"], fields).status_code == 302
    assert LoginPolicy.current().face_only is True


def test_an_api_key_is_made_in_the_admin_after_a_step_up_and_shown_once(
    db: None, clock: FrozenClock
) -> None:
    root = User.objects.create_superuser("root", password=PASSWORD)
    with_totp(root, clock)  # staff need a second factor
    refused = logged_in(root).post("/admin/api/apiclient/add/", {"name": "shop"})
    assert refused["Location"].startswith("/accounts/step-up/")
    assert not ApiClient.objects.exists()
    client = reauthenticated(root)
    page = client.post("/admin/api/apiclient/add/", {"name": "shop", "active": "on"})
    key = page.context["key"]
    assert page.status_code == 200 and key in page.text and key.startswith("pk_")
    stored = ApiClient.objects.get(name="shop")
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    listing = client.get("/admin/api/apiclient/").text
    assert key not in listing and stored.key_hint in listing
    # The key works (a wrong key would get 401): the client simply has no such subject.
    response = Client().delete("/api/v1/enrollments/nobody", headers={"X-API-Key": key})
    assert response.status_code == 404 and response.json()["code"] == "user_not_found"


def test_step_up_without_a_camera_needs_the_password_and_a_code_and_expires(
    alice: User, clock: FrozenClock
) -> None:
    app = with_totp(alice, clock)
    client = logged_in(alice)
    assert (
        client.get("/accounts/delete/")["Location"]
        == "/accounts/step-up/?next=%2Faccounts%2Fdelete%2F"
    )
    form = {"password": PASSWORD, "next": "/accounts/delete/"}
    assert client.post("/accounts/step-up/", form).status_code == 400  # a code is needed too
    wrong = client.post(
        "/accounts/step-up/", {**form, "password": "nope", "code": app.at(clock.now)}
    )
    assert wrong.status_code == 400
    done = client.post("/accounts/step-up/", {**form, "code": app.at(clock.now)})
    assert done["Location"] == "/accounts/delete/"
    assert client.get("/accounts/delete/").status_code == 200
    clock.now += 301
    assert client.get("/accounts/delete/")["Location"].startswith("/accounts/step-up/")
    outcomes = AuditEvent.objects.filter(event="step_up").values_list("success", "reason")
    assert sorted(outcomes) == [(False, "bad_credentials"), (False, "bad_credentials"),
                                (True, "code")]  # fmt: skip


def test_every_factor_gives_a_new_session_key_and_next_stays_local(
    alice: User, clock: FrozenClock
) -> None:
    app = with_totp(alice, clock)
    for target, expected in (("/accounts/profile/", "/accounts/profile/"),
                             ("//evil.example/", "/"), ("https://evil.example/", "/")):  # fmt: skip
        client = Client()
        client.get("/face/login/")
        anonymous = client.session.session_key
        assert password_first(client, target) == "/accounts/login/next/"
        pending = client.session.session_key
        clock.now += 30
        assert step(client, "totp", app.at(clock.now)) == (302, expected)
        assert len({anonymous, pending, client.session.session_key}) == 3


def test_a_login_left_half_way_expires(alice: User, clock: FrozenClock) -> None:
    app = with_totp(alice, clock)
    client = Client()
    password_first(client)
    clock.now += 301
    assert client.get("/accounts/login/next/")["Location"] == "/accounts/login/"
    assert step(client, "totp", app.at(clock.now))[1] == "/accounts/login/"
    assert not client.get("/").context["user"].is_authenticated


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("127.0.0.1", "198.51.100.7", "198.51.100.7"),
        ("127.0.0.1", "1.2.3.4, 198.51.100.7", "198.51.100.7"),  # the client's own entry
        ("127.0.0.1", "198.51.100.7, 10.0.0.2", "198.51.100.7"),  # two proxies
        ("127.0.0.1", "junk", "127.0.0.1"),
        ("203.0.113.5", "198.51.100.7", "203.0.113.5"),  # not a trusted proxy
    ],
)
def test_the_client_address_behind_trusted_proxies(
    peer: str, forwarded: str, expected: str, settings: SettingsWrapper
) -> None:
    settings.PEEKA_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    request = RequestFactory().get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_the_audit_log_records_the_forwarded_address(
    alice: User, settings: SettingsWrapper
) -> None:
    settings.PEEKA_TRUSTED_PROXIES = ["127.0.0.1"]
    Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD},
                  headers={"X-Forwarded-For": "198.51.100.7"})  # fmt: skip
    assert AuditEvent.objects.get(event="login").ip == "198.51.100.7"
