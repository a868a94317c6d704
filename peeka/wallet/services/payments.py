"""Receiving and paying: signed receive requests (the QR's payload), the risk rule and its PIN,
and the two phases of a payment (hold, then post after the face check, or void)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import check_password, make_password
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from peeka.accounts.models import User
from peeka.errors import gettext_noop
from peeka.faces import flows
from peeka.faces.flows import FaceCheck
from peeka.security.client import ClientInfo
from peeka.security.services import (
    LockoutRule,
    ThrottledError,
    audit_record,
    lockout_check,
    lockout_failed,
    lockout_reset,
    lockout_succeeded,
)
from peeka.wallet.models import (
    Account,
    AccountKind,
    Payment,
    PaymentRequest,
    PaymentState,
    TransactionKind,
    WalletPin,
)
from peeka.wallet.services.ledger import (
    WalletError,
    account_open,
    accounts_lock,
    amount_minor,
    system_account,
    transaction_post,
)

PAYLOAD_PREFIX = "PEEKA-PAY:"
_SALT = "peeka.wallet.request"

WALLET_PIN = LockoutRule(
    "wallet_pin",
    backoff_after=3,
    backoff_seconds=30.0,
    backoff_growth=2.0,
    backoff_max_seconds=3600.0,
    disable_after=10,  # NIST SP 800-63B-4 limits an activation secret to 10 wrong tries
    disabled_code="pin_disabled",
    disabled_message=gettext_noop(
        "Your wallet PIN is locked after too many wrong tries. Set a new one on your wallet's "
        "settings page."
    ),
)
"""Wrong wallet PINs, per user: 30 s after 3, doubling up to an hour, locked at 10 until the
user sets a new PIN (after a step-up)."""


# --- receive requests ----------------------------------------------------------------------


@dataclass(frozen=True)
class Receive:
    request: PaymentRequest
    payload: str
    """What the QR code encodes."""


def request_create(*, user: AbstractBaseUser, amount: int | None) -> Receive:
    """A receive request of the user's account (any amount when None), signed and expiring."""
    account = account_open(user=user)
    if amount is not None:
        amount = amount_minor(amount, account.currency)
    expires = timezone.now() + dt.timedelta(seconds=settings.PEEKA_WALLET_REQUEST_SECONDS)
    row = PaymentRequest.objects.create(
        id=secrets.token_urlsafe(12), payee=account, amount=amount, expires_at=expires
    )
    signed = signing.TimestampSigner(salt=_SALT).sign_object(
        {"n": row.id, "p": account.pk, "a": amount, "c": account.currency}, compress=True
    )
    return Receive(row, PAYLOAD_PREFIX + signed)


@dataclass(frozen=True)
class Requested:
    request: PaymentRequest
    payee: Account
    amount: int | None


def request_read(*, payload: str) -> Requested:
    """The receive request a scanned payload names: signed by this server (or with a key it
    still accepts, SECRET_KEY_FALLBACKS), not expired, not paid, to an open account."""
    text = payload.strip()
    if not text.startswith(PAYLOAD_PREFIX) or len(text) > 1000:
        raise _not_a_request()
    try:
        data = signing.TimestampSigner(salt=_SALT).unsign_object(
            text.removeprefix(PAYLOAD_PREFIX), max_age=settings.PEEKA_WALLET_REQUEST_SECONDS
        )
    except signing.SignatureExpired:
        raise WalletError(
            gettext_noop("This payment code has expired. Ask for a new one."),
            code="request_expired",
            status=410,
        ) from None
    except (signing.BadSignature, ValueError):
        raise _not_a_request() from None
    row = (
        PaymentRequest.objects.select_related("payee").filter(pk=data.get("n")).first()
        if isinstance(data, dict)
        else None
    )
    if row is None or row.payee_id != data.get("p") or row.amount != data.get("a"):
        raise _not_a_request()
    if row.expires_at <= timezone.now():
        raise WalletError(
            gettext_noop("This payment code has expired. Ask for a new one."),
            code="request_expired",
            status=410,
        )
    if row.payments.exclude(state=PaymentState.VOIDED).exists():
        raise WalletError(
            gettext_noop("This payment code was used already. Ask for a new one."),
            code="request_used",
            status=410,
        )
    return Requested(row, _open_payee(row.payee), row.amount)


