"""Peeka's system checks: each trips on the misconfiguration it names, with its id, and stays
quiet on a sound configuration."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from django.core.checks import CheckMessage, run_checks
from django.test import override_settings
from pytest_django.fixtures import Settings as SettingsWrapper

from peeka.biometrics import calibration
from peeka.web import checks


def _ids(messages: list[CheckMessage]) -> list[str]:
    return sorted(str(m.id) for m in messages)


# --- key vault --------------------------------------------------------------------------------


@pytest.fixture
def vault_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A vault laid out as KeyVault makes it: folders 0700, files 0600."""
    directory = tmp_path / "keys"
    for folder in (directory, directory / "keys", directory / "secrets"):
        folder.mkdir()
        folder.chmod(0o700)
    for file in (directory / "vault.json", directory / "keys" / "0123456789abcdef.key"):
        file.write_bytes(b"k")
        file.chmod(0o600)
    monkeypatch.setenv("PEEKA_KEY_DIR", str(directory))
    return directory


def test_a_private_vault_passes(vault_dir: Path) -> None:
    assert checks.check_key_vault(None) == []


def test_a_vault_not_made_yet_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEEKA_KEY_DIR", str(tmp_path / "not-yet"))
    assert checks.check_key_vault(None) == []
    assert not (tmp_path / "not-yet").exists()  # the check creates nothing


def test_a_vault_folder_others_can_enter_is_an_error(vault_dir: Path) -> None:
    vault_dir.chmod(0o755)
    messages = checks.check_key_vault(None)
    assert _ids(messages) == ["peeka.E001"]
    assert f"{vault_dir} (mode 0755)" in messages[0].msg
    assert messages[0].hint is not None and f"chmod -R go= {vault_dir}" in messages[0].hint


def test_a_key_file_others_can_read_is_an_error(vault_dir: Path) -> None:
    key = vault_dir / "keys" / "0123456789abcdef.key"
    key.chmod(0o644)
    (vault_dir / "secrets").chmod(0o770)
    messages = checks.check_key_vault(None)
    assert _ids(messages) == ["peeka.E001"]
    assert f"{key} (mode 0644)" in messages[0].msg
    assert f"{vault_dir / 'secrets'} (mode 0770)" in messages[0].msg


def test_a_symlink_in_the_vault_is_not_taken_for_an_open_file(vault_dir: Path) -> None:
    (vault_dir / "link").symlink_to(vault_dir / "vault.json")
    assert checks.check_key_vault(None) == []


def test_an_unusable_vault_location_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEEKA_KEY_DIR", "")
    assert _ids(checks.check_key_vault(None)) == ["peeka.E002"]
    file = tmp_path / "keys"
    file.write_text("")
    monkeypatch.setenv("PEEKA_KEY_DIR", str(file))
    assert _ids(checks.check_key_vault(None)) == ["peeka.E002"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_a_vault_this_user_cannot_read_is_a_warning(vault_dir: Path) -> None:
    (vault_dir / "keys").chmod(0o000)
    try:
        assert _ids(checks.check_key_vault(None)) == ["peeka.W005"]
    finally:
        (vault_dir / "keys").chmod(0o700)


# --- HTTPS ------------------------------------------------------------------------------------


@override_settings(HTTPS=True, DEBUG=False, PEEKA_SSL_REDIRECT=True, PEEKA_HSTS_PRELOAD=True)
def test_https_with_its_options_passes() -> None:
    assert checks.check_https(None) == []


@override_settings(HTTPS=False, DEBUG=True, PEEKA_SSL_REDIRECT=False, PEEKA_HSTS_PRELOAD=False)
def test_plain_http_on_this_machine_passes() -> None:
    assert checks.check_https(None) == []


@override_settings(HTTPS=False, PEEKA_SSL_REDIRECT=True, PEEKA_HSTS_PRELOAD=True)
def test_https_options_without_https_are_warned_about() -> None:
    messages = checks.check_https(None)
    assert _ids(messages) == ["peeka.W001", "peeka.W002"]
    assert all("PEEKA_HTTPS is off" in m.msg for m in messages)


@override_settings(HTTPS=True, DEBUG=True)
def test_debug_pages_behind_https_are_warned_about() -> None:
    assert _ids(checks.check_https(None)) == ["peeka.W003"]


def _deploy_ids() -> list[str]:
    return _ids(run_checks(tags=["peeka"], include_deployment_checks=True))


@override_settings(HTTPS=False, ALLOWED_HOSTS=["peeka.example.org", "127.0.0.1"])
def test_a_network_host_name_without_https_is_warned_about_at_deploy() -> None:
    messages = checks.check_plain_http_hosts(None)
    assert _ids(messages) == ["peeka.W004"]
    assert "'peeka.example.org'" in messages[0].msg and "127.0.0.1" not in messages[0].msg
    assert "peeka.W004" in _deploy_ids()
    # A deploy-only check: plain `check` leaves a development setup alone.
    assert "peeka.W004" not in _ids(run_checks(tags=["peeka"]))


@override_settings(HTTPS=False, ALLOWED_HOSTS=["localhost", "127.0.0.2", "[::1]", "app.localhost"])
def test_host_names_of_this_machine_without_https_pass() -> None:
    assert checks.check_plain_http_hosts(None) == []
    assert "peeka.W004" not in _deploy_ids()


@override_settings(HTTPS=True, ALLOWED_HOSTS=["*"])
def test_network_host_names_behind_https_pass() -> None:
    assert checks.check_plain_http_hosts(None) == []


# --- calibration ------------------------------------------------------------------------------


def _calibration_file(tmp_path: Path, change: str) -> Path:
    document = json.loads(calibration.PACKAGED.read_text(encoding="utf-8"))
    if change == "no model":
        document["models"] = {}
    elif change == "sface only":
        document["models"] = {"sface_2021dec_int8bq": document["models"]["sface_2021dec_int8bq"]}
    elif change == "no schemes":
        document["schemes"] = {}
    elif change == "no ndb center":
        for schemes in document["schemes"].values():
            schemes["ndb"]["center"] = None
    elif change == "no 1:N threshold":  # as written before identification was calibrated
        for entry in document["models"].values():
            for key in ("identify_threshold", "identify_far", "identify_tar"):
                del entry[key]
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_the_configured_face_model_is_the_one_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: SettingsWrapper
) -> None:
    monkeypatch.setenv("PEEKA_CALIBRATION", str(_calibration_file(tmp_path, "sface only")))
    assert checks.check_calibration(None) == []
    settings.PEEKA_EMBEDDER = "dlib"
    messages = checks.check_calibration(None)
    assert _ids(messages) == ["peeka.E003"] and "'dlib_resnet_v1'" in messages[0].msg


