"""`peeka token create|list|revoke`: the token printed once (with --json exactly
`{"token": ...}`), working for its scope; listed without secrets; revoked by hint or id; clear
errors with exit code 2 for an unknown account, scope or token."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from peeka.accounts import tokens
from peeka.accounts.models import AccessToken, User
from peeka.cli import main
from peeka.security.models import AuditEvent


def _json(capsys: pytest.CaptureFixture[str]) -> Any:
    return json.loads(capsys.readouterr().out)


def test_create_json_is_exactly_the_token(alice: User, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "create", "alice", "--scope", "wallet", "--json"]) == 0
    out = _json(capsys)
    assert list(out) == ["token"] and out["token"].startswith("pat_")
    assert tokens.token_authenticate(secret=out["token"], scope="wallet") == alice
    token = AccessToken.objects.get()
    assert token.name == "command line" and token.expires is None
    assert out["token"] not in json.dumps(list(AccessToken.objects.values()), default=str)
    audited = AuditEvent.objects.get(event="token_create")
    assert audited.user_id == alice.pk and audited.user_agent == "peeka token create"


def test_create_prints_the_token_alone_on_stdout(
    alice: User, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["token", "create", "alice", "--scope", "wallet", "--name", "cron", "--days", "7"]
    assert main(args) == 0
    printed = capsys.readouterr()
    secret = printed.out.strip()
    assert printed.out == secret + "\n" and "shown only now" in printed.err
    assert tokens.token_authenticate(secret=secret, scope="wallet") == alice
    token = AccessToken.objects.get()
    assert token.name == "cron" and token.expires == token.created + dt.timedelta(days=7)


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["token", "create", "nobody", "--scope", "wallet"], "user_not_found"),
        (["token", "create", "alice", "--scope", "admin"], "token_scope"),
        (["token", "create", "alice", "--scope", "wallet", "--name", " "], "token_name"),
        (["token", "list", "nobody"], "user_not_found"),
        (["token", "revoke", "alice", "nothing"], "token_not_found"),
        (["token", "revoke", "nobody", "1"], "user_not_found"),
    ],
)
def test_mistakes_are_clear_errors_with_exit_code_2(
    alice: User, capsys: pytest.CaptureFixture[str], args: list[str], code: str
) -> None:
    assert main(args) == 2
    assert f"[{code}]" in capsys.readouterr().err
    assert main([*args, "--json"]) == 2
    error = _json(capsys)["error"]
    assert error["code"] == code and error["message"]
    assert not AccessToken.objects.exists()


def test_an_inactive_account_is_not_found(alice: User, capsys: pytest.CaptureFixture[str]) -> None:
    alice.is_active = False
    alice.save()
    assert main(["token", "create", "alice", "--scope", "wallet"]) == 2
    assert "[user_not_found]" in capsys.readouterr().err


def test_the_scope_is_required(alice: User, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["token", "create", "alice"])
    assert exited.value.code == 2 and "--scope" in capsys.readouterr().err


def test_list_shows_tokens_without_secrets(
    alice: User, bob: User, capsys: pytest.CaptureFixture[str]
) -> None:
    token, secret = tokens.token_create(user=alice, name="ci", scope="wallet", days=30)
    tokens.token_create(user=bob, name="bob's", scope="wallet")
    assert main(["token", "list", "alice", "--json"]) == 0
    listed = _json(capsys)["tokens"]
    assert [(t["id"], t["name"], t["starts_with"], t["state"]) for t in listed] == [
        (token.pk, "ci", "pat_" + token.hint, "active")
    ]
    assert token.expires is not None and listed[0]["expires"] == token.expires.isoformat()
    assert main(["token", "list", "alice"]) == 0
    text = capsys.readouterr().out
    assert "pat_" + token.hint in text and "ci" in text and "bob's" not in text
    assert secret not in text and token.token_hash not in text


def test_revoke_by_hint_or_id_stops_the_token(
    alice: User, capsys: pytest.CaptureFixture[str]
) -> None:
    first, first_secret = tokens.token_create(user=alice, name="one", scope="wallet")
    second, second_secret = tokens.token_create(user=alice, name="two", scope="wallet")
    assert main(["token", "revoke", "alice", "pat_" + first.hint, "--json"]) == 0
    assert _json(capsys)["revoked"]["id"] == first.pk
    assert tokens.token_authenticate(secret=first_secret, scope="wallet") is None
    assert tokens.token_authenticate(secret=second_secret, scope="wallet") == alice
    assert main(["token", "revoke", "alice", str(second.pk)]) == 0
    assert "revoked two" in capsys.readouterr().out
    assert tokens.token_authenticate(secret=second_secret, scope="wallet") is None
    assert main(["token", "revoke", "alice", str(second.pk)]) == 0  # again: no change
    capsys.readouterr()
    assert AuditEvent.objects.filter(event="token_revoke").count() == 2
    assert main(["token", "list", "alice", "--json"]) == 0
    assert {t["state"] for t in _json(capsys)["tokens"]} == {"revoked"}


def test_one_account_cannot_revoke_anothers_token(
    alice: User, bob: User, capsys: pytest.CaptureFixture[str]
) -> None:
    token, secret = tokens.token_create(user=alice, name="ci", scope="wallet")
    assert main(["token", "revoke", "bob", token.hint]) == 2
    assert main(["token", "revoke", "bob", str(token.pk)]) == 2
    assert "[token_not_found]" in capsys.readouterr().err
    assert tokens.token_authenticate(secret=secret, scope="wallet") == alice
