"""The ledger's guarantees, each checked against the database itself: integer amounts in minor
units, balanced transactions, append-only rows, no overdraft, corrections by reversal, and a
reconciliation that finds a tampered balance."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from peeka.accounts.models import User
from peeka.wallet.models import (
    Account,
    AccountKind,
    AppendOnlyError,
    Posting,
    Transaction,
    TransactionKind,
)
from peeka.wallet.services.ledger import (
    UnbalancedError,
    WalletError,
    account_close,
    account_open,
    amount_from_major,
    amount_minor,
    ledger_reconcile,
    system_account,
    transaction_post,
    transaction_reverse,
)
from tests.wallet.conftest import fund

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [
        (1, "KRW", 1),
        ("5000", "KRW", 5000),
        (1250, "USD", 1250),
        ("999999999999999", "CNY", 10**15 - 1),
    ],
)
def test_amounts_in_minor_units(value: object, currency: str, minor: int) -> None:
    assert amount_minor(value, currency) == minor


@pytest.mark.parametrize(
    "value", [0, -5, "-5", "1.5", 1.5, "1e3", "", " ", "abc", True, None, 10**15, "1" * 30, "١٢"]
)
def test_bad_amounts_are_refused(value: object) -> None:
    with pytest.raises(WalletError) as caught:
        amount_minor(value, "KRW")
    assert caught.value.code == "invalid_amount" and caught.value.status == 422


def test_typed_amounts_keep_the_currencys_decimals() -> None:
    assert amount_from_major("12.50", "USD") == 1250
    assert amount_from_major("5000", "KRW") == 5000
    assert amount_from_major("5000.00", "KRW") == 5000  # zeros only: nothing is rounded
    # A comma groups thousands (as Korean and Chinese users type them), never a decimal.
    assert amount_from_major("12,000", "KRW") == 12_000
    assert amount_from_major("1,234.50", "USD") == 123_450
    assert amount_from_major("1,000,000", "CNY") == 100_000_000
    for text, currency in [
        ("12.345", "USD"), ("1.5", "KRW"), ("0", "USD"), ("0.001", "CNY"), ("12,5", "CNY"),
        ("12,00", "KRW"), ("1,2345", "KRW"), (",000", "KRW"), ("12.000,50", "USD"),
    ]:  # fmt: skip
        with pytest.raises(WalletError):
            amount_from_major(text, currency)


def test_a_topup_is_two_postings_that_sum_to_zero(alice: User) -> None:
    fund(alice, 50_000)
    account = Account.objects.get(owner=alice)
    assert account.balance == 50_000 and account.currency == "KRW"
    (txn,) = Transaction.objects.filter(kind=TransactionKind.TOPUP)
    amounts = sorted(Posting.objects.filter(transaction=txn).values_list("amount", flat=True))
    assert amounts == [-50_000, 50_000]
    assert system_account(AccountKind.TOPUP, "KRW").balance == -50_000


def test_a_topup_in_another_currency_is_refused(alice: User) -> None:
    fund(alice, 100)
    with pytest.raises(WalletError) as caught:
        fund(alice, 100, "USD")
    assert caught.value.code == "currency_mismatch"
    assert Account.objects.get(owner=alice).balance == 100


def test_an_unbalanced_transaction_is_refused(alice: User, bob: User) -> None:
    a, b = account_open(user=alice), account_open(user=bob)
    with pytest.raises(UnbalancedError):
        transaction_post(kind=TransactionKind.REVERSAL, legs=[(a, 10), (b, -9)])
    with pytest.raises(UnbalancedError):
        transaction_post(kind=TransactionKind.REVERSAL, legs=[(a, 10)])
    assert not Transaction.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's deferred trigger")
def test_postgresql_itself_refuses_postings_that_do_not_balance(alice: User) -> None:
    account = account_open(user=alice)
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        txn = Transaction.objects.create(kind=TransactionKind.REVERSAL)
        Posting.objects.create(transaction=txn, account=account, amount=5, currency="KRW")
        Posting.objects.create(transaction=txn, account=account, amount=-4, currency="KRW")
        with connection.cursor() as cursor:  # what COMMIT does
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_the_database_refuses_to_change_or_delete_ledger_rows(alice: User) -> None:
    fund(alice, 1000)
    posting = Posting.objects.filter(account__owner=alice).get()
    for change in (
        lambda: Posting.objects.filter(pk=posting.pk).update(amount=1),
        lambda: Posting.objects.filter(pk=posting.pk).delete(),
        lambda: Transaction.objects.filter(pk=posting.transaction_id).update(memo="edited"),
    ):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            change()
    with pytest.raises(AppendOnlyError):
        posting.save()
    with pytest.raises(AppendOnlyError):
        posting.transaction.delete()
    assert Posting.objects.get(pk=posting.pk).amount == 1000


def test_a_user_account_never_goes_below_zero(alice: User, bob: User) -> None:
    fund(alice, 100)
    a, b = account_open(user=alice), account_open(user=bob)
    with pytest.raises(WalletError) as caught:
        transaction_post(kind=TransactionKind.REVERSAL, legs=[(a, -101), (b, 101)])
    assert caught.value.code == "insufficient_funds"
    assert Account.objects.get(pk=a.pk).balance == 100
    with pytest.raises(IntegrityError), transaction.atomic():  # the CHECK constraint itself
        Account.objects.filter(pk=a.pk).update(balance=-1)


def test_a_correction_is_a_reversing_transaction(alice: User) -> None:
    fund(alice, 700)
    original = Transaction.objects.get(kind=TransactionKind.TOPUP)
    reversal = transaction_reverse(original=original, memo="entered twice")
    assert reversal.reverses == original
    assert Account.objects.get(owner=alice).balance == 0
    assert Posting.objects.filter(transaction=original).count() == 2  # the original stays
    with pytest.raises(IntegrityError), transaction.atomic():  # reversed once only
        transaction_reverse(original=original, memo="again")


def test_reconcile_finds_a_tampered_cached_balance(alice: User) -> None:
    fund(alice, 300)
    account = Account.objects.get(owner=alice)
    assert ledger_reconcile()[1:] == ([], [])
    Account.objects.filter(pk=account.pk).update(balance=301)
    _, differences, unbalanced = ledger_reconcile()
    assert [(d.account, d.cached, d.postings) for d in differences] == [(account.pk, 301, 300)]
    assert unbalanced == []
    Account.objects.filter(pk=account.pk).update(balance=300)  # for the fixture's own check


def test_a_deleted_user_leaves_a_closed_account_and_its_history(alice: User, bob: User) -> None:
    fund(alice, 500)
    account_close(alice)
    alice.delete()
    closed = Account.objects.get(kind=AccountKind.USER, closed=True)
    assert closed.owner is None and closed.balance == 500
    assert Posting.objects.filter(account=closed).count() == 1


def test_deleting_an_account_with_a_wallet_closes_the_wallet(alice: User) -> None:
    from tests.webapp import reauthenticated

    fund(alice, 900)
    client = reauthenticated(alice)
    export = client.get("/accounts/export/").json()["wallet"]
    assert export["balance"] == 900 and export["postings"][0]["amount"] == 900
    response = client.post("/accounts/delete/", {"confirm": "on"})
    assert response.status_code == 302 and not User.objects.filter(username="alice").exists()
    closed = Account.objects.get(kind=AccountKind.USER)
    assert closed.closed and closed.owner is None and closed.balance == 900