def test_the_packaged_calibration_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PEEKA_CALIBRATION", raising=False)
    assert checks.check_calibration(None) == []


def test_a_calibration_without_the_model_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEEKA_CALIBRATION", str(_calibration_file(tmp_path, "no model")))
    messages = checks.check_calibration(None)
    assert _ids(messages) == ["peeka.E003"]
    assert "'sface_2021dec_int8bq'" in messages[0].msg
    assert messages[0].hint is not None and "peeka calibrate" in messages[0].hint


def test_a_calibration_without_the_identification_threshold_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEEKA_CALIBRATION", str(_calibration_file(tmp_path, "no 1:N threshold")))
    messages = checks.check_calibration(None)
    assert _ids(messages) == ["peeka.E003"] and "identification (1:N)" in messages[0].msg


def test_a_calibration_without_the_scheme_thresholds_is_an_error_per_scheme(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEEKA_CALIBRATION", str(_calibration_file(tmp_path, "no schemes")))
    messages = checks.check_calibration(None)
    assert _ids(messages) == ["peeka.E003", "peeka.E003"]
    assert "'iom'" in messages[0].msg and "'ndb'" in messages[1].msg
    monkeypatch.setenv("PEEKA_CALIBRATION", str(_calibration_file(tmp_path, "no ndb center")))
    messages = checks.check_calibration(None)
    assert _ids(messages) == ["peeka.E003"] and "no center" in messages[0].msg


def test_a_missing_calibration_file_is_one_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEEKA_CALIBRATION", str(tmp_path / "nowhere.json"))
    messages = checks.check_calibration(None)
    assert _ids(messages) == ["peeka.E003"]
    assert "does not exist" in messages[0].msg


# --- Redis ------------------------------------------------------------------------------------


@override_settings(REDIS_URL=None)
def test_no_redis_configured_passes() -> None:
    assert checks.check_redis(None) == []


@override_settings(REDIS_URL="redis://:hunter2@127.0.0.1:1/0")
def test_an_unreachable_redis_is_an_error_found_fast_without_the_password() -> None:
    started = time.monotonic()
    messages = checks.check_redis(None)
    assert time.monotonic() - started < 3
    assert _ids(messages) == ["peeka.E004"]
    assert "redis://:***@127.0.0.1:1/0" in messages[0].msg
    assert "hunter2" not in messages[0].msg + str(messages[0].hint)


@override_settings(REDIS_URL="http://127.0.0.1:1/")
def test_a_redis_url_of_another_scheme_is_an_error() -> None:
    assert _ids(checks.check_redis(None)) == ["peeka.E004"]


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a live Redis in REDIS_URL")
def test_the_configured_redis_passes() -> None:
    with override_settings(REDIS_URL=os.environ["REDIS_URL"]):
        assert checks.check_redis(None) == []


def test_every_check_is_registered_under_the_peeka_tag(vault_dir: Path) -> None:
    """Through Django's registry, as `manage.py check --deploy` runs them."""
    with override_settings(HTTPS=False, PEEKA_HSTS_PRELOAD=True, ALLOWED_HOSTS=["peeka.lan"]):
        assert _deploy_ids() == ["peeka.W002", "peeka.W004"]
    vault_dir.chmod(0o750)
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        assert _ids(run_checks(tags=["peeka"])) == ["peeka.E001", "peeka.E004"]
