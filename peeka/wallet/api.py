"""`/api/v1/wallet`: a user's wallet for their own apps and scripts. It authenticates with a
personal access token of scope "wallet" (`Authorization: Bearer pat_...`, made on the security
page or by `peeka token create USERNAME --scope wallet`). Amounts are integers in the
currency's minor unit. Errors are the API's JSON `{"code", "message"}`.

A payment needs the payer's face: a "payment" challenge started and answered here
(`/challenges`, then its frames step by step) and named in the payment; or, where the
deployment turned liveness off, an `image`. Requests that move money take an `Idempotency-Key`
header: a retry with the same key and request replays the first result."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import File, Form, Router, Schema, Status, UploadedFile
from ninja.params import FormEx, HeaderEx, P, QueryEx
from ninja.security import HttpBearer
from pydantic import Field

from peeka.accounts.models import User
from peeka.accounts.tokens import token_authenticate
from peeka.api.api import (
    ERRORS,
    ApiProblemError,
    ChallengeOut,
    Error,
    LivenessOut,
    challenge_created,
    next_prompt,
    step_answer,
)
from peeka.security.client import client_info
from peeka.security.services import rate_limit
from peeka.security.wording import localized
from peeka.wallet import selectors
from peeka.wallet.services import pay
from peeka.wallet.services.ledger import WalletError

SCOPE = "wallet"


class WalletToken(HttpBearer):
    def __call__(self, request: HttpRequest) -> User:
        user = super().__call__(request)  # None without an "Authorization: Bearer" header
        if user is None:
            raise _unauthorized()
        assert isinstance(user, User)
        return user

    def authenticate(self, request: HttpRequest, token: str) -> User:
        user = token_authenticate(secret=token, scope=SCOPE)
        if user is None:
            raise _unauthorized()
        rate_limit(scope="wallet_token", ident=str(user.pk))
        return user


def _unauthorized() -> ApiProblemError:
    message = gettext(
        "Send a personal access token of scope wallet: Authorization: Bearer <token>."
    )
    return ApiProblemError(401, "unauthorized", message)


router = Router(auth=WalletToken(), tags=["wallet"])
MONEY_ERRORS: dict[int, type[Error]] = {**ERRORS, 402: Error, 403: Error, 409: Error, 410: Error}


class BalanceOut(Schema):
    balance: int = Field(description="Minor units (won; fen; cents)")
    currency: Literal["KRW", "CNY", "USD"]


class RequestOut(Schema):
    id: str
    payload: str = Field(description="What the receive QR code encodes")
    expires_at: dt.datetime


class PaymentOut(Schema):
    id: int
    amount: int = Field(description="Minor units")
    currency: str
    status: Literal["posted"]


class TransactionOut(Schema):
    id: int = Field(description="The posting's id")
    transaction: int
    kind: str = Field(description="topup, hold, payment, void or reversal")
    amount: int = Field(description="Signed, minor units: positive is money in")
    currency: str
    time: dt.datetime
    status: str = Field(description="pending, posted or voided (of the payment it belongs to)")
    payment: int | None
    counterparty: str = Field(description="The other person of a payment, or empty")


def _user(request: HttpRequest) -> User:
    user: Any = getattr(request, "auth", None)
    assert isinstance(user, User)  # WalletToken guarantees it
    return user


def _problem(exc: WalletError) -> ApiProblemError:
    return ApiProblemError(exc.status, exc.code, localized(exc))


@router.get("/balance", response={200: BalanceOut, **ERRORS}, summary="The wallet's balance")
def balance(request: HttpRequest) -> BalanceOut:
    balance, currency = selectors.balance_of(user=_user(request))
    return BalanceOut(balance=balance, currency=currency)  # type: ignore[arg-type]


@router.post(
    "/requests",
    response={201: RequestOut, **MONEY_ERRORS},
    summary="A receive request: the payload a QR code shows, signed and expiring",
)
def create_request(request: HttpRequest, amount: Form[str] = "") -> Status[Any]:
    try:
        made = pay.receive_create(user=_user(request), amount=amount or None)
    except WalletError as exc:
        raise _problem(exc) from None
    row = made.request
    return Status(201, RequestOut(id=row.id, payload=made.payload, expires_at=row.expires_at))


@router.post(
    "/payments",
    response={201: PaymentOut, **MONEY_ERRORS},
    summary="Pay a receive request (or a user) with a passed face check",
)
def create_payment(
    request: HttpRequest,
    idempotency_key: HeaderEx[
        str,
        P(
            alias="Idempotency-Key",
            description="Your id of this payment (1-255 characters): a retry with the same "
            "key and request replays the first answer; kept 24 hours",
        ),
    ],
    payload: FormEx[str, P(alias="request", description="A scanned receive payload")] = "",
    to: FormEx[str, P(description="Or: the payee's username")] = "",
    amount: FormEx[str, P(description="Minor units (with `to`, or an open request)")] = "",
    challenge: FormEx[str, P(description="A payment challenge this user passed")] = "",
    pin: FormEx[str, P(description="The wallet PIN, when the answer asks for it")] = "",
    image: File[UploadedFile | None] = None,
) -> Status[Any]:
    if image is not None and image.size is not None and image.size > 10 * 1024 * 1024:
        raise ApiProblemError(413, "request_too_large", gettext("The image is too large."))
    try:
        outcome = pay.pay_api(
            user=_user(request),
            key=idempotency_key,
            payload=payload,
            to=to,
            amount=amount,
            challenge_id=challenge,
            pin=pin,
            image=image.read() if image is not None else None,
            client=client_info(request),
        )
    except WalletError as exc:
        raise _problem(exc) from None
    return Status(outcome.status, outcome.body)


@router.get(
    "/transactions",
    response={200: list[TransactionOut], **ERRORS},
    summary="The wallet's postings, newest first",
)
def transactions(
    request: HttpRequest, limit: QueryEx[int, P(ge=1, le=500)] = 50
) -> list[TransactionOut]:
    account = selectors.account_of(user=_user(request))
    lines = selectors.history(account=account, limit=limit) if account is not None else []
    return [
        TransactionOut(
            id=line.posting.pk,
            transaction=line.posting.transaction_id,
            kind=line.posting.transaction.kind,
            amount=line.posting.amount,
            currency=line.posting.currency,
            time=line.posting.transaction.created,
            status=line.status,
            payment=line.payment.pk if line.payment is not None else None,
            counterparty=line.counterparty,
        )
        for line in lines
    ]


@router.post(
    "/challenges",
    response={201: ChallengeOut, **ERRORS},
    summary="Start the payer's face check (a liveness challenge of purpose payment)",
)
def create_challenge(request: HttpRequest) -> Status[Any]:
    return challenge_created(
        pay.payment_challenge(user=_user(request), client=client_info(request))
    )


@router.post(
    "/challenges/{challenge_id}/frames",
    response={200: LivenessOut, **ERRORS},
    summary="Answer the revealed step; when the last passes, name the challenge in a payment",
)
def answer_challenge(
    request: HttpRequest,
    challenge_id: str,
    frames: File[list[UploadedFile]],
    timestamps: Form[str],
) -> LivenessOut:
    images, stamps = step_answer(frames, timestamps)
    user = _user(request)
    checked = pay.payment_challenge_answer(
        user=user,
        challenge_id=challenge_id,
        frames=images,
        timestamps_ms=stamps,
        client=client_info(request),
    )
    if checked.reason == "challenge_not_found":
        message = gettext("No such challenge for this user.")
        raise ApiProblemError(404, "challenge_not_found", message)
    step, prompt = next_prompt(checked)
    return LivenessOut(
        passed=checked.passed,
        user=user.get_username() if checked.passed else None,
        done=not checked.going_on,
        step=step,
        prompt=prompt,
        steps_done=checked.steps_done,
        steps_total=checked.steps_total,
    )
