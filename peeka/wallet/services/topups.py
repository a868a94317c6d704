"""Money into wallets: an operator's top-up, and a card charged through the card provider
within the limits per top-up and per 24 hours."""

from __future__ import annotations

import datetime as dt
import functools
import importlib

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from peeka.errors import gettext_noop
from peeka.security.client import ClientInfo
from peeka.security.services import audit_record, rate_limit
from peeka.wallet.cards import CardProvider
from peeka.wallet.models import AccountKind, Posting, TransactionKind, to_major
from peeka.wallet.services.ledger import (
    TopUp,
    WalletError,
    account_open,
    accounts_lock,
    system_account,
    topup_record,
    transaction_post,
)

CARD_MEMO = "card"


@functools.cache
def card_provider() -> CardProvider:
    module, _, name = settings.PEEKA_WALLET_CARD_PROVIDER.partition(":")
    provider: CardProvider = getattr(importlib.import_module(module), name)()
    return provider


def topup_operator(*, user: AbstractBaseUser, amount: int, currency: str, operator: str) -> TopUp:
    """An operator credits a wallet (`peeka wallet topup`): no limit, audited."""
    done = topup_record(user=user, amount=amount, currency=currency, memo=f"operator {operator}")
    audit_record(event="wallet_topup", success=True, reason="operator", user=user)
    return done


@sensitive_variables("number")
def topup_card(
    *, user: AbstractBaseUser, number: str, amount: int, reference: str, client: ClientInfo
) -> TopUp:
    """Charge the card and credit the wallet, within PEEKA_WALLET_TOPUP_MAX per top-up and
    PEEKA_WALLET_TOPUP_DAILY per 24 hours (decided under the account's row lock, so parallel
    top-ups cannot pass the daily limit together). Refusals are `WalletError`s, audited."""
    try:
        rate_limit(scope="wallet_topup", ident=str(user.pk))
        account = account_open(user=user)
        currency = account.currency
        if amount > settings.PEEKA_WALLET_TOPUP_MAX[currency]:
            raise WalletError(
                gettext_noop("One top-up may add at most %(limit)s."),
                code="topup_limit",
                status=422,
                params={"limit": _limit(settings.PEEKA_WALLET_TOPUP_MAX[currency], currency)},
            )
        digits = "".join(c for c in number if not c.isspace() and c != "-")
        source = system_account(AccountKind.TOPUP, currency)
        with transaction.atomic():
            locked = accounts_lock(account, source)[account.pk]
            since = timezone.now() - dt.timedelta(hours=24)
            today = (
                Posting.objects.filter(
                    account=locked,
                    transaction__kind=TransactionKind.TOPUP,
                    transaction__memo__startswith=CARD_MEMO,
                    transaction__created__gte=since,
                ).aggregate(total=Sum("amount"))["total"]
                or 0
            )
            daily = settings.PEEKA_WALLET_TOPUP_DAILY[currency]
            if today + amount > daily:
                raise WalletError(
                    gettext_noop("Card top-ups may add at most %(limit)s in 24 hours."),
                    code="topup_daily_limit",
                    status=422,
                    params={"limit": _limit(daily, currency)},
                )
            charge = card_provider().charge(
                number=digits, amount=amount, currency=currency, reference=reference
            )
            if not charge.ok:
                raise WalletError(
                    gettext_noop("The card was declined. Nothing was charged."),
                    code=charge.decline or "card_declined",
                    status=402,
                )
            txn = transaction_post(
                kind=TransactionKind.TOPUP,
                legs=[(source, -amount), (locked, amount)],
                memo=f"{CARD_MEMO} ···· {digits[-4:]} {charge.reference}",
            )
    except WalletError as exc:
        audit_record(event="wallet_topup", success=False, reason=exc.code, user=user, client=client)
        raise
    audit_record(event="wallet_topup", success=True, reason="card", user=user, client=client)
    account.refresh_from_db()
    return TopUp(txn, account)


def _limit(amount: int, currency: str) -> str:
    return f"{to_major(amount, currency)} {currency}"
