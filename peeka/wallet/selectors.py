"""Reading the wallet: a user's account and balance, their history (postings, with the payment
they belong to), a payment, and what the privacy export shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Q, QuerySet, Sum

from peeka.wallet.models import Account, AccountKind, Payment, PaymentState, Posting, WalletPin


def account_of(*, user: AbstractBaseUser) -> Account | None:
    return Account.objects.filter(kind=AccountKind.USER, owner_id=user.pk).first()


def pin_exists(*, user: AbstractBaseUser) -> bool:
    return WalletPin.objects.filter(user_id=user.pk).exists()


def balance_of(*, user: AbstractBaseUser) -> tuple[int, str]:
    """The user's balance and currency (0 in the deployment's currency before the first use)."""
    account = account_of(user=user)
    if account is None:
        return 0, settings.PEEKA_WALLET_CURRENCY
    return account.balance, account.currency


@dataclass(frozen=True)
class Line:
    """One posting on the user's account, as the history shows it."""

    posting: Posting
    payment: Payment | None
    """The payment the posting belongs to (its hold, posting or void), if any."""
    counterparty: str
    """The other person of a payment ("" for a top-up or a correction)."""

    @property
    def status(self) -> str:
        return self.payment.state if self.payment is not None else PaymentState.POSTED


def history(
    *,
    account: Account,
    kind: str = "",
    direction: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    limit: int | None = 200,
) -> list[Line]:
    """The account's postings, newest first, filtered by transaction kind, direction ("in",
    "out") and dates (inclusive, in the current time zone)."""
    postings: QuerySet[Posting] = Posting.objects.filter(account=account).select_related(
        "transaction"
    )
    if kind:
        postings = postings.filter(transaction__kind=kind)
    if direction == "in":
        postings = postings.filter(amount__gt=0)
    elif direction == "out":
        postings = postings.filter(amount__lt=0)
    if since is not None:
        postings = postings.filter(transaction__created__date__gte=since)
    if until is not None:
        postings = postings.filter(transaction__created__date__lte=until)
    rows = list(postings.order_by("-id")[:limit] if limit else postings.order_by("-id"))
    txn_ids = [row.transaction_id for row in rows]
    payments = Payment.objects.filter(
        Q(hold_id__in=txn_ids) | Q(settlement_id__in=txn_ids)
    ).select_related("payer__owner", "payee__owner")
    by_txn: dict[int, Payment] = {}
    for each in payments:
        by_txn[each.hold_id] = each
        if each.settlement_id is not None:
            by_txn[each.settlement_id] = each
    lines = []
    for row in rows:
        payment = by_txn.get(row.transaction_id)
        other = ""
        if payment is not None:
            party = payment.payee if payment.payer_id == account.pk else payment.payer
            other = str(party.owner) if party.owner is not None else "\u2014"
        lines.append(Line(row, payment, other))
    return lines


def balance_before(*, account: Account, day: dt.date) -> int:
    """The account's balance at the start of `day` (the current time zone's midnight)."""
    total = Posting.objects.filter(account=account, transaction__created__date__lt=day).aggregate(
        total=Sum("amount")
    )["total"]
    return int(total or 0)


@dataclass(frozen=True)
class Statement:
    """A month of an account: the balance it opened and closed with, and what moved it."""

    month: dt.date
    opening: int
    closing: int
    money_in: int
    money_out: int
    lines: list[Line]


def statement(*, account: Account, month: dt.date) -> Statement:
    start = month.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    lines = history(account=account, since=start, until=end, limit=None)
    lines.reverse()  # oldest first, as a statement reads
    money_in = sum(line.posting.amount for line in lines if line.posting.amount > 0)
    money_out = -sum(line.posting.amount for line in lines if line.posting.amount < 0)
    opening = balance_before(account=account, day=start)
    return Statement(start, opening, opening + money_in - money_out, money_in, money_out, lines)


def payment_of(*, user: AbstractBaseUser, payment_id: int) -> Payment | None:
    """A payment the user made or received."""
    return (
        Payment.objects.select_related("payer__owner", "payee__owner", "request")
        .filter(Q(payer__owner_id=user.pk) | Q(payee__owner_id=user.pk), pk=payment_id)
        .first()
    )


def wallet_export(user: AbstractBaseUser) -> object:
    """The privacy export's part: the account and its postings (amounts in minor units)."""
    account = account_of(user=user)
    if account is None:
        return None
    return {
        "currency": account.currency,
        "balance": account.balance,
        "postings": [
            {
                "transaction": line.posting.transaction_id,
                "kind": line.posting.transaction.kind,
                "amount": line.posting.amount,
                "time": line.posting.transaction.created.isoformat(),
                "counterparty": line.counterparty,
                "status": line.status,
            }
            for line in history(account=account, limit=None)
        ],
    }
