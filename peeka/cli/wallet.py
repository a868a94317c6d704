"""`peeka wallet`: the operator's side of the wallet — top up a user's wallet, read a balance,
reconcile every cached balance with the ledger, and void the holds whose face check never
came (run `peeka wallet expire` from a scheduler every minute). Amounts are integers in the
currency's minor unit (won; fen; cents)."""

from __future__ import annotations

import argparse
import getpass

from peeka.cli.output import EXIT_NO_MATCH, EXIT_OK, Subparsers, emit


def add_parsers(sub: Subparsers) -> None:
    p = sub.add_parser("wallet", help="the face-pay wallet: top-ups, balances, the ledger")
    wallet_sub = p.add_subparsers(required=True, metavar="ACTION")
    p = wallet_sub.add_parser("topup", help="credit a user's wallet (minor units: won, fen, cents)")
    p.add_argument("username")
    p.add_argument(
        "amount", help="a whole number of minor units, e.g. 50000 (KRW) or 1250 (USD 12.50)"
    )
    p.add_argument("currency", help="KRW, CNY or USD")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=topup)
    p = wallet_sub.add_parser("balance", help="a user's balance")
    p.add_argument("username")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=balance)
    p = wallet_sub.add_parser(
        "reconcile",
        help="compare every cached balance with the sum of its postings, and every "
        "transaction with zero (exit 1 when anything differs)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=reconcile)
    p = wallet_sub.add_parser(
        "expire", help="void the payments whose hold expired without a face check"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=expire)


def _user(username: str):  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model

    from peeka.errors import PeekaError

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise PeekaError(f"no user named {username!r}", code="unknown_user")
    return user


def topup(args: argparse.Namespace) -> int:
    from peeka.cli.web import setup

    setup()
    from peeka.wallet.services.ledger import amount_minor, currency_check
    from peeka.wallet.services.topups import topup_operator

    currency = currency_check(args.currency)
    done = topup_operator(
        user=_user(args.username),
        amount=amount_minor(args.amount, currency),
        currency=currency,
        operator=getpass.getuser(),
    )
    account = done.account
    emit(
        args,
        {
            "transaction": done.transaction.pk,
            "balance": account.balance,
            "currency": account.currency,
        },
        f"topped up; {args.username}'s balance is {account.balance} {account.currency} "
        "(minor units)",
    )
    return EXIT_OK


def balance(args: argparse.Namespace) -> int:
    from peeka.cli.web import setup

    setup()
    from peeka.wallet.selectors import balance_of

    amount, currency = balance_of(user=_user(args.username))
    emit(args, {"balance": amount, "currency": currency}, f"{amount} {currency} (minor units)")
    return EXIT_OK


def reconcile(args: argparse.Namespace) -> int:
    from peeka.cli.web import setup

    setup()
    from peeka.wallet.services.ledger import ledger_reconcile

    accounts, differences, unbalanced = ledger_reconcile()
    payload = {
        "accounts": accounts,
        "differences": [
            {"account": d.account, "cached": d.cached, "postings": d.postings} for d in differences
        ],
        "unbalanced_transactions": unbalanced,
    }
    lines = [
        f"{accounts} accounts checked; {len(differences)} differ; "
        f"{len(unbalanced)} unbalanced transactions"
    ]
    lines += [f"account {d.account}: cached {d.cached}, postings {d.postings}" for d in differences]
    lines += [f"transaction {t} does not sum to zero" for t in unbalanced]
    emit(args, payload, "\n".join(lines))
    return EXIT_NO_MATCH if differences or unbalanced else EXIT_OK


def expire(args: argparse.Namespace) -> int:
    from peeka.cli.web import setup

    setup()
    from peeka.wallet.services.payments import payments_expire

    voided = payments_expire()
    emit(args, {"voided": voided}, f"{voided} expired holds voided")
    return EXIT_OK
