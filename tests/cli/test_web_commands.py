"""The web commands: migrate, user create, apikey create, and serve's TLS certificate."""

from __future__ import annotations

import io
import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

from peeka.accounts.models import User
from peeka.api.models import ApiClient, hash_key
from peeka.cli import main
from peeka.cli.web import _self_signed, ensure_admin, https_environment
from peeka.faces.models import FaceTemplate


@pytest.mark.django_db
def test_migrate_reports_an_up_to_date_database(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"migrated": True}


@pytest.mark.django_db
def test_user_create_reads_the_password_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough passphrase\n"))
    assert main(["user", "create", "erin", "--password-stdin", "--json"]) == 0
    assert User.objects.get(username="erin").check_password("a long enough passphrase")
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough passphrase\n"))
    assert main(["user", "create", "erin", "--password-stdin"]) == 2
    assert "[user_exists]" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("123\n"))
    assert main(["user", "create", "frank", "--password-stdin"]) == 2
    assert "[password_invalid]" in capsys.readouterr().err
    assert main(["user", "create", "frank"]) == 2
    assert not User.objects.filter(username="frank").exists()


@pytest.mark.django_db
def test_apikey_create_prints_the_key_once_and_stores_only_its_hash(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["apikey", "create", "shop", "--json"]) == 0
    key = json.loads(capsys.readouterr().out)["key"]
    client = ApiClient.objects.get(name="shop")
    assert client.key_hash == hash_key(key) and key not in client.key_hash
    assert main(["apikey", "create", "shop"]) == 2


@pytest.mark.django_db
def test_templates_status_counts_templates_per_model_and_those_to_renew(
    capsys: pytest.CaptureFixture[str],
) -> None:
    alice = User.objects.create_user("alice")
    bob = User.objects.create_user("bob")
    for user, model in ((alice, "dlib_resnet_v1"), (bob, "sface_2021dec_int8bq")):
        FaceTemplate.objects.create(
            user=user, scheme="iom", model=model, key_id="k", data=b"x", frames_used=3
        )
    assert main(["templates", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["model"] == "sface_2021dec_int8bq"
    assert (status["total"], status["must_renew"]) == (2, 1)
    assert [(t["model"], t["templates"], t["current"]) for t in status["templates"]] == [
        ("dlib_resnet_v1", 1, False),
        ("sface_2021dec_int8bq", 1, True),
    ]
    assert main(["templates", "status"]) == 0
    assert "1 on an older model" in capsys.readouterr().out


@pytest.mark.django_db
def test_an_admin_exists_after_first_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PEEKA_ADMIN_PASSWORD", raising=False)
    password = ensure_admin()
    assert password and User.objects.get(username="admin").check_password(password)
    assert ensure_admin() is None  # once only
    User.objects.all().delete()
    monkeypatch.setenv("PEEKA_ADMIN_PASSWORD", "from the environment 1")
    assert ensure_admin() is None
    assert User.objects.get(username="admin").check_password("from the environment 1")


def test_https_makes_a_self_signed_certificate_once(tmp_path: Path) -> None:
    cert_path, key_path = _self_signed(tmp_path / "tls")
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    before = cert_path.read_bytes()
    assert _self_signed(tmp_path / "tls") == (cert_path, key_path)
    assert cert_path.read_bytes() == before


def test_serve_refuses_to_start_with_an_open_key_folder(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    keys.chmod(0o777)
    env = {
        **os.environ,
        "PEEKA_DATA_DIR": str(tmp_path),
        "PEEKA_KEY_DIR": str(keys),
        "PEEKA_SECRET_KEY": "x",
        "DJANGO_SETTINGS_MODULE": "peeka.web.settings",
    }
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "peeka.cli", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "peeka.E001" in done.stderr and str(keys) in done.stderr
    assert not (tmp_path / "peeka.sqlite3").exists()  # stopped before migrating


def test_serve_says_so_when_its_port_is_taken(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PEEKA_DATA_DIR": str(tmp_path),
        "PEEKA_KEY_DIR": str(tmp_path / "keys"),
        "PEEKA_SECRET_KEY": "x",
        "DJANGO_SETTINGS_MODULE": "peeka.web.settings",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "peeka.cli", "serve", "--port", str(port), "--workers", "1"],
            env=env, capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Peeka is serving" not in done.stdout and "Traceback" not in done.stderr


def test_https_serving_sets_secure_cookies_and_hsts(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PEEKA_DATA_DIR": str(tmp_path),
        "PEEKA_KEY_DIR": str(tmp_path / "keys"),
        "PEEKA_SECRET_KEY": "x",
        **https_environment({}, ["peeka.lan", "192.0.2.7"]),
    }
    code = (
        "from peeka.web import settings as s; print(s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.ALLOWED_HOSTS)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split(" ", 4)[:4] == ["True", "True", "31536000", "False"]
    assert "'peeka.lan', '192.0.2.7'" in done.stdout
