"""Paying with a face, end to end, in Chromium at phone size (390 x 844): Wei (Chinese) shows a
receive QR code on his phone; Minji's phone (Korean) scans it with a fake camera playing a clip
made from that very code held up to a webcam, she confirms with her wallet PIN (a first payment
to Wei asks for it), then her face passes the live check in a second browser whose fake camera
plays the real webcam recording; both balances and histories follow, the ledger reconciles, and
Minji's phone can install the app (its manifest and service worker, which keeps no wallet page).

Two browsers for Minji because a Chromium has one fake camera for its whole life: the first
plays the code, the second her face, and her session goes from one to the other."""

from __future__ import annotations

import contextlib
import io
import json
import re
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from PIL import Image, ImageDraw, ImageFilter
from playwright.sync_api import BrowserContext, Page, expect
from playwright.sync_api import Error as PlaywrightError
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from peeka.accounts.models import User
from peeka.cli import main
from peeka.faces import flows
from peeka.security.client import ClientInfo
from peeka.wallet.models import Account, AccountKind, Payment, PaymentRequest, PaymentState
from peeka.wallet.services.ledger import account_open
from peeka.wallet.services.payments import PAYLOAD_PREFIX, pin_set
from peeka.wallet.services.topups import topup_operator
from tests.web.chromium import (
    CACHED_URLS,
    PHONE,
    face_check,
    horizontal_overflow,
    launch,
    launch_phone,
    live_clip,
    needs_chromium,
    new_context,
    one_browser_at_a_time,
    playwright_driver,
    sign_in,
    watch,
    write_y4m,
)
from tests.webapp import PASSWORD, logged_in

pytestmark = [needs_chromium, one_browser_at_a_time, pytest.mark.slow]
CLIENT = ClientInfo(ip="127.0.0.1", user_agent="test")
PIN = "482916"
PRIVATE = ("/wallet/", "/api/")
SCAN_IF_IDLE = """() => {
  if (document.getElementById("scan").dataset.state === "idle") {
    document.getElementById("scan-start").click();
  }
}"""


