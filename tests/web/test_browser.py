"""End to end in a real browser: Debian's Chromium, driven by Playwright, with a fake camera
that plays a Y4M clip made from a real photo. Enroll with the camera, log out, log in with the
face; the same account refuses another person's face."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from peeka.accounts.models import User
from peeka.biometrics.liveness import video_frames
from peeka.faces.models import FaceTemplate, LivenessChallenge
from peeka.security.models import AuditEvent
from tests.webapp import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
    ),
    pytest.mark.slow,
]


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


@pytest.fixture
def browser_for(tmp_path: Path) -> Iterator[object]:
    """browser_for(photo) -> a new Chromium page whose camera shows `photo`."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls of the test run
    # between browser steps, never concurrently with them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    errors: list[str] = []
    with sync_playwright() as playwright:
        browsers = []

        def open_page(clip: Path) -> object:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--use-fake-ui-for-media-stream",
                    "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-video-capture={clip}",
                ],
            )
            browsers.append(browser)
            page = browser.new_page()
            page.set_default_timeout(60_000)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on(
                "console",
                lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
            )
            return page

        yield open_page
        for browser in browsers:
            browser.close()
    assert errors == [], errors  # no script error and no CSP violation on any page
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def live_check(page: Page, target: str) -> None:
    """Press the face button until the page moves on to `target`: at most 3 tries, as a
    person would retry. The fake camera loops a 7.5 s recording with two blinks, and a 2.2 s
    recording window can fall between them."""
    for _ in range(3):
        page.click("#start")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            page.wait_for_timeout(250)
            if page.url == target:
                return
            button = page.locator("#start")
            try:
                if button.inner_text(timeout=1_000) == "Try again" and button.is_enabled():
                    break  # this try failed
            except PlaywrightError:
                continue  # the page is navigating
        else:
            break
    raise AssertionError(f"the face check did not pass in 3 tries: {page.url}")


def enroll_with_the_camera(page: Page) -> None:
    """Press the enrollment button until the face is enrolled, at most 3 tries (see
    `live_check`): the blink, then "look at the camera", each step revealed by the server."""
    from playwright.sync_api import expect

    for attempt in range(3):
        page.click("#start")
        if attempt == 0:
            expect(page.locator("#prompt")).to_contain_text("Step 1 of 2: Blink once")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            page.wait_for_timeout(250)
            if "Your face is enrolled" in page.inner_text("#status"):
                return
            button = page.locator("#start")
            if button.is_visible() and button.inner_text() == "Try again" and button.is_enabled():
                break
        else:
            break
    raise AssertionError(f"enrollment did not pass in 3 tries: {page.inner_text('#status')}")


@pytest.mark.django_db(transaction=True)
def test_enroll_with_the_camera_log_out_and_log_in_with_the_face(
    live_server: LiveServer,
    browser_for: object,
    faces_dir: Path,
    liveness_dir: Path,
    settings: SettingsWrapper,
    tmp_path: Path,
) -> None:
    """Liveness is on, as in production; the test fixes the step to a blink, because the
    recording can only blink (a test-only setting production refuses)."""
    from playwright.sync_api import Page, expect

    settings.PEEKA_LIVENESS = True
    settings.PEEKA_LIVENESS_FIXED_STEPS = ["blink"]
    User.objects.create_user("alice", password=PASSWORD)
    url = live_server.url
    webcam = liveness_dir / "face_video" / "tfjs_facemesh_input.mp4"
    page = browser_for(live_clip(webcam, tmp_path / "live.y4m"))  # type: ignore[operator]
    assert isinstance(page, Page)

    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("#submit")
    page.goto(f"{url}/face/enroll/")  # no face yet: the step-up is the password again
    page.wait_for_url(f"{url}/accounts/step-up/?next=%2Fface%2Fenroll%2F")
    page.fill("#id_password", PASSWORD)
    page.click("#reauth")
    page.check("#consent")
    enroll_with_the_camera(page)
    # The server revealed the second step (look at the camera) only after the blink passed.
    enrolled = LivenessChallenge.objects.get(purpose="enroll", passed=True)
    assert enrolled.steps == ["blink", "look"] and enrolled.done == 1
    # The first second factor comes with recovery codes, shown once.
    expect(page.locator("#codes li")).to_have_count(10)
    page.click("#codes-saved")
    page.wait_for_url(f"{url}/face/mine/")
    expect(page.locator("[data-scheme=ckks]")).to_be_visible()
    assert FaceTemplate.objects.filter(user__username="alice").count() == 1

    # Face login, then the password as the second factor (the default policy).
    page.click("#logout")
    page.goto(f"{url}/face/login/")
    page.fill("#username", "alice")
    live_check(page, f"{url}/accounts/login/next/")
    page.fill("#id_password", PASSWORD)
    page.click("#submit-password")
    page.wait_for_url(f"{url}/")
    expect(page.locator("main")).to_contain_text("logged in as alice")

    # Changing the password needs a fresh face check with liveness.
    page.goto(f"{url}/accounts/password/")
    page.wait_for_url(f"{url}/accounts/step-up/?next=%2Faccounts%2Fpassword%2F")
    live_check(page, f"{url}/accounts/password/")
    expect(page.locator("h1")).to_contain_text("password")

    # The API docs (Swagger UI, served locally) work under the same Content Security Policy.
    page.goto(f"{url}/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Peeka")

    impostor = browser_for(still_clip(faces_dir / "biden.jpg", tmp_path / "biden.y4m"))  # type: ignore[operator]
    assert isinstance(impostor, Page)
    impostor.goto(f"{url}/face/login/")
    impostor.fill("#username", "alice")
    impostor.click("#start")
    expect(impostor.locator("#status")).to_contain_text("Move naturally", timeout=60_000)
    expect(impostor.locator("#start")).to_have_text("Try again")
    assert impostor.url == f"{url}/face/login/"
    expect(impostor.locator("nav")).to_contain_text("Log in with your face")

    outcomes = list(
        AuditEvent.objects.filter(event="liveness_login")
        .order_by("time")
        .values_list("success", "reason")
    )
    assert (True, "ok") in outcomes and outcomes[-1] == (False, "duplicates"), outcomes
    logins = AuditEvent.objects.filter(event="login").order_by("time", "pk")
    assert list(logins.values_list("reason", flat=True)) == ["password", "face+password"]
    stepups = list(
        AuditEvent.objects.filter(event="liveness_stepup").values_list("success", "reason")
    )
    assert stepups == [(True, "ok")], stepups
