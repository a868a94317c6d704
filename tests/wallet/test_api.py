"""The wallet's JSON API (`/api/v1/wallet`) on the real webcam recording: a personal access
token of scope wallet, the balance, receive requests, payments with a passed API challenge or
(liveness off) an image, idempotency keys, every refusal as `{"code", "message"}` JSON that
leaves the ledger as it was (or the hold voided), the history, and the published OpenAPI
schema that every response here is validated against (openapi-core)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.accounts.models import AccessToken, User
from peeka.accounts.tokens import token_create, token_revoke
from peeka.faces import flows
from peeka.faces.models import LivenessChallenge
from peeka.security.client import ClientInfo
from peeka.security.models import AuditEvent
from peeka.security.services import FACE, lockout_failed
from peeka.wallet.models import (
    Account,
    AccountKind,
    IdempotencyKey,
    Payment,
    PaymentRequest,
    PaymentState,
    Posting,
    Transaction,
    TransactionKind,
)
from peeka.wallet.services import payments
from peeka.wallet.services.ledger import account_open
from peeka.wallet.services.payments import PAYLOAD_PREFIX, request_create, request_read
from tests.wallet.conftest import fund
from tests.webapp import FrozenClock, logged_in, recorded

CLIENT = ClientInfo(ip="127.0.0.1", user_agent="test")
PIN = "482916"
BASE = "/api/v1/wallet"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def blink_only(settings: SettingsWrapper, clock: FrozenClock) -> None:
    settings.PEEKA_LIVENESS = True
    settings.PEEKA_LIVENESS_FIXED_STEPS = ["blink"]


@pytest.fixture
def payer(alice: User, look: list[bytes]) -> User:
    """Alice: the webcam recording's face, ₩100,000 and a wallet PIN."""
    flows.face_enroll(user=alice, frames=look[:3], scheme="iom", client=CLIENT, channel="admin")
    fund(alice, 100_000)
    payments.pin_set(user=alice, pin=PIN, client=CLIENT)
    return alice


@pytest.fixture(scope="module")
def schema() -> OpenAPI:
    return OpenAPI.from_dict(Client().get("/api/v1/openapi.json").json())


class Api:
    """A script of one user calling the wallet API with a bearer token; every response is
    checked: JSON, never 5xx, valid against the published schema, errors `{"code",
    "message"}`."""

    def __init__(self, schema: OpenAPI, secret: str | None) -> None:
        self.schema = schema
        headers = {"Authorization": f"Bearer {secret}"} if secret is not None else {}
        self.client = Client(headers=headers)

    def get(self, path: str, **query: str | int) -> tuple[int, Any]:
        return self._checked("get", path, self.client.get(BASE + path, query))

    def post(
        self, path: str, data: dict[str, Any] | None = None, key: str | None = None
    ) -> tuple[int, Any]:
        headers = {"Idempotency-Key": key} if key is not None else {}
        return self._checked(
            "post", path, self.client.post(BASE + path, data or {}, headers=headers)
        )

    def pay(self, key: str, **data: Any) -> tuple[int, Any]:
        return self.post("/payments", data, key=key)

    def _checked(self, method: str, path: str, response: Any) -> tuple[int, Any]:
        status: int = response.status_code
        assert status < 500, response.content
        assert response["Content-Type"].startswith("application/json"), response.content
        # The request side is multipart, which Django has consumed; only the method and path
        # matter for finding the response's schema.
        self.schema.validate_response(
            MockRequest("http://testserver", method, BASE + path),
            MockResponse(response.content, status_code=status, content_type="application/json"),
        )
        body = response.json()
        if status >= 400:
            assert set(body) == {"code", "message"} and body["message"].strip(), body
        return status, body


def api_of(schema: OpenAPI, user: User) -> Api:
    return Api(schema, token_create(user=user, name="script", scope="wallet")[1])


def balance(user: User) -> int:
    account = Account.objects.filter(kind=AccountKind.USER, owner=user).first()
    return account.balance if account is not None else 0