def _not_a_request() -> WalletError:
    return WalletError(
        gettext_noop("This is not a Peeka payment code."), code="request_invalid", status=400
    )


def _payee_gone() -> WalletError:
    return WalletError(
        gettext_noop("This wallet does not exist or was closed."),
        code="payee_not_found",
        status=404,
    )


def _open_payee(account: Account) -> Account:
    if account.closed or account.kind != AccountKind.USER:
        raise _payee_gone()
    return account


def payee_find(*, username: str) -> Account:
    """The account of the active user `username` (opened if they have none yet)."""
    user = get_user_model().objects.filter(username=username.strip()[:150], is_active=True).first()
    if user is None:
        raise _payee_gone()
    return _open_payee(account_open(user=user))


# --- the risk rule and the PIN -------------------------------------------------------------


def pin_needed(*, payer: Account, payee: Account, amount: int) -> str:
    """Why this payment also asks for the wallet PIN ("" when it does not): a large amount,
    many payments in the last hour, or a payee this wallet never paid."""
    if amount >= settings.PEEKA_WALLET_PIN_AMOUNT[payer.currency]:
        return "amount"
    recent = Payment.objects.filter(
        payer=payer,
        state=PaymentState.POSTED,
        created__gte=timezone.now() - dt.timedelta(hours=1),
    ).count()
    if recent >= settings.PEEKA_WALLET_PIN_HOURLY:
        return "frequency"
    if not Payment.objects.filter(payer=payer, payee=payee, state=PaymentState.POSTED).exists():
        return "new_payee"
    return ""


@sensitive_variables("pin")
def pin_set(*, user: AbstractBaseUser, pin: str, client: ClientInfo) -> None:
    """A new wallet PIN (6 digits); it unlocks a PIN locked by wrong tries."""
    if len(pin) != 6 or not pin.isascii() or not pin.isdigit():
        raise WalletError(gettext_noop("A wallet PIN is 6 digits."), code="pin_invalid")
    WalletPin.objects.update_or_create(user_id=user.pk, defaults={"pin_hash": make_password(pin)})
    lockout_reset(user=user, rule=WALLET_PIN)
    audit_record(event="wallet_pin_set", success=True, reason="ok", user=user, client=client)


@sensitive_variables("pin")
def pin_verify(*, user: AbstractBaseUser, pin: str, client: ClientInfo) -> None:
    """Check the wallet PIN under `WALLET_PIN` (throttled, then locked); audited, refused and
    throttled tries too. `WalletError` "pin_wrong" (403) or `ThrottledError`."""
    try:
        counted = lockout_check(user=user, rule=WALLET_PIN, claim=True)
    except ThrottledError as exc:
        audit_record(event="wallet_pin", success=False, reason=exc.code, user=user, client=client)
        raise
    stored = WalletPin.objects.filter(user_id=user.pk).first()
    # The same hashing work whether or not a PIN is set (Django's ModelBackend trick).
    ok = check_password(pin, stored.pin_hash if stored is not None else "")
    if stored is None or not ok:
        lockout_failed(user=user, rule=WALLET_PIN, counted=counted)
        reason = "no_pin" if stored is None else "bad_credentials"
        audit_record(event="wallet_pin", success=False, reason=reason, user=user, client=client)
        raise WalletError(gettext_noop("The wallet PIN is wrong."), code="pin_wrong", status=403)
    lockout_succeeded(user=user, rule=WALLET_PIN)
    audit_record(event="wallet_pin", success=True, reason="ok", user=user, client=client)


# --- paying --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Order:
    """What the payer confirmed: to whom, how much, from which receive request."""

    payee: Account
    amount: int
    request: PaymentRequest | None = None


def order_from_request(*, payload: str, amount: object = None) -> Order:
    """The order a scanned code makes: its amount, or the payer's where it asks for any."""
    requested = request_read(payload=payload)
    currency = requested.payee.currency
    if requested.amount is not None:
        if amount not in (None, "") and amount_minor(amount, currency) != requested.amount:
            raise WalletError(
                gettext_noop("This payment code asks for another amount."),
                code="invalid_amount",
                status=422,
            )
        return Order(requested.payee, requested.amount, requested.request)
    if amount in (None, ""):
        raise WalletError(
            gettext_noop("Enter the amount to pay."), code="invalid_amount", status=422
        )
    return Order(requested.payee, amount_minor(amount, currency), requested.request)


