"""The wallet's double-entry ledger.

- An **account** holds one currency: one per user (opened on first use) and system accounts
  (the top-up source, the holds of payments waiting for a face check). Amounts are integers in
  the currency's minor unit (won, fen, cents); no float is ever stored.
- A **transaction** is two or more **postings** that sum to zero per currency; the database
  refuses one that does not (a deferred constraint trigger on PostgreSQL, a check before
  commit on SQLite) and refuses to change or delete either (triggers on both). A mistake is
  corrected by a reversing transaction.
- An account's `balance` caches the sum of its postings, updated in the same database
  transaction as they are written; a user account's may never go below zero (a CHECK
  constraint), and `peeka wallet reconcile` compares it with the sum.
- A **payment** is two-phase: a hold moves the amount from the payer to the holds account,
  then, after the payer's live face check, a posting moves it on to the payee — or back to the
  payer when the check fails or the hold times out (voided). Each phase is its own transaction,
  so a process that dies between them leaves a hold the timeout job voids, never half of one.
- **Idempotency keys** (a client's key per user, kept 24 hours) replay the first result of a
  request that moves money; the same key with another request is refused. A unique
  constraint decides, never a check-then-act."""

from __future__ import annotations

import decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy

CURRENCY_DIGITS = {"KRW": 0, "CNY": 2, "USD": 2}
"""The currencies a wallet holds and the digits of their minor unit (ISO 4217)."""
MAX_AMOUNT = 10**15
"""No single amount may reach this many minor units (far below a 64-bit integer's limit, so
no sum of a day's postings overflows)."""


class Currency(models.TextChoices):
    KRW = "KRW", gettext_lazy("Korean won")
    CNY = "CNY", gettext_lazy("Chinese yuan")
    USD = "USD", gettext_lazy("US dollar")


def to_major(amount: int, currency: str) -> decimal.Decimal:
    """An amount in minor units as a Decimal in the currency's major unit, for display."""
    return decimal.Decimal(amount).scaleb(-CURRENCY_DIGITS[currency])


class AccountKind(models.TextChoices):
    USER = "user", gettext_lazy("User")
    TOPUP = "topup", gettext_lazy("Top-up source")
    HOLDS = "holds", gettext_lazy("Payments on hold")


class AppendOnlyError(Exception):
    """A ledger row was to be changed or deleted."""