def same_time(sent: str, stored: dt.datetime) -> bool:
    """A time as the API sends it (ISO 8601, to the millisecond) is the stored one."""
    return abs(dt.datetime.fromisoformat(sent) - stored) < dt.timedelta(milliseconds=1)


def holds() -> int:
    account = Account.objects.filter(kind=AccountKind.HOLDS, currency="KRW").first()
    return account.balance if account is not None else 0


def ledger(*users: User) -> tuple[object, ...]:
    """What a refusal must leave as it was: balances, payments, postings, kept keys."""
    return (
        *(balance(user) for user in users),
        holds(),
        Payment.objects.count(),
        Posting.objects.count(),
        IdempotencyKey.objects.count(),
    )


def image(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("face.jpg", data, "image/jpeg")


def passed_challenge(api: Api, blink: list[bytes], clock: FrozenClock, username: str) -> str:
    """A payment challenge started and passed through the API (one blink)."""
    status, issued = api.post("/challenges")
    assert status == 201 and (issued["step"], issued["steps_total"]) == ("blink", 1), issued
    status, answer = api.post(f"/challenges/{issued['id']}/frames", recorded(blink, clock))
    assert status == 200 and answer == {
        "passed": True, "user": username, "done": True, "step": None, "prompt": None,
        "steps_done": 1, "steps_total": 1,
    }, answer  # fmt: skip
    return str(issued["id"])


# --- authentication and the balance --------------------------------------------------------


def test_only_an_active_wallet_token_gets_in(
    schema: OpenAPI, alice: User, bob: User, clock: FrozenClock
) -> None:
    _, good = token_create(user=alice, name="script", scope="wallet")
    assert Api(schema, good).get("/balance")[0] == 200

    revoked_row, revoked = token_create(user=alice, name="old", scope="wallet")
    token_revoke(user=alice, token_id=revoked_row.pk, client=None)
    other_row, other_scope = token_create(user=alice, name="other", scope="wallet")
    AccessToken.objects.filter(pk=other_row.pk).update(scope="workplace")  # another part's
    _, expiring = token_create(user=alice, name="short", scope="wallet", days=1)
    _, inactive = token_create(user=bob, name="bob's", scope="wallet")
    User.objects.filter(pk=bob.pk).update(is_active=False)
    clock.now += 86_400  # a day later: the short token has expired
    assert Api(schema, good).get("/balance")[0] == 200

    calls = [("get", "/balance"), ("post", "/requests"), ("post", "/payments"),
             ("get", "/transactions"), ("post", "/challenges"),
             ("post", "/challenges/x/frames")]  # fmt: skip
    bad: list[str | None] = [None, "", "pat_wrong", good + "x", revoked, other_scope, expiring,
                             inactive, "x" * 500]  # fmt: skip
    for secret in bad:
        api = Api(schema, secret)
        for method, path in calls:
            status, body = api.get(path) if method == "get" else api.post(path, key="k")
            assert (status, body["code"]) == (401, "unauthorized"), (secret, path, body)
    # Another scheme than Bearer is no token either.
    basic = Client(headers={"Authorization": f"Basic {good}"}).get(f"{BASE}/balance")
    assert basic.status_code == 401 and basic.json()["code"] == "unauthorized"
    # Nothing was opened, asked for or kept by the refused calls.
    assert not Account.objects.exists() and not PaymentRequest.objects.exists()
    assert not IdempotencyKey.objects.exists() and not LivenessChallenge.objects.exists()


def test_a_missing_token_is_told_to_send_a_bearer_token(schema: OpenAPI, db: None) -> None:
    status, body = Api(schema, None).get("/balance")
    assert status == 401 and "Bearer" in body["message"] and "X-API-Key" not in body["message"]


def test_the_balance_before_and_after_a_top_up(
    schema: OpenAPI, alice: User, bob: User, settings: SettingsWrapper
) -> None:
    api = api_of(schema, alice)
    assert api.get("/balance") == (200, {"balance": 0, "currency": "KRW"})
    assert not Account.objects.exists()  # reading opens no account
    fund(alice, 12_345)
    assert api.get("/balance") == (200, {"balance": 12_345, "currency": "KRW"})
    assert balance(alice) == 12_345
    fund(alice, 5)
    assert api.get("/balance") == (200, {"balance": 12_350, "currency": "KRW"})

    # Before any top-up the currency is the deployment's; after it, the account's.
    settings.PEEKA_WALLET_CURRENCY = "USD"
    assert api_of(schema, bob).get("/balance") == (200, {"balance": 0, "currency": "USD"})
    assert api.get("/balance") == (200, {"balance": 12_350, "currency": "KRW"})


# --- receive requests ----------------------------------------------------------------------


def test_receive_requests(schema: OpenAPI, bob: User, settings: SettingsWrapper) -> None:
    api = api_of(schema, bob)
    before = timezone.now()
    status, made = api.post("/requests", {"amount": "5000"})
    assert status == 201 and set(made) == {"id", "payload", "expires_at"}
    assert made["payload"].startswith(PAYLOAD_PREFIX)
    row = PaymentRequest.objects.get(pk=made["id"])
    assert row.amount == 5000 and row.payee == account_open(user=bob)
    assert same_time(made["expires_at"], row.expires_at)
    seconds = settings.PEEKA_WALLET_REQUEST_SECONDS
    assert before + dt.timedelta(seconds=seconds - 1) <= row.expires_at
    assert row.expires_at <= timezone.now() + dt.timedelta(seconds=seconds)
    read = request_read(payload=made["payload"])
    assert (read.request.pk, read.amount) == (made["id"], 5000)

    # The amount is optional: the payer types it.
    for data in ({}, {"amount": ""}):
        status, open_ = api.post("/requests", data)
        assert status == 201 and open_["payload"].startswith(PAYLOAD_PREFIX)
        assert PaymentRequest.objects.get(pk=open_["id"]).amount is None
        assert request_read(payload=open_["payload"]).amount is None
    assert len({made["id"], open_["id"]}) == 2

    count = PaymentRequest.objects.count()
    for amount in ("0", "-1", "1.5", "abc", str(10**16), "1e3", "+5", "5 000"):
        status, body = api.post("/requests", {"amount": amount})
        assert (status, body["code"]) == (422, "invalid_amount"), (amount, body)
    assert PaymentRequest.objects.count() == count == 3
    assert not Posting.objects.exists()


# --- paying --------------------------------------------------------------------------------


def test_pay_a_request_with_a_passed_api_challenge(
    schema: OpenAPI, payer: User, bob: User, blink: list[bytes], clock: FrozenClock
) -> None:
    alice, bobs = api_of(schema, payer), api_of(schema, bob)
    code = bobs.post("/requests", {"amount": "5000"})[1]["payload"]
    challenge = passed_challenge(alice, blink, clock, "alice")
    start = ledger(payer)

    # A first payment to Bob asks for the PIN: refused before anything is held, the key and
    # the challenge left unused.
    status, body = alice.pay("pay-1", request=code, challenge=challenge)
    assert (status, body["code"]) == (403, "pin_required")
    assert ledger(payer) == start and not LivenessChallenge.objects.get(pk=challenge).consumed

    status, body = alice.pay("pay-1", request=code, challenge=challenge, pin=PIN)
    paid = Payment.objects.get()
    assert status == 201 and body == {
        "id": paid.pk, "amount": 5000, "currency": "KRW", "status": "posted"
    }  # fmt: skip
    assert paid.state == PaymentState.POSTED and paid.pin_checked
    assert paid.request_id == PaymentRequest.objects.get().pk
    assert (balance(payer), balance(bob), holds()) == (95_000, 5_000, 0)
    assert Posting.objects.count() == 2 + 2 + 2  # the top-up, the hold, the payment
    assert paid.face_audit_id is not None
    audit = AuditEvent.objects.get(pk=paid.face_audit_id)
    assert (audit.success, audit.reason, audit.user_id) == (True, "ok", payer.pk)
    assert bobs.get("/balance")[1] == {"balance": 5_000, "currency": "KRW"}
    # A retry with the same key replays the answer; nothing is paid twice.
    paid_once = ledger(payer, bob)
    assert alice.pay("pay-1", request=code, challenge=challenge, pin=PIN) == (201, body)
    assert ledger(payer, bob) == paid_once

    # The challenge paid once: with a new key it vouches for nothing; the hold is voided.
    second = bobs.post("/requests", {"amount": "1000"})[1]["payload"]
    status, body = alice.pay("pay-2", request=second, challenge=challenge)
    assert (status, body["code"]) == (403, "face_not_verified")
    voided = Payment.objects.exclude(pk=paid.pk).get()
    assert voided.state == PaymentState.VOIDED and voided.void_reason == "face_not_verified"
    assert (balance(payer), balance(bob), holds()) == (95_000, 5_000, 0)
    assert Posting.objects.count() == 6 + 2 + 2  # its hold and its void
    # The voided payment does not use the code up; the paid one is used (a new key).
    assert request_read(payload=second).amount == 1000
    status, body = alice.pay("pay-3", request=code, challenge=challenge, pin=PIN)
    assert (status, body["code"]) == (410, "request_used")
    assert Payment.objects.count() == 2 and balance(payer) == 95_000


def test_web_and_api_payment_challenges_are_not_interchangeable(
    schema: OpenAPI, payer: User, bob: User, blink: list[bytes], clock: FrozenClock
) -> None:
    alice = api_of(schema, payer)
    browser = logged_in(payer)
    order = payments.Order(account_open(user=bob), 2_000)
    held = payments.payment_hold(user=payer, order=order, pin=PIN, client=CLIENT)
    url = f"/wallet/pay/{held.pk}/"
    web = browser.post(f"{url}challenge/").json()["id"]

    # The web's challenge cannot be answered through the API, nor another user's challenge.
    status, body = alice.post(f"/challenges/{web}/frames", recorded(blink, clock))
    assert (status, body["code"]) == (404, "challenge_not_found")
    bobs = api_of(schema, bob).post("/challenges")[1]["id"]
    status, body = alice.post(f"/challenges/{bobs}/frames", recorded(blink, clock))
    assert (status, body["code"]) == (404, "challenge_not_found")

    # Passed on the web, it posts the web's payment, and pays nothing through the API.
    answer = browser.post(f"{url}frames/", {"challenge": web, **recorded(blink, clock)}).json()
    assert answer["passed"] is True, answer
    assert Payment.objects.get().state == PaymentState.POSTED
    after_web = ledger(payer, bob)
    assert after_web[:3] == (98_000, 2_000, 0)
    code = request_create(user=bob, amount=500).payload
    status, body = alice.pay("k", request=code, challenge=web)
    assert (status, body["code"]) == (403, "face_not_verified")
    assert (balance(payer), balance(bob), holds()) == (98_000, 2_000, 0)
    assert Payment.objects.filter(state=PaymentState.VOIDED).count() == 1

    # An API challenge does not answer a web payment's face check, even with a real blink.
    api_challenge = alice.post("/challenges")[1]["id"]
    again = payments.payment_hold(user=payer, order=order, pin=PIN, client=CLIENT)
    answer = browser.post(
        f"/wallet/pay/{again.pk}/frames/", {"challenge": api_challenge, **recorded(blink, clock)}
    ).json()
    assert answer["passed"] is False
    again.refresh_from_db()
    assert again.state == PaymentState.VOIDED
    assert (balance(payer), balance(bob), holds()) == (98_000, 2_000, 0)


def test_pay_a_user_with_an_image_where_liveness_is_off(
    schema: OpenAPI,
    payer: User,
    bob: User,
    look: list[bytes],
    frames: dict[str, bytes],
    settings: SettingsWrapper,
) -> None:
    alice = api_of(schema, payer)
    settings.PEEKA_LIVENESS = False
    start = ledger(payer, bob)

    # A stranger's photo: held, then voided; nothing moved.
    status, body = alice.pay("a", to="bob", amount="3000", pin=PIN, image=image(frames["biden"]))
    assert (status, body["code"]) == (403, "face_not_verified")
    stranger = Payment.objects.get()
    assert stranger.state == PaymentState.VOIDED and stranger.void_reason == "face_not_verified"
    assert (balance(payer), balance(bob), holds()) == start[:3]
    # Not a picture: its image error (400), and the hold voided too.
    status, body = alice.pay("b", to="bob", amount="3000", pin=PIN, image=image(b"not a picture"))
    assert status == 400 and body["code"].startswith("image_"), body
    assert not Payment.objects.filter(state=PaymentState.PENDING).exists()
    assert (balance(payer), balance(bob), holds()) == start[:3]

    # The enrolled face (a frame that was not enrolled) pays.
    status, body = alice.pay("c", to="bob", amount="3000", pin=PIN, image=image(look[6]))
    paid = Payment.objects.get(state=PaymentState.POSTED)
    assert status == 201 and body == {
        "id": paid.pk, "amount": 3000, "currency": "KRW", "status": "posted"
    }  # fmt: skip
    assert paid.request is None and paid.payee == account_open(user=bob)
    assert (balance(payer), balance(bob), holds()) == (97_000, 3_000, 0)
    assert Payment.objects.count() == 3 and Posting.objects.count() == 2 + 3 * 2 + 2 * 2 + 2

    # With liveness on, an image alone is no face check: voided, audited why.
    settings.PEEKA_LIVENESS = True
    status, body = alice.pay("d", to="bob", amount="100", image=image(look[6]))
    assert (status, body["code"]) == (403, "face_not_verified")
    assert Payment.objects.filter(state=PaymentState.VOIDED).count() == 3
    assert (balance(payer), balance(bob), holds()) == (97_000, 3_000, 0)
    refused = AuditEvent.objects.filter(reason="liveness_required").get()
    assert (refused.success, refused.user_id) == (False, payer.pk)

    # Neither a challenge nor an image: refused before anything is held.
    before = ledger(payer, bob)
    status, body = alice.pay("e", to="bob", amount="100")
    assert (status, body["code"]) == (403, "face_not_verified")
    assert ledger(payer, bob) == before


def test_a_throttled_face_check_holds_nothing(
    schema: OpenAPI, payer: User, bob: User, look: list[bytes], settings: SettingsWrapper
) -> None:
    alice = api_of(schema, payer)
    settings.PEEKA_LIVENESS = False
    for _ in range(FACE.backoff_after):  # five failed face checks just now: wait 30 s
        lockout_failed(user=payer, rule=FACE)
    status, body = alice.pay("k", to="bob", amount="3000", pin=PIN, image=image(look[6]))
    assert status == 429 and body["code"], body
    assert (balance(payer), balance(bob), holds()) == (100_000, 0, 0)
    assert not Payment.objects.filter(state=PaymentState.PENDING).exists()


# --- idempotency ---------------------------------------------------------------------------


def test_idempotency_keys(
    schema: OpenAPI, payer: User, bob: User, look: list[bytes], settings: SettingsWrapper
) -> None:
    alice = api_of(schema, payer)
    settings.PEEKA_LIVENESS = False
    face = look[6]
    start = ledger(payer, bob)

    # Without a key, or with one no client would send: refused, nothing held.
    status, body = alice.post("/payments", {"to": "bob", "amount": "1000", "image": image(face)})
    assert (status, body["code"]) == (422, "invalid_request") and "Idempotency-Key" in body[
        "message"
    ]
    for bad in ("x" * 256, "   "):
        status, body = alice.pay(bad, to="bob", amount="1000", pin=PIN, image=image(face))
        assert (status, body["code"]) == (400, "idempotency_key_invalid"), (bad, body)
    assert ledger(payer, bob) == start

    status, first = alice.pay("k-1", to="bob", amount="1000", pin=PIN, image=image(face))
    assert status == 201 and first["status"] == "posted"
    paid = ledger(payer, bob)
    assert paid == (99_000, 1_000, 0, 1, 2 + 2 + 2, 1)

    # A retry of the same request gets the same answer, and nothing is paid twice (even with
    # another picture: the face is not part of what the key names).
    for retry in (face, look[7]):
        assert alice.pay("k-1", to="bob", amount="1000", image=image(retry)) == (201, first)
    assert ledger(payer, bob) == paid
    assert Transaction.objects.filter(kind=TransactionKind.HOLD).count() == 1

    # The same key for another request: a conflict, nothing runs.
    for other in ({"to": "bob", "amount": "2000"}, {"to": "alice", "amount": "1000"},
                  {"request": request_create(user=bob, amount=1000).payload}):  # fmt: skip
        status, body = alice.pay("k-1", pin=PIN, image=image(face), **other)
        assert (status, body["code"]) == (409, "idempotency_conflict"), other
    assert ledger(payer, bob) == paid
    # Keys are each user's own: Bob's "k-1" is a request of his, which runs (and is refused:
    # his first payment to Alice needs a PIN he has not set).
    status, body = api_of(schema, bob).pay("k-1", to="alice", amount="1", challenge="x")
    assert (status, body["code"]) == (403, "pin_required")

    # A refused request frees its key: after a top-up the same key pays.
    status, body = alice.pay("k-2", to="bob", amount="150000", pin=PIN, image=image(face))
    assert (status, body["code"]) == (402, "insufficient_funds")
    assert ledger(payer, bob) == paid
    fund(payer, 100_000)
    status, body = alice.pay("k-2", to="bob", amount="150000", pin=PIN, image=image(face))
    assert status == 201 and body["amount"] == 150_000 and body["id"] != first["id"]
    assert (balance(payer), balance(bob), holds()) == (49_000, 151_000, 0)
    assert Payment.objects.filter(state=PaymentState.POSTED).count() == 2
    assert IdempotencyKey.objects.filter(user=payer).count() == 2


# --- refusals ------------------------------------------------------------------------------


def test_every_refusal_is_json_and_leaves_the_ledger_as_it_was(
    schema: OpenAPI, payer: User, bob: User, settings: SettingsWrapper
) -> None:
    alice = api_of(schema, payer)
    dave = User.objects.create_user("dave")
    account_open(user=dave, currency="USD")
    User.objects.create_user("carol", is_active=False)  # an inactive account cannot be paid
    fixed = request_create(user=bob, amount=5_000).payload
    any_amount = request_create(user=bob, amount=None).payload
    other_key = signing.TimestampSigner(key="another server", salt="peeka.wallet.request")
    foreign = PAYLOAD_PREFIX + other_key.sign_object({"n": "x", "p": 1, "a": 1, "c": "KRW"})
    forged = fixed[:-3] + ("AAA" if not fixed.endswith("AAA") else "BBB")
    # A challenge that does not exist: a refusal decided before the face check must not
    # even get to it (if it did, the hold and its void would show in the ledger).
    face = {"challenge": "no-such-challenge", "pin": PIN}
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"to": "bob", "amount": "100001", **face}, 402, "insufficient_funds"),
        ({"request": fixed.replace(PAYLOAD_PREFIX, ""), **face}, 400, "request_invalid"),
        ({"request": forged, **face}, 400, "request_invalid"),
        ({"request": foreign, **face}, 400, "request_invalid"),
        ({"request": "https://example.com/pay", **face}, 400, "request_invalid"),
        ({"request": request_create(user=payer, amount=100).payload, **face}, 422,
         "same_account"),
        ({"to": "alice", "amount": "100", **face}, 422, "same_account"),
        ({"to": "nobody", "amount": "100", **face}, 404, "payee_not_found"),
        ({"to": "carol", "amount": "100", **face}, 404, "payee_not_found"),
        ({"to": "dave", "amount": "100", **face}, 422, "currency_mismatch"),
        ({"request": request_create(user=dave, amount=100).payload, **face}, 422,
         "currency_mismatch"),
        ({"request": fixed, "amount": "4000", **face}, 422, "invalid_amount"),
        ({"request": any_amount, **face}, 422, "invalid_amount"),
        ({"amount": "100", **face}, 422, "invalid_request"),
        ({"to": "bob", "amount": "100"}, 403, "face_not_verified"),
        ({"to": "bob", "amount": "100", "challenge": "x"}, 403, "pin_required"),
        ({"to": "bob", "amount": "100", "challenge": "x", "pin": "000000"}, 403, "pin_wrong"),
    ]  # fmt: skip
    for amount in ("0", "-1", "1.5", "abc", str(10**16), ""):
        cases.append(({"to": "bob", "amount": amount, **face}, 422, "invalid_amount"))
        cases.append(({"request": any_amount, "amount": amount or " ", **face}, 422,
                      "invalid_amount"))  # fmt: skip
    start = ledger(payer, bob)
    for i, (data, status, code) in enumerate(cases):
        got, body = alice.pay(f"refused-{i}", **data)
        assert (got, body["code"]) == (status, code), (data, body)
        assert ledger(payer, bob) == start, data

    # An expired code, and a code paid already.
    settings.PEEKA_WALLET_REQUEST_SECONDS = 0
    status, body = alice.pay("late", request=fixed, **face)
    assert (status, body["code"]) == (410, "request_expired")
    settings.PEEKA_WALLET_REQUEST_SECONDS = 300
    used = request_create(user=bob, amount=700)
    held = payments.payment_hold(
        user=payer, order=payments.order_from_request(payload=used.payload), pin=PIN,
        client=CLIENT,
    )  # fmt: skip
    payments.payment_post(payment=held, face_audit_id=None)
    paid = ledger(payer, bob)
    status, body = alice.pay("used", request=used.payload, **face)
    assert (status, body["code"]) == (410, "request_used")
    assert ledger(payer, bob) == paid and paid[:3] == (99_300, 700, 0)
    assert not IdempotencyKey.objects.exists()  # every refusal gave its key back
    # ... and none reached the face check (the unknown challenge would be audited).
    assert not AuditEvent.objects.filter(reason="liveness_not_passed").exists()