def held_up_to_a_webcam(code_png: bytes, path: Path) -> Path:
    """A clip of the payee's phone held up to the payer's camera: the code (a screenshot of the
    page's SVG), a little larger than on the page, on the screen's white, in a dark phone body,
    in a grey room, slightly soft as a webcam sees it. One second, looped."""
    code = Image.open(io.BytesIO(code_png)).convert("RGB")
    side = round(code.width * 1.2)
    code = code.resize((side, side), Image.Resampling.LANCZOS)
    scene = Image.new("RGB", (640, 480), (118, 112, 104))
    draw = ImageDraw.Draw(scene)
    body = (side + 48, min(470, side + 150))
    left, top = (640 - body[0]) // 2, (480 - body[1]) // 2
    draw.rounded_rectangle((left, top, left + body[0], top + body[1]), radius=28, fill=(24, 24, 28))
    draw.rectangle(
        (left + 10, top + 40, left + body[0] - 10, top + body[1] - 40), fill=(242, 242, 238)
    )
    scene.paste(code, ((640 - side) // 2, (480 - side) // 2))
    scene = scene.filter(ImageFilter.GaussianBlur(0.7))
    return write_y4m([scene.copy() for _ in range(10)], path, fps=10)


def copy_session(source: BrowserContext, target: BrowserContext) -> None:
    """Minji's cookies (her session, the CSRF token) from one phone browser to the other."""
    cookies = source.cookies()
    assert any(c["name"] == django_settings.SESSION_COOKIE_NAME for c in cookies)
    target.add_cookies(
        [
            {"name": c["name"], "value": c["value"], "domain": c["domain"], "path": c["path"]}
            for c in cookies
        ]
    )


def balance(user: User) -> int:
    return Account.objects.get(kind=AccountKind.USER, owner=user).balance


def fits(page: Page) -> None:
    assert horizontal_overflow(page) == 0, f"{page.url} is wider than a {PHONE} px phone"


@pytest.mark.django_db(transaction=True)
def test_minji_pays_wei_by_scanning_his_code_and_showing_her_face(
    live_server: LiveServer,
    flushable_ledger: None,
    liveness_dir: Path,
    look: list[bytes],
    settings: SettingsWrapper,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    async_unsafe: None,
) -> None:
    started = time.monotonic()
    settings.PEEKA_LIVENESS = True
    settings.PEEKA_LIVENESS_FIXED_STEPS = ["blink"]  # the recording can only blink
    url = live_server.url
    # 1. Minji: ₩100,000, a wallet PIN, her face (the webcam recording's). Wei: a wallet.
    minji = User.objects.create_user("minji", password=PASSWORD, display_name="김민지")
    wei = User.objects.create_user("wei", password=PASSWORD, display_name="王伟")
    flows.face_enroll(user=minji, frames=look[:3], scheme="ckks", client=CLIENT, channel="admin")
    topup_operator(user=minji, amount=100_000, currency="KRW", operator="tests")
    pin_set(user=minji, pin=PIN, client=CLIENT)
    account_open(user=wei)
    webcam = live_clip(
        liveness_dir / "face_video" / "tfjs_facemesh_input.mp4", tmp_path / "face.y4m"
    )
    errors: list[str] = []

    with playwright_driver() as playwright:
        # 2. Wei's phone, in Chinese: his wallet (empty), then a code for ₩12,000.
        wei_phone = new_context(launch(playwright, camera=False), "zh-hans", PHONE)
        sign_in(wei_phone, logged_in(wei), url)
        wei_wallet = watch(wei_phone.new_page(), errors)
        wei_wallet.goto(f"{url}/wallet/")
        assert wei_wallet.get_attribute("html", "lang") == "zh-Hans"
        expect(wei_wallet.locator("#balance")).to_have_attribute("data-minor", "0")
        shop = watch(wei_phone.new_page(), errors)
        shop.goto(f"{url}/wallet/receive/")
        shop.fill("#id_amount", "12,000")  # as a person writes twelve thousand won
        shop.click("#make-code")
        expect(shop.locator("#qr svg")).to_be_visible()
        asked = PaymentRequest.objects.get()
        assert asked.amount == 12_000, (
            f'Wei typed "12,000" and his code asks for {asked.amount} won: the comma was read '
            "as a decimal point (peeka.wallet.services.ledger.amount_from_major)"
        )
        expect(shop.locator("#payload")).to_contain_text(PAYLOAD_PREFIX)
        fits(shop)
        clip = held_up_to_a_webcam(shop.locator("#qr svg").screenshot(), tmp_path / "code.y4m")

        # 3. Minji's phone (Korean, a kept profile), its camera on Wei's screen: scan, confirm.
        phone = launch_phone(playwright, tmp_path / "minji", "ko", clip)
        sign_in(phone, logged_in(minji), url)
        page = watch(phone.pages[0] if phone.pages else phone.new_page(), errors)
        page.goto(f"{url}/wallet/pay/")
        assert page.get_attribute("html", "lang") == "ko"
        # The scan starts by itself where the camera was allowed before (Chromium's fake
        # camera is), else at the press of the button: pressed in the page, so that it cannot
        # fall between the two. The scan may find the code and leave the page while this runs.
        with contextlib.suppress(PlaywrightError):
            page.evaluate(SCAN_IF_IDLE)
        page.wait_for_url(re.compile(r"/wallet/pay/confirm/\?code="), timeout=30_000)
        expect(page.locator("#payee")).to_have_text("王伟")
        expect(page.locator("#amount")).to_have_text("₩12,000")
        fits(page)
        page.fill("#id_pin", PIN)  # a first payment to Wei asks for it
        page.click("#confirm")
        page.wait_for_url(re.compile(r"/wallet/pay/\d+/$"))
        payment = Payment.objects.get()
        face_url = f"{url}/wallet/pay/{payment.pk}/"
        assert page.url == face_url
        assert (payment.state, payment.amount, payment.pin_checked) == ("pending", 12_000, True)
        assert (payment.payer.owner, payment.payee.owner) == (minji, wei)
        assert balance(minji) == 88_000 and balance(wei) == 0  # held, not paid
        page.goto(f"{url}/wallet/")  # her wallet shows the amount held
        expect(page.locator("#balance")).to_have_attribute("data-minor", "88000")

        # 4. Her face, in a second browser playing the webcam recording, on the same session.
        face_browser = launch(playwright, webcam)
        second = new_context(face_browser, "ko", PHONE)
        copy_session(phone, second)
        face = watch(second.new_page(), errors)
        face.goto(face_url)
        expect(face.locator("#order")).to_contain_text("₩12,000")
        expect(face.locator("#order")).to_contain_text("王伟")
        fits(face)

        def paid(p: Page) -> bool:
            if p.url.startswith(f"{url}/wallet/payments/"):
                return True
            if Payment.objects.get(pk=payment.pk).state == PaymentState.VOIDED:
                status = p.inner_text("#status")
                raise AssertionError(f"the face check failed and voided the hold: {status}")
            return False

        face_check(face, paid)
        assert face.url == f"{url}/wallet/payments/{payment.pk}/"
        payment.refresh_from_db()
        assert payment.state == PaymentState.POSTED and payment.face_audit_id is not None
        expect(face.locator("#amount")).to_have_text("₩12,000")
        expect(face.locator("#paid-with-face")).to_have_text("얼굴과 PIN으로 결제됨")
        expect(face.locator("#payer")).to_have_text("김민지")
        expect(face.locator("#payee")).to_have_text("王伟")
        expect(face.locator("#face-audit")).to_have_text(str(payment.face_audit_id))
        fits(face)
        # The same receipt's words in English.
        english = new_context(face_browser, "en", PHONE)
        copy_session(phone, english)
        receipt = watch(english.new_page(), errors)
        receipt.goto(face.url)
        expect(receipt.locator("#state")).to_contain_text("Paid")
        expect(receipt.locator("#paid-with-face")).to_have_text("Paid with face and PIN")

        # 5. Both wallets, on the pages and in the database; the ledger reconciles.
        page.reload()
        expect(page.locator("#balance")).to_have_attribute("data-minor", "88000")
        expect(page.locator("#lines li").first).to_contain_text("王伟")
        expect(page.locator("#lines li").first).to_contain_text("\u2212₩12,000")
        fits(page)
        wei_wallet.reload()
        expect(wei_wallet.locator("#balance")).to_have_attribute("data-minor", "12000")
        expect(wei_wallet.locator("#lines li").first).to_contain_text("김민지")
        # Chinese money is written without grouping (Django's zh_Hans formats) for now.
        expect(wei_wallet.locator("#lines li").first).to_contain_text(re.compile(r"\+₩12,?000"))
        assert (balance(minji), balance(wei)) == (88_000, 12_000)
        assert Account.objects.get(kind=AccountKind.HOLDS, currency="KRW").balance == 0
        capsys.readouterr()
        assert main(["wallet", "reconcile", "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert report["differences"] == [] and report["unbalanced_transactions"] == [], report

        # 6. Minji's phone can install the app, and its worker keeps no wallet page.
        assert page.viewport_size == {"width": PHONE, "height": 844}
        page.wait_for_function("navigator.serviceWorker.controller !== null")
        assert page.evaluate("navigator.serviceWorker.controller.scriptURL") == f"{url}/sw.js"
        cdp = phone.new_cdp_session(page)
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"] == f"{url}/manifest.webmanifest" and manifest["errors"] == []
        declared = json.loads(manifest["data"])
        assert declared["start_url"].startswith("/wallet/") and declared["icons"]
        kept = [address.removeprefix(url) for address in page.evaluate(CACHED_URLS)]
        assert kept and not [p for p in kept if p.startswith(PRIVATE)], kept
        phone.close()

    # 7. No script error and no Content Security Policy violation on any page.
    assert errors == [], errors
    print(f"wallet browser test: {time.monotonic() - started:.1f} s")
