"""Shared pieces of the browser tests and `make screenshots`: Debian's Chromium (never a
downloaded build) with a fake camera playing a Y4M clip made from real material, browser
contexts in a language and at a width, a watch for script errors and Content Security Policy
violations, and signing a browser in."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.conf import settings
from django.test import Client
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect
from playwright.sync_api import Error as PlaywrightError

from peeka.biometrics.liveness import video_frames

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
)
one_browser_at_a_time = pytest.mark.xdist_group("chromium")
"""`make test` runs the suite in two processes (pytest-xdist, `--dist loadgroup`); the browser
tests all run in the same one, one after the other: their fake cameras play in real time, and
two Chromiums at once on a two-core machine would starve each other's capture."""

LOCALES = {"en": "en-US", "ko": "ko-KR", "zh-hans": "zh-CN"}
"""The browser locale (and with it the Accept-Language header) a test uses for a language."""
PHONE = 390
DESKTOP = 1280


def write_y4m(pictures: list[Image.Image], path: Path, fps: int) -> Path:
    """A 640x480 4:2:0 Y4M clip of `pictures` (letterboxed), which Chromium's fake camera
    plays in a loop at `fps`."""
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W640 H480 F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for picture in pictures:
            picture.thumbnail((640, 480))
            canvas = Image.new("RGB", (640, 480), (40, 40, 40))
            canvas.paste(picture, ((640 - picture.width) // 2, (480 - picture.height) // 2))
            ycc = np.asarray(canvas.convert("YCbCr"), dtype=np.float32)
            # 4:2:0: chroma averaged over 2x2 blocks.
            u, v = (
                ycc[:, :, c].reshape(240, 2, 320, 2).mean(axis=(1, 3)).round().astype(np.uint8)
                for c in (1, 2)
            )
            out.write(b"FRAME\n" + ycc[:, :, 0].astype(np.uint8).tobytes())
            out.write(u.tobytes() + v.tobytes())
    return path


def still_clip(photo: Path, path: Path) -> Path:
    """A photo held in front of the camera."""
    return write_y4m([Image.open(photo).convert("RGB") for _ in range(10)], path, fps=10)


def live_clip(video: Path, path: Path) -> Path:
    """Four seconds of the real webcam recording (blinks at 1.0, 1.9, 3.0 and 4.0 s), then
    the same backwards: the fake camera loops it, and a jump from the last frame back to the
    first would look like a cut between two recordings."""
    frames = list(video_frames(video, stop=135))[15:]
    return write_y4m([Image.fromarray(f) for f in frames + frames[::-1]], path, fps=30)


@contextmanager
def chromium(
    clip: Path | None = None, *, camera: bool = True, allow_camera: bool = True
) -> Iterator[Browser]:
    """Chromium whose fake camera plays the Y4M `clip` in a loop (Chromium's own test pattern
    without one); camera permission is granted without a prompt. `camera=False`: no camera at
    all; `allow_camera=False`: the camera is refused (headless Chromium denies the prompt)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright, clip, camera=camera, allow_camera=allow_camera)
        try:
            yield browser
        finally:
            browser.close()


def new_context(browser: Browser, language: str, width: int) -> BrowserContext:
    """A fresh profile that prefers `language` (Accept-Language and navigator.language), with
    a window `width` CSS pixels wide: up to 390 px a phone (its height, touch, and a page
    without a viewport tag laid out 980 px wide and shrunk, as phones do), else a laptop."""
    return browser.new_context(**_screen(language, width))


def _screen(language: str, width: int) -> dict[str, Any]:
    """The options of a browser context in `language` at `width` (see `new_context`)."""
    phone = width <= PHONE
    return {
        "locale": LOCALES[language],
        "viewport": {"width": width, "height": 844 if phone else 800},
        "is_mobile": phone,
        "has_touch": phone,
        "device_scale_factor": 1,
        "timezone_id": "Asia/Seoul" if language == "ko" else "UTC",
    }


def watch(page: Page, errors: list[str]) -> Page:
    """Append every script error and every Content Security Policy violation of `page` to
    `errors` (a CSP violation shows only as a console message)."""
    page.set_default_timeout(60_000)
    page.on("pageerror", lambda error: errors.append(f"{page.url}: script error: {error}"))
    page.on(
        "console",
        lambda message: (
            errors.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return page


def sign_in(context: BrowserContext, client: Client, base_url: str) -> None:
    """Give the browser the session of a Django test client (e.g. `tests.webapp.logged_in`):
    the pages under test are then seen as that user sees them."""
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}])


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the window (0 when it fits)."""
    overflow: int = page.evaluate(
        "() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )
    return overflow


def widest_elements(page: Page, limit: int = 5) -> list[str]:
    """The elements that reach furthest past the right edge of the window, to say what
    overflows."""
    found: list[str] = page.evaluate(
        """(limit) => [...document.querySelectorAll("body *")]
          .map((e) => [e, e.getBoundingClientRect().right])
          .filter(([, right]) => right > window.innerWidth + 0.5)
          .sort((a, b) => b[1] - a[1]).slice(0, limit)
          .map(([e, right]) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}`
            + `${e.className && typeof e.className === "string"
                 ? "." + e.className.trim().split(/\\s+/).join(".") : ""}`
            + ` (right edge ${Math.round(right)} px)`)""",
        limit,
    )
    return found


TRIES = 3
"""Face checks a person would retry: the fake camera loops a recording with blinks at fixed
moments, and a recording window can fall between them."""
DEAD_ENDS = frozenset({"denied", "nocamera"})


def capture_state(page: Page) -> str:
    state = page.locator("[data-capture]").get_attribute("data-capture-state", timeout=1_000)
    return state or ""


def face_check(page: Page, done: Callable[[Page], bool]) -> None:
    """Press `#start` until `done(page)` is true, at most `TRIES` times: a try that ends in the
    `failure` state with `#start` enabled is retried; a camera that is denied or missing
    fails at once."""
    for _ in range(TRIES):
        expect(page.locator("#start")).to_be_enabled()  # the camera is ready
        page.click("#start")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            page.wait_for_timeout(250)
            try:
                if done(page):
                    return
                state = capture_state(page)
                if state in DEAD_ENDS:
                    raise AssertionError(f"camera {state}: {page.inner_text('#status')}")
                if state == "failure" and page.locator("#start").is_enabled():
                    break  # this try failed
            except PlaywrightError:
                continue  # the page is navigating
        else:
            break
    raise AssertionError(f"the face check did not pass in {TRIES} tries: {page.url}")


def open_menu(page: Page) -> None:
    """On a narrow screen the navigation is folded behind the menu button: open it."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible() and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
        expect(page.locator("#navigation")).to_be_visible()


# --- several Chromiums in one test -----------------------------------------------------------
# `chromium()` starts a Playwright driver of its own, and two cannot run in one thread: a test
# where several people (or one person's two phones) each need their own camera starts one
# driver with `playwright_driver()` and its browsers with `launch()` and `launch_phone()`.


def chromium_args(
    clip: Path | None = None, *, camera: bool = True, allow_camera: bool = True
) -> list[str]:
    """The command line of every Chromium the tests start (see `chromium()`)."""
    flags = [f"--use-file-for-fake-video-capture={clip}"] if clip else []
    if camera:
        flags.append("--use-fake-device-for-media-stream")
    if allow_camera:
        flags.append("--use-fake-ui-for-media-stream")
    return [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        *flags,
    ]


@contextmanager
def playwright_driver() -> Iterator[Playwright]:
    """One Playwright driver for the browsers of a test; they close with it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


def launch(
    playwright: Playwright,
    clip: Path | None = None,
    *,
    camera: bool = True,
    allow_camera: bool = True,
) -> Browser:
    """A Chromium of `playwright` as `chromium()` starts it, its fake camera playing `clip`."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=chromium_args(clip, camera=camera, allow_camera=allow_camera),
    )


def launch_phone(
    playwright: Playwright, profile: Path, language: str, clip: Path | None = None
) -> BrowserContext:
    """A phone (`new_context(…, language, PHONE)`) in a Chromium of its own whose fake camera
    plays `clip`, on a profile kept in the folder `profile`: Chromium offers to install a web
    app only there, never in the throwaway (incognito-like) contexts `new_context()` makes
    (`Page.getInstallabilityErrors` says "in-incognito"). Closing it closes its Chromium."""
    return playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        args=chromium_args(clip),
        **_screen(language, PHONE),
    )


CACHED_URLS = """async () => {
  const urls = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) urls.push(request.url);
  }
  return urls;
}"""
"""A page script: every URL the origin keeps in the Cache API (the service worker's caches)."""