def order_to(*, username: str, amount: object) -> Order:
    payee = payee_find(username=username)
    return Order(payee, amount_minor(amount, payee.currency))


@sensitive_variables("pin")
def payment_hold(
    *, user: AbstractBaseUser, order: Order, pin: str | None, client: ClientInfo
) -> Payment:
    """Phase one: check the order, ask for the PIN where the risk rule says so, and hold the
    amount (payer → holds) until the face check. `WalletError` for every refusal; audited."""
    try:
        payer = account_open(user=user)
        _order_check(payer, order)
        reason = pin_needed(payer=payer, payee=order.payee, amount=order.amount)
        if reason:
            if not pin:
                raise WalletError(
                    gettext_noop("This payment also needs your wallet PIN."),
                    code="pin_required",
                    status=403,
                    params={"reason": reason},
                )
            pin_verify(user=user, pin=pin, client=client)
        payments_expire(payer=payer)
        holds = system_account(AccountKind.HOLDS, payer.currency)
        with transaction.atomic():
            locked = accounts_lock(payer, holds)[payer.pk]
            if locked.balance < order.amount:
                raise WalletError(
                    gettext_noop("Not enough money in the wallet."),
                    code="insufficient_funds",
                    status=402,
                )
            hold = transaction_post(
                kind=TransactionKind.HOLD, legs=[(locked, -order.amount), (holds, order.amount)]
            )
            try:
                with transaction.atomic():
                    payment = Payment.objects.create(
                        payer=payer,
                        payee=order.payee,
                        amount=order.amount,
                        currency=payer.currency,
                        request=order.request,
                        hold=hold,
                        pin_checked=bool(reason),
                        expires_at=timezone.now()
                        + dt.timedelta(seconds=settings.PEEKA_WALLET_HOLD_SECONDS),
                    )
            except IntegrityError:  # wallet_request_paid_once: a parallel payment used it
                raise WalletError(
                    gettext_noop("This payment code was used already. Ask for a new one."),
                    code="request_used",
                    status=410,
                ) from None
    except (WalletError, ThrottledError) as exc:
        audit_record(event="payment", success=False, reason=exc.code, user=user, client=client)
        raise
    return payment


def _order_check(payer: Account, order: Order) -> None:
    if payer.closed:
        raise WalletError(gettext_noop("This wallet is closed."), code="account_closed", status=410)
    _open_payee(order.payee)
    if order.payee.pk == payer.pk:
        raise WalletError(
            gettext_noop("You cannot pay your own wallet."), code="same_account", status=422
        )
    if order.payee.currency != payer.currency:
        raise WalletError(
            gettext_noop("The payee's wallet holds another currency (%(currency)s)."),
            code="currency_mismatch",
            status=422,
            params={"currency": order.payee.currency},
        )


def payment_face_step(
    *,
    payment: Payment,
    user: AbstractBaseUser,
    challenge_id: str,
    frames: Sequence[bytes],
    timestamps_ms: Sequence[int],
    client: ClientInfo,
) -> tuple[FaceCheck, Payment]:
    """Phase two on the web: a step of the payer's live face check (purpose "payment"). When
    it passes, the payment is posted; when the check ends failed, the hold is voided."""
    _payer_check(payment, user)
    assert isinstance(user, User)
    checked = flows.face_check(
        user=user,
        purpose="payment",
        challenge_id=challenge_id,
        frames=frames,
        timestamps_ms=timestamps_ms,
        client=client,
    )
    if checked.going_on:
        return checked, payment
    return checked, _settle(payment, checked, user, client)


def payment_face_once(
    *,
    payment: Payment,
    user: AbstractBaseUser,
    challenge_id: str,
    frame: bytes | None,
    client: ClientInfo,
    purpose: str,
) -> tuple[FaceCheck, Payment]:
    """Phase two through the API: a challenge of `purpose` the payer passed, or a picture
    where liveness is off; posted when it vouches, voided otherwise."""
    _payer_check(payment, user)
    assert isinstance(user, User)
    try:
        checked = flows.face_vouch(
            user=user, purpose=purpose, client=client, challenge_id=challenge_id, frame=frame
        )
    except ThrottledError as exc:  # the face lockout: nothing stays held while it waits
        payment_void(payment=payment, reason="throttled")
        audit_record(event="payment", success=False, reason=exc.code, user=user, client=client)
        raise
    return checked, _settle(payment, checked, user, client)


