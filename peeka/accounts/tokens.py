"""Personal access tokens: a user's own credential for scripts on one part of the API (its scope),
sent as `Authorization: Bearer pat_...`. Made on the security page after a step-up or by
`peeka token create`, shown once, stored as a SHA-256 only, revocable, optionally expiring.

A token is 256 random bits, so a fast hash is as safe as a slow one (as for API keys) and a
request costs one indexed look-up."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.base_user import AbstractBaseUser

from peeka.accounts.models import AccessToken, User
from peeka.errors import PeekaError, gettext_noop
from peeka.security.client import ClientInfo
from peeka.security.clock import now
from peeka.security.services import audit_record

PREFIX = "pat_"
HINT_LENGTH = 8
"""How many characters after the prefix the token list shows."""
EXPIRY_CHOICES = (30, 90, 365)
"""The lifetimes, in days, the security page offers (besides none)."""
MAX_DAYS = 3650
NAME_LENGTH = 100
MAX_SECRET_LENGTH = 200
"""Longer bearer values are refused unhashed; a real token is 47 characters."""
LAST_USED_EVERY = dt.timedelta(minutes=1)
"""`last_used` is written at most this often, so a busy script does not write on every call."""


class TokenError(PeekaError):
    """A token that cannot be made or found; `code` says why."""

    code = "token_invalid"


def token_create(
    *,
    user: User,
    name: str,
    scope: str,
    days: int | None = None,
    client: ClientInfo | None = None,
) -> tuple[AccessToken, str]:
    """A new token of `user` for `scope`, lasting `days` (None: until revoked), and its secret,
    returned only here: the database keeps its hash."""
    name = name.strip()
    if not name or len(name) > NAME_LENGTH:
        raise TokenError(
            gettext_noop("A token needs a name of 1 to %(max)d characters."),
            code="token_name",
            params={"max": NAME_LENGTH},
        )
    if scope not in AccessToken.Scope.values:
        raise TokenError(
            gettext_noop("There is no token scope %(scope)s."),
            code="token_scope",
            params={"scope": scope},
        )
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise TokenError(
            gettext_noop("A token lasts from 1 to %(max)d days, or until it is revoked."),
            code="token_days",
            params={"max": MAX_DAYS},
        )
    if not user.is_active or user.api_client_id is not None:
        raise TokenError(
            gettext_noop("Only an active web account can have personal access tokens."),
            code="token_account",
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    at = _now()
    token = AccessToken.objects.create(
        user=user,
        name=name,
        scope=scope,
        token_hash=_hash(secret),
        hint=secret[len(PREFIX) : len(PREFIX) + HINT_LENGTH],
        created=at,
        expires=at + dt.timedelta(days=days) if days is not None else None,
    )
    audit_record(event="token_create", success=True, reason=scope, user=user, client=client)
    return token, secret


def token_revoke(*, user: User, token_id: int, client: ClientInfo | None) -> AccessToken:
    """Revoke `user`'s token `token_id` (at once: the next request with it is refused). Revoking
    a revoked token changes nothing; another user's token is `TokenError("token_not_found")`,
    as an unknown one is."""
    token = token_get(user=user, token_id=token_id)
    if token is None:
        raise TokenError(gettext_noop("You have no such token."), code="token_not_found")
    at = _now()
    # One update decides, so two revocations at once audit one.
    if AccessToken.objects.filter(pk=token.pk, revoked__isnull=True).update(revoked=at):
        token.revoked = at
        audit_record(
            event="token_revoke", success=True, reason=token.scope, user=user, client=client
        )
    else:
        token.refresh_from_db(fields=["revoked"])
    return token


def token_authenticate(*, secret: str, scope: str) -> User | None:
    """The active web account whose unrevoked, unexpired token of `scope` `secret` is; None
    for anything else. One look-up by hash, whatever the secret (the database compares hashes,
    which tell a guesser nothing about the token)."""
    if len(secret) > MAX_SECRET_LENGTH:
        return None
    token = AccessToken.objects.select_related("user").filter(token_hash=_hash(secret)).first()
    if token is None:
        return None
    at = _now()
    user = token.user
    if (
        token.revoked is not None
        or token.scope != scope
        or (token.expires is not None and at >= token.expires)
        or not user.is_active
        or user.api_client_id is not None
    ):
        return None
    if token.last_used is None or not dt.timedelta(0) <= at - token.last_used < LAST_USED_EVERY:
        AccessToken.objects.filter(pk=token.pk).update(last_used=at)
    return user


def tokens_of(*, user: User, revoked: bool = False) -> list[AccessToken]:
    """`user`'s tokens, newest first: those not revoked (with `revoked`, all of them)."""
    tokens = AccessToken.objects.filter(user=user)
    if not revoked:
        tokens = tokens.filter(revoked__isnull=True)
    return list(tokens.order_by("-created", "-pk"))


def token_get(*, user: User, token_id: int) -> AccessToken | None:
    """`user`'s token `token_id` (revoked or not); None when `user` has no such token."""
    return AccessToken.objects.filter(pk=token_id, user=user).first()


def token_find(*, user: User, ref: str) -> AccessToken:
    """`user`'s token by its hint (with or without the `pat_` prefix) or its id, as the command
    line names it; `TokenError("token_not_found")` when none (or several) match."""
    hint = ref.removeprefix(PREFIX)
    matches = list(AccessToken.objects.filter(user=user, hint=hint)[:2]) if hint else []
    if not matches and ref.isdigit():
        matches = list(AccessToken.objects.filter(user=user, pk=int(ref)))
    if len(matches) != 1:
        raise TokenError(
            gettext_noop("%(user)s has no token %(ref)s."),
            code="token_not_found",
            params={"user": user.get_username(), "ref": ref},
        )
    return matches[0]


def token_state(token: AccessToken, *, at: dt.datetime | None = None) -> str:
    """The token's state: "active", "expired" or "revoked"."""
    if token.revoked is not None:
        return "revoked"
    if token.expires is not None and (at or _now()) >= token.expires:
        return "expired"
    return "active"


def tokens_export(user: AbstractBaseUser) -> list[dict[str, object]]:
    """The data export's part: each token's name, scope and dates, never a secret or hash."""
    return [
        {
            "name": token.name,
            "scope": token.scope,
            "starts_with": PREFIX + token.hint,
            "created": token.created.isoformat(),
            "last_used": token.last_used.isoformat() if token.last_used else None,
            "expires": token.expires.isoformat() if token.expires else None,
            "revoked": token.revoked.isoformat() if token.revoked else None,
        }
        for token in AccessToken.objects.filter(user_id=user.pk).order_by("created", "pk")
    ]


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> dt.datetime:
    """The security clock's time (tests freeze it) as an aware datetime."""
    return dt.datetime.fromtimestamp(now(), tz=dt.UTC)
