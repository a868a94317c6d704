"""A new user's whole first visit in Chromium, once in Korean on a 390 px phone and once in
English on a 1280 px laptop: register, add the face with the camera (the live clip of a real
webcam recording), keep the recovery codes, log out, log in with the face and the password as
the second factor; then change the password, which asks for a fresh face check: with "more
time" (3 s steps of 30 frames, the most the server takes). No script error and no Content
Security Policy violation on any page.

The capture component is read through its DOM contract, never through its English wording:
`[data-capture]` with `data-capture-state` (idle, checking, countdown, recording, verifying,
success, failure, denied, nocamera), the `#start` button, `#status` and `#prompt`."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from peeka.faces.models import FaceTemplate, LivenessChallenge
from peeka.security.models import AuditEvent
from tests.web.chromium import (
    DESKTOP,
    PHONE,
    chromium,
    face_check,
    live_clip,
    needs_chromium,
    new_context,
    one_browser_at_a_time,
    open_menu,
    watch,
)
from tests.webapp import PASSWORD

pytestmark = [needs_chromium, one_browser_at_a_time, pytest.mark.slow]

COUNT_FRAMES = """(() => {
  const append = FormData.prototype.append;
  FormData.prototype.append = function (name, value, ...rest) {
    if (name === "timestamps") {
      const sent = JSON.parse(sessionStorage.getItem("sentFrames") || "[]");
      sent.push(String(value).split(",").length);
      sessionStorage.setItem("sentFrames", JSON.stringify(sent));
    }
    return append.call(this, name, value, ...rest);
  };
})();"""
"""Test instrumentation: each face-check answer's frame count, kept in session storage."""


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("language", "width"), [("ko", PHONE), ("en", DESKTOP)])
def test_register_enroll_keep_the_codes_log_out_and_log_in_with_the_face(
    live_server: LiveServer,
    liveness_dir: Path,
    settings: SettingsWrapper,
    tmp_path: Path,
    async_unsafe: None,
    language: str,
    width: int,
) -> None:
    """Liveness is on, as in production, with the steps fixed to a blink (the recording can
    only blink; a test-only setting production refuses)."""
    settings.PEEKA_LIVENESS = True
    settings.PEEKA_LIVENESS_FIXED_STEPS = ["blink"]
    url = live_server.url
    name = f"walker-{language}"
    webcam = liveness_dir / "face_video" / "tfjs_facemesh_input.mp4"
    errors: list[str] = []
    with chromium(live_clip(webcam, tmp_path / "live.y4m")) as browser:
        context = new_context(browser, language, width)
        page = watch(context.new_page(), errors)

        # Registration, from the home page's navigation, in the browser's language.
        page.goto(f"{url}/")
        assert page.get_attribute("html", "lang") == language
        open_menu(page)
        page.click("#navigation a[href='/accounts/register/']")
        page.wait_for_url(f"{url}/accounts/register/")
        page.fill("#id_username", name)
        page.fill("#id_password1", PASSWORD)
        page.fill("#id_password2", PASSWORD)
        page.click("#submit")
        # The password was typed a moment ago: enrollment opens without asking for it again.
        page.wait_for_url(f"{url}/face/enroll/")
        assert page.get_attribute("html", "lang") == language

        # Enrollment with the camera: consent, then the blink and "look at the camera".
        page.check("#consent")
        face_check(page, lambda p: p.locator("#codes-step").is_visible())
        enrolled = LivenessChallenge.objects.get(purpose="enroll", passed=True)
        assert enrolled.steps == ["blink", "look"], enrolled.steps
        assert FaceTemplate.objects.filter(user__username=name).count() == 1

        # The first second factor comes with recovery codes, a step of its own: going on
        # needs "I have saved these" ticked.
        expect(page.locator("#codes li")).to_have_count(10)
        continue_button = page.locator("#codes-continue")
        expect(continue_button).to_be_disabled()
        page.check("#codes-saved-check")
        expect(continue_button).to_be_enabled()
        continue_button.click()
        page.wait_for_url(f"{url}/face/mine/")

        # Log out, then log in with the face, and the password as the second factor.
        open_menu(page)
        page.click("#logout")
        page.wait_for_url(f"{url}/")
        open_menu(page)
        page.click("#navigation a[href='/face/login/']")
        page.wait_for_url(f"{url}/face/login/")
        page.fill("#username", name)
        face_check(page, lambda p: p.url == f"{url}/accounts/login/next/")
        page.fill("#id_password", PASSWORD)
        page.click("#submit-password")
        page.wait_for_url(f"{url}/")
        open_menu(page)
        expect(page.locator("#logout")).to_be_visible()
        assert page.get_attribute("html", "lang") == language

        # Changing the password needs a fresh face check; "more time" is remembered. (Chromium
        # does not report multipart bodies with files: the page's own appends are counted.)
        page.add_init_script(COUNT_FRAMES)
        page.goto(f"{url}/accounts/password/")
        page.wait_for_url(f"{url}/accounts/step-up/?next=%2Faccounts%2Fpassword%2F")
        page.check("#more-time")
        page.reload()
        expect(page.locator("#more-time")).to_be_checked()
        face_check(page, lambda p: p.url == f"{url}/accounts/password/")
        sent = page.evaluate("JSON.parse(sessionStorage.getItem('sentFrames') || '[]')")
        # A usual step records 2 s (at most 20 frames); "more time" 3 s, at most 30 (a busy
        # machine may grab a frame or two fewer in that time).
        assert sent and all(20 < count <= 30 for count in sent), sent
        context.close()

    logins = AuditEvent.objects.filter(event="login", user__username=name).order_by("time", "pk")
    assert list(logins.values_list("success", "reason")) == [
        (True, "password"),
        (True, "face+password"),
    ]
    stepups = AuditEvent.objects.filter(event="liveness_stepup", user__username=name)
    assert (True, "ok") in stepups.values_list("success", "reason")
    assert errors == [], errors  # no script error and no CSP violation on any page
