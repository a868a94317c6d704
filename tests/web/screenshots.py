"""`make screenshots` (`python -m tests.web.screenshots`): the README's pictures of the main
pages, in English and Korean at 1280 px (and the login page at 390 px), written to
docs/screenshots/<language>-<page>.png; and of the workplace, as the members of `peeka org
demo`'s company see it (workplace-*.png), with the kiosk set up with the demo's device key.

Peeka runs as users start it (`peeka serve` on a free 127.0.0.1 port) on a throwaway
database, key vault and secret key in a temporary folder. Two demo accounts: "demo", whose
face (scikit-image's public-domain astronaut photo) is enrolled, for the security and face
data pages, and "newcomer", who is about to add a face. Chromium's fake camera shows the same
photo on the camera pages. Stops with an error if a page logs a script error or a Content
Security Policy violation: a picture of a broken page is worse than none."""

from __future__ import annotations

import argparse
import io
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

    from peeka.accounts.models import User

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "screenshots"
HOST = "127.0.0.1"
DESKTOP, PHONE = 1280, 390
LANGUAGES = ("en", "ko")
VISITOR_PAGES = {"home": "/", "login": "/accounts/login/", "face-login": "/face/login/"}
NEWCOMER_PAGES = {"enroll": "/face/enroll/"}
MEMBER_PAGES = {"security": "/accounts/security/", "face-data": "/face/mine/"}
CAMERA_PAGES = frozenset({"face-login", "enroll", "workplace-kiosk", "workplace-approval"})
CAMERA_CROP = (70, 10, 390, 330)
"""The part of the 512x512 astronaut photo the fake camera shows (head and shoulders)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.web.screenshots", description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder (default {OUT})")
    args = parser.parse_args(argv)
    missing = _missing_tools()
    if missing:
        print(f"screenshots: {missing}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="peeka-screenshots-") as tmp:
        folder = Path(tmp)
        _configure(folder)
        newcomer, member = _accounts()
        workplace = _workplace()
        port = _free_port()
        log = folder / "server.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [sys.executable, "-m", "peeka.cli", "serve", "--host", HOST,
                 "--port", str(port), "--workers", "1"],
                env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
            )  # fmt: skip
        try:
            _wait_until_up(port, server, log)
            errors = _take(f"http://{HOST}:{port}", folder, args.out, newcomer, member, workplace)
        finally:
            server.terminate()
            server.wait(timeout=60)
    if errors:
        print("screenshots: the pages logged errors:\n" + "\n".join(errors), file=sys.stderr)
        return 1
    return 0


def _missing_tools() -> str:
    from tests.web.chromium import CHROMIUM

    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: sudo apt-get install chromium"
    fonts = shutil.which("fc-list")
    if (
        fonts is None
        or not subprocess.run(
            [fonts, ":lang=ko"], capture_output=True, text=True, check=False
        ).stdout.strip()
    ):
        # Without a Korean font Chromium draws every Hangul letter as an empty box.
        return "no Korean font is installed: sudo apt-get install fonts-noto-cjk"
    return ""


def _configure(folder: Path) -> None:
    """This process and the server share the throwaway folder's database and keys."""
    os.environ.update(
        PEEKA_DATA_DIR=str(folder),
        PEEKA_KEY_DIR=str(folder / "keys"),
        PEEKA_SECRET_KEY=secrets.token_urlsafe(32),
        PEEKA_ADMIN_PASSWORD=secrets.token_urlsafe(16),
        DJANGO_SETTINGS_MODULE="peeka.web.settings",
        # Playwright's sync API keeps an event loop in this thread; the ORM calls run between
        # browser steps, never concurrently with them.
        DJANGO_ALLOW_ASYNC_UNSAFE="true",
    )
    for name in ("DATABASE_URL", "REDIS_URL", "PEEKA_LIVENESS", "PEEKA_REGISTRATION"):
        os.environ.pop(name, None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def _astronaut_jpeg() -> bytes:
    from PIL import Image
    from skimage import data

    buffer = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def _accounts() -> tuple[User, User]:
    """ "newcomer", without a face yet, and "demo", with the astronaut's face enrolled (through
    the same flow as the enrollment page, without the liveness steps a photo cannot do)."""
    from peeka.accounts.models import User
    from peeka.faces import flows
    from peeka.security.client import ClientInfo
    from tests.webapp import burst

    password = secrets.token_urlsafe(16)
    newcomer = User.objects.create_user("newcomer", password=password, display_name="Newcomer")
    member = User.objects.create_user("demo", password=password, display_name="Demo")
    flows.face_enroll(
        user=member,
        frames=burst(_astronaut_jpeg(), 5),
        scheme="ckks",
        client=ClientInfo(ip=HOST, user_agent="make screenshots"),
        channel="web",
    )
    return newcomer, member


@dataclass(frozen=True)
class Workplace:
    pages: dict[str, tuple[str, str]]
    """Page name: (the member's username, the path)."""
    kiosk_key: str


def _workplace() -> Workplace:
    """The demo company; which member sees which page (their username, the page's path), and
    the kiosk's device key."""
    from peeka.workplace.demo import demo_create
    from peeka.workplace.leave.models import LeaveBooking

    made = demo_create()
    leave = LeaveBooking.objects.get(document=made.documents["approved"])
    pages = {
        "workplace-day": ("demo.minji", "/workplace/dashboards/"),
        "workplace-calendar": ("demo.minji", f"/workplace/calendar/?month={leave.start:%Y-%m}"),
        "workplace-timesheet": ("demo.minji", "/workplace/attendance/timesheet/"),
        "workplace-approval": (
            "demo.junho",
            f"/workplace/approvals/{made.documents['in_progress']}/",
        ),
        "workplace-signed": ("demo.junho", f"/workplace/approvals/{made.documents['approved']}/"),
        "workplace-company": ("demo.hana", "/workplace/dashboards/company/"),
        "workplace-security": ("demo.hana", "/workplace/dashboards/security/"),
    }
    return Workplace(pages, made.kiosk_key)


def _session(user: User, base_url: str) -> dict[str, str]:
    """A session cookie of `user`, just stepped up (as after the password again), so the
    enrollment page opens."""
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import Client, RequestFactory

    from peeka.accounts import mfa

    client = Client()
    client.force_login(user)
    request = RequestFactory().get("/", REMOTE_ADDR=HOST)
    request.session = SessionStore(client.cookies[settings.SESSION_COOKIE_NAME].value)
    mfa.mark_stepped_up(request, user, "password")
    request.session.save()
    return {"name": settings.SESSION_COOKIE_NAME, "value": request.session.session_key or "",
            "url": base_url}  # fmt: skip


def _take(
    base_url: str,
    folder: Path,
    out: Path,
    newcomer: User,
    member: User,
    workplace: Workplace,
) -> list[str]:
    from PIL import Image

    from tests.web.chromium import chromium, new_context, still_clip, watch

    # The camera sees the astronaut close up, her face filling the guide as a user's would.
    photo = folder / "astronaut.jpg"
    Image.open(io.BytesIO(_astronaut_jpeg())).crop(CAMERA_CROP).resize((480, 480)).save(photo)
    out.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []

    def shoot(context: BrowserContext, name: str, path: str, language: str) -> None:
        page = watch(context.new_page(), errors)
        page.goto(base_url + path, wait_until="networkidle")
        if name in CAMERA_PAGES:
            _camera_ready(page)
        target = out / f"{language}-{name}.png"
        page.screenshot(path=str(target), full_page=True, animations="disabled")
        print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
        page.close()

    with chromium(still_clip(photo, folder / "astronaut.y4m")) as browser:
        for language in LANGUAGES:
            visitor = new_context(browser, language, DESKTOP)
            for name, path in VISITOR_PAGES.items():
                shoot(visitor, name, path, language)
            visitor.close()
            phone = new_context(browser, language, PHONE)
            shoot(phone, "login-phone", VISITOR_PAGES["login"], language)
            phone.close()
            for user, pages in ((newcomer, NEWCOMER_PAGES), (member, MEMBER_PAGES)):
                context = new_context(browser, language, DESKTOP)
                context.add_cookies([_session(user, base_url)])  # type: ignore[list-item]
                for name, path in pages.items():
                    shoot(context, name, path, language)
                context.close()
            _workplace_pages(browser, base_url, language, workplace, shoot)
    return errors


def _workplace_pages(
    browser: Browser,
    base_url: str,
    language: str,
    workplace: Workplace,
    shoot: Callable[[BrowserContext, str, str, str], None],
) -> None:
    from peeka.accounts.models import User
    from tests.web.chromium import new_context

    for name, (username, path) in workplace.pages.items():
        context = new_context(browser, language, DESKTOP)
        context.add_cookies([_session(User.objects.get(username=username), base_url)])  # type: ignore[list-item]
        shoot(context, name, path, language)
        context.close()
    kiosk = new_context(browser, language, DESKTOP)
    kiosk.add_cookies([{"name": "peeka_kiosk", "value": workplace.kiosk_key, "url": base_url}])
    shoot(kiosk, "workplace-kiosk", "/workplace/kiosk/", language)
    kiosk.close()


def _camera_ready(page: Page) -> None:
    """Wait until the camera shows a picture and the capture component is ready (the live
    framing hints have had a moment to settle)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    page.wait_for_function("() => document.querySelector('video')?.readyState >= 2")
    try:
        page.wait_for_function(
            "() => ['idle'].includes(document.querySelector('[data-capture]')"
            "?.getAttribute('data-capture-state'))",
            timeout=15_000,
        )
    except PlaywrightTimeoutError:
        print(f"{page.url}: the capture component did not become ready", file=sys.stderr)
    page.wait_for_timeout(1_500)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_up(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not listen on port {port}: {log.read_text()[-2000:]}")


if __name__ == "__main__":
    sys.exit(main())
