"""The account pages a person meets: destructive actions say what they will do and wait for a
confirmation (GET shows, POST acts), every action ends with a message, recovery codes are a
step of their own, a failed login step names the factor, a throttled page counts down, and a
forgotten password comes back by e-mail or through an administrator's temporary password."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.accounts import otp
from peeka.accounts.models import RecoveryCode, User
from peeka.faces.models import FaceTemplate
from peeka.security.models import AuditEvent, Lockout
from peeka.security.services import PASSWORD as PASSWORD_RULE
from peeka.security.services import lockout_failed
from tests.accounts.test_mfa import password_first, step, with_face, with_totp
from tests.webapp import PASSWORD, FrozenClock, burst, enroll, logged_in, reauthenticated

CODES_STEP_IDS = (
    "codes-step",
    "codes",
    "codes-copy",
    "codes-download",
    "codes-print",
    "codes-status",
    "codes-saved-check",
    "codes-continue",
)


def audited(event: str) -> list[tuple[bool, str]]:
    rows = AuditEvent.objects.filter(event=event).order_by("time", "pk")
    return list(rows.values_list("success", "reason"))


def test_new_recovery_codes_are_confirmed_first_then_shown_as_a_step_of_their_own(
    alice: User,
) -> None:
    assert (
        logged_in(alice)
        .get("/accounts/security/recovery-codes/")["Location"]
        .startswith("/accounts/step-up/")
    )
    client = reauthenticated(alice)
    old = otp.new_recovery_codes(alice)
    security = client.get("/accounts/security/").text
    assert re.search(r'<a [^>]*id="new-codes" href="/accounts/security/recovery-codes/"', security)

    confirm = client.get("/accounts/security/recovery-codes/")
    assert confirm.status_code == 200
    assert "Your 10 unused recovery codes stop working at once." in confirm.text
    assert 'id="confirm"' in confirm.text
    assert 'href="/accounts/security/" id="cancel"' in confirm.text
    hashes = set(RecoveryCode.objects.filter(user=alice).values_list("code_hash", flat=True))
    assert len(hashes) == 10  # a GET changed nothing
    assert not audited("recovery_codes")

    page = client.post("/accounts/security/recovery-codes/")
    assert page.status_code == 200 and "no-cache" in page["Cache-Control"]
    codes = page.context["codes"]
    assert len(codes) == 10 and not set(codes) & set(old)
    for element_id in CODES_STEP_IDS:
        assert f'id="{element_id}"' in page.text, element_id
    assert "".join(f"<li>{code}</li>" for code in codes) in page.text
    assert "peeka/codes.js" in page.text and "peeka/account.css" in page.text
    # Going on waits for the tick (codes.js enables it); it leads back to the security page.
    assert re.search(
        r'<a [^>]*id="codes-continue" href="/accounts/security/"[^>]*aria-disabled="true"',
        page.text,
    )
    assert "I have saved these codes somewhere safe" in page.text
    assert "Your new recovery codes are made; the old ones no longer work." in page.text
    assert not otp.use_recovery_code(alice, old[0])
    assert otp.use_recovery_code(alice, codes[0])
    assert audited("recovery_codes") == [(True, "")]


def test_the_first_codes_after_an_authenticator_come_as_the_same_step(
    alice: User, clock: FrozenClock
) -> None:
    import pyotp

    client = reauthenticated(alice)  # no second factor yet: the password alone
    secret = client.get("/accounts/security/totp/").context["secret"].replace(" ", "")
    done = client.post("/accounts/security/totp/", {"code": pyotp.TOTP(secret).at(clock.now)})
    assert done.status_code == 200 and 'id="codes-step"' in done.text
    assert "Your authenticator app is set up." in done.text
    assert len(done.context["codes"]) == 10


def test_removing_the_authenticator_is_confirmed_first(alice: User, clock: FrozenClock) -> None:
    with_totp(alice, clock)
    client = reauthenticated(alice)
    security = client.get("/accounts/security/").text
    assert re.search(r'<a [^>]*id="totp-remove" href="/accounts/security/totp/remove/"', security)
    confirm = client.get("/accounts/security/totp/remove/")
    assert confirm.status_code == 200 and 'id="confirm"' in confirm.text
    assert "will no longer log you in" in confirm.text
    assert "You will have no second factor left" in confirm.text  # alice has no face
    assert otp.has_totp(alice) and not audited("totp_remove")
    removed = client.post("/accounts/security/totp/remove/")
    assert removed["Location"] == "/accounts/security/"
    assert not otp.has_totp(alice) and audited("totp_remove") == [(True, "")]
    assert "Your authenticator app is removed." in client.get("/accounts/security/").text
    # Nothing to remove any more: back to the security page with a word, on either method.
    again = client.get("/accounts/security/totp/remove/")
    assert again["Location"] == "/accounts/security/"


def test_the_confirm_pages_need_a_login_and_a_step_up(alice: User) -> None:
    for path in (
        "/accounts/security/recovery-codes/",
        "/accounts/security/totp/remove/",
        "/accounts/delete/",
        "/face/mine/delete/",
    ):
        anonymous = Client().get(path)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
        for method in ("get", "post"):
            response = getattr(logged_in(alice), method)(path)
            assert response["Location"].startswith("/accounts/step-up/"), (path, method)


def test_the_security_page_lists_recent_sign_ins(alice: User) -> None:
    Client().post("/accounts/login/", {"username": "alice", "password": "wrong"})
    client = Client()
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    page = client.get("/accounts/security/")
    assert len(page.context["sign_ins"]) >= 2
    assert 'id="sign-ins"' in page.text and "Signed in" in page.text


def test_a_failed_login_step_names_the_factor_and_keeps_its_box_open(
    alice: User, clock: FrozenClock
) -> None:
    with_face(alice)
    with_totp(alice, clock)
    client = Client()
    password_first(client)
    page = client.get("/accounts/login/next/").text
    assert re.search(r'<details class="mb-4" id="recovery">', page)  # folded at first
    wrong = client.post("/accounts/login/next/", {"method": "recovery", "code": "aaaa-bbbb-cccc"})
    assert wrong.status_code == 400
    assert "That recovery code is not right or was already used." in wrong.text
    assert '<details class="mb-4" id="recovery" open>' in wrong.text  # it stays open
    assert 'id="id_recovery-errors"' in wrong.text and 'aria-invalid="true"' in wrong.text
    totp = client.post("/accounts/login/next/", {"method": "totp", "code": "000000"})
    assert "That code from your authenticator app is not right." in totp.text
    assert '<details class="mb-4" id="recovery">' in totp.text  # not the box that was used
    assert step(client, "totp", pyotp_now(alice, clock)) == (302, "/")


def pyotp_now(user: User, clock: FrozenClock) -> str:
    """The code `user`'s authenticator shows now (read back from the stored secret)."""
    import pyotp

    from peeka.accounts.models import TotpDevice

    device = TotpDevice.objects.get(user=user)
    return pyotp.TOTP(otp._secret(device)).at(clock.now)


