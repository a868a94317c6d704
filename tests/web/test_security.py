"""Hardening: security headers and a nonce-based CSP on every page, secrets from *_FILE, secure
cookies and HSTS behind HTTPS, `check --deploy` clean, a new session key at re-authentication."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from django.test import Client

from peeka.accounts.models import User
from tests.webapp import PASSWORD, logged_in


def _settings_process(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "DJANGO_SETTINGS_MODULE": "peeka.web.settings", **env}
    return subprocess.run(
        [sys.executable, "-c", code], env=full, capture_output=True, text=True, check=False
    )


def test_every_page_sends_strict_headers_and_a_fresh_script_nonce(alice: User) -> None:
    client = logged_in(alice)
    client.post("/accounts/step-up/", {"password": PASSWORD, "next": "/"})
    nonces = []
    pages = ("/", "/face/login/", "/face/enroll/", "/accounts/login/", "/accounts/security/",
             "/accounts/security/totp/", "/api/v1/docs")  # fmt: skip
    for url in pages:
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-eval" not in policy and "script-src 'self' 'nonce-" in policy
        assert response["Permissions-Policy"].startswith("camera=(self)")
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        nonce = re.search(r"'nonce-([^']+)'", policy)
        assert nonce is not None
        nonces.append(nonce.group(1))
        # Every inline script carries this response's nonce, or it would not run.
        for tag in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.text):
            if "application/json" not in tag:
                assert f'nonce="{nonce.group(1)}"' in tag, (url, tag)
    assert len(set(nonces)) == len(nonces)


def test_secrets_can_come_from_files(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text(secrets.token_urlsafe(50) + "\n")
    done = _settings_process(
        {"PEEKA_SECRET_KEY_FILE": str(secret), "PEEKA_DATA_DIR": str(tmp_path)},
        "from django.conf import settings; print(settings.SECRET_KEY)",
    )
    assert done.stdout.strip() == secret.read_text().strip(), done.stderr


def test_production_settings_pass_the_deploy_check_behind_https(tmp_path: Path) -> None:
    env = {
        "PEEKA_HTTPS": "1",
        "PEEKA_SECRET_KEY": secrets.token_urlsafe(50),
        "PEEKA_DATA_DIR": str(tmp_path),
        "PEEKA_ALLOWED_HOSTS": "peeka.example.org",
    }
    done = _settings_process(
        env,
        "import django; django.setup(); from django.core.management import call_command;"
        "call_command('check', deploy=True, fail_level='WARNING')",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
    done = _settings_process(
        env,
        "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.DEBUG)",
    )
    assert done.stdout.split() == ["True", "True", "31536000", "False"]


def test_a_step_up_gives_a_new_session_key(alice: User) -> None:
    client = logged_in(alice)
    before = client.session.session_key
    client.post("/accounts/step-up/", {"password": PASSWORD, "next": "/"})
    assert client.session.session_key != before
    assert Client().get("/").status_code == 200
