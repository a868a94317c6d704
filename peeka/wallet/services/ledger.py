"""Writing the ledger: accounts, balanced transactions, top-ups, corrections, and the
reconciliation of cached balances with their postings."""

from __future__ import annotations

import decimal
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum

from peeka.errors import PeekaError, gettext_noop
from peeka.wallet.ledger_sql import BALANCED
from peeka.wallet.models import (
    CURRENCY_DIGITS,
    MAX_AMOUNT,
    Account,
    AccountKind,
    Posting,
    Transaction,
    TransactionKind,
)


class WalletError(PeekaError):
    """A refused money request; `status` is the HTTP status the API answers with."""

    code = "wallet_error"

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status: int = 400,
        params: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message, code=code, params=params)
        self.status = status


class UnbalancedError(Exception):
    """A transaction's postings do not sum to zero in each currency (a bug, never input)."""


_DIGITS = re.compile(r"[0-9]{1,20}")
_MAJOR = re.compile(r"([0-9]{1,16})(?:\.([0-9]{1,20}))?")
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]{1,20})?")
"""Thousands separated by commas ("12,000", "1,234.50"): the only comma an amount may have."""


def amount_minor(value: object, currency: str) -> int:
    """An amount sent by a client in minor units (an integer, or a string of digits), checked:
    above zero, below the ledger's limit. `WalletError` "invalid_amount" (422) otherwise —
    for floats, fractions, signs, and anything that is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _invalid()
    text = str(value).strip()
    if not _DIGITS.fullmatch(text):
        raise _invalid()
    amount = int(text)
    if not 0 < amount < MAX_AMOUNT:
        raise _invalid()
    return amount


def amount_from_major(text: str, currency: str) -> int:
    """An amount a person typed in the currency's major unit ("12.50" dollars, "5000" or
    "5,000" won) in minor units; more decimals than the currency has is refused, never rounded,
    and a comma is a thousands separator only ("12,5" is refused, never read as 12.5)."""
    digits = CURRENCY_DIGITS[currency]
    typed = text.strip().replace(" ", "")
    if _GROUPED.fullmatch(typed):
        typed = typed.replace(",", "")
    match = _MAJOR.fullmatch(typed)
    whole, fraction = (match.group(1), (match.group(2) or "").rstrip("0")) if match else ("", "")
    try:
        if match is None or len(fraction) > digits:
            raise _invalid()
        value = decimal.Decimal(f"{whole}.{fraction or '0'}").scaleb(digits)
        return amount_minor(str(int(value)), currency)
    except WalletError:
        if digits:
            message = gettext_noop("Enter an amount above zero with at most %(digits)d decimals.")
        else:
            message = gettext_noop("Enter an amount above zero, in whole won.")
        raise WalletError(
            message, code="invalid_amount", status=422, params={"digits": digits}
        ) from None


def _invalid() -> WalletError:
    return WalletError(
        gettext_noop(
            "Send the amount as a whole number of minor units (won, fen, cents) above zero."
        ),
        code="invalid_amount",
        status=422,
    )


def currency_check(currency: str) -> str:
    code = currency.strip().upper()
    if code not in CURRENCY_DIGITS:
        raise WalletError(
            gettext_noop(
                "The wallet holds Korean won (KRW), Chinese yuan (CNY) or US dollars (USD)."
            ),
            code="invalid_currency",
            status=422,
        )
    return code


def account_open(*, user: AbstractBaseUser, currency: str | None = None) -> Account:
    """The user's account, opened in `currency` (the deployment's by default) on first use."""
    code = currency_check(currency or settings.PEEKA_WALLET_CURRENCY)
    account = Account.objects.filter(kind=AccountKind.USER, owner_id=user.pk).first()
    if account is None:
        try:
            with transaction.atomic():
                account = Account.objects.create(
                    kind=AccountKind.USER, owner_id=user.pk, currency=code
                )
        except IntegrityError:  # opened by a parallel request
            account = Account.objects.get(kind=AccountKind.USER, owner_id=user.pk)
    return account


def system_account(kind: str, currency: str) -> Account:
    account, _ = Account.objects.get_or_create(kind=kind, currency=currency, owner=None)
    return account


def transaction_post(
    *,
    kind: str,
    legs: Sequence[tuple[Account, int]],
    memo: str = "",
    reverses: Transaction | None = None,
) -> Transaction:
    """Write one transaction of `legs` (account, signed amount), which must sum to zero per
    currency, and move the accounts' cached balances with it, all or nothing. A user account
    that would go below zero refuses it (`WalletError` "insufficient_funds", 402); the caller
    holds the accounts' row locks (`accounts_lock`) when it decided on the amounts."""
    sums: dict[str, int] = defaultdict(int)
    for account, amount in legs:
        sums[account.currency] += amount
    if len(legs) < 2 or any(sums.values()) or any(amount == 0 for _, amount in legs):
        raise UnbalancedError(f"postings {[(a.pk, n) for a, n in legs]} do not balance")
    with transaction.atomic():
        txn = Transaction.objects.create(kind=kind, memo=memo[:200], reverses=reverses)
        Posting.objects.bulk_create(
            Posting(transaction=txn, account=account, amount=amount, currency=account.currency)
            for account, amount in legs
        )
        try:
            with transaction.atomic():
                for account, amount in sorted(legs, key=lambda leg: leg[0].pk):
                    Account.objects.filter(pk=account.pk).update(balance=F("balance") + amount)
        except IntegrityError as exc:  # wallet_no_overdraft
            raise WalletError(
                gettext_noop("Not enough money in the wallet."),
                code="insufficient_funds",
                status=402,
            ) from exc
        if connection.vendor == "postgresql":
            # The deferred constraint trigger checks the postings now rather than at COMMIT.
            with connection.cursor() as cursor:
                cursor.execute(f"SET CONSTRAINTS {BALANCED} IMMEDIATE")
                cursor.execute(f"SET CONSTRAINTS {BALANCED} DEFERRED")
        else:
            _check_balanced(txn)
    return txn


