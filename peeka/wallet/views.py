"""The wallet's pages, laid out for a phone first: the wallet (balance, recent history), receive
(a QR code of a signed request), pay (scan → confirm → hold → live face check → receipt),
top-up with the demo's test card, the wallet PIN, and the history with its CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import secrets
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peeka.accounts.mfa import step_up_required
from peeka.accounts.models import User
from peeka.errors import ImageError
from peeka.faces.camera import challenge_json, frames_of, step_json, throttled, timestamps_of
from peeka.security.client import client_info, client_ip
from peeka.security.services import ThrottledError, rate_limit
from peeka.security.wording import localized
from peeka.wallet import qr, selectors
from peeka.wallet.forms import ConfirmForm, HistoryFilter, PinForm, ReceiveForm, TopUpForm
from peeka.wallet.models import PaymentState
from peeka.wallet.services import pay, payments, topups
from peeka.wallet.services.ledger import WalletError, account_open, amount_from_major

MAX_SCAN_BYTES = 4 * 1024 * 1024
"""One camera frame of the scan page."""
MAX_UPLOAD_BYTES = qr.MAX_BYTES
"""A photo of a code, uploaded instead."""


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@never_cache  # balances and history never stay in a cache (the app's worker skips them too)
@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    account = account_open(user=user)
    context = {
        "account": account,
        "lines": selectors.history(account=account, limit=10),
        "pin_set": selectors.pin_exists(user=user),
    }
    return render(request, "wallet/home.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def receive(request: HttpRequest) -> HttpResponse:
    """GET: the form (amount optional); POST: a new signed request and its QR code."""
    user = _user(request)
    account = account_open(user=user)
    form = ReceiveForm(request.POST or None, currency=account.currency)
    made = None
    if request.method == "POST" and form.is_valid():
        try:
            made = pay.receive_create(user=user, amount=form.cleaned_data["amount"], major=True)
        except WalletError as exc:
            form.add_error("amount", localized(exc))
    context = {"form": form, "account": account}
    if made is not None:
        context |= {
            "made": made,
            "qr": qr.qr_svg(made.payload, title=gettext("Payment code")),
        }
    return render(request, "wallet/receive.html", context)


@never_cache
@login_required
@require_GET
def scan(request: HttpRequest) -> HttpResponse:
    return render(request, "wallet/scan.html", {})


def _confirm_url(payload: str) -> str:
    return reverse("wallet:confirm") + "?" + urlencode({"code": payload})


@login_required
@require_POST
def scan_frame(request: HttpRequest) -> JsonResponse:
    """A camera frame of the scan page: the payment code in it, if any (decoded here; nothing
    is kept)."""
    try:
        rate_limit(scope="wallet_scan", ident=client_ip(request))
    except ThrottledError as exc:
        response = JsonResponse({"code": exc.code, "message": str(exc)}, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    upload = request.FILES.get("frame")
    if upload is None or (upload.size or 0) > MAX_SCAN_BYTES:
        message = gettext("Send one camera picture of at most 4 MB.")
        return JsonResponse({"code": "bad_frame", "message": message}, status=400)
    try:
        text = qr.qr_decode(upload.read())
    except ImageError as exc:
        return JsonResponse({"code": exc.code, "message": localized(exc)}, status=400)
    if text is None:
        return JsonResponse({"found": False})
    if not text.startswith(payments.PAYLOAD_PREFIX):
        message = gettext("This is not a Peeka payment code.")
        return JsonResponse({"found": False, "message": message})
    return JsonResponse({"found": True, "next": _confirm_url(text)})


@login_required
@require_POST
def scan_upload(request: HttpRequest) -> HttpResponse:
    """The fallback: a picture of the code."""
    upload = request.FILES.get("picture")
    if upload is None or (upload.size or 0) > MAX_UPLOAD_BYTES:
        messages.error(request, gettext("Choose a picture of at most 10 MB."))
        return redirect("wallet:pay")
    try:
        text = qr.qr_decode(upload.read())
    except ImageError as exc:
        messages.error(request, localized(exc))
        return redirect("wallet:pay")
    if text is None:
        messages.error(request, gettext("No payment code was found in that picture."))
        return redirect("wallet:pay")
    return redirect(_confirm_url(text))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest) -> HttpResponse:
    """Who and how much, the PIN where the risk rule asks for it; POST holds the payment (a
    second POST of the same form gets the same payment: its token is an idempotency key)."""
    user = _user(request)
    payload = request.GET.get("code", "")
    error = None
    if request.method == "POST":
        posted = ConfirmForm(request.POST, fixed="amount" not in request.POST, currency="KRW")
        if posted.is_valid():
            try:
                payment_id = pay.pay_web_hold(
                    user=user,
                    token=posted.cleaned_data["token"],
                    payload=payload,
                    amount=request.POST.get("amount", ""),
                    pin=posted.cleaned_data["pin"],
                    client=client_info(request),
                )
            except WalletError as exc:
                error = exc
            except ThrottledError as exc:
                error = WalletError(str(exc), code=exc.code, status=429)
            else:
                return redirect("wallet:face", payment_id=payment_id)
    try:
        order, pin_reason = pay.order_preview(user=user, payload=payload)
    except WalletError as exc:
        return render(request, "wallet/refused.html", {"error": localized(exc)}, status=exc.status)
    currency = order.payee.currency
    form = ConfirmForm(
        request.POST or None,
        fixed=bool(order.amount),
        initial={"token": secrets.token_urlsafe(16)},
        currency=currency,
    )
    if error is not None and form.is_valid():
        message = str(error) if error.status == 429 else localized(error)
        form.add_error(
            "pin" if error.code.startswith("pin") or error.status == 429 else None, message
        )
    context = {
        "form": form,
        "order": order,
        "payee": order.payee.owner,
        "currency": currency,
        "pin_reason": pin_reason,
        "pin_set": selectors.pin_exists(user=user),
    }
    return render(request, "wallet/confirm.html", context)


def _payment(request: HttpRequest, payment_id: int) -> Any:
    payment = selectors.payment_of(user=_user(request), payment_id=payment_id)
    if payment is None:
        raise Http404
    return payment


@never_cache
@login_required
@require_GET
def face(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The held payment's face check (or, once it is settled, its receipt)."""
    payment = _payment(request, payment_id)
    if payment.payer.owner_id != request.user.pk or payment.state != PaymentState.PENDING:
        return redirect("wallet:receipt", payment_id=payment.pk)
    context = {
        "payment": payment,
    }
    return render(request, "wallet/face.html", context)


