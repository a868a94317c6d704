"""Account pages: registration (open or admin-only), login with session rotation, logout,
profile, password change (after a step-up: the new password twice, never the old one) and
account deletion (after a step-up: a tick) with every template of the user."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.accounts import otp
from peeka.accounts.models import RecoveryCode, TotpDevice, User
from peeka.faces.models import FaceTemplate, UserKey
from tests.webapp import PASSWORD, logged_in, reauthenticated


def test_production_settings_hash_passwords_with_argon2() -> None:
    from peeka.web import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert settings.AUTH_USER_MODEL == "accounts.User"


@pytest.mark.django_db
def test_open_registration_creates_a_logged_in_user_and_asks_for_a_face() -> None:
    client = Client()
    response = client.post(
        "/accounts/register/",
        {"username": "carol", "display_name": "Carol", "email": "c@example.org",
         "password1": PASSWORD, "password2": PASSWORD},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == "/face/enroll/"
    user = User.objects.get(username="carol")
    assert user.display_name == "Carol" and user.password.startswith("md5$")  # test hasher
    assert client.get("/").context["user"] == user


@pytest.mark.django_db
def test_registration_rejects_a_weak_password_and_keeps_nothing() -> None:
    response = Client().post(
        "/accounts/register/", {"username": "dave", "password1": "123", "password2": "123"}
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert not User.objects.filter(username="dave").exists()


@pytest.mark.django_db
def test_admin_only_registration_hides_the_page(settings: SettingsWrapper) -> None:
    settings.PEEKA_REGISTRATION = "admin"
    assert Client().get("/accounts/register/").status_code == 404
    assert b"Register" not in Client().get("/").content


def test_login_rotates_the_session_and_logout_ends_it(alice: User) -> None:
    client = Client()
    client.get("/accounts/login/")
    client.get("/face/login/")  # stores something in the anonymous session
    anonymous = client.cookies["sessionid"].value
    csrf = client.cookies["csrftoken"].value
    response = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.cookies["sessionid"].value != anonymous  # no session fixation
    assert client.cookies["csrftoken"].value != csrf
    assert client.get("/").context["user"] == alice
    assert client.post("/accounts/logout/").status_code == 302
    home = client.get("/")
    assert not home.context["user"].is_authenticated
    assert "You are logged out." in home.text  # a word that it happened


def test_a_wrong_password_does_not_log_in(alice: User) -> None:
    client = Client()
    response = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200 and "correct username and password" in response.text
    assert not client.get("/").context["user"].is_authenticated


def test_profile_edit_changes_only_the_owner(alice: User, bob: User) -> None:
    client = logged_in(alice)
    response = client.post("/accounts/profile/", {"display_name": "Alice A.", "email": ""})
    assert response.status_code == 302
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert alice.display_name == "Alice A." and bob.display_name == ""


@pytest.mark.django_db
def test_account_pages_need_a_login() -> None:
    for url in ("/accounts/profile/", "/accounts/password/", "/accounts/delete/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_password_change_after_a_step_up_asks_the_new_password_twice_only(
    alice: User,
) -> None:
    from peeka.security.models import AuditEvent

    assert logged_in(alice).get("/accounts/password/")["Location"].startswith("/accounts/step-up/")
    client = reauthenticated(alice)
    page = client.get("/accounts/password/")
    assert page.status_code == 200
    assert 'name="old_password"' not in page.text  # the step-up just proved it is alice
    assert 'name="new_password1"' in page.text and 'name="new_password2"' in page.text
    new = "another long passphrase 42"
    mismatch = client.post(
        "/accounts/password/", {"new_password1": new, "new_password2": new + "!"}
    )
    assert mismatch.status_code == 200
    [error] = mismatch.context["form"].errors.as_data()["new_password2"]
    assert error.code == "password_mismatch" and str(error.message) in mismatch.text
    assert 'aria-invalid="true"' in mismatch.text
    weak = client.post("/accounts/password/", {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 200 and "too short" in weak.text
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(event="password_change").exists()
    # An old password sent along (a stale form) changes nothing: it is not a field any more.
    response = client.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    alice.refresh_from_db()
    assert alice.check_password(new)
    assert list(
        AuditEvent.objects.filter(event="password_change").values_list("success", "reason")
    ) == [(True, "ok")]
    profile = client.get("/accounts/profile/")  # still logged in, and told
    assert profile.context["user"] == alice and "Your password is changed." in profile.text


def test_account_deletion_needs_a_step_up_and_a_tick_and_deletes_templates_and_keys(
    alice: User, bob: User
) -> None:
    for user in (alice, bob):
        UserKey.objects.create(key_id=f"{user.pk:016x}", user=user, wrapped=b"w")
        FaceTemplate.objects.create(
            user=user, scheme="iom", key_id=f"{user.pk:016x}", data=b"t", frames_used=3,
            consent_version="1",
        )  # fmt: skip
    refused = logged_in(alice).post("/accounts/delete/", {"confirm": "on"})
    assert refused["Location"].startswith("/accounts/step-up/")  # a step-up first
    client = reauthenticated(alice)
    page = client.get("/accounts/delete/")  # what it will do, and nothing done yet
    assert page.status_code == 200 and 'id="confirm"' in page.text
    assert 'name="password"' not in page.text and "cannot be undone" in page.text
    assert User.objects.filter(pk=alice.pk).exists()
    unticked = client.post("/accounts/delete/", {})
    assert unticked.status_code == 400 and "Tick the box to confirm." in unticked.text
    assert User.objects.filter(pk=alice.pk).exists()
    response = client.post("/accounts/delete/", {"confirm": "on"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=alice.pk).exists()
    assert not FaceTemplate.objects.filter(user_id=alice.pk).exists()
    assert not UserKey.objects.filter(user_id=alice.pk).exists()
    assert not RecoveryCode.objects.filter(user_id=alice.pk).exists()  # made by the step-up
    assert FaceTemplate.objects.filter(user=bob).count() == 1
    assert UserKey.objects.filter(user=bob).count() == 1
    assert "every face template of it are deleted" in client.get("/").text


def test_password_logins_are_audited_with_the_claimed_name(alice: User) -> None:
    from peeka.security.models import AuditEvent

    Client().post("/accounts/login/", {"username": "alice", "password": "wrong"})
    Client().post("/accounts/login/", {"username": "mallory", "password": "x"})
    Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    events = list(
        AuditEvent.objects.filter(event="password_login")
        .order_by("time", "pk")
        .values_list("username", "success", "reason", "user")
    )
    assert events == [
        ("alice", False, "bad_credentials", alice.pk),
        ("mallory", False, "bad_credentials", None),
        ("alice", True, "ok", alice.pk),
    ]


@pytest.mark.django_db
def test_the_home_page_and_the_admin(alice: User) -> None:
    assert "Log in with your face" in Client().get("/").text
    assert "Add your face" in logged_in(alice).get("/").text
    assert Client().get("/admin/").status_code == 302
    assert logged_in(alice).get("/admin/").status_code == 302  # not staff
    # The admin's own password-only login form is replaced by Peeka's login.
    login = Client().get("/admin/login/?next=/admin/security/auditevent/")
    assert login["Location"] == "/accounts/login/?next=%2Fadmin%2Fsecurity%2Fauditevent%2F"
    admin = User.objects.create_superuser("root", password=PASSWORD)
    otp.begin_totp(admin)
    TotpDevice.objects.filter(user=admin).update(confirmed=True)  # staff need a second factor
    assert logged_in(admin).get("/admin/security/auditevent/").status_code == 200