class Account(models.Model):
    kind = models.CharField(gettext_lazy("kind"), max_length=8, choices=AccountKind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=gettext_lazy("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    currency = models.CharField(gettext_lazy("currency"), max_length=3, choices=Currency.choices)
    balance = models.BigIntegerField(gettext_lazy("balance"), default=0)
    """The sum of the account's postings, in minor units (updated with them)."""
    closed = models.BooleanField(gettext_lazy("closed"), default=False)
    """The owner deleted their account: nothing is paid to it any more."""
    created = models.DateTimeField(gettext_lazy("opened"), auto_now_add=True)

    class Meta:
        verbose_name = gettext_lazy("wallet account")
        verbose_name_plural = gettext_lazy("wallet accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["owner"], condition=Q(kind="user"), name="wallet_one_account_per_user"
            ),
            models.UniqueConstraint(
                fields=["kind", "currency"],
                condition=~Q(kind="user"),
                name="wallet_one_system_account_per_currency",
            ),
            # A user's account keeps its owner until the owner deletes themselves (closed: the
            # postings stay, as a ledger's must).
            models.CheckConstraint(
                condition=Q(kind="user", owner__isnull=False)
                | Q(kind="user", closed=True)
                | (~Q(kind="user") & Q(owner=None)),
                name="wallet_user_accounts_have_owners",
            ),
            # TigerBeetle's "debits must not exceed credits": a user never spends money they
            # do not have, however many payments race (the top-up source goes negative).
            models.CheckConstraint(
                condition=Q(balance__gte=0) | Q(kind="topup"), name="wallet_no_overdraft"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.owner or ''} {self.currency}".strip()


class TransactionKind(models.TextChoices):
    TOPUP = "topup", gettext_lazy("Top-up")
    HOLD = "hold", gettext_lazy("Payment on hold")
    PAYMENT = "payment", gettext_lazy("Payment")
    VOID = "void", gettext_lazy("Payment cancelled")
    REVERSAL = "reversal", gettext_lazy("Correction")


class Transaction(models.Model):
    kind = models.CharField(gettext_lazy("kind"), max_length=10, choices=TransactionKind.choices)
    created = models.DateTimeField(gettext_lazy("time"), auto_now_add=True, db_index=True)
    memo = models.CharField(gettext_lazy("memo"), max_length=200, blank=True)
    reverses = models.OneToOneField(
        "self",
        verbose_name=gettext_lazy("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    """A correction names the transaction it undoes (at most once)."""

    class Meta:
        verbose_name = gettext_lazy("transaction")
        verbose_name_plural = gettext_lazy("transactions")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("wallet transactions are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("wallet transactions are append-only")


class Posting(models.Model):
    transaction = models.ForeignKey(
        Transaction,
        verbose_name=gettext_lazy("transaction"),
        on_delete=models.PROTECT,
        related_name="postings",
    )
    account = models.ForeignKey(
        Account,
        verbose_name=gettext_lazy("account"),
        on_delete=models.PROTECT,
        related_name="postings",
    )
    amount = models.BigIntegerField(gettext_lazy("amount"))
    """Signed, in minor units: positive is money in."""
    currency = models.CharField(gettext_lazy("currency"), max_length=3, choices=Currency.choices)

    class Meta:
        verbose_name = gettext_lazy("posting")
        verbose_name_plural = gettext_lazy("postings")
        constraints = [
            models.CheckConstraint(
                condition=~Q(amount=0) & Q(amount__lt=MAX_AMOUNT) & Q(amount__gt=-MAX_AMOUNT),
                name="wallet_posting_amount",
            )
        ]
        indexes = [models.Index(fields=["account", "-id"], name="wallet_posting_account")]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("wallet postings are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("wallet postings are append-only")


class PaymentRequest(models.Model):
    """A receive QR: the payee asks for money (an amount, or any). Its signed payload carries
    the id; the database says whether it was used."""

    id = models.CharField(max_length=32, primary_key=True)
    """A random nonce (the payload's `n`)."""
    payee = models.ForeignKey(
        Account, verbose_name=gettext_lazy("payee"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.BigIntegerField(gettext_lazy("amount"), null=True, blank=True)
    created = models.DateTimeField(gettext_lazy("created"), auto_now_add=True)
    expires_at = models.DateTimeField(gettext_lazy("expires"))

    class Meta:
        verbose_name = gettext_lazy("payment request")
        verbose_name_plural = gettext_lazy("payment requests")


class PaymentState(models.TextChoices):
    PENDING = "pending", gettext_lazy("Waiting for the face check")
    POSTED = "posted", gettext_lazy("Paid")
    VOIDED = "voided", gettext_lazy("Cancelled")


class Payment(models.Model):
    """A two-phase payment: held, then posted after the payer's face check, or voided."""

    payer = models.ForeignKey(
        Account, verbose_name=gettext_lazy("payer"), on_delete=models.PROTECT, related_name="+"
    )
    payee = models.ForeignKey(
        Account, verbose_name=gettext_lazy("payee"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.BigIntegerField(gettext_lazy("amount"))
    currency = models.CharField(gettext_lazy("currency"), max_length=3, choices=Currency.choices)
    state = models.CharField(
        gettext_lazy("state"),
        max_length=8,
        choices=PaymentState.choices,
        default=PaymentState.PENDING,
    )
    request = models.ForeignKey(
        PaymentRequest,
        verbose_name=gettext_lazy("payment request"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    hold = models.OneToOneField(Transaction, on_delete=models.PROTECT, related_name="held_payment")
    settlement = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, null=True, blank=True, related_name="payment"
    )
    """The posting (to the payee) or the void (back to the payer)."""
    created = models.DateTimeField(gettext_lazy("time"), auto_now_add=True)
    expires_at = models.DateTimeField(gettext_lazy("hold expires"))
    face_audit_id = models.BigIntegerField(gettext_lazy("face check"), null=True, blank=True)
    """The audit row of the live face check the payment was posted with."""
    pin_checked = models.BooleanField(gettext_lazy("PIN checked"), default=False)
    void_reason = models.CharField(gettext_lazy("why cancelled"), max_length=32, blank=True)

    class Meta:
        verbose_name = gettext_lazy("payment")
        verbose_name_plural = gettext_lazy("payments")
        constraints = [
            # A receive QR pays once: a payment that was not cancelled uses it up.
            models.UniqueConstraint(
                fields=["request"],
                condition=~Q(state="voided"),
                name="wallet_request_paid_once",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="wallet_payment_amount"),
            models.CheckConstraint(
                condition=~Q(payer=models.F("payee")), name="wallet_payment_not_to_self"
            ),
        ]


class IdempotencyKey(models.Model):
    """The first result of a request that moves money, replayed for the same key."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    """SHA-256 of the request's meaning (operation and parameters)."""
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    status = models.PositiveSmallIntegerField(null=True)
    """The response's HTTP status, once the request finished."""
    response = models.JSONField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="wallet_idempotency_key")
        ]


class WalletPin(models.Model):
    """The second factor a risky payment asks for (hashed like a password)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    pin_hash = models.CharField(max_length=256)
    changed = models.DateTimeField(auto_now=True)