@login_required
@require_POST
@throttled
def face_challenge(request: HttpRequest, payment_id: int) -> JsonResponse:
    try:
        row = pay.pay_web_challenge(
            user=_user(request), payment_id=payment_id, client=client_info(request)
        )
    except WalletError as exc:
        body = {"passed": False, "done": True, "code": exc.code, "message": localized(exc)}
        return JsonResponse(body, status=exc.status)
    return challenge_json(row)


@login_required
@require_POST
@throttled
def face_frames(request: HttpRequest, payment_id: int) -> JsonResponse:
    try:
        checked, payment = pay.pay_web_step(
            user=_user(request),
            payment_id=payment_id,
            challenge_id=request.POST.get("challenge", ""),
            frames=frames_of(request),
            timestamps_ms=timestamps_of(request),
            client=client_info(request),
        )
    except WalletError as exc:
        body = {"passed": False, "done": True, "code": exc.code, "message": localized(exc)}
        return JsonResponse(body, status=exc.status)
    if payment.state == PaymentState.POSTED:
        return step_json(checked, {"receipt": reverse("wallet:receipt", args=[payment.pk])})
    return step_json(
        checked,
        None,
        done=True,
        message=gettext("Your face was not verified. Nothing was paid."),
        again=reverse("wallet:pay"),
    )


@login_required
@require_POST
def cancel(request: HttpRequest, payment_id: int) -> HttpResponse:
    try:
        pay.pay_web_cancel(user=_user(request), payment_id=payment_id)
    except WalletError as exc:
        messages.error(request, localized(exc))
        return redirect("wallet:home")
    messages.info(request, gettext("The payment is cancelled. Nothing was paid."))
    return redirect("wallet:home")


