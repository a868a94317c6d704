"""The per-account password lockout (NIST SP 800-63B-4) with a frozen clock: wrong passwords
from many addresses make the account wait, then lock it until a reset; a name nobody has is
answered exactly like an account; every password check (login, login step, step-up) counts
toward the same lockout, and the pages behind a step-up (password change, account deletion) ask
for no password again; every refused try is audited."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.test import Client

from peeka.accounts.models import User
from peeka.faces.models import FaceTemplate
from peeka.security.models import AuditEvent, Lockout
from peeka.security.selectors import lockout_disabled, lockout_failures
from peeka.security.services import PASSWORD, lockout_failed, name_lockout_failed
from tests.webapp import PASSWORD as RIGHT
from tests.webapp import FrozenClock, logged_in, reauthenticated

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response


def login(username: str, password: str, ip: str = "192.0.2.1") -> Response:
    form = {"username": username, "password": password}
    return Client().post("/accounts/login/", form, REMOTE_ADDR=ip)


def audited(reason: str, event: str = "password_login") -> int:
    return AuditEvent.objects.filter(event=event, success=False, reason=reason).count()


def test_wrong_passwords_from_many_addresses_make_the_account_wait_then_lock_it(
    alice: User, clock: FrozenClock
) -> None:
    start = clock.now
    answers = []
    for burst in range(6):  # 120 wrong passwords, 20 from each of 6 addresses
        for _ in range(20):
            answers.append(login("alice", "wrong guess", ip=f"198.51.100.{burst + 1}"))
        clock.now += 1
    assert [r.status_code for r in answers[:5]] == [200] * 5
    assert {r.status_code for r in answers[5:]} == {429}  # refused from the 6th on
    assert answers[5]["Retry-After"] == "30" and answers[-1]["Retry-After"] == "25"
    assert "Try again in 25 seconds" in answers[-1].text
    assert lockout_failures(user=alice, rule=PASSWORD) == 5  # refusals check no hash
    assert audited("bad_credentials") == 5 and audited("throttled") == 115

    right = login("alice", RIGHT, ip="203.0.113.7")  # even the right password waits
    assert right.status_code == 429 and right["Retry-After"] == "24"
    assert audited("throttled") == 116
    clock.now = start + 30
    assert login("alice", RIGHT, ip="203.0.113.7")["Location"] == "/"
    assert lockout_failures(user=alice, rule=PASSWORD) == 0  # a success resets the count

    # Past the back-off each wrong password doubles the wait, up to an hour ...
    for _ in range(5):
        assert login("alice", "wrong guess").status_code == 200
    waits = []
    for _ in range(95):
        clock.now += 3600
        assert login("alice", "wrong guess").status_code == 200
        waits.append(login("alice", "wrong guess").get("Retry-After"))
    assert waits[:4] == ["60", "120", "240", "480"] and set(waits[7:-1]) == {"3600"}
    # ... and the 100th locks the password until a reset: waiting never helps.
    assert waits[-1] is None and lockout_disabled(user=alice, rule=PASSWORD)
    clock.now += 30 * 86400
    locked = login("alice", RIGHT)
    assert locked.status_code == 429 and "Retry-After" not in locked
    assert "Ask an administrator to reset it" in locked.text
    assert audited("password_disabled") == 2
    alice.set_password("a brand new passphrase 77")  # an administrator's reset
    alice.save()
    assert login("alice", "a brand new passphrase 77")["Location"] == "/"


def test_an_administrator_deleting_the_lockout_row_lets_the_account_in_again(
    alice: User, clock: FrozenClock
) -> None:
    Lockout.objects.create(user=alice, kind="password", failures=100, disabled=True)
    assert login("alice", RIGHT).status_code == 429
    Lockout.objects.filter(user=alice, kind="password").delete()
    assert login("alice", RIGHT)["Location"] == "/"


def _shape(response: Response, username: str) -> tuple[int, str | None, str]:
    body = response.content.decode()
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", body)
    body = re.sub(r'nonce="[^"]*"', "", body)
    return response.status_code, response.get("Retry-After"), body.replace(username, "NAME")


def _transcript(username: str, clock: FrozenClock, ip: str) -> list[tuple[int, str | None, str]]:
    start = clock.now
    answers = []
    for advance in (0, 0, 0, 0, 0, 0, 0, 29, 1, 0, 59, 1, 0):
        clock.now += advance
        answers.append(_shape(login(username, "wrong guess", ip), username))
    clock.now = start
    return answers


def test_a_name_nobody_has_is_answered_like_an_account(alice: User, clock: FrozenClock) -> None:
    known = _transcript("alice", clock, ip="192.0.2.10")
    unknown = _transcript("mallory", clock, ip="192.0.2.11")
    assert [a[:2] for a in known] == [a[:2] for a in unknown]
    assert known == unknown  # the same pages, word for word
    assert [a[0] for a in known] == [200] * 5 + [429, 429, 429, 200, 429, 429, 200, 429]
    # And at the limit: both are locked, with the same answer.
    clock.now += 7200
    bob = User.objects.create_user("bob", password=RIGHT)
    for _ in range(99):
        lockout_failed(user=bob, rule=PASSWORD)
        name_lockout_failed(name="trudy", rule=PASSWORD)
    clock.now += 3600
    assert _shape(login("bob", "x", "192.0.2.12"), "bob") == _shape(
        login("trudy", "x", "192.0.2.13"), "trudy"
    )
    assert _shape(login("bob", RIGHT, "192.0.2.12"), "bob") == _shape(
        login("trudy", RIGHT, "192.0.2.13"), "trudy"
    )
    assert login("bob", RIGHT).status_code == 429


def test_an_api_subjects_name_is_throttled_like_a_name_nobody_has(
    alice: User, clock: FrozenClock
) -> None:
    from peeka.api.models import ApiClient
    from peeka.api.services import subject_get

    client, _ = ApiClient.create("shop")
    subject = subject_get(client=client, subject_id="obama", create=True)
    assert subject is not None
    name = subject.get_username()
    assert _transcript(name, clock, "192.0.2.20") == [
        (status, retry, body.replace(f"{client.pk}/nobody", name).replace(name, "NAME"))
        for status, retry, body in _transcript(f"{client.pk}/nobody", clock, "192.0.2.21")
    ]


def test_every_password_check_counts_toward_one_lockout(alice: User, clock: FrozenClock) -> None:
    client = reauthenticated(alice)  # a right password resets the count
    step_up = {"password": "wrong", "next": "/"}
    for _ in range(3):
        assert client.post("/accounts/step-up/", step_up).status_code == 400
    assert login("alice", "wrong").status_code == 200
    # A login whose first factor was the face, the password second.
    FaceTemplate.objects.create(user=alice, scheme="iom", key_id="k", data=b"t", frames_used=3,
                                consent_version="1")  # fmt: skip
    half = Client()
    session = half.session
    session["peeka_login"] = {"user": alice.pk, "factors": ["face"], "at": clock.now, "next": ""}
    session.save()
    wrong = half.post("/accounts/login/next/", {"method": "password", "password": "wrong"})
    assert wrong.status_code == 400 and "That password is not right." in wrong.text
    FaceTemplate.objects.filter(user=alice).delete()  # the step-up asks for the password again
    assert lockout_failures(user=alice, rule=PASSWORD) == 5
    # Now every check waits, the right password included, on every page ...
    refused = client.post("/accounts/step-up/", {**step_up, "password": RIGHT})
    assert refused.status_code == 429 and refused["Retry-After"] == "30"
    assert "Try again in 30 seconds" in refused.text
    assert 'data-retry-after="30"' in refused.text  # counted down by countdown.js
    assert login("alice", RIGHT).status_code == 429
    right = half.post("/accounts/login/next/", {"method": "password", "password": RIGHT})
    assert right.status_code == 429 and 'data-retry-after="30"' in right.text
    # ... but a page the step-up opened asks for no password, so it has nothing to lock out.
    new = "another long passphrase 42"
    changed = client.post("/accounts/password/", {"new_password1": new, "new_password2": new})
    assert changed.status_code == 302
    assert {
        event: (audited("bad_credentials", event), audited("throttled", event))
        for event in ("step_up", "password_login")
    } == {"step_up": (3, 1), "password_login": (2, 2)}
    assert lockout_failures(user=alice, rule=PASSWORD) == 0  # a new password resets it
    clock.now += 30
    assert login("alice", new)["Location"] == "/"


def test_a_full_width_name_logs_in_as_its_normal_form(alice: User) -> None:
    full_width = "".join(chr(ord(char) + 0xFEE0) for char in "alice")
    assert login(full_width, RIGHT)["Location"] == "/"  # NFKC, as Django's form does


def test_the_login_step_page_says_the_password_is_locked(alice: User, clock: FrozenClock) -> None:
    Lockout.objects.create(user=alice, kind="password", failures=100, disabled=True)
    client = logged_in(alice)
    page = client.get("/accounts/step-up/")
    assert page.status_code == 200
    refused = client.post("/accounts/step-up/", {"password": RIGHT, "next": "/"})
    assert refused.status_code == 429 and "Ask an administrator to reset it" in refused.text