def test_a_wrong_password_as_the_second_step_says_so(alice: User, clock: FrozenClock) -> None:
    with_face(alice)
    half = Client()
    session = half.session
    session["peeka_login"] = {"user": alice.pk, "factors": ["face"], "at": clock.now, "next": ""}
    session.save()
    wrong = half.post("/accounts/login/next/", {"method": "password", "password": "nope"})
    assert wrong.status_code == 400 and "That password is not right." in wrong.text
    assert 'aria-describedby="id_password-errors"' in wrong.text


def test_throttled_pages_show_the_wait_for_the_countdown(alice: User, clock: FrozenClock) -> None:
    for _ in range(5):
        lockout_failed(user=alice, rule=PASSWORD_RULE)
    clock.now += 3
    login = Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert login.status_code == 429 and login["Retry-After"] == "27"
    assert 'data-retry-after="27"' in login.text
    assert 'data-wait-message="Too many failed attempts."' in login.text
    assert 'class="countdown-status visually-hidden" role="status"' in login.text
    assert "/static/peeka/countdown.js" in login.text
    # The page's own form is still there (countdown.js disables its button meanwhile).
    assert 'id="submit"' in login.text and "Forgot your password?" in login.text
    # A lock that waiting does not lift has no countdown.
    Lockout.objects.filter(user=alice).update(disabled=True)
    locked = Client().post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert locked.status_code == 429 and "data-retry-after" not in locked.text
    assert "countdown.js" not in locked.text


def test_the_password_pages_count_posts_per_address(alice: User, clock: FrozenClock) -> None:
    client = reauthenticated(alice)
    for _ in range(30):
        client.post("/accounts/password/", {"new_password1": "a", "new_password2": "b"})
    refused = client.post("/accounts/password/", {"new_password1": "a", "new_password2": "b"})
    assert refused.status_code == 429 and 'data-retry-after="' in refused.text
    assert 'data-wait-message="Too many requests."' in refused.text
    assert int(refused["Retry-After"]) <= 60


def test_registration_throttled_shows_the_countdown(db: None, clock: FrozenClock) -> None:
    client = Client()
    for _ in range(20):
        client.post("/accounts/register/", {"username": "x"})
    refused = client.post("/accounts/register/", {"username": "x"})
    assert refused.status_code == 429
    assert f'data-retry-after="{refused["Retry-After"]}"' in refused.text


