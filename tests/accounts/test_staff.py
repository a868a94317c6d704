"""Staff need a second factor: the admin sends a staff account without a face or an
authenticator app to set one up, opens after a login with one, and asks for it again (not the
password alone) before an API key is made or a user changed."""

from __future__ import annotations

import pyotp
from django.test import Client

from peeka.accounts import otp
from peeka.accounts.models import User
from peeka.api.models import ApiClient
from tests.accounts.test_mfa import with_totp
from tests.webapp import PASSWORD, FrozenClock, logged_in


def staff(name: str = "root") -> User:
    return User.objects.create_user(name, password=PASSWORD, is_staff=True, is_superuser=True)


def test_staff_without_a_second_factor_are_sent_to_set_one_up(db: None) -> None:
    root = staff()
    client = Client()
    response = client.post(
        "/accounts/login/?next=/admin/", {"username": "root", "password": PASSWORD}
    )
    assert response["Location"] == "/admin/"  # the password alone logs in (to set one up) ...
    for path in ("/admin/", "/admin/api/apiclient/add/", "/admin/accounts/user/"):
        assert client.get(path)["Location"] == "/accounts/security/"  # ... but opens no admin
    page = client.get("/accounts/security/")
    assert "Set up a second factor" in page.text
    otp.new_recovery_codes(root)  # recovery codes alone are not a second factor
    assert client.get("/admin/")["Location"] == "/accounts/security/"
    assert client.post("/admin/logout/")["Location"] == "/"  # logging out still works
    assert not client.get("/").context["user"].is_authenticated


def test_non_staff_are_not_sent_anywhere_new(alice: User) -> None:
    assert logged_in(alice).get("/admin/")["Location"].startswith("/admin/login/")
    assert logged_in(alice).get("/accounts/security/").status_code == 200


def test_with_an_authenticator_staff_reach_the_admin_and_step_up_with_it(
    db: None, clock: FrozenClock
) -> None:
    root = staff()
    app = with_totp(root, clock)
    client = Client()
    first = client.post("/accounts/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    assert first["Location"] == "/accounts/login/next/"
    second = client.post("/accounts/login/next/", {"method": "totp", "code": app.at(clock.now)})
    assert second["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    # Creating an API key needs a step-up, and the step-up asks for the second factor.
    refused = client.post("/admin/api/apiclient/add/", {"name": "shop", "active": "on"})
    assert refused["Location"].startswith("/accounts/step-up/")
    page = client.get(refused["Location"])
    assert "code" in page.context["methods"] and "password" not in page.context["methods"]
    form = {"password": PASSWORD, "next": "/admin/api/apiclient/add/"}
    assert client.post("/accounts/step-up/", form).status_code == 400  # password alone
    assert not ApiClient.objects.exists()
    clock.now += 30
    done = client.post("/accounts/step-up/", {**form, "code": app.at(clock.now)})
    assert done["Location"] == "/admin/api/apiclient/add/"
    made = client.post("/admin/api/apiclient/add/", {"name": "shop", "active": "on"})
    assert made.status_code == 200 and made.context["key"].startswith("pk_")


def test_a_password_only_step_up_never_opens_an_admin_form(db: None, clock: FrozenClock) -> None:
    root = staff()
    client = logged_in(root)
    # With no second factor yet, the step-up (to set one up) is by password alone ...
    step_up = {"password": PASSWORD, "next": "/accounts/security/totp/"}
    assert client.post("/accounts/step-up/", step_up)["Location"] == "/accounts/security/totp/"
    secret = client.get("/accounts/security/totp/").context["secret"].replace(" ", "")
    code = pyotp.TOTP(secret).at(clock.now)
    assert client.post("/accounts/security/totp/", {"code": code}).status_code == 200
    assert otp.has_totp(root) and client.get("/admin/").status_code == 200
    # ... and that step-up, though fresh, does not let the admin change users or make keys.
    for path in ("/admin/api/apiclient/add/", f"/admin/accounts/user/{root.pk}/change/"):
        assert client.get(path)["Location"].startswith("/accounts/step-up/")
    delete = {"action": "delete_selected", "_selected_action": [str(root.pk)]}
    assert client.post("/admin/accounts/user/", delete)["Location"].startswith("/accounts/step-up/")
    assert User.objects.filter(pk=root.pk).exists()
