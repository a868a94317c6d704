"""Wallet test fixtures: funded personas, and the ledger's own check after every test that
touched the database — `peeka wallet reconcile`'s query finds no cached balance that differs
from its postings and no transaction that does not sum to zero."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection

from peeka.accounts.models import User
from peeka.wallet.ledger_sql import guard_install, guard_remove
from peeka.wallet.services.ledger import ledger_reconcile
from peeka.wallet.services.topups import topup_operator

DB_FIXTURES = {"db", "transactional_db", "live_server"}


@pytest.fixture(autouse=True)
def reconciled(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every test that used the database, before its rows are rolled back or flushed."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if not (DB_FIXTURES & names or marker) or "flushable_ledger" in names:
        yield  # no database, or `flushable_ledger` checks before it empties the ledger
        return
    committing = names & {"transactional_db", "live_server"} or (
        marker is not None and marker.kwargs.get("transaction")
    )
    # Requested from here, the database fixture is torn down after this check.
    request.getfixturevalue("transactional_db" if committing else "db")
    yield
    _check_ledger()


def _check_ledger() -> None:
    _, differences, unbalanced = ledger_reconcile()
    assert differences == [] and unbalanced == [], (differences, unbalanced)


@pytest.fixture
def flushable_ledger(transactional_db: None) -> Iterator[None]:
    """For tests that commit (transactional_db, live_server): the ledger reconciles, then,
    since its rows refuse DELETE, they are removed with the guard lifted for that moment only
    (as a database administrator would) before Django empties the tables."""
    yield
    _check_ledger()
    with connection.cursor() as cursor:
        guard_remove(connection)
        try:
            for table in ("wallet_payment", "wallet_posting", "wallet_transaction"):
                cursor.execute(f"DELETE FROM {table}")
        finally:
            guard_install(connection)


def fund(user: User, amount: int, currency: str = "KRW") -> None:
    topup_operator(user=user, amount=amount, currency=currency, operator="tests")