def test_logging_out_says_so_in_the_users_language(alice: User) -> None:
    alice.language = "ko"
    alice.save()
    client = logged_in(alice)
    response = client.post("/accounts/logout/")
    assert response["Location"] == "/"
    with translation.override("ko"):
        expected = gettext("You are logged out.")
    assert expected != "You are logged out."
    assert expected in client.get("/", headers={"Accept-Language": "ko"}).text


def test_my_face_data_leads_with_a_plain_sentence_and_folds_the_details(
    alice: User, frames: dict[str, bytes], settings: SettingsWrapper
) -> None:
    settings.PEEKA_LIVENESS = False  # one burst of a photo enrolls; liveness is tested elsewhere
    assert "No face template is stored for you." in logged_in(alice).get("/face/mine/").text
    assert enroll(reauthenticated(alice), burst(frames["obama"]), "ckks")["ok"] is True
    # Enrolled at 20:00 UTC on New Year's Day: already the 2nd in Seoul, alice's time zone.
    FaceTemplate.objects.filter(user=alice).update(created=datetime(2026, 1, 1, 20, tzinfo=UTC))
    alice.time_zone = "Asia/Seoul"
    alice.save()
    page = logged_in(alice).get("/face/mine/").text
    summary = page.index('id="face-summary"')
    assert "made when you enrolled on Jan. 2, 2026" in page
    assert "cannot be turned back into a picture" in page
    fold = page.index("<details>")
    assert summary < page.index('id="delete"') < fold  # the sentence, the actions, the fold
    assert page.index('data-scheme="ckks"') < fold  # the card stays visible outside the fold
    assert fold < page.index("SHA-256") and fold < page.index("Parameters")
    assert re.search(r'<a [^>]*href="/face/mine/delete/" id="delete"', page)


@pytest.mark.django_db
def test_forgot_password_without_e_mail_asks_for_an_administrator(
    alice: User, settings: SettingsWrapper
) -> None:
    settings.PEEKA_EMAIL_ENABLED = False
    login = Client().get("/accounts/login/").text
    assert re.search(r'<a href="/accounts/password/forgot/" id="forgot-password">', login)
    alice.email = "alice@example.org"
    alice.save()
    for method in ("get", "post"):
        page = getattr(Client(), method)("/accounts/password/forgot/", {"email": alice.email})
        assert page.status_code == 200 and 'id="ask-admin"' in page.text
        assert "set a temporary password" in page.text
    assert mail.outbox == []


def _reset(client: Client, email: str, ip: str = "192.0.2.1") -> str:
    response = client.post("/accounts/password/forgot/", {"email": email}, REMOTE_ADDR=ip)
    assert response.status_code == 302, response.status_code
    page = client.get(response["Location"]).content.decode()
    return re.sub(r'nonce="[^"]*"|name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def test_forgot_password_mails_a_link_in_the_users_language(
    alice: User, settings: SettingsWrapper, clock: FrozenClock
) -> None:
    settings.PEEKA_EMAIL_ENABLED = True
    alice.email, alice.language = "alice@example.org", "ko"
    alice.save()
    for _ in range(5):
        lockout_failed(user=alice, rule=PASSWORD_RULE)  # a reset lifts the lockout too
    form = Client().get("/accounts/password/forgot/")
    assert form.status_code == 200 and 'name="email"' in form.text

    # The same answer whether or not an account has the address.
    known = _reset(Client(), "Alice@Example.org")
    unknown = _reset(Client(), "mallory@example.org")
    assert known == unknown and 'id="reset-sent"' in known
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.org"]
    with translation.override("ko"):
        subject = gettext("Choose a new Peeka password (%(site)s)") % {"site": "testserver"}
        ignore = gettext(
            "If you did not ask for this, ignore this e-mail: your password stays as it is."
        )
    assert subject != "Choose a new Peeka password (testserver)"  # translated
    assert message.subject == subject and ignore in message.body
    assert audited("password_reset_request") == [(True, "ok"), (False, "unknown_address")]

    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", str(message.body))
    assert link is not None
    client = Client()
    moved = client.get(link.group(1))  # the token leaves the address before the form shows
    assert moved.status_code == 302 and moved["Location"].endswith("/set-password/")
    form = client.get(moved["Location"])
    assert 'name="new_password1"' in form.text and 'name="old_password"' not in form.text
    new = "a fresh passphrase 31"
    done = client.post(moved["Location"], {"new_password1": new, "new_password2": new})
    assert done["Location"] == "/accounts/login/"
    alice.refresh_from_db()
    assert alice.check_password(new) and not Lockout.objects.filter(user=alice).exists()
    assert audited("password_reset") == [(True, "ok")]
    assert not client.get("/").context["user"].is_authenticated  # it does not log in
    used = Client().get(link.group(1))
    assert used.status_code == 200 and 'id="invalid-link"' in used.text  # once only


