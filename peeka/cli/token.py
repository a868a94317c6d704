"""`peeka token create|list|revoke`: a web account's personal access tokens (`Authorization:
Bearer`) from the command line. A new token is printed once, alone on standard output (with
--json exactly `{"token": "..."}`), so a script can capture it; only its hash is stored."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from peeka.cli.output import EXIT_OK, Subparsers, at_least, emit

if TYPE_CHECKING:
    from peeka.accounts.models import AccessToken, User


def add_parsers(sub: Subparsers) -> None:
    p = sub.add_parser("token", help="personal access tokens of web accounts (Bearer tokens)")
    token_sub = p.add_subparsers(required=True, metavar="ACTION")

    p = token_sub.add_parser("create", help="make a token and print it once")
    p.add_argument("username")
    p.add_argument("--scope", required=True, help="what the token may use: wallet")
    p.add_argument("--name", default="command line", help="a label (default: command line)")
    p.add_argument("--days", type=at_least(1), help="lifetime in days (default: until revoked)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=token_create)

    p = token_sub.add_parser("list", help="an account's tokens (never the tokens themselves)")
    p.add_argument("username")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=token_list)

    p = token_sub.add_parser("revoke", help="revoke a token at once")
    p.add_argument("username")
    p.add_argument("token", metavar="TOKEN_HINT_OR_ID", help="as `peeka token list` shows it")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=token_revoke)


# The handlers set Django up when they run, so `peeka --help` stays instant.


def token_create(args: argparse.Namespace) -> int:
    from peeka.accounts import tokens
    from peeka.security.client import ClientInfo

    user = _user(args.username)
    _, secret = tokens.token_create(
        user=user,
        name=args.name,
        scope=args.scope,
        days=args.days,
        client=ClientInfo(ip=None, user_agent="peeka token create"),
    )
    if not args.json:
        print(
            f"personal access token for {user.get_username()} ({args.scope}); shown only now, "
            "send it as Authorization: Bearer <token>",
            file=sys.stderr,
        )
    emit(args, {"token": secret}, secret)
    return EXIT_OK


def token_list(args: argparse.Namespace) -> int:
    from peeka.accounts import tokens

    user = _user(args.username)
    rows = [_row(token) for token in tokens.tokens_of(user=user, revoked=True)]
    lines = [
        f"{row['id']:>5}  {row['starts_with']}…  {row['scope']:<8} {row['state']:<8} "
        f"created {row['created'][:10]}  expires {(row['expires'] or 'never')[:10]}  "
        f"last used {(row['last_used'] or 'never')[:16]}  {row['name']}"
        for row in rows
    ]
    emit(args, {"tokens": rows}, "\n".join(lines) or f"{user.get_username()} has no tokens")
    return EXIT_OK


def token_revoke(args: argparse.Namespace) -> int:
    from peeka.accounts import tokens
    from peeka.security.client import ClientInfo

    user = _user(args.username)
    found = tokens.token_find(user=user, ref=args.token)
    token = tokens.token_revoke(
        user=user, token_id=found.pk, client=ClientInfo(ip=None, user_agent="peeka token revoke")
    )
    emit(
        args,
        {"revoked": _row(token)},
        f"revoked {token.name} ({tokens.PREFIX}{token.hint}…) of {user.get_username()}",
    )
    return EXIT_OK


def _user(username: str) -> User:
    from peeka.cli.web import setup

    setup()
    from peeka.accounts.selectors import user_find
    from peeka.errors import PeekaError

    user = user_find(username=username)
    if user is None:
        raise PeekaError(f"no active web account {username!r}", code="user_not_found")
    return user


def _row(token: AccessToken) -> dict[str, Any]:
    from peeka.accounts import tokens

    return {
        "id": token.pk,
        "name": token.name,
        "scope": token.scope,
        "starts_with": tokens.PREFIX + token.hint,
        "state": tokens.token_state(token),
        "created": token.created.isoformat(),
        "last_used": token.last_used.isoformat() if token.last_used else None,
        "expires": token.expires.isoformat() if token.expires else None,
        "revoked": token.revoked.isoformat() if token.revoked else None,
    }
