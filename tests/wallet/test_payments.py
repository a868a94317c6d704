"""Paying on the web with the real webcam recording: scan → confirm → hold → live face check →
posted, and each way it must refuse and leave nothing half-written: a used, expired or forged
code, oneself, a closed wallet, another currency, too little money, the risk rule's PIN, a
failed face check (the hold voided), and a hold voided while the check runs."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from peeka.accounts.models import User
from peeka.faces import flows
from peeka.security.client import ClientInfo
from peeka.security.models import AuditEvent
from peeka.security.services import ThrottledError
from peeka.wallet.models import Account, AccountKind, Payment, PaymentState, Posting
from peeka.wallet.services import payments
from peeka.wallet.services.ledger import WalletError, account_close, account_open
from peeka.wallet.services.payments import PAYLOAD_PREFIX, request_create, request_read
from tests.wallet.conftest import fund
from tests.webapp import FrozenClock, logged_in, recorded

CLIENT = ClientInfo(ip="127.0.0.1", user_agent="test")
PIN = "482916"


@pytest.fixture(autouse=True)
def blink_only(settings: object, clock: FrozenClock) -> None:
    settings.PEEKA_LIVENESS = True  # type: ignore[attr-defined]
    settings.PEEKA_LIVENESS_FIXED_STEPS = ["blink"]  # type: ignore[attr-defined]


@pytest.fixture
def payer(alice: User, look: list[bytes]) -> User:
    """Alice: the webcam recording's face, ₩100,000 and a wallet PIN."""
    flows.face_enroll(user=alice, frames=look[:3], scheme="iom", client=CLIENT, channel="admin")
    fund(alice, 100_000)
    payments.pin_set(user=alice, pin=PIN, client=CLIENT)
    return alice


def balance(user: User) -> int:
    return Account.objects.get(kind=AccountKind.USER, owner=user).balance


def confirm_url(payload: str) -> str:
    return "/wallet/pay/confirm/?" + f"code={payload}"


def token_of(page: str) -> str:
    match = re.search(r'name="token" value="([^"]+)"', page)
    assert match, "the confirm form carries its one-time token"
    return match.group(1)


def hold(browser: Client, payload: str, **data: str) -> tuple[int, str]:
    page = browser.get(confirm_url(payload))
    if page.status_code != 200:
        return page.status_code, page.text
    response = browser.post(confirm_url(payload), {"token": token_of(page.text), **data})
    return response.status_code, response.get("Location", "") or response.text


def face(
    browser: Client, payment_url: str, frames: list[bytes], clock: FrozenClock
) -> dict[str, Any]:
    issued = browser.post(f"{payment_url}challenge/")
    if issued.status_code != 200:
        return {"status": issued.status_code, **issued.json()}
    answer = browser.post(
        f"{payment_url}frames/", {"challenge": issued.json()["id"], **recorded(frames, clock)}
    )
    return {"status": answer.status_code, **answer.json()}


