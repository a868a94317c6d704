"""The wallet's use cases as the web pages and the API call them: one function per request."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.base_user import AbstractBaseUser

from peeka.accounts.models import User
from peeka.errors import gettext_noop
from peeka.faces import flows
from peeka.faces.flows import FaceCheck
from peeka.faces.models import LivenessChallenge
from peeka.security.client import ClientInfo
from peeka.security.services import audit_record
from peeka.wallet.models import Payment, PaymentRequest, PaymentState
from peeka.wallet.services.idempotency import Outcome, idempotent
from peeka.wallet.services.ledger import WalletError, account_open, amount_from_major, amount_minor
from peeka.wallet.services.payments import (
    Order,
    Receive,
    order_from_request,
    order_to,
    payment_face_once,
    payment_face_step,
    payment_hold,
    payment_void,
    pin_needed,
    request_create,
    request_read,
)

API_PURPOSE = "payment_api"
"""A payment challenge started through the API, passed in its own requests and used up by one
payment; the web's "payment" challenges post their payment when they pass."""
WEB_PURPOSE = "payment"


def receive_create(*, user: AbstractBaseUser, amount: str | None, major: bool = False) -> Receive:
    """A receive request for any amount, or for `amount` (minor units; a typed major-unit
    amount with `major`)."""
    currency = account_open(user=user).currency
    if amount is None or not amount.strip():
        return request_create(user=user, amount=None)
    parsed = amount_from_major(amount, currency) if major else amount_minor(amount, currency)
    return request_create(user=user, amount=parsed)


def _not_verified() -> WalletError:
    return WalletError(
        gettext_noop("Your face was not verified. Nothing was paid."),
        code="face_not_verified",
        status=403,
    )


def pay_api(
    *,
    user: User,
    key: str,
    payload: str,
    to: str,
    amount: str,
    challenge_id: str,
    pin: str,
    image: bytes | None,
    client: ClientInfo,
) -> Outcome:
    """A payment through the API in one request: the order, the hold, the face (a passed API
    payment challenge, or an image where liveness is off), then posted or voided."""

    def run() -> Outcome:
        if not challenge_id and image is None:
            audit_record(
                event="payment", success=False, reason="face_not_verified", user=user, client=client
            )
            raise _not_verified()
        if payload:
            order = order_from_request(payload=payload, amount=amount or None)
        elif to:
            order = order_to(username=to, amount=amount)
        else:
            raise WalletError(
                gettext_noop("Send the receive request's payload, or a payee (to) and amount."),
                code="invalid_request",
                status=422,
            )
        payment = payment_hold(user=user, order=order, pin=pin or None, client=client)
        checked, settled = payment_face_once(
            payment=payment,
            user=user,
            challenge_id=challenge_id,
            frame=image,
            client=client,
            purpose=API_PURPOSE,
        )
        if checked.image_error is not None:
            error = checked.image_error
            raise WalletError(error.template, code=error.code, status=400, params=error.params)
        if settled.state != PaymentState.POSTED:
            raise _not_verified()
        body: dict[str, object] = {
            "id": settled.pk,
            "amount": settled.amount,
            "currency": settled.currency,
            "status": "posted",
        }
        return Outcome(201, body)

    parameters = {"request": payload, "to": to, "amount": amount}
    return idempotent(user=user, key=key, operation="payment", parameters=parameters, run=run)


def payment_challenge(*, user: User, client: ClientInfo) -> LivenessChallenge:
    """An API payment challenge of the user (throttled like every face check)."""
    return flows.challenge_start(purpose=API_PURPOSE, client=client, user=user, accountable=True)


def payment_challenge_answer(
    *,
    user: User,
    challenge_id: str,
    frames: Sequence[bytes],
    timestamps_ms: Sequence[int],
    client: ClientInfo,
) -> FaceCheck:
    return flows.face_check(
        user=user,
        purpose=API_PURPOSE,
        challenge_id=challenge_id,
        frames=frames,
        timestamps_ms=timestamps_ms,
        client=client,
    )


def pay_web_hold(
    *, user: User, token: str, payload: str, amount: str, pin: str, client: ClientInfo
) -> int:
    """The confirm page's form: hold the payment (once per form `token`); its id."""

    def run() -> Outcome:
        currency = account_open(user=user).currency
        minor = str(amount_from_major(amount, currency)) if amount.strip() else None
        order = order_from_request(payload=payload, amount=minor)
        payment = payment_hold(user=user, order=order, pin=pin or None, client=client)
        return Outcome(201, {"payment": payment.pk})

    outcome = idempotent(
        user=user,
        key=f"web:{token}",
        operation="web_payment",
        parameters={"request": payload, "amount": amount.strip()},
        run=run,
    )
    payment = outcome.body["payment"]
    assert isinstance(payment, int)
    return payment


def order_preview(*, user: User, payload: str) -> tuple[Order, str]:
    """What the confirm page shows for a scanned code: the order (amount 0 when the payer
    types it) and why the PIN will be asked ("" when it will not)."""
    requested = request_read(payload=payload)
    payer = account_open(user=user)
    if requested.payee.pk == payer.pk:
        raise WalletError(
            gettext_noop("You cannot pay your own wallet."), code="same_account", status=422
        )
    amount = requested.amount or 0
    reason = pin_needed(payer=payer, payee=requested.payee, amount=amount) if amount else ""
    request: PaymentRequest = requested.request
    return Order(requested.payee, amount, request), reason


def _pending(user: User, payment_id: int) -> Payment:
    payment = (
        Payment.objects.select_related("payer", "payee__owner")
        .filter(pk=payment_id, payer__owner_id=user.pk)
        .first()
    )
    if payment is None:
        raise WalletError(gettext_noop("No such payment."), code="not_found", status=404)
    return payment


def pay_web_challenge(*, user: User, payment_id: int, client: ClientInfo) -> LivenessChallenge:
    """The face check of a held payment starts (only while it is on hold)."""
    payment = _pending(user, payment_id)
    if payment.state != PaymentState.PENDING:
        raise WalletError(
            gettext_noop("This payment is not waiting for a face check."),
            code="hold_voided",
            status=409,
        )
    return flows.challenge_start(purpose=WEB_PURPOSE, client=client, user=user, accountable=True)


def pay_web_step(
    *,
    user: User,
    payment_id: int,
    challenge_id: str,
    frames: Sequence[bytes],
    timestamps_ms: Sequence[int],
    client: ClientInfo,
) -> tuple[FaceCheck, Payment]:
    """A step of the held payment's face check: posted when it passes, voided when it fails."""
    return payment_face_step(
        payment=_pending(user, payment_id),
        user=user,
        challenge_id=challenge_id,
        frames=frames,
        timestamps_ms=timestamps_ms,
        client=client,
    )


def pay_web_cancel(*, user: User, payment_id: int) -> Payment:
    """The payer cancels before the face check: the hold is voided."""
    return payment_void(payment=_pending(user, payment_id), reason="cancelled")
