"""The account pages' scripts in a real browser (Debian's Chromium): the recovery-codes step
(copy to the clipboard, a .txt download, a print of only the codes, going on only after the
tick) and the countdown of a throttled page, in English and Korean, with no script error, no
Content Security Policy violation and no serious accessibility violation."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from peeka.accounts.models import User
from peeka.security.models import Lockout
from tests.web.axe import AXE_JS, axe_violations, violations_report
from tests.web.chromium import (
    DESKTOP,
    PHONE,
    chromium,
    horizontal_overflow,
    needs_chromium,
    new_context,
    one_browser_at_a_time,
    watch,
)
from tests.webapp import PASSWORD

pytestmark = [needs_chromium, one_browser_at_a_time, pytest.mark.slow]


@pytest.fixture
def browser() -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop in this thread; the ORM calls of a test run
    # between browser steps, never concurrently with them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with chromium() as launched:
        yield launched
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def accessible(page: Page, where: str) -> None:
    if AXE_JS.is_file():  # installed by `make test` (npm ci --prefix tests/web)
        found = axe_violations(page)
        assert not found, violations_report(found, where)


def log_in(page: Page, url: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("#submit")
    page.wait_for_url(f"{url}/")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("language", "width"), [("ko", PHONE)])  # English: the walkthrough
def test_the_recovery_codes_step_copies_downloads_prints_and_waits_for_the_tick(
    live_server: LiveServer, browser: Browser, language: str, width: int
) -> None:
    User.objects.create_user("alice", password=PASSWORD)
    url = live_server.url
    errors: list[str] = []
    context = new_context(browser, language, width)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    page = watch(context.new_page(), errors)
    log_in(page, url)

    # "New codes" asks for a step-up, then says what it will do, and does it only when asked.
    page.goto(f"{url}/accounts/security/")
    page.click("#new-codes")
    page.wait_for_url(f"{url}/accounts/step-up/?next=%2Faccounts%2Fsecurity%2Frecovery-codes%2F")
    page.fill("#id_password", PASSWORD)
    page.click("#reauth")
    page.wait_for_url(f"{url}/accounts/security/recovery-codes/")
    expect(page.locator("#consequences li")).to_have_count(2)
    accessible(page, f"confirm page ({language}, {width} px)")
    page.click("#confirm")

    codes_list = page.locator("#codes li")
    expect(codes_list).to_have_count(10)
    codes = codes_list.all_inner_texts()
    go_on = page.locator("#codes-continue")
    expect(go_on).to_have_attribute("aria-disabled", "true")
    # The page's script holds the link back once it has run (a loaded machine may click first).
    expect(page.locator("#codes-step")).to_have_attribute("data-codes-ready", "1")
    go_on.dispatch_event("click")  # a click on the greyed-out control goes nowhere
    assert page.url == f"{url}/accounts/security/recovery-codes/"
    accessible(page, f"codes step ({language}, {width} px)")
    assert horizontal_overflow(page) == 0
    # Every code shows whole, inside its box (two columns still fit a phone).
    assert page.evaluate(
        "() => { const l = document.getElementById('codes'); "
        "return l.scrollWidth <= l.clientWidth; }"
    )

    page.click("#codes-copy")
    copied = "Copied." if language == "en" else "복사했습니다."
    expect(page.locator("#codes-status")).to_have_text(copied)
    assert page.evaluate("() => navigator.clipboard.readText()") == "\n".join(codes)

    with page.expect_download() as started:
        page.click("#codes-download")
    download = started.value
    assert download.suggested_filename == "peeka-recovery-codes.txt"
    lines = Path(download.path()).read_text(encoding="utf-8").splitlines()
    host = url.removeprefix("http://")
    # The date of the browser's own time zone (new_context: Seoul for Korean, else UTC).
    today = datetime.now(ZoneInfo("Asia/Seoul" if language == "ko" else "UTC")).date()
    assert "alice" in lines[0] and host in lines[0] and today.isoformat() in lines[0]
    assert lines[3:13] == codes

    # Printing, by the button or the browser's menu, shows only the codes and their heading.
    page.click("#codes-print")  # headless Chromium has no print dialog: this must not fail
    page.emulate_media(media="print")
    page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
    expect(page.locator("#codes")).to_be_visible()
    expect(page.locator(".codes-print-header")).to_contain_text("alice")
    for hidden in ("nav", "h1", "#codes-copy", "#codes-saved-check", "#codes-continue"):
        expect(page.locator(hidden)).to_be_hidden()
    page.evaluate("() => window.dispatchEvent(new Event('afterprint'))")
    page.emulate_media(media="screen")
    expect(page.locator("h1")).to_be_visible()

    page.check("#codes-saved-check")
    expect(go_on).not_to_have_attribute("aria-disabled", "true")
    page.uncheck("#codes-saved-check")
    expect(go_on).to_have_attribute("aria-disabled", "true")
    page.check("#codes-saved-check")
    go_on.click()
    page.wait_for_url(f"{url}/accounts/security/")
    expect(page.locator("#codes-left")).to_contain_text("10")
    context.close()
    assert errors == [], errors


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["ko"])  # the countdown's words from the JS catalog
def test_a_throttled_login_counts_down_then_lets_the_user_try_again(
    live_server: LiveServer, browser: Browser, language: str
) -> None:
    alice = User.objects.create_user("alice", password=PASSWORD)
    # Five wrong passwords 26 s ago: the account waits 30 s after the fifth, so 4 s are left.
    Lockout.objects.create(user=alice, kind="password", failures=5, strikes=5,
                           failed_at=time.time() - 26)  # fmt: skip
    url = live_server.url
    errors: list[str] = []
    context = new_context(browser, language, DESKTOP)
    page = watch(context.new_page(), errors)
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("#submit")
    clock = page.locator(".countdown-clock")
    if language == "en":
        expect(page.locator("#throttled [role=alert]")).to_have_text("Too many failed attempts.")
        expect(clock).to_have_text(re.compile(r"^Try again in 0:0[1-5]$"))
    else:
        expect(page.locator("#throttled [role=alert]")).to_have_text("실패한 시도가 너무 많습니다.")
        expect(clock).to_have_text(re.compile(r"^0:0[1-5] 후에 다시 시도하세요$"))
    expect(page.locator("#submit")).to_be_disabled()
    accessible(page, f"throttled login ({language})")
    done = "You can try again now." if language == "en" else "이제 다시 시도할 수 있습니다."
    expect(page.locator(".countdown-status")).to_have_text(done, timeout=15_000)
    expect(page.locator(".countdown-status")).to_be_visible()
    expect(clock).to_have_text("")
    expect(page.locator("#submit")).to_be_enabled()
    page.fill("#id_password", PASSWORD)
    page.click("#submit")
    page.wait_for_url(f"{url}/")
    context.close()
    assert errors == [], errors
