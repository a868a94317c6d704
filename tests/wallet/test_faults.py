"""Faults and concurrency on PostgreSQL (the scale-out database; `make test-services` runs
them): 50 payments racing for a balance that covers 10, one idempotency key sent 20 times at
once, and a worker killed between the hold and the post. After each, the ledger reconciles
(tests/wallet/conftest.py) and no balance went below zero."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from peeka.accounts.models import User
from peeka.accounts.tokens import token_create
from peeka.faces import flows
from peeka.security.client import ClientInfo
from peeka.wallet.models import Account, AccountKind, Payment, PaymentState
from peeka.wallet.services import payments
from peeka.wallet.services.ledger import account_open
from tests.wallet.conftest import fund
from tests.webapp import PASSWORD

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency on PostgreSQL (make test-services); SQLite runs one writer at a time",
    ),
    pytest.mark.usefixtures("flushable_ledger"),
]
CLIENT = ClientInfo(ip="127.0.0.1", user_agent="test")
PIN = "482916"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def payer(transactional_db: None, look: list[bytes], settings: Any) -> User:
    settings.PEEKA_LIVENESS = False  # one picture per payment: the race is in the ledger
    alice = User.objects.create_user("alice", password=PASSWORD)
    flows.face_enroll(user=alice, frames=look[:3], scheme="iom", client=CLIENT, channel="admin")
    payments.pin_set(user=alice, pin=PIN, client=CLIENT)
    return alice


@pytest.fixture
def payee(transactional_db: None) -> User:
    bob = User.objects.create_user("bob", password=PASSWORD)
    account_open(user=bob)
    return bob


def balance(user: User) -> int:
    return Account.objects.get(kind=AccountKind.USER, owner=user).balance


def in_parallel(count: int, call: Callable[[int], Any]) -> list[Any]:
    """`call(i)` in `count` threads released together; each thread's own connection closed."""
    results: list[Any] = [None] * count
    start = threading.Barrier(count)

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = call(i)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def pay(secret: str, key: str, face: bytes, amount: int = 1_000) -> tuple[int, dict[str, Any]]:
    response = Client().post(
        "/api/v1/wallet/payments",
        {"to": "bob", "amount": str(amount), "pin": PIN, "image": _upload(face)},
        headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": key},
    )
    return response.status_code, response.json()


def _upload(data: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("face.jpg", data, "image/jpeg")


def test_fifty_payments_racing_for_ten_payments_worth(
    payer: User, payee: User, look: list[bytes]
) -> None:
    fund(payer, 10_000)  # exactly 10 payments of ₩1,000
    _, secret = token_create(user=payer, name="race", scope="wallet")
    answers = in_parallel(50, lambda i: pay(secret, f"race-{i}", look[i % len(look)]))
    statuses = sorted(status for status, _ in answers)
    assert statuses.count(201) == 10, statuses
    assert all(status == 402 for status in statuses if status != 201), statuses
    assert {body["code"] for status, body in answers if status != 201} == {"insufficient_funds"}
    assert balance(payer) == 0 and balance(payee) == 10_000
    assert Payment.objects.filter(state=PaymentState.POSTED).count() == 10
    assert not Account.objects.filter(kind=AccountKind.USER, balance__lt=0).exists()


def test_one_idempotency_key_sent_twenty_times_at_once(
    payer: User, payee: User, look: list[bytes]
) -> None:
    fund(payer, 50_000)
    _, secret = token_create(user=payer, name="retry", scope="wallet")
    answers = in_parallel(20, lambda i: pay(secret, "the-same-key", look[0]))
    posted = [body for status, body in answers if status == 201]
    others = [(status, body["code"]) for status, body in answers if status != 201]
    assert posted and all(body == posted[0] for body in posted), answers
    assert all(other == (409, "idempotency_in_progress") for other in others), others
    assert Payment.objects.count() == 1 and balance(payer) == 49_000 and balance(payee) == 1_000


WORKER = textwrap.dedent(
    """
    import sys, time
    import django
    django.setup()
    from django.db import transaction
    from peeka.accounts.models import User
    from peeka.security.client import ClientInfo
    from peeka.wallet.services import payments
    from peeka.wallet.services.ledger import account_open

    alice, bob = User.objects.get(username="alice"), User.objects.get(username="bob")
    order = payments.Order(account_open(user=bob), 1_000)
    held = payments.payment_hold(
        user=alice, order=order, pin=sys.argv[2], client=ClientInfo("127.0.0.1", "worker")
    )
    if sys.argv[1] == "before_post":
        print("held", flush=True)
    elif sys.argv[1] == "inside_post":
        with transaction.atomic():  # the post written, not yet committed
            payments.payment_post(payment=held, face_audit_id=None)
            print("posting", flush=True)
            time.sleep(120)
    else:
        payments.payment_post(payment=held, face_audit_id=None)
        print("posted", flush=True)
    time.sleep(120)
    """
)


@pytest.mark.parametrize(
    ("moment", "outcome"),
    [("before_post", "voided"), ("inside_post", "voided"), ("after_post", "posted")],
)
def test_a_worker_killed_between_hold_and_post(
    payer: User, payee: User, moment: str, outcome: str
) -> None:
    fund(payer, 5_000)
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
        f"/{database['NAME']}",
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, moment, PIN],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() in {"held", "posting", "posted"}
    finally:
        worker.kill()  # SIGKILL: no cleanup runs in the worker
        worker.wait(timeout=30)
    payment = Payment.objects.get()
    if outcome == "voided":
        # The hold survived the worker; the post (if it was written) did not.
        assert payment.state == PaymentState.PENDING
        assert balance(payer) == 4_000 and balance(payee) == 0
        later = payment.expires_at + dt.timedelta(seconds=1)
        assert payments.payments_expire(at=later) == 1  # the timeout job
        payment.refresh_from_db()
        assert payment.state == PaymentState.VOIDED and payment.void_reason == "expired"
        assert balance(payer) == 5_000 and balance(payee) == 0
    else:
        assert payment.state == PaymentState.POSTED
        assert balance(payer) == 4_000 and balance(payee) == 1_000
        assert payments.payments_expire(at=payment.expires_at + dt.timedelta(days=1)) == 0
    assert Account.objects.get(kind=AccountKind.HOLDS, currency="KRW").balance == 0