# --- the history ---------------------------------------------------------------------------


def test_transactions_newest_first_with_signs_and_statuses(
    schema: OpenAPI, payer: User, bob: User
) -> None:
    bob_account = account_open(user=bob)
    posted = payments.payment_hold(
        user=payer, order=payments.Order(bob_account, 5_000), pin=PIN, client=CLIENT
    )
    payments.payment_post(payment=posted, face_audit_id=None)
    # A payment refused by the face check (through the API: a challenge that vouches for
    # nothing), and one still waiting for it.
    alice = api_of(schema, payer)
    status, body = alice.pay("k", to="bob", amount="2000", challenge="nothing")
    assert (status, body["code"]) == (403, "face_not_verified")
    voided = Payment.objects.get(state=PaymentState.VOIDED)
    assert AuditEvent.objects.filter(reason="liveness_not_passed", user=payer).count() == 1
    waiting = payments.payment_hold(
        user=payer, order=payments.Order(bob_account, 300), pin=PIN, client=CLIENT
    )

    status, lines = alice.get("/transactions")
    assert status == 200 and {tuple(sorted(line)) for line in lines} == {
        ("amount", "counterparty", "currency", "id", "kind", "payment", "status", "time",
         "transaction")
    }  # fmt: skip
    got = [
        (line["kind"], line["amount"], line["status"], line["payment"], line["counterparty"])
        for line in lines
    ]
    assert got == [
        ("hold", -300, "pending", waiting.pk, "bob"),
        ("void", 2_000, "voided", voided.pk, "bob"),
        ("hold", -2_000, "voided", voided.pk, "bob"),
        ("hold", -5_000, "posted", posted.pk, "bob"),
        ("topup", 100_000, "posted", None, ""),
    ]
    own = Posting.objects.filter(account__owner=payer)
    assert [line["id"] for line in lines] == list(own.order_by("-id").values_list("pk", flat=True))
    for line in lines:
        posting = Posting.objects.select_related("transaction").get(pk=line["id"])
        assert (line["transaction"], line["currency"]) == (posting.transaction_id, "KRW")
        assert same_time(line["time"], posting.transaction.created)
    times = [dt.datetime.fromisoformat(line["time"]) for line in lines]
    assert times == sorted(times, reverse=True)
    assert sum(line["amount"] for line in lines) == balance(payer) == 100_000 - 5_000 - 300
    assert alice.get("/balance")[1]["balance"] == balance(payer)

    assert [line["kind"] for line in alice.get("/transactions", limit=2)[1]] == ["hold", "void"]
    for limit in (0, 501, "many"):
        status, body = alice.get("/transactions", limit=limit)
        assert (status, body["code"]) == (422, "invalid_request"), limit

    # Bob sees the money that reached him, from Alice; a user without an account, nothing.
    status, bobs = api_of(schema, bob).get("/transactions")
    assert status == 200 and [
        (line["kind"], line["amount"], line["status"], line["payment"], line["counterparty"])
        for line in bobs
    ] == [("payment", 5_000, "posted", posted.pk, "alice")]
    carol = User.objects.create_user("carol")
    assert api_of(schema, carol).get("/transactions") == (200, [])