def test_forgot_password_is_rate_limited_per_address_and_per_client(
    alice: User, settings: SettingsWrapper, clock: FrozenClock
) -> None:
    settings.PEEKA_EMAIL_ENABLED = True
    alice.email = "alice@example.org"
    alice.save()
    for i in range(5):  # from five addresses: three mails, then silence (the same page)
        assert 'id="reset-sent"' in _reset(Client(), "alice@example.org", ip=f"198.51.100.{i}")
    assert len(mail.outbox) == 3
    assert audited("password_reset_request")[-1] == (False, "rate_limited")
    client = Client()
    for _ in range(10):
        _reset(client, "nobody@example.org", ip="203.0.113.9")
    refused = client.post(
        "/accounts/password/forgot/", {"email": "x@example.org"}, REMOTE_ADDR="203.0.113.9"
    )
    assert refused.status_code == 429 and 'data-retry-after="' in refused.text
    assert "Too many requests from your address" in refused.text


def test_reset_mail_goes_only_to_web_accounts_with_a_password(
    alice: User, settings: SettingsWrapper
) -> None:
    settings.PEEKA_EMAIL_ENABLED = True
    alice.email = "shared@example.org"
    alice.set_unusable_password()
    alice.save()
    User.objects.create_user("carol", email="shared@example.org", password=PASSWORD)
    _reset(Client(), "shared@example.org")
    assert [m.to for m in mail.outbox] == [["shared@example.org"]]
    assert "carol" in mail.outbox[0].body and "alice" not in mail.outbox[0].body


def test_an_administrators_temporary_password_must_be_changed_at_login(
    alice: User, clock: FrozenClock
) -> None:
    root = User.objects.create_superuser("root", password=PASSWORD)
    with_totp(root, clock)  # staff need a second factor
    action = {"action": "set_temporary_password", "_selected_action": [str(alice.pk)]}
    refused = logged_in(root).post("/admin/accounts/user/", action)
    assert refused["Location"].startswith("/accounts/step-up/")
    admin = reauthenticated(root)
    shown = admin.post("/admin/accounts/user/", action)
    assert shown.status_code == 200 and "no-cache" in shown["Cache-Control"]
    [(user, temporary)] = shown.context["issued"]
    assert user == alice and temporary in shown.text and len(temporary) == 19
    alice.refresh_from_db()
    assert alice.must_change_password and alice.check_password(temporary)
    assert temporary not in alice.password  # only its hash is kept
    assert audited("password_temporary") == [(True, "admin")]
    # Shown once: the user list never shows it again.
    assert temporary not in admin.get("/admin/accounts/user/").text

    client = Client()
    assert (
        client.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code
        == 200
    )  # the old password no longer works
    client.post("/accounts/login/", {"username": "alice", "password": temporary})
    for path in ("/", "/accounts/profile/", "/face/enroll/"):
        sent = client.get(path)
        assert sent["Location"] == f"/accounts/password/new/?next={path.replace('/', '%2F')}"
    page = client.get("/accounts/password/new/?next=/accounts/profile/")
    assert page.status_code == 200 and 'name="new_password1"' in page.text
    assert 'name="old_password"' not in page.text and 'id="logout-instead"' in page.text
    new = "my very own passphrase 8"
    done = client.post(
        "/accounts/password/new/",
        {"new_password1": new, "new_password2": new, "next": "/accounts/profile/"},
    )
    assert done["Location"] == "/accounts/profile/"
    alice.refresh_from_db()
    assert not alice.must_change_password and alice.check_password(new)
    assert audited("password_change") == [(True, "temporary")]
    profile = client.get("/accounts/profile/")  # still logged in, and free to go anywhere
    assert profile.status_code == 200 and "Your new password is saved." in profile.text
    assert client.get("/accounts/password/new/")["Location"] == "/accounts/password/"


def test_a_user_with_a_temporary_password_can_still_log_out(alice: User) -> None:
    alice.must_change_password = True
    alice.save()
    client = logged_in(alice)
    assert client.get("/accounts/security/")["Location"].startswith("/accounts/password/new/")
    assert client.post("/accounts/logout/")["Location"] == "/"
    assert client.get("/").status_code == 200


def test_the_temporary_password_action_skips_api_subjects(db: None, clock: FrozenClock) -> None:
    from peeka.api.models import ApiClient
    from peeka.api.services import subject_get

    api_client, _ = ApiClient.create("shop")
    subject = subject_get(client=api_client, subject_id="obama", create=True)
    assert subject is not None
    root = User.objects.create_superuser("root", password=PASSWORD)
    with_totp(root, clock)
    action = {"action": "set_temporary_password", "_selected_action": [str(subject.pk)]}
    shown = reauthenticated(root).post("/admin/accounts/user/", action)
    assert shown.context["issued"] == [] and "1 selected account was skipped" in shown.text
    subject.refresh_from_db()
    assert not subject.has_usable_password() and not subject.must_change_password