def _check_balanced(txn: Transaction) -> None:
    rows = Posting.objects.filter(transaction=txn).values("currency").annotate(total=Sum("amount"))
    if any(row["total"] for row in rows):
        raise UnbalancedError(f"transaction {txn.pk} does not balance")


def accounts_lock(*accounts: Account) -> dict[int, Account]:
    """Lock the rows of every account a transaction will post to, before it posts, and read
    their balances afresh. Always all at once and in id order, so that no two transactions
    wait for each other in a circle; FOR NO KEY UPDATE, which the foreign-key checks of
    inserted postings and payments (FOR KEY SHARE) do not wait for."""
    ids = sorted({account.pk for account in accounts})
    locked = Account.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
    return {account.pk: account for account in locked}


@dataclass(frozen=True)
class TopUp:
    transaction: Transaction
    account: Account


def topup_record(*, user: AbstractBaseUser, amount: int, currency: str, memo: str) -> TopUp:
    """Money into a user's wallet from the top-up source (an operator, or a card provider that
    charged the card). The account is opened in `currency` if it has none; an account in
    another currency refuses it."""
    code = currency_check(currency)
    account = account_open(user=user, currency=code)
    if account.currency != code:
        raise WalletError(
            gettext_noop("This wallet holds %(currency)s; top up in that currency."),
            code="currency_mismatch",
            status=422,
            params={"currency": account.currency},
        )
    if account.closed:
        raise WalletError(gettext_noop("This wallet is closed."), code="account_closed", status=410)
    source = system_account(AccountKind.TOPUP, code)
    with transaction.atomic():
        accounts_lock(source, account)
        txn = transaction_post(
            kind=TransactionKind.TOPUP, legs=[(source, -amount), (account, amount)], memo=memo
        )
    account.refresh_from_db()
    return TopUp(txn, account)


def transaction_reverse(*, original: Transaction, memo: str) -> Transaction:
    """Undo a transaction by a new one with every posting negated (the original stays)."""
    with transaction.atomic():
        postings = list(Posting.objects.filter(transaction=original).select_related("account"))
        accounts_lock(*(posting.account for posting in postings))
        return transaction_post(
            kind=TransactionKind.REVERSAL,
            legs=[(posting.account, -posting.amount) for posting in postings],
            memo=memo,
            reverses=original,
        )


@dataclass(frozen=True)
class Difference:
    account: int
    cached: int
    postings: int


def ledger_reconcile() -> tuple[int, list[Difference], list[int]]:
    """Every account's cached balance against the sum of its postings, and every transaction
    against zero: (accounts checked, differing accounts, unbalanced transaction ids)."""
    sums = dict(
        Posting.objects.values_list("account")
        .annotate(total=Sum("amount"))
        .values_list("account", "total")
    )
    differences = []
    accounts = 0
    for pk, cached in Account.objects.values_list("pk", "balance").order_by("pk"):
        accounts += 1
        if cached != sums.get(pk, 0):
            differences.append(Difference(pk, cached, sums.get(pk, 0)))
    unbalanced = sorted(
        {
            row["transaction"]
            for row in Posting.objects.values("transaction", "currency")
            .annotate(total=Sum("amount"))
            .exclude(total=0)
        }
    )
    return accounts, differences, unbalanced


def account_close(user: AbstractBaseUser) -> None:
    """The owner deletes themselves: the account is closed and loses its owner; its postings
    stay (a ledger keeps its history), and nobody can pay into it any more."""
    Account.objects.filter(kind=AccountKind.USER, owner_id=user.pk).update(owner=None, closed=True)