# --- the published schema ------------------------------------------------------------------


def test_the_openapi_schema_publishes_the_wallet(db: None) -> None:
    spec = Client().get("/api/v1/openapi.json").json()
    wallet = {path: set(ops) for path, ops in spec["paths"].items() if "/wallet/" in path}
    assert wallet == {
        "/api/v1/wallet/balance": {"get"},
        "/api/v1/wallet/requests": {"post"},
        "/api/v1/wallet/payments": {"post"},
        "/api/v1/wallet/transactions": {"get"},
        "/api/v1/wallet/challenges": {"post"},
        "/api/v1/wallet/challenges/{challenge_id}/frames": {"post"},
    }
    schemes = spec["components"]["securitySchemes"]
    bearer = [name for name, s in schemes.items() if s == {"type": "http", "scheme": "bearer"}]
    assert len(bearer) == 1
    for path, ops in wallet.items():
        for method in ops:
            operation = spec["paths"][path][method]
            assert operation["security"] == [{bearer[0]: []}], (path, method)
            assert "401" in operation["responses"], (path, method)

    pay = spec["paths"]["/api/v1/wallet/payments"]["post"]
    headers = {p["name"]: p for p in pay.get("parameters", []) if p["in"] == "header"}
    assert "Idempotency-Key" in headers and headers["Idempotency-Key"]["schema"]["type"] == "string"
    assert {"201", "400", "402", "403", "409", "410", "422"} <= set(pay["responses"])
    form = pay["requestBody"]["content"]["multipart/form-data"]["schema"]
    if "$ref" in form:
        form = spec["components"]["schemas"][form["$ref"].rsplit("/", 1)[1]]
    assert {"request", "to", "amount", "challenge", "pin", "image"} <= set(form["properties"])
    created = pay["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    out = spec["components"]["schemas"][created.rsplit("/", 1)[1]]
    assert set(out["properties"]) == {"id", "amount", "currency", "status"}
    requests_ = spec["paths"]["/api/v1/wallet/requests"]["post"]
    assert {"201", "422"} <= set(requests_["responses"])


def test_the_schema_check_would_catch_a_wallet_response_that_breaks_the_contract(
    schema: OpenAPI,
) -> None:
    request = MockRequest("http://testserver", "get", f"{BASE}/balance")
    schema.validate_response(request, MockResponse(b'{"balance": 5, "currency": "KRW"}'))
    for wrong in (b'{"balance": "5", "currency": "KRW"}', b'{"balance": 5}',
                  b'{"balance": 5, "currency": "EUR"}'):  # fmt: skip
        with pytest.raises(Exception, match=r"validat|invalid|required|type|enum"):
            schema.validate_response(request, MockResponse(wrong))
