"""End to end in a real browser: Debian's Chromium, driven by Playwright, with a fake camera
that plays a Y4M clip made from a real photo. Enroll with the camera, log out, log in with the
face; the same account refuses another person's face."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from peeka.accounts.models import User
from peeka.faces.models import AuditEvent, FaceTemplate
from tests.web.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed (.ci/run installs it)"
    ),
    pytest.mark.slow,
]


def write_y4m(photo: Path, path: Path, frames: int = 10) -> Path:
    """A 640x480 4:2:0 Y4M clip of `photo` (letterboxed), which Chromium's fake camera loops."""
    picture = Image.open(photo).convert("RGB")
    picture.thumbnail((640, 480))
    canvas = Image.new("RGB", (640, 480), (40, 40, 40))
    canvas.paste(picture, ((640 - picture.width) // 2, (480 - picture.height) // 2))
    ycc = np.asarray(canvas.convert("YCbCr"), dtype=np.float32)
    y = ycc[:, :, 0].astype(np.uint8)
    # 4:2:0: chroma averaged over 2x2 blocks.
    u, v = (
        ycc[:, :, c].reshape(240, 2, 320, 2).mean(axis=(1, 3)).round().astype(np.uint8)
        for c in (1, 2)
    )
    frame = b"FRAME\n" + y.tobytes() + u.tobytes() + v.tobytes()
    path.write_bytes(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n" + frame * frames)
    return path


@pytest.fixture
def browser_for(tmp_path: Path) -> Iterator[object]:
    """browser_for(photo) -> a new Chromium page whose camera shows `photo`."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls of the test run
    # between browser steps, never concurrently with them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browsers = []

        def open_page(photo: Path) -> object:
            clip = write_y4m(photo, tmp_path / f"{photo.stem}.y4m")
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
            return page

        yield open_page
        for browser in browsers:
            browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.mark.django_db(transaction=True)
def test_enroll_with_the_camera_log_out_and_log_in_with_the_face(
    live_server: LiveServer, browser_for: object, faces_dir: Path, settings: SettingsWrapper
) -> None:
    from playwright.sync_api import Page, expect

    settings.PEEKA_LOGIN_MAX_FRAMES = 4
    User.objects.create_user("alice", password=PASSWORD)
    url = live_server.url
    page = browser_for(faces_dir / "obama.jpg")  # type: ignore[operator]
    assert isinstance(page, Page)

    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("#submit")
    page.goto(f"{url}/face/enroll/")
    page.fill("#id_password", PASSWORD)
    page.click("#reauth")
    page.check("#consent")
    page.click("#start")
    expect(page.locator("#status")).to_contain_text("Your face is enrolled", timeout=90_000)
    page.wait_for_url(f"{url}/face/mine/")
    expect(page.locator("[data-scheme=ckks]")).to_be_visible()
    assert FaceTemplate.objects.filter(user__username="alice").count() == 1

    page.click("#logout")
    page.goto(f"{url}/face/login/")
    page.fill("#username", "alice")
    page.click("#start")
    page.wait_for_url(f"{url}/", timeout=60_000)
    expect(page.locator("main")).to_contain_text("logged in as alice")

    impostor = browser_for(faces_dir / "biden.jpg")  # type: ignore[operator]
    assert isinstance(impostor, Page)
    impostor.goto(f"{url}/face/login/")
    impostor.fill("#username", "alice")
    impostor.click("#start")
    expect(impostor.locator("#status")).to_contain_text("Not recognised", timeout=60_000)
    assert impostor.url == f"{url}/face/login/"
    expect(impostor.locator("nav")).to_contain_text("Log in with your face")

    outcomes = list(
        AuditEvent.objects.filter(event="face_login", username="alice")
        .order_by("time")
        .values_list("success", flat=True)
    )
    assert outcomes[0] is True and outcomes[1:] == [False] * 4, outcomes
