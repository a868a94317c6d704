"""The history with its filters, the CSV export, the monthly statement, and the ledger in the
admin (read-only)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.utils import timezone

from peeka.accounts.models import User
from peeka.security.client import ClientInfo
from peeka.wallet.models import Payment, Transaction
from peeka.wallet.services import payments
from peeka.wallet.services.ledger import account_open
from tests.wallet.conftest import fund
from tests.webapp import PASSWORD, FrozenClock, logged_in

pytestmark = pytest.mark.django_db
CLIENT = ClientInfo(ip="127.0.0.1", user_agent="test")


@pytest.fixture
def paid(alice: User, bob: User) -> Payment:
    """Alice tops up ₩10,000 and pays Bob ₩2,500; a second hold of ₩1,000 is voided."""
    fund(alice, 10_000)
    payments.pin_set(user=alice, pin="123456", client=CLIENT)
    order = payments.Order(account_open(user=bob), 2_500)
    done = payments.payment_hold(user=alice, order=order, pin="123456", client=CLIENT)
    payments.payment_post(payment=done, face_audit_id=None)
    other = payments.Order(account_open(user=bob), 1_000)
    voided = payments.payment_hold(user=alice, order=other, pin=None, client=CLIENT)
    payments.payment_void(payment=voided, reason="cancelled")
    return done


def test_history_filters(alice: User, paid: Payment) -> None:
    page = logged_in(alice)
    everything = page.get("/wallet/history/").text
    assert everything.count("list-group-item") == 4  # top-up, two holds, one void
    out = page.get("/wallet/history/", {"direction": "out"}).text
    assert out.count("list-group-item") == 2 and "To bob" in out
    topups = page.get("/wallet/history/", {"kind": "topup"}).text
    assert topups.count("list-group-item") == 1
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert "Nothing yet." in page.get("/wallet/history/", {"since": tomorrow.isoformat()}).text
    assert page.get("/wallet/history/", {"since": "not a date"}).status_code == 200


def test_the_csv_export(alice: User, bob: User, paid: Payment) -> None:
    response = logged_in(alice).get("/wallet/history.csv", {"direction": "out"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "time",
        "kind",
        "amount",
        "currency",
        "status",
        "counterparty",
        "transaction",
    ]
    assert sorted((r[1], r[2], r[4], r[5]) for r in rows[1:]) == [
        ("hold", "-1000", "voided", "bob"),
        ("hold", "-2500", "posted", "bob"),
    ]
    assert logged_in(bob).get("/wallet/history.csv").content.decode().count("\n") == 2


def test_a_spreadsheet_formula_in_a_name_is_not_run(alice: User) -> None:
    evil = User.objects.create_user("=HYPERLINK(1)")
    fund(alice, 500)
    payments.pin_set(user=alice, pin="123456", client=CLIENT)
    order = payments.Order(account_open(user=evil), 100)
    payments.payment_post(
        payment=payments.payment_hold(user=alice, order=order, pin="123456", client=CLIENT),
        face_audit_id=None,
    )
    text = logged_in(alice).get("/wallet/history.csv").content.decode()
    assert "'=HYPERLINK(1)" in text


def test_the_monthly_statement(alice: User, paid: Payment) -> None:
    today = timezone.localdate()
    page = logged_in(alice).get(f"/wallet/statement/{today.year}/{today.month}/").text
    assert 'id="opening">₩0<' in page and 'id="closing">₩7,500<' in page
    assert 'id="money-in">+₩11,000<' in page and 'id="money-out">-₩3,500<' in page
    assert logged_in(alice).get("/wallet/statement/2026/13/").status_code == 404


def test_the_admin_shows_the_ledger_read_only(paid: Payment, clock: FrozenClock) -> None:
    from tests.accounts.test_mfa import with_totp

    root = User.objects.create_superuser("root", password=PASSWORD)
    with_totp(root, clock)
    admin_client = logged_in(root)
    txn = Transaction.objects.first()
    assert txn is not None
    for url in ("/admin/wallet/transaction/", f"/admin/wallet/transaction/{txn.pk}/change/",
                "/admin/wallet/account/", "/admin/wallet/payment/"):  # fmt: skip
        assert admin_client.get(url).status_code == 200, url
    assert admin_client.get("/admin/wallet/transaction/add/").status_code == 403
    response = admin_client.post(f"/admin/wallet/transaction/{txn.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403 and Transaction.objects.filter(pk=txn.pk).exists()