def _payer_check(payment: Payment, user: AbstractBaseUser) -> None:
    if payment.payer.owner_id != user.pk:
        raise WalletError(gettext_noop("No such payment."), code="not_found", status=404)


def _settle(
    payment: Payment, checked: FaceCheck, user: AbstractBaseUser, client: ClientInfo
) -> Payment:
    if not checked.passed:
        voided = payment_void(payment=payment, reason="face_not_verified")
        audit_record(
            event="payment", success=False, reason="face_not_verified", user=user, client=client
        )
        return voided
    try:
        posted = payment_post(payment=payment, face_audit_id=checked.audit_id)
    except WalletError as exc:
        audit_record(event="payment", success=False, reason=exc.code, user=user, client=client)
        raise
    how = "face+pin" if posted.pin_checked else "face"
    audit_record(event="payment", success=True, reason=how, user=user, client=client)
    return posted


def payment_post(*, payment: Payment, face_audit_id: int | None) -> Payment:
    """Post a held payment (holds → payee), unless it was voided or its hold expired meanwhile
    (`WalletError` "hold_voided", 409; an expired hold is voided here)."""
    with transaction.atomic():  # a void decided here commits before the error is raised
        row = Payment.objects.select_for_update().get(pk=payment.pk)
        was = row.state
        if row.state == PaymentState.PENDING and row.expires_at <= timezone.now():
            _void(row, "expired")
        elif row.state == PaymentState.PENDING and Account.objects.get(pk=row.payee_id).closed:
            _void(row, "payee_closed")
        elif row.state == PaymentState.PENDING:
            holds = system_account(AccountKind.HOLDS, row.currency)
            payee = accounts_lock(holds, row.payee)[row.payee_id]
            row.settlement = transaction_post(
                kind=TransactionKind.PAYMENT, legs=[(holds, -row.amount), (payee, row.amount)]
            )
            row.state = PaymentState.POSTED
            row.face_audit_id = face_audit_id
            row.save(update_fields=["settlement", "state", "face_audit_id"])
    if row.void_reason == "payee_closed" and was == PaymentState.PENDING:
        raise _payee_gone()
    if row.state != PaymentState.POSTED or was != PaymentState.PENDING:
        raise WalletError(
            gettext_noop(
                "This payment was cancelled before it was confirmed (it waited too long). "
                "Nothing was paid; start again."
            ),
            code="hold_voided",
            status=409,
        )
    return row


def payment_void(*, payment: Payment, reason: str) -> Payment:
    """Give a held payment's amount back to the payer (nothing if it was settled already)."""
    with transaction.atomic():
        row = Payment.objects.select_for_update().get(pk=payment.pk)
        if row.state == PaymentState.PENDING:
            _void(row, reason)
    return row


def _void(row: Payment, reason: str) -> None:
    holds = system_account(AccountKind.HOLDS, row.currency)
    payer = Account.objects.get(pk=row.payer_id)
    accounts_lock(holds, payer)
    row.settlement = transaction_post(
        kind=TransactionKind.VOID, legs=[(holds, -row.amount), (payer, row.amount)]
    )
    row.state = PaymentState.VOIDED
    row.void_reason = reason
    row.save(update_fields=["settlement", "state", "void_reason"])


def payments_expire(*, payer: Account | None = None, at: dt.datetime | None = None) -> int:
    """The timeout job: void every held payment whose hold expired (of `payer`, or all); how
    many. Run by `peeka wallet expire` on a schedule, and before each new hold of a payer."""
    due = Payment.objects.filter(state=PaymentState.PENDING, expires_at__lte=at or timezone.now())
    if payer is not None:
        due = due.filter(payer=payer)
    voided = 0
    for payment in due.only("pk"):
        if payment_void(payment=payment, reason="expired").void_reason == "expired":
            voided += 1
    return voided
