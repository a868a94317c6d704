"""Idempotency keys for requests that move money (Stripe's rules): the client sends a key; the
first request with it runs, and a retry with the same key and the same request gets the first
result again; the same key with another request is refused (409 "idempotency_conflict").

The unique constraint on (user, key) decides who runs, never a read before the write: of 20
identical requests racing, one inserts the key and runs, the others wait for its result. A key
is kept 24 hours. A request refused before its payment was posted gives its key back, so the
client may retry it with the same key (after topping up, or with a new face check)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from peeka.errors import gettext_noop
from peeka.wallet.models import IdempotencyKey
from peeka.wallet.services.ledger import WalletError

KEEP = dt.timedelta(hours=24)
WAIT_SECONDS = 10.0
"""How long a retry waits for the first request with its key to finish."""


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, object]
    replayed: bool = False


def fingerprint(operation: str, parameters: Mapping[str, object]) -> str:
    canonical = json.dumps([operation, dict(parameters)], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent(
    *,
    user: AbstractBaseUser,
    key: str,
    operation: str,
    parameters: Mapping[str, object],
    run: Callable[[], Outcome],
) -> Outcome:
    """Run `run` once for (`user`, `key`): the first call's outcome is kept when it succeeded
    (2xx) and replayed to later calls with the same request; a `WalletError` it raises frees
    the key again and propagates."""
    key = key.strip()
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise WalletError(
            gettext_noop("Send an Idempotency-Key header of 1 to 255 printable characters."),
            code="idempotency_key_invalid",
            status=400,
        )
    print_ = fingerprint(operation, parameters)
    IdempotencyKey.objects.filter(user_id=user.pk, created__lt=timezone.now() - KEEP).delete()
    try:
        with transaction.atomic():
            row = IdempotencyKey.objects.create(user_id=user.pk, key=key, fingerprint=print_)
    except IntegrityError:
        return _replay(user, key, print_)
    try:
        outcome = run()
    except BaseException:
        IdempotencyKey.objects.filter(pk=row.pk).delete()
        raise
    if 200 <= outcome.status < 300:
        IdempotencyKey.objects.filter(pk=row.pk).update(
            status=outcome.status, response=outcome.body
        )
    else:
        IdempotencyKey.objects.filter(pk=row.pk).delete()
    return outcome


def _replay(user: AbstractBaseUser, key: str, print_: str) -> Outcome:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        row = IdempotencyKey.objects.filter(user_id=user.pk, key=key).first()
        if row is not None and row.fingerprint != print_:
            raise WalletError(
                gettext_noop("This Idempotency-Key was used for another request."),
                code="idempotency_conflict",
                status=409,
            )
        if row is not None and row.status is not None:
            body = row.response if isinstance(row.response, dict) else {}
            return Outcome(row.status, body, replayed=True)
        if row is None or time.monotonic() > deadline:
            # The first request failed and freed the key, or is still running: try again.
            raise WalletError(
                gettext_noop(
                    "A request with this Idempotency-Key is still running or failed; send it again."
                ),
                code="idempotency_in_progress",
                status=409,
            )
        time.sleep(0.05)
