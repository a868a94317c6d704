"""The installable app: a manifest that opens on the wallet, with icons that are the PNGs they
claim to be; a service worker served from the root that keeps the page shell and nothing a
signed-in user sees; the offline page in each language. Then Chromium at phone width: the app is
installable, the cache holds static files and the offline page only, and the offline page
answers when the network is gone."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from django.templatetags.static import static
from django.test import Client, override_settings
from django.urls import reverse
from PIL import Image
from playwright.sync_api import BrowserContext, expect
from pytest_django.live_server_helper import LiveServer

from peeka.accounts.models import User
from peeka.web import pwa
from tests.web.chromium import (
    CACHED_URLS,
    horizontal_overflow,
    launch_phone,
    needs_chromium,
    one_browser_at_a_time,
    playwright_driver,
    watch,
)
from tests.webapp import PASSWORD, logged_in

OFFLINE_SENTENCE = {
    "en": "You are offline. Your wallet needs a connection: balances and payments are never "
    "kept on this phone.",
    "ko": "오프라인 상태입니다. 지갑을 사용하려면 인터넷 연결이 필요합니다. 잔액과 결제 내역은 "
    "이 휴대폰에 저장되지 않습니다.",
    "zh-hans": "您已离线。钱包需要联网才能使用：余额和付款记录绝不会保存在这部手机上。",  # noqa: RUF001 (Chinese punctuation)
}
ACCEPT = {"en": "en-US,en;q=0.9", "ko": "ko-KR,ko;q=0.9", "zh-hans": "zh-CN,zh;q=0.9"}
HTML_LANG = {"en": "en", "ko": "ko", "zh-hans": "zh-Hans"}
HANGUL = re.compile("[\uac00-\ud7a3]")
BRAND = (0x3B, 0x3F, 0x9E)
PRIVATE = ("/wallet/", "/api/", "/accounts/", "/jsi18n/")


def _body(response: object) -> bytes:
    """The bytes of a response, streamed (WhiteNoise's static files) or not."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    content: bytes = response.content  # type: ignore[attr-defined]
    return content


def _png(client: Client, url: str) -> Image.Image:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.headers["Content-Type"] == "image/png", url
    image = Image.open(io.BytesIO(_body(response)))
    assert image.format == "PNG", url
    image.load()
    return image


def test_the_manifest_opens_the_wallet_standalone_in_the_visitors_language() -> None:
    response = Client().get("/manifest.webmanifest", headers={"accept-language": ACCEPT["ko"]})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["name"] == manifest["short_name"] == "Peeka"
    assert manifest["start_url"] == "/wallet/?source=pwa"
    assert manifest["id"] == "/wallet/"
    assert (manifest["scope"], manifest["display"], manifest["lang"]) == ("/", "standalone", "ko")
    assert manifest["theme_color"] == "#3b3f9e" and manifest["background_color"] == "#ffffff"
    assert HANGUL.search(manifest["description"])
    shortcuts = {item["url"]: item["name"] for item in manifest["shortcuts"]}
    assert shortcuts == {"/wallet/pay/": "결제하기", "/wallet/receive/": "돈 받기"}

    english = Client().get("/manifest.webmanifest", headers={"accept-language": "en"}).json()
    assert english["lang"] == "en" and not HANGUL.search(english["description"])
    assert [item["name"] for item in english["shortcuts"]] == ["Pay", "Receive"]
    chinese = Client().get("/manifest.webmanifest", headers={"accept-language": "zh-CN"}).json()
    assert chinese["lang"] == "zh-Hans"
    assert [item["name"] for item in chinese["shortcuts"]] == ["付款", "收款"]


def test_every_icon_is_a_png_of_its_declared_size() -> None:
    client = Client()
    icons = client.get("/manifest.webmanifest").json()["icons"]
    declared = {(icon["sizes"], icon["purpose"]) for icon in icons}
    assert declared == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for icon in icons:
        assert icon["type"] == "image/png"
        side = int(icon["sizes"].split("x")[0])
        assert _png(client, icon["src"]).size == (side, side), icon
    page = client.get("/").content.decode()
    touch = re.search(r'<link rel="apple-touch-icon" href="([^"]+)">', page)
    assert touch is not None
    assert _png(client, touch.group(1)).size == (180, 180)
    assert '<meta name="theme-color" content="#3b3f9e">' in page
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page


def test_the_maskable_icon_is_full_bleed_with_the_mark_inside_the_safe_zone() -> None:
    client = Client()
    icons = client.get("/manifest.webmanifest").json()["icons"]
    (src,) = [icon["src"] for icon in icons if icon["purpose"] == "maskable"]
    pixels = np.asarray(_png(client, src).convert("RGBA")).astype(int)
    side = pixels.shape[0]
    assert (pixels[:, :, 3] == 255).all(), "a maskable icon has no transparent pixel"
    y, x = np.mgrid[0:side, 0:side]
    outside = np.hypot(x - (side - 1) / 2, y - (side - 1) / 2) > 0.4 * side
    off_brand = np.abs(pixels[:, :, :3] - np.array(BRAND)).max(axis=2) > 2
    assert not (outside & off_brand).any(), "the mark reaches past the safe zone"
    # And the mark is there: white strokes and the yellow smile inside the zone.
    assert (~outside & off_brand).sum() > 0.05 * side * side


def test_the_worker_is_served_from_the_root_and_lists_the_shell() -> None:
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    source = response.content.decode()
    shell = re.search(r"const SHELL = (\[.*?\]);", source, re.DOTALL)
    assert shell is not None
    listed = re.findall(r'"([^"]+)"', shell.group(1))
    assert listed == [
        "/offline/",
        *(static(path) for path in pwa.SHELL_STATIC),
    ]
    # Exactly the files every page loads, besides the offline page and the icons.
    page = Client().get("/").content.decode()
    for url in re.findall(r'<(?:script|link rel="stylesheet")[^>]* (?:src|href)="([^"]+)"', page):
        assert url in listed or url == reverse("jsi18n"), url
    assert 'const OFFLINE_URL = "/offline/";' in source
    cache = re.search(r'const CACHE = "peeka-shell-([0-9a-f]{12})";', source)
    assert cache is not None
    assert cache.group(1) == pwa.shell_version(tuple(static(p) for p in pwa.SHELL_STATIC))


def test_a_deploy_that_changes_the_shell_renames_the_cache() -> None:
    urls = tuple(static(path) for path in pwa.SHELL_STATIC)
    assert pwa.shell_version(urls) == pwa.shell_version(urls)
    # As a manifest storage would hash a changed file's name.
    renamed = (urls[0].replace(".css", ".0123abcd.css"), *urls[1:])
    assert pwa.shell_version(renamed) != pwa.shell_version(urls)


def test_a_deploy_that_changes_a_shell_file_under_the_same_name_renames_the_cache(
    tmp_path: Path,
) -> None:
    """The default storage keeps a file's name when its content changes: the bytes count."""
    urls = tuple(static(path) for path in pwa.SHELL_STATIC)
    before = pwa.shell_version(urls)
    changed = tmp_path / "peeka" / "peeka.css"
    changed.parent.mkdir()
    changed.write_text("body { color: #3b3f9e; }\n")
    # Searched before the apps' folders, so it stands in for the app's peeka.css.
    with override_settings(STATICFILES_DIRS=[tmp_path]):
        assert pwa.shell_version(urls) != before
    assert pwa.shell_version(urls) == before


@pytest.mark.parametrize("language", ["en", "ko", "zh-hans"])
def test_the_offline_page_speaks_the_visitors_language(language: str) -> None:
    response = Client().get("/offline/", headers={"accept-language": ACCEPT[language]})
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{HTML_LANG[language]}">' in page
    assert OFFLINE_SENTENCE[language] in page


def test_the_offline_page_keeps_nothing_of_the_user_it_was_fetched_for(alice: User) -> None:
    """The worker stores this page on the phone: no name, no form token, no menu."""
    page = logged_in(alice).get("/offline/").content.decode()
    assert OFFLINE_SENTENCE["en"] in page
    assert "alice" not in page and "csrfmiddlewaretoken" not in page
    assert 'id="logout"' not in page and 'id="nav-wallet"' not in page


@contextmanager
def installable_phone(profile: Path) -> Iterator[BrowserContext]:
    """An English phone on a kept profile (see `launch_phone`), no camera clip."""
    with playwright_driver() as playwright:
        context = launch_phone(playwright, profile, "en")
        try:
            yield context
        finally:
            context.close()


@needs_chromium
@one_browser_at_a_time
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_chromium_installs_the_app_keeps_only_the_shell_and_shows_the_offline_page(
    live_server: LiveServer, tmp_path: Path
) -> None:
    User.objects.create_user("alice", password=PASSWORD)
    url = live_server.url
    errors: list[str] = []
    started = time.monotonic()
    with installable_phone(tmp_path / "profile") as context:
        page = watch(context.pages[0] if context.pages else context.new_page(), errors)
        page.goto(f"{url}/")
        assert page.evaluate("navigator.serviceWorker.ready.then((r) => r.active.scriptURL)") == (
            f"{url}/sw.js"
        )
        page.reload()
        assert page.evaluate("navigator.serviceWorker.controller.scriptURL") == f"{url}/sw.js"

        cdp = context.new_cdp_session(page)
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"] == f"{url}/manifest.webmanifest"
        assert manifest["errors"] == []

        page.goto(f"{url}/accounts/login/")
        page.fill("#id_username", "alice")
        page.fill("#id_password", PASSWORD)
        page.click("#submit")
        page.wait_for_url(f"{url}/")
        for path in (reverse("wallet:home"), "/accounts/security/"):
            response = page.goto(f"{url}{path}")
            assert response is not None and response.ok, path
        cached: list[str] = page.evaluate(CACHED_URLS)
        paths = {address.removeprefix(url) for address in cached}
        assert paths == {"/offline/", *(static(p) for p in pwa.SHELL_STATIC)}, paths
        assert not [p for p in paths if any(private in p for private in PRIVATE)]

        context.set_offline(True)
        target = f"{url}{reverse('wallet:home')}"
        page.goto(target)
        expect(page.locator("#offline-message")).to_have_text(OFFLINE_SENTENCE["en"])
        assert page.url == target  # the offline page answers in the wallet's place
        expect(page.locator("#logout")).to_have_count(0)
        assert horizontal_overflow(page) == 0
    assert errors == [], errors
    print(f"PWA browser test: {time.monotonic() - started:.1f} s")
