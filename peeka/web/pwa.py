"""The installable mobile web app around the wallet: its manifest, the service worker that keeps
the page shell (never a balance) on the phone, and the page that worker shows offline."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, pgettext

THEME_COLOR = "#3b3f9e"
"""The indigo of the mark (static/peeka/favicon.svg); base.html's theme-color says the same."""
BACKGROUND_COLOR = "#ffffff"

ICONS: tuple[tuple[str, int, str], ...] = (
    ("peeka/icons/icon-192.png", 192, "any"),
    ("peeka/icons/icon-512.png", 512, "any"),
    ("peeka/icons/maskable-512.png", 512, "maskable"),
)
"""Static path, side in pixels, purpose; `python -m peeka.web.icons` draws them."""

SHELL_STATIC = (
    "vendor/bootstrap-5.3.3/bootstrap.min.css",
    "peeka/peeka.css",
    "vendor/bootstrap-5.3.3/bootstrap.bundle.min.js",
    "peeka/pwa.js",
    "peeka/favicon.svg",
    "peeka/icons/icon-192.png",
    "peeka/icons/icon-512.png",
    "peeka/icons/maskable-512.png",
    "peeka/icons/apple-touch-icon.png",
)
"""The static files every page loads (base.html), which the worker keeps for offline use."""

_TEMPLATES = Path(__file__).resolve().parent / "templates"
WORKER_TEMPLATE = "web/sw.js"
OFFLINE_TEMPLATE = "web/offline.html"


def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest, in the request's language: what a phone needs to install Peeka
    as an app that opens on the wallet."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    wallet = reverse("wallet:home")
    body = {
        "id": wallet,
        "name": "Peeka",
        "short_name": "Peeka",
        "description": gettext(
            "A face-pay wallet: pay and receive money with a live check of your face."
        ),
        "lang": "zh-Hans" if language == "zh-hans" else language,
        "dir": "ltr",
        # Tells the wallet's pages they were opened from the home-screen icon.
        "start_url": f"{wallet}?source=pwa",
        "scope": "/",
        "display": "standalone",
        "background_color": BACKGROUND_COLOR,
        "theme_color": THEME_COLOR,
        "categories": ["finance"],
        "icons": [
            {"src": static(path), "sizes": f"{size}x{size}", "type": "image/png", "purpose": use}
            for path, size, use in ICONS
        ],
        "shortcuts": [
            {
                # Translators: a shortcut in the menu of the app's icon on a phone's home screen
                "name": pgettext("home screen shortcut", "Pay"),
                "url": f"{wallet}pay/",
            },
            {
                # Translators: a shortcut in the menu of the app's icon on a phone's home screen
                "name": pgettext("home screen shortcut", "Receive"),
                "url": f"{wallet}receive/",
            },
        ],
    }
    return JsonResponse(body, content_type="application/manifest+json")


def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served from the root so that its scope can be the whole site."""
    shell = [static(path) for path in SHELL_STATIC]
    offline_url = reverse("web:offline")
    source = render_to_string(
        WORKER_TEMPLATE,
        {
            "cache_name": json.dumps(f"peeka-shell-{shell_version(tuple(shell))}"),
            "offline_url": json.dumps(offline_url),
            "shell": json.dumps([offline_url, *shell], indent=2),
            "static_url": json.dumps(static("")),
        },
    )
    response = HttpResponse(source, content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/"
    # The browser compares the worker byte for byte on its update checks: always ask.
    response["Cache-Control"] = "no-cache"
    return response


def offline(request: HttpRequest) -> HttpResponse:
    """The page the worker shows for a navigation the network could not answer. The worker
    keeps it, so it must hold nothing of whoever was signed in when it was fetched: the
    template leaves out the user's navigation, and no pending message is spent on it."""
    return render(request, OFFLINE_TEMPLATE, {"messages": ()})


def shell_version(urls: tuple[str, ...]) -> str:
    """A short digest of the shell: its URLs (hashed already under a manifest storage), the
    bytes of the files behind them (the default storage keeps names across deploys) and the
    worker's and offline page's templates. A deploy that changes any of them gives the cache
    a new name, and the new worker deletes the old cache."""
    files = [finders.find(path) for path in SHELL_STATIC]
    templates = [str(_TEMPLATES / name) for name in (WORKER_TEMPLATE, OFFLINE_TEMPLATE)]
    found = [path for path in [*files, *templates] if isinstance(path, str)]
    stamps = tuple((path, *_stamp(Path(path))) for path in found)
    return _digest(urls, stamps)


def _stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_mtime_ns, status.st_size


@functools.lru_cache(maxsize=8)
def _digest(urls: tuple[str, ...], stamps: tuple[tuple[str, int, int], ...]) -> str:
    """Reads the files only when one of them changed (the browser asks for the worker on
    every navigation)."""
    digest = hashlib.sha256()
    for url in urls:
        digest.update(url.encode() + b"\0")
    for path, _, _ in stamps:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:12]
