"""Personal access tokens: made once and stored only as a hash, accepted for their own scope only
while their user is active and they are neither revoked nor expired (to the second), their use
kept to the minute; and the security page's section: made after a step-up (the form kept
through it), shown once and never cached, revoked after a confirmation, by their owner only."""

from __future__ import annotations

import datetime as dt
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import serializers
from django.db import connection
from django.test import Client

from peeka.accounts import tokens
from peeka.accounts.models import AccessToken, User
from peeka.api.models import ApiClient
from peeka.security.client import ClientInfo
from peeka.security.labels import event_title, has_event_title, has_reason_label
from peeka.security.models import AuditEvent
from tests.webapp import PASSWORD, FrozenClock, logged_in, reauthenticated

HERE = ClientInfo(ip="203.0.113.7", user_agent="tests")
NEW = "/accounts/security/tokens/new/"


def _revoke_url(token: AccessToken) -> str:
    return f"/accounts/security/tokens/{token.pk}/revoke/"


def _at(clock: FrozenClock) -> dt.datetime:
    return dt.datetime.fromtimestamp(clock.now, tz=dt.UTC)


def _row_dump(token: AccessToken) -> str:
    """Everything the database holds for the token's row, as text."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_accesstoken WHERE id = %s", [token.pk])
        raw = repr(cursor.fetchall())
    return raw + str(serializers.serialize("json", AccessToken.objects.filter(pk=token.pk)))


# --- the service ---------------------------------------------------------------------------


def test_a_new_token_authenticates_its_user_for_its_scope(alice: User, clock: FrozenClock) -> None:
    token, secret = tokens.token_create(user=alice, name="budget script", scope="wallet")
    assert secret.startswith("pat_") and len(secret) == 4 + 43  # 32 random bytes, base64url
    assert token.hint == secret[4:12]
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.created == _at(clock) and token.expires is None and token.last_used is None
    assert tokens.token_authenticate(secret=secret, scope="wallet") == alice
    token.refresh_from_db()
    assert token.last_used == _at(clock)


def test_only_the_hash_is_stored_never_the_token(alice: User) -> None:
    token, secret = tokens.token_create(user=alice, name="ci", scope="wallet", client=HERE)
    dump = _row_dump(token)
    assert token.token_hash in dump and token.hint in dump
    assert secret not in dump and secret[4:] not in dump
    assert not any(secret in repr(row) for row in AuditEvent.objects.values())


def test_two_tokens_never_share_a_secret(alice: User) -> None:
    secrets = {tokens.token_create(user=alice, name=f"t{i}", scope="wallet")[1] for i in range(20)}
    assert len(secrets) == 20


@pytest.mark.parametrize(
    "wrong",
    [
        "",
        "pat_",
        "pat_not-a-token-at-all",
        "Bearer pat_x",
        "pat_" + "A" * 43,
        "x" * 10_000,
    ],
)
def test_an_unknown_token_is_refused(alice: User, wrong: str) -> None:
    tokens.token_create(user=alice, name="real", scope="wallet")
    assert tokens.token_authenticate(secret=wrong, scope="wallet") is None


def test_a_token_changed_by_one_character_or_without_its_prefix_is_refused(alice: User) -> None:
    _, secret = tokens.token_create(user=alice, name="real", scope="wallet")
    flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert tokens.token_authenticate(secret=flipped, scope="wallet") is None
    assert tokens.token_authenticate(secret=secret.removeprefix("pat_"), scope="wallet") is None
    assert tokens.token_authenticate(secret=secret + " ", scope="wallet") is None


def test_a_token_works_for_its_own_scope_only(alice: User) -> None:
    _, secret = tokens.token_create(user=alice, name="wallet", scope="wallet")
    assert tokens.token_authenticate(secret=secret, scope="workplace") is None
    assert tokens.token_authenticate(secret=secret, scope="") is None
    assert tokens.token_authenticate(secret=secret, scope="wallet") == alice


def test_a_token_stops_working_at_its_expiry_to_the_second(alice: User, clock: FrozenClock) -> None:
    token, secret = tokens.token_create(user=alice, name="month", scope="wallet", days=30)
    assert token.expires == _at(clock) + dt.timedelta(days=30)
    clock.now += 30 * 86400 - 1
    assert tokens.token_authenticate(secret=secret, scope="wallet") == alice
    assert tokens.token_state(token) == "active"
    clock.now += 1
    assert tokens.token_authenticate(secret=secret, scope="wallet") is None
    assert tokens.token_state(token) == "expired"
    assert token in tokens.tokens_of(user=alice)  # shown as expired until revoked


def test_a_token_of_an_inactive_account_is_refused(alice: User) -> None:
    _, secret = tokens.token_create(user=alice, name="ci", scope="wallet")
    alice.is_active = False
    alice.save()
    assert tokens.token_authenticate(secret=secret, scope="wallet") is None
    with pytest.raises(tokens.TokenError) as refused:
        tokens.token_create(user=alice, name="another", scope="wallet")
    assert refused.value.code == "token_account"


def test_an_api_subject_cannot_have_tokens(db: None) -> None:
    client, _ = ApiClient.create("shop")
    subject = User.objects.create_user("1/erin", api_client=client, api_subject="erin")
    with pytest.raises(tokens.TokenError) as refused:
        tokens.token_create(user=subject, name="x", scope="wallet")
    assert refused.value.code == "token_account"
    assert not AccessToken.objects.exists()


def test_last_used_is_written_at_most_once_a_minute(alice: User, clock: FrozenClock) -> None:
    token, secret = tokens.token_create(user=alice, name="busy", scope="wallet")
    first = _at(clock)
    assert tokens.token_authenticate(secret=secret, scope="wallet") == alice
    clock.now += 59
    assert tokens.token_authenticate(secret=secret, scope="wallet") == alice
    token.refresh_from_db()
    assert token.last_used == first
    clock.now += 1
    assert tokens.token_authenticate(secret=secret, scope="wallet") == alice
    token.refresh_from_db()
    assert token.last_used == first + dt.timedelta(seconds=60)


def test_a_revoked_token_is_refused_and_revoking_again_changes_nothing(
    alice: User, clock: FrozenClock
) -> None:
    token, secret = tokens.token_create(user=alice, name="old", scope="wallet", client=HERE)
    revoked = tokens.token_revoke(user=alice, token_id=token.pk, client=HERE)
    assert revoked.revoked == _at(clock)
    assert tokens.token_authenticate(secret=secret, scope="wallet") is None
    clock.now += 600
    again = tokens.token_revoke(user=alice, token_id=token.pk, client=HERE)
    assert again.revoked == revoked.revoked
    assert AuditEvent.objects.filter(event="token_revoke").count() == 1
    assert tokens.token_state(again) == "revoked"
    assert tokens.tokens_of(user=alice) == []
    assert tokens.tokens_of(user=alice, revoked=True) == [again]


def test_a_user_cannot_revoke_another_users_token(alice: User, bob: User) -> None:
    token, secret = tokens.token_create(user=alice, name="mine", scope="wallet")
    for token_id in (token.pk, token.pk + 1000):
        with pytest.raises(tokens.TokenError) as refused:
            tokens.token_revoke(user=bob, token_id=token_id, client=HERE)
        assert refused.value.code == "token_not_found"
    assert tokens.token_authenticate(secret=secret, scope="wallet") == alice


@pytest.mark.parametrize(
    ("name", "scope", "days", "code"),
    [
        ("", "wallet", None, "token_name"),
        ("   ", "wallet", None, "token_name"),
        ("x" * 101, "wallet", None, "token_name"),
        ("ok", "admin", None, "token_scope"),
        ("ok", "wallet", 0, "token_days"),
        ("ok", "wallet", tokens.MAX_DAYS + 1, "token_days"),
    ],
)
def test_a_token_that_cannot_be_made_says_why(
    alice: User, name: str, scope: str, days: int | None, code: str
) -> None:
    with pytest.raises(tokens.TokenError) as refused:
        tokens.token_create(user=alice, name=name, scope=scope, days=days)
    assert refused.value.code == code and refused.value.message
    assert has_reason_label(code)
    assert not AccessToken.objects.exists()


def test_making_and_revoking_are_audited_with_words(alice: User) -> None:
    token, _ = tokens.token_create(user=alice, name="ci", scope="wallet", client=HERE)
    tokens.token_revoke(user=alice, token_id=token.pk, client=HERE)
    rows = list(AuditEvent.objects.filter(user_id=alice.pk).order_by("pk"))
    assert [(r.event, r.success, r.reason, r.ip) for r in rows] == [
        ("token_create", True, "wallet", "203.0.113.7"),
        ("token_revoke", True, "wallet", "203.0.113.7"),
    ]
    assert has_event_title("token_create") and has_event_title("token_revoke")
    assert has_reason_label("wallet")
    assert event_title("token_create", True) != event_title("token_create", False)


def test_the_command_line_finds_a_token_by_hint_or_id(alice: User, bob: User) -> None:
    token, _ = tokens.token_create(user=alice, name="ci", scope="wallet")
    assert tokens.token_find(user=alice, ref=token.hint) == token
    assert tokens.token_find(user=alice, ref="pat_" + token.hint) == token
    assert tokens.token_find(user=alice, ref=str(token.pk)) == token
    for user, ref in ((bob, token.hint), (bob, str(token.pk)), (alice, "nothing"), (alice, "")):
        with pytest.raises(tokens.TokenError):
            tokens.token_find(user=user, ref=ref)


def test_the_data_export_lists_tokens_without_secrets(alice: User) -> None:
    token, secret = tokens.token_create(user=alice, name="ci", scope="wallet", days=30)
    exported = tokens.tokens_export(alice)
    assert exported == [
        {
            "name": "ci",
            "scope": "wallet",
            "starts_with": "pat_" + token.hint,
            "created": token.created.isoformat(),
            "last_used": None,
            "expires": token.expires.isoformat() if token.expires else None,
            "revoked": None,
        }
    ]
    assert secret not in repr(exported) and token.token_hash not in repr(exported)


def test_deleting_the_account_deletes_its_tokens(alice: User) -> None:
    tokens.token_create(user=alice, name="ci", scope="wallet")
    alice.delete()
    assert not AccessToken.objects.exists()


# --- the security page ---------------------------------------------------------------------


def test_the_security_page_lists_tokens_without_their_secret(alice: User) -> None:
    token, secret = tokens.token_create(user=alice, name="nightly <backup>", scope="wallet")
    revoked, _ = tokens.token_create(user=alice, name="gone", scope="wallet")
    tokens.token_revoke(user=alice, token_id=revoked.pk, client=HERE)
    page = logged_in(alice).get("/accounts/security/").content.decode()
    assert "Personal access tokens" in page
    assert "nightly &lt;backup&gt;" in page and "nightly <backup>" not in page
    assert f"pat_{token.hint}" in page and secret not in page
    assert _revoke_url(token) in page
    assert "gone" not in page and _revoke_url(revoked) not in page
    assert 'id="token-form"' in page and f'action="{NEW}"' in page


def test_the_security_page_says_when_there_are_no_tokens(alice: User) -> None:
    page = logged_in(alice).get("/accounts/security/").content.decode()
    assert 'id="no-tokens"' in page


def test_making_a_token_asks_for_a_step_up_and_keeps_the_form_through_it(alice: User) -> None:
    client = logged_in(alice)
    posted = {"name": "CI script", "scope": "wallet", "days": "30"}
    response = client.post(NEW, posted)
    assert response.status_code == 302 and not AccessToken.objects.exists()
    location = urlsplit(response["Location"])
    assert location.path == "/accounts/step-up/"
    back = parse_qs(location.query)["next"][0]
    assert urlsplit(back).path == NEW
    assert parse_qs(urlsplit(back).query) == {k: [v] for k, v in posted.items()}

    response = client.post("/accounts/step-up/", {"password": PASSWORD, "next": back})
    assert response.status_code == 302 and response["Location"] == back
    form = client.get(back)
    assert form.status_code == 200
    page = form.content.decode()
    assert 'value="CI script"' in page and '<option value="30" selected>' in page
    assert not AccessToken.objects.exists()  # a GET makes nothing

    made = client.post(NEW, posted)
    assert made.status_code == 200
    token = AccessToken.objects.get()
    assert token.user == alice and token.name == "CI script" and token.scope == "wallet"
    assert token.expires == token.created + dt.timedelta(days=30)
    secret = made.context["secret"]
    assert tokens.token_authenticate(secret=secret, scope="wallet") == alice
    page = made.content.decode()
    assert 'id="token-secret"' in page and secret in page
    assert (
        f'curl -H "Authorization: Bearer {secret}" http://testserver/api/v1/wallet/balance'
        in page.replace("&quot;", '"')
    )
    cache = made["Cache-Control"]
    assert "no-store" in cache and "no-cache" in cache and "private" in cache


def test_a_new_token_is_shown_once_and_never_again(alice: User) -> None:
    client = reauthenticated(alice)
    made = client.post(NEW, {"name": "once", "scope": "wallet", "days": ""})
    secret = made.context["secret"]
    token = AccessToken.objects.get()
    assert token.expires is None and secret in made.content.decode()
    for url in ("/accounts/security/", NEW, _revoke_url(token), "/accounts/export/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert secret not in response.content.decode(), url
        assert secret[4:] not in response.content.decode(), url
    assert secret not in _row_dump(token)


def test_a_token_form_with_mistakes_makes_nothing(alice: User) -> None:
    client = reauthenticated(alice)
    for data in (
        {"name": "", "scope": "wallet", "days": "30"},
        {"name": "x" * 101, "scope": "wallet", "days": "30"},
        {"name": "ok", "scope": "admin", "days": "30"},
        {"name": "ok", "scope": "wallet", "days": "7"},
    ):
        response = client.post(NEW, data)
        assert response.status_code == 400, data
        assert "secret" not in (response.context or {}), data
    assert not AccessToken.objects.exists()


def test_the_token_pages_need_a_login(alice: User) -> None:
    token, _ = tokens.token_create(user=alice, name="ci", scope="wallet")
    anonymous = Client()
    for url in (NEW, _revoke_url(token)):
        assert anonymous.get(url)["Location"].startswith("/accounts/login/")
        assert anonymous.post(url)["Location"].startswith("/accounts/login/")
    assert tokens.token_state(AccessToken.objects.get()) == "active"


def test_revoking_a_token_is_confirmed_first_and_needs_no_step_up(alice: User) -> None:
    token, secret = tokens.token_create(user=alice, name="laptop", scope="wallet")
    client = logged_in(alice)
    confirm = client.get(_revoke_url(token))
    assert confirm.status_code == 200 and "laptop" in confirm.content.decode()
    assert tokens.token_authenticate(secret=secret, scope="wallet") == alice  # not yet
    response = client.post(_revoke_url(token), follow=True)
    assert response.redirect_chain == [("/accounts/security/", 302)]
    assert "is revoked" in response.content.decode()
    assert tokens.token_authenticate(secret=secret, scope="wallet") is None
    assert client.get(_revoke_url(token)).status_code == 404  # nothing left to confirm


def test_another_users_token_cannot_be_seen_or_revoked(alice: User, bob: User) -> None:
    token, secret = tokens.token_create(user=alice, name="alice's", scope="wallet")
    intruder = reauthenticated(bob)
    assert intruder.get(_revoke_url(token)).status_code == 404
    assert intruder.post(_revoke_url(token)).status_code == 404
    assert "alice&#x27;s" not in intruder.get("/accounts/security/").content.decode()
    assert tokens.token_authenticate(secret=secret, scope="wallet") == alice
