"""Settings from the environment fail loudly: a value the helpers cannot read stops startup
with ImproperlyConfigured naming the variable, instead of being read as a default."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from peeka.web import settings as product

ROOT = Path(__file__).resolve().parents[2]


def _load_settings(
    tmp_path: Path, env: dict[str, str], code: str = ""
) -> subprocess.CompletedProcess[str]:
    """Import the product settings in a fresh process with only `env` configured."""
    # Whatever Peeka variables this run has (CI sets DATABASE_URL and REDIS_URL) would mix in.
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PEEKA_")
        and key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    full = {
        **inherited,
        "PEEKA_DATA_DIR": str(tmp_path / "data"),
        "PEEKA_KEY_DIR": str(tmp_path / "keys"),
        "PEEKA_SECRET_KEY": "x",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", f"import peeka.web.settings as s\n{code}"],
        env=full,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def _assert_refused(done: subprocess.CompletedProcess[str], name: str) -> None:
    assert done.returncode != 0, done.stdout
    assert "ImproperlyConfigured" in done.stderr, done.stderr
    assert name in done.stderr.splitlines()[-1], done.stderr


@pytest.mark.parametrize(("name", "value"), [("PEEKA_LIVENESS", "maybe"), ("PEEKA_HTTPS", "2")])
def test_a_mistyped_flag_stops_startup_naming_the_variable(
    tmp_path: Path, name: str, value: str
) -> None:
    done = _load_settings(tmp_path, {name: value})
    _assert_refused(done, name)
    assert f"{name}={value!r} is not a yes/no value: use 1/0, true/false" in done.stderr


@pytest.mark.parametrize("value", ["ten", "0"])
def test_a_retention_that_is_not_a_positive_whole_number_stops_startup(
    tmp_path: Path, value: str
) -> None:
    done = _load_settings(tmp_path, {"PEEKA_AUDIT_RETENTION_DAYS": value})
    _assert_refused(done, "PEEKA_AUDIT_RETENTION_DAYS")
    assert repr(value) in done.stderr


@pytest.mark.parametrize(
    ("name", "value", "accepted"),
    [("PEEKA_REGISTRATION", "closed", "open or admin"), ("PEEKA_SCHEME", "rsa", "ckks or iom")],
)
def test_an_unknown_choice_stops_startup_listing_the_choices(
    tmp_path: Path, name: str, value: str, accepted: str
) -> None:
    done = _load_settings(tmp_path, {name: value})
    _assert_refused(done, name)
    assert accepted in done.stderr


def test_an_unknown_database_scheme_stops_startup_without_showing_the_password(
    tmp_path: Path,
) -> None:
    done = _load_settings(tmp_path, {"DATABASE_URL": "nosuch://peeka:hunter2@db/peeka"})
    _assert_refused(done, "DATABASE_URL")
    assert "nosuch://peeka:***@db/peeka" in done.stderr
    assert "hunter2" not in done.stderr


def test_a_secret_file_that_cannot_be_read_stops_startup(tmp_path: Path) -> None:
    done = _load_settings(tmp_path, {"PEEKA_SECRET_KEY_FILE": "/nonexistent"})
    _assert_refused(done, "PEEKA_SECRET_KEY_FILE")
    assert "'/nonexistent' cannot be read" in done.stderr


def test_an_empty_secret_file_stops_startup_instead_of_falling_back(tmp_path: Path) -> None:
    """An unfilled DATABASE_URL_FILE must not quietly mean the local SQLite file."""
    empty = tmp_path / "database_url"
    empty.write_text("\n")
    done = _load_settings(tmp_path, {"DATABASE_URL_FILE": str(empty)})
    _assert_refused(done, "DATABASE_URL_FILE")
    assert "is empty" in done.stderr


def test_an_invalid_trusted_proxy_stops_startup(tmp_path: Path) -> None:
    done = _load_settings(tmp_path, {"PEEKA_TRUSTED_PROXIES": "127.0.0.1,proxy.lan"})
    _assert_refused(done, "PEEKA_TRUSTED_PROXIES")
    assert "proxy.lan" in done.stderr


def test_accepted_spellings_are_read_in_any_case_and_spacing(tmp_path: Path) -> None:
    env = {
        "PEEKA_LIVENESS": " Off ",
        "PEEKA_FACE_ONLY_LOGIN": "YES",
        "PEEKA_REGISTRATION": " Admin ",
        "PEEKA_SCHEME": "IOM",
        "PEEKA_AUDIT_RETENTION_DAYS": " 30 ",
        "PEEKA_ALLOWED_HOSTS": "peeka.example.org, ,localhost,",
    }
    code = (
        "print(s.PEEKA_LIVENESS, s.PEEKA_FACE_ONLY_LOGIN, s.PEEKA_REGISTRATION, s.PEEKA_SCHEME,"
        " s.PEEKA_AUDIT_RETENTION_DAYS, ','.join(s.ALLOWED_HOSTS))"
    )
    done = _load_settings(tmp_path, env, code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        "False",
        "True",
        "admin",
        "iom",
        "30",
        "peeka.example.org,localhost",
    ]
    done = _load_settings(tmp_path, {"PEEKA_LIVENESS": "YES"}, "print(s.PEEKA_LIVENESS)")
    assert done.stdout.split() == ["True"], done.stderr


def test_unset_variables_keep_the_documented_defaults(tmp_path: Path) -> None:
    code = (
        "print(s.DEBUG, s.HTTPS, s.PEEKA_LIVENESS, s.PEEKA_FACE_ONLY_LOGIN, s.PEEKA_REGISTRATION,"
        " s.PEEKA_SCHEME, s.PEEKA_AUDIT_RETENTION_DAYS, ','.join(s.ALLOWED_HOSTS),"
        " s.CSRF_TRUSTED_ORIGINS, s.PEEKA_TRUSTED_PROXIES, s.REDIS_URL, s.STATIC_ROOT)"
    )
    done = _load_settings(tmp_path, {}, code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        "False", "False", "True", "False", "open", "ckks", "365", "127.0.0.1,localhost",
        "[]", "[]", "None", "None",
    ]  # fmt: skip


def test_https_redirects_by_default_and_the_redirect_can_be_left_to_the_proxy(
    tmp_path: Path,
) -> None:
    code = "print(s.SECURE_SSL_REDIRECT, s.PEEKA_SSL_REDIRECT, s.SECURE_HSTS_PRELOAD)"
    done = _load_settings(tmp_path, {"PEEKA_HTTPS": "1"}, code)
    assert done.stdout.split() == ["True", "True", "False"], done.stderr
    done = _load_settings(tmp_path, {"PEEKA_HTTPS": "on", "PEEKA_SSL_REDIRECT": "0"}, code)
    assert done.stdout.split() == ["False", "False", "False"], done.stderr
    # Without HTTPS the redirect is off unless asked for, which checks.py then warns about.
    done = _load_settings(tmp_path, {}, "print(s.PEEKA_SSL_REDIRECT)")
    assert done.stdout.split() == ["False"], done.stderr


# The helpers themselves, in this process: the edges the subprocess cases do not reach.


def test_an_empty_or_blank_variable_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEEKA_T_FLAG", "  ")
    monkeypatch.setenv("PEEKA_T_NUMBER", "")
    assert product.env_bool("PEEKA_T_FLAG", True) is True
    assert product.env_int("PEEKA_T_NUMBER", 7, minimum=1) == 7
    assert product.env_choice("PEEKA_T_FLAG", "open", ("open", "admin")) == "open"
    assert product.env_list("PEEKA_T_FLAG") == []
    assert product.env_list("PEEKA_T_UNSET", ["a"]) == ["a"]


@pytest.mark.parametrize("value", ["1_000", "3.5", "0x10", "١٢"])
def test_only_plain_digits_are_a_whole_number(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("PEEKA_T_NUMBER", value)
    with pytest.raises(ImproperlyConfigured, match=r"PEEKA_T_NUMBER=.* is not a whole number"):
        product.env_int("PEEKA_T_NUMBER", 1)


def test_a_number_above_the_maximum_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEEKA_T_NUMBER", "11")
    with pytest.raises(ImproperlyConfigured, match="at most 10"):
        product.env_int("PEEKA_T_NUMBER", 1, maximum=10)
    monkeypatch.setenv("PEEKA_T_NUMBER", "-2")
    assert product.env_int("PEEKA_T_NUMBER", 1, minimum=-5) == -2


def test_a_secret_file_wins_over_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    monkeypatch.setenv("PEEKA_T_SECRET", "from-variable")
    assert product._env("PEEKA_T_SECRET") == "from-variable"
    monkeypatch.setenv("PEEKA_T_SECRET_FILE", str(secret))
    assert product._env("PEEKA_T_SECRET") == "from-file"