@pytest.mark.django_db
def test_pay_a_receive_code_with_a_live_face(
    payer: User, bob: User, blink: list[bytes], clock: FrozenClock
) -> None:
    # Bob asks for ₩5,000: his page shows the QR code of a signed request.
    page = logged_in(bob).post("/wallet/receive/", {"amount": "5,000".replace(",", "")})
    assert page.status_code == 200 and "<svg" in page.text
    payload = re.search(r'<code class="text-break" id="payload">([^<]+)</code>', page.text)
    assert payload and payload.group(1).startswith(PAYLOAD_PREFIX)
    code = payload.group(1)

    # Alice scans it: the confirm page names Bob and the amount, and asks for the PIN (he is a
    # new payee); without it nothing is held.
    alice = logged_in(payer)
    confirm = alice.get(confirm_url(code))
    assert confirm.status_code == 200 and "bob" in confirm.text and "₩5,000" in confirm.text
    assert 'name="pin"' in confirm.text
    status, body = hold(alice, code)
    assert status == 200 and "wallet PIN" in body
    assert not Payment.objects.exists() and balance(payer) == 100_000

    # With the PIN the amount is held; the face check follows.
    status, location = hold(alice, code, pin=PIN)
    assert status == 302 and re.fullmatch(r"/wallet/pay/\d+/", location)
    held = Payment.objects.get()
    assert held.state == PaymentState.PENDING and held.pin_checked
    assert balance(payer) == 95_000 and balance(bob) == 0
    assert Account.objects.get(kind=AccountKind.HOLDS, currency="KRW").balance == 5_000

    verdict = face(alice, location, blink, clock)
    assert verdict["passed"] is True, verdict
    posted = Payment.objects.get()
    assert posted.state == PaymentState.POSTED and posted.face_audit_id
    assert balance(payer) == 95_000 and balance(bob) == 5_000
    assert Account.objects.get(kind=AccountKind.HOLDS, currency="KRW").balance == 0
    audit = AuditEvent.objects.get(pk=posted.face_audit_id)
    assert (audit.event, audit.success, audit.user_id) == ("liveness_payment", True, payer.pk)

    # The receipt, for both of them; the history of each.
    receipt = alice.get(verdict["receipt"])
    assert "Paid with face and PIN" in receipt.text and str(posted.face_audit_id) in receipt.text
    assert logged_in(bob).get(verdict["receipt"]).status_code == 200
    assert "From alice" in logged_in(bob).get("/wallet/history/").text
    assert "To bob" in alice.get("/wallet/").text

    # The code pays once: scanning it again is refused.
    again = alice.get(confirm_url(code))
    assert again.status_code == 410 and "used already" in again.text


@pytest.mark.django_db
def test_a_failed_face_check_voids_the_hold(
    payer: User, bob: User, frames: dict[str, bytes], clock: FrozenClock
) -> None:
    code = request_create(user=bob, amount=3_000).payload
    alice = logged_in(payer)
    status, location = hold(alice, code, pin=PIN)
    assert status == 302 and balance(payer) == 97_000
    still = [frames["biden"]] * 10  # a photo held up: no blink
    verdict = face(alice, location, still, clock)
    assert verdict["passed"] is False and "Nothing was paid" in verdict["message"]
    voided = Payment.objects.get()
    assert voided.state == PaymentState.VOIDED and voided.void_reason == "face_not_verified"
    assert balance(payer) == 100_000 and balance(bob) == 0
    # A voided payment does not use the code up; another attempt may pay it.
    assert hold(alice, code, pin=PIN)[0] == 302


@pytest.mark.django_db
def test_a_hold_voided_while_the_face_check_runs_is_not_posted(
    payer: User, bob: User, blink: list[bytes], clock: FrozenClock
) -> None:
    code = request_create(user=bob, amount=1_000).payload
    alice = logged_in(payer)
    _, location = hold(alice, code, pin=PIN)
    issued = alice.post(f"{location}challenge/").json()
    # The timeout job runs while the payer is still blinking.
    later = timezone.now() + dt.timedelta(minutes=10)
    assert payments.payments_expire(at=later) == 1
    answer = alice.post(f"{location}frames/", {"challenge": issued["id"], **recorded(blink, clock)})
    assert answer.status_code == 409 and answer.json()["code"] == "hold_voided"
    assert Payment.objects.get().state == PaymentState.VOIDED
    assert balance(payer) == 100_000 and balance(bob) == 0


@pytest.mark.django_db
def test_refusals_leave_nothing_half_written(payer: User, bob: User, settings: object) -> None:
    alice = logged_in(payer)
    before = Posting.objects.count()

    code = request_create(user=bob, amount=200_000).payload  # more than Alice has
    status, body = hold(alice, code, pin=PIN)
    assert status == 200 and "Not enough money" in body

    own = request_create(user=payer, amount=100).payload
    assert alice.get(confirm_url(own)).status_code == 422

    forged = code[:-3] + ("AAA" if not code.endswith("AAA") else "BBB")
    assert alice.get(confirm_url(forged)).status_code == 400
    assert alice.get(confirm_url("https://example.com/pay")).status_code == 400
    other_key = signing.TimestampSigner(key="another server", salt="peeka.wallet.request")
    foreign = PAYLOAD_PREFIX + other_key.sign_object({"n": "x", "p": 1, "a": 1, "c": "KRW"})
    assert alice.get(confirm_url(foreign)).status_code == 400

    settings.PEEKA_WALLET_REQUEST_SECONDS = 0  # type: ignore[attr-defined]
    expired = alice.get(confirm_url(code))
    assert expired.status_code == 410 and "expired" in expired.text
    settings.PEEKA_WALLET_REQUEST_SECONDS = 300  # type: ignore[attr-defined]

    carol = User.objects.create_user("carol")
    gone = request_create(user=carol, amount=100).payload
    account_close(carol)
    carol.delete()
    assert alice.get(confirm_url(gone)).status_code == 404

    dollars = User.objects.create_user("dave")
    account_open(user=dollars, currency="USD")
    in_usd = request_create(user=dollars, amount=100).payload
    status, body = hold(alice, in_usd, pin=PIN)
    assert status == 200 and "another currency" in body

    any_amount = request_create(user=bob, amount=None).payload
    for typed in ("0", "-5", "1.5", "1e9", "99999999999999999999"):
        status, body = hold(alice, any_amount, amount=typed, pin=PIN)
        assert status == 200 and "amount above zero" in body, typed

    assert Posting.objects.count() == before and not Payment.objects.exists()
    assert balance(payer) == 100_000


