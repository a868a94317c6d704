"""The capture component in a real Chromium: framing hints over the live video before anyone
presses the button; a photo held up to the camera refused, the prompt and progress reset;
what the page says when the camera cannot start (refused, or none), with the password path
offered. Korean pages, phone width."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from peeka.accounts.models import User
from peeka.security.models import AuditEvent
from tests.web.chromium import (
    PHONE,
    chromium,
    live_clip,
    needs_chromium,
    new_context,
    one_browser_at_a_time,
    still_clip,
    watch,
)
from tests.webapp import PASSWORD

pytestmark = [
    needs_chromium,
    one_browser_at_a_time,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]
HANGUL = re.compile("[\uac00-\ud7a3]")


def test_framing_hints_show_before_recording(
    live_server: LiveServer, liveness_dir: Path, tmp_path: Path
) -> None:
    clip = live_clip(liveness_dir / "face_video" / "tfjs_facemesh_input.mp4", tmp_path / "l.y4m")
    errors: list[str] = []
    with chromium(clip) as browser:
        page = watch(new_context(browser, "ko", PHONE).new_page(), errors)
        page.goto(f"{live_server.url}/face/login/")
        root = page.locator("[data-capture]")
        expect(root).to_have_attribute("data-capture-state", "idle")
        expect(page.locator("#start")).to_be_enabled()
        # The webcam clip's face, framed as a webcam frames one: the oval turns green.
        expect(root).to_have_attribute("data-framing", re.compile("^(ok|warn)$"))
        expect(page.locator("#framing-hint")).to_have_text(HANGUL)
        expect(page.locator("#camera-trouble")).to_be_hidden()
    assert errors == [], errors


@pytest.mark.parametrize(
    ("camera", "allowed", "state"), [(True, False, "denied"), (False, True, "nocamera")]
)
def test_a_camera_that_cannot_start_says_what_to_do(
    live_server: LiveServer, camera: bool, allowed: bool, state: str
) -> None:
    errors: list[str] = []
    with chromium(camera=camera, allow_camera=allowed) as browser:
        page = watch(new_context(browser, "ko", PHONE).new_page(), errors)
        page.goto(f"{live_server.url}/face/login/")
        expect(page.locator("[data-capture]")).to_have_attribute("data-capture-state", state)
        trouble = page.locator("#camera-trouble")
        expect(trouble).to_be_visible()
        expect(page.locator("#trouble-title")).to_have_text(HANGUL)
        expect(page.locator("#trouble-text")).to_have_text(HANGUL)
        expect(page.locator("#start")).to_be_disabled()
        page.click("#camera-retry")  # tries again, and says the same
        expect(page.locator("[data-capture]")).to_have_attribute("data-capture-state", state)
        page.click("#camera-other")
        page.wait_for_url(f"{live_server.url}/accounts/login/")
    assert errors == [], errors


def test_a_photo_held_up_fails_and_leaves_nothing_stale(
    live_server: LiveServer, faces_dir: Path, tmp_path: Path
) -> None:
    """A still photo answers the challenge with repeated frames: refused for that, with the
    hint in Korean, the step prompt and progress cleared, the button turned into a retry."""
    User.objects.create_user("alice", password=PASSWORD)
    errors: list[str] = []
    with chromium(still_clip(faces_dir / "biden.jpg", tmp_path / "biden.y4m")) as browser:
        page = watch(new_context(browser, "ko", PHONE).new_page(), errors)
        page.goto(f"{live_server.url}/face/login/")
        page.fill("#username", "alice")
        page.click("#start")
        root = page.locator("[data-capture]")
        expect(root).to_have_attribute("data-capture-state", "recording", timeout=20_000)
        expect(page.locator("#prompt")).to_have_text(HANGUL)
        expect(root).to_have_attribute("data-capture-state", "failure", timeout=60_000)
        expect(page.locator("#status")).to_have_text(HANGUL)
        expect(page.locator("#prompt")).to_have_text("")
        expect(page.locator("#capture-steps li")).to_have_count(0)
        expect(page.locator("#start")).to_be_enabled()
        assert page.url == f"{live_server.url}/face/login/"
    outcome = AuditEvent.objects.filter(event="liveness_login").values_list("success", "reason")
    assert list(outcome) == [(False, "duplicates")]
    assert errors == [], errors