@never_cache
@login_required
@require_GET
def receipt(request: HttpRequest, payment_id: int) -> HttpResponse:
    payment = _payment(request, payment_id)
    context = {
        "payment": payment,
        "outgoing": payment.payer.owner_id == request.user.pk,
    }
    return render(request, "wallet/receipt.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def topup(request: HttpRequest) -> HttpResponse:
    """The demo's test card: charged through the card provider, within the limits."""
    user = _user(request)
    account = account_open(user=user)
    form = TopUpForm(
        request.POST or None,
        initial={"token": secrets.token_urlsafe(16)},
        currency=account.currency,
    )
    if request.method == "POST" and form.is_valid():
        try:
            topups.topup_card(
                user=user,
                number=form.cleaned_data["number"],
                amount=amount_from_major(form.cleaned_data["amount"], account.currency),
                reference=form.cleaned_data["token"],
                client=client_info(request),
            )
        except WalletError as exc:
            form.add_error(
                "amount" if "limit" in exc.code or "amount" in exc.code else "number",
                localized(exc),
            )
        except ThrottledError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, gettext("Your wallet is topped up."))
            return redirect("wallet:home")
    return render(request, "wallet/topup.html", {"form": form, "account": account})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@step_up_required
def pin(request: HttpRequest) -> HttpResponse:
    """Set or change the wallet PIN (after a fresh face check or password)."""
    user = _user(request)
    form = PinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payments.pin_set(user=user, pin=form.cleaned_data["pin"], client=client_info(request))
        except WalletError as exc:
            form.add_error("pin", localized(exc))
        else:
            messages.success(request, gettext("Your wallet PIN is set."))
            return redirect("wallet:home")
    return render(request, "wallet/pin.html", {"form": form})


@never_cache
@login_required
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    account = account_open(user=_user(request))
    form = HistoryFilter(request.GET or None)
    lines = selectors.history(account=account, limit=200, **_filters(form))
    today = timezone.localdate()
    context = {"account": account, "lines": lines, "form": form, "query": request.GET.urlencode()}
    context["this_month"] = today.replace(day=1)
    return render(request, "wallet/history.html", context)


def _filters(form: HistoryFilter) -> dict[str, Any]:
    if not form.is_bound or not form.is_valid():
        return {}
    data = form.cleaned_data
    return {k: data[k] for k in ("kind", "direction", "since", "until") if data.get(k)}


CSV_HEADER = ("time", "kind", "amount", "currency", "status", "counterparty", "transaction")


@never_cache
@login_required
@require_GET
def history_csv(request: HttpRequest) -> HttpResponse:
    """The filtered history as CSV (amounts in minor units, times in ISO 8601)."""
    account = account_open(user=_user(request))
    form = HistoryFilter(request.GET or None)
    lines = selectors.history(account=account, limit=None, **_filters(form))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="peeka-wallet.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for line in lines:
        posting = line.posting
        writer.writerow(
            [
                posting.transaction.created.isoformat(),
                posting.transaction.kind,
                posting.amount,
                posting.currency,
                line.status,
                _cell(line.counterparty),
                posting.transaction_id,
            ]
        )
    return response


def _cell(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (a user name is anybody's choice)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@never_cache
@login_required
@require_GET
def statement(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """A month's statement: opening and closing balances, money in and out, each posting."""
    if not (2000 <= year <= 9999 and 1 <= month <= 12):
        raise Http404
    account = account_open(user=_user(request))
    made = selectors.statement(account=account, month=dt.date(year, month, 1))
    previous = (made.month - dt.timedelta(days=1)).replace(day=1)
    following = (made.month + dt.timedelta(days=32)).replace(day=1)
    context = {
        "account": account,
        "statement": made,
        "previous": previous,
        "following": following if following <= timezone.localdate() else None,
    }
    return render(request, "wallet/statement.html", context)