@pytest.mark.django_db
def test_the_pin_is_throttled_then_locked_and_every_try_audited(payer: User, bob: User) -> None:
    code = request_create(user=bob, amount=1_000).payload
    alice = logged_in(payer)
    for _ in range(3):
        status, body = hold(alice, code, pin="000000")
        assert status == 200 and "PIN is wrong" in body
    status, body = hold(alice, code, pin=PIN)  # right, but now it must wait
    assert (status == 200 and "Too many" in body) or "try again" in body.lower()
    tries = AuditEvent.objects.filter(event="wallet_pin", user=payer)
    assert tries.count() == 4 and not tries.filter(success=True).exists()
    assert not Payment.objects.exists()
    with pytest.raises(ThrottledError):
        payments.pin_verify(user=payer, pin=PIN, client=CLIENT)


@pytest.mark.django_db
def test_the_risk_rule(payer: User, bob: User, settings: object) -> None:
    payer_account, bob_account = account_open(user=payer), account_open(user=bob)
    assert payments.pin_needed(payer=payer_account, payee=bob_account, amount=100) == "new_payee"
    order = payments.Order(bob_account, 100)
    payment = payments.payment_hold(user=payer, order=order, pin=PIN, client=CLIENT)
    payments.payment_post(payment=payment, face_audit_id=None)
    assert payments.pin_needed(payer=payer_account, payee=bob_account, amount=100) == ""
    assert payments.pin_needed(payer=payer_account, payee=bob_account, amount=300_000) == "amount"
    settings.PEEKA_WALLET_PIN_HOURLY = 1  # type: ignore[attr-defined]
    assert payments.pin_needed(payer=payer_account, payee=bob_account, amount=100) == "frequency"
    with pytest.raises(WalletError) as caught:
        payments.payment_hold(user=payer, order=order, pin=None, client=CLIENT)
    assert caught.value.code == "pin_required"


@pytest.mark.django_db
def test_the_confirm_form_holds_once_per_token(payer: User, bob: User) -> None:
    code = request_create(user=bob, amount=2_000).payload
    alice = logged_in(payer)
    page = alice.get(confirm_url(code))
    data = {"token": token_of(page.text), "pin": PIN}
    first = alice.post(confirm_url(code), data)
    second = alice.post(confirm_url(code), data)  # a double tap, or the back button
    assert first["Location"] == second["Location"]
    assert Payment.objects.count() == 1 and balance(payer) == 98_000


@pytest.mark.django_db
def test_a_signing_key_in_the_fallbacks_still_reads_old_codes(
    payer: User, bob: User, settings: object
) -> None:
    code = request_create(user=bob, amount=100).payload
    old = settings.SECRET_KEY  # type: ignore[attr-defined]
    settings.SECRET_KEY = "a new key after a rotation"  # type: ignore[attr-defined]
    settings.SECRET_KEY_FALLBACKS = [old]  # type: ignore[attr-defined]
    assert request_read(payload=code).amount == 100
    settings.SECRET_KEY_FALLBACKS = []  # type: ignore[attr-defined]
    with pytest.raises(WalletError) as caught:
        request_read(payload=code)
    assert caught.value.code == "request_invalid"
