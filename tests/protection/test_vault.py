"""Tests for peeka.protection.vault: private files and folders, rotation that keeps old keys
readable, AES-GCM wrapping bound to a context, MACs, the frozen clock and first-use races."""

from __future__ import annotations

import multiprocessing
import stat
import threading
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Barrier
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from peeka.errors import PeekaError
from peeka.protection.vault import (
    InsecureVaultError,
    KeyVault,
    TemplateIntegrityError,
    UnknownKeyError,
    UnwrapError,
    VaultError,
    default_key_dir,
)

SEED = bytes(range(32))
CONTEXT = b"user:42/iom-seed"
T0 = datetime(2025, 3, 4, 5, 6, 7, 123456, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime = T0) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _vault_dir(tmp_path: Path) -> Path:
    return tmp_path / "state" / "keys"


def test_first_use_creates_a_0700_directory_and_0600_files(tmp_path: Path) -> None:
    directory = _vault_dir(tmp_path)
    vault = KeyVault(directory)
    assert not directory.exists()  # nothing happens until first use

    key_id = vault.active_key_id("wrap")

    assert _mode(directory) == 0o700
    assert _mode(directory / "keys") == 0o700
    files = [path for path in directory.rglob("*") if path.is_file()]
    assert {path.name for path in files} == {"vault.json", ".lock", f"{key_id}.key"}
    assert all(_mode(path) == 0o600 for path in files)
    assert (directory / "keys" / f"{key_id}.key").read_bytes() == vault.key(key_id)
    assert len(vault.key(key_id)) == 32


def test_metadata_holds_no_key_bytes(tmp_path: Path) -> None:
    vault = KeyVault(tmp_path / "v")
    key = vault.key(vault.active_key_id("mac"))
    metadata = (tmp_path / "v" / "vault.json").read_bytes()
    assert key not in metadata
    assert key.hex().encode() not in metadata


def test_it_refuses_a_group_readable_key_file(tmp_path: Path) -> None:
    directory = tmp_path / "v"
    key_id = KeyVault(directory).active_key_id("wrap")
    wrapped = KeyVault(directory).wrap(SEED, context=CONTEXT)
    (directory / "keys" / f"{key_id}.key").chmod(0o644)

    with pytest.raises(InsecureVaultError, match=r"mode 0644.*chmod 600") as caught:
        KeyVault(directory).unwrap(wrapped, context=CONTEXT)
    assert caught.value.code == "vault_insecure"
    with pytest.raises(InsecureVaultError):
        KeyVault(directory).key(key_id)


def test_it_refuses_a_world_readable_directory(tmp_path: Path) -> None:
    directory = tmp_path / "v"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)

    with pytest.raises(InsecureVaultError, match=r"mode 0755.*chmod 700") as caught:
        KeyVault(directory).active_key_id("wrap")
    assert isinstance(caught.value, VaultError)
    assert not (directory / "keys").exists()


def test_it_refuses_readable_metadata(tmp_path: Path) -> None:
    directory = tmp_path / "v"
    KeyVault(directory).active_key_id("wrap")
    (directory / "vault.json").chmod(0o640)
    with pytest.raises(InsecureVaultError, match=r"vault\.json"):
        KeyVault(directory).status()


def test_the_active_key_is_stable_across_instances(tmp_path: Path) -> None:
    first = KeyVault(tmp_path / "v")
    wrap_id = first.active_key_id("wrap")
    mac_id = first.active_key_id("mac")
    second = KeyVault(tmp_path / "v")

    assert second.active_key_id("wrap") == wrap_id
    assert second.active_key_id("mac") == mac_id
    assert wrap_id != mac_id
    assert second.key(wrap_id) == first.key(wrap_id)
    assert len(wrap_id) == 16 and int(wrap_id, 16) >= 0


def test_wrap_round_trip(tmp_path: Path) -> None:
    vault = KeyVault(tmp_path / "v")
    wrapped = vault.wrap(SEED, context=CONTEXT)

    assert SEED not in wrapped
    assert vault.unwrap(wrapped, context=CONTEXT) == SEED
    assert KeyVault(tmp_path / "v").unwrap(wrapped, context=CONTEXT) == SEED
    # A fresh nonce each time: wrapping twice never gives the same bytes.
    assert vault.wrap(SEED, context=CONTEXT) != wrapped
    assert vault.unwrap(vault.wrap(b"", context=CONTEXT), context=CONTEXT) == b""


def test_secrets_are_kept_wrapped_in_private_files_bound_to_their_name(tmp_path: Path) -> None:
    vault = KeyVault(tmp_path / "v")
    assert vault.get_secret("ckks-key") is None and vault.secret_names() == []
    vault.put_secret("ckks-key", SEED * 100)
    vault.put_secret("other", b"x")
    path = tmp_path / "v" / "secrets" / "ckks-key"
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
    assert SEED not in path.read_bytes()
    assert KeyVault(tmp_path / "v").get_secret("ckks-key") == SEED * 100
    assert vault.secret_names() == ["ckks-key", "other"]
    # A file moved to another name does not unwrap there.
    (tmp_path / "v" / "secrets" / "other").write_bytes(path.read_bytes())
    with pytest.raises(UnwrapError):
        vault.get_secret("other")
    vault.delete_secret("ckks-key")
    vault.delete_secret("ckks-key")
    assert vault.get_secret("ckks-key") is None
    for name in ("", "../keys/x", "UPPER", "a" * 65, ".hidden"):
        with pytest.raises(ValueError, match="secret names"):
            vault.put_secret(name, b"x")


def test_unwrap_rejects_another_context(tmp_path: Path) -> None:
    vault = KeyVault(tmp_path / "v")
    wrapped = vault.wrap(SEED, context=CONTEXT)
    with pytest.raises(UnwrapError, match="another context") as caught:
        vault.unwrap(wrapped, context=b"user:43/iom-seed")
    assert caught.value.code == "unwrap_failed"


def test_unwrap_rejects_every_flipped_byte_and_truncation(tmp_path: Path) -> None:
    vault = KeyVault(tmp_path / "v")
    wrapped = vault.wrap(SEED, context=CONTEXT)

    for index in range(len(wrapped)):
        altered = bytearray(wrapped)
        altered[index] ^= 0x01
        with pytest.raises(VaultError):  # UnwrapError, or UnknownKeyError for the key id bytes
            vault.unwrap(bytes(altered), context=CONTEXT)
    for length in range(len(wrapped)):
        with pytest.raises(UnwrapError):
            vault.unwrap(wrapped[:length], context=CONTEXT)


def test_unwrap_of_a_value_from_another_vault_names_the_key_and_directory(tmp_path: Path) -> None:
    other = KeyVault(tmp_path / "other")
    wrapped = other.wrap(SEED, context=CONTEXT)
    other_id = other.active_key_id("wrap")
    vault = KeyVault(tmp_path / "v")

    with pytest.raises(UnknownKeyError, match=other_id) as caught:
        vault.unwrap(wrapped, context=CONTEXT)
    assert str(tmp_path / "v") in str(caught.value)
    assert caught.value.code == "key_unknown"
    with pytest.raises(UnknownKeyError, match=other_id):
        vault.key(other_id)


def test_key_ids_cannot_reach_outside_the_vault(tmp_path: Path) -> None:
    vault = KeyVault(tmp_path / "v")
    vault.active_key_id("mac")
    for bad in ("../../etc/passwd", "", "ABCDEF0123456789", "0" * 17):
        with pytest.raises(UnknownKeyError):
            vault.key(bad)


def test_keys_are_kept_to_their_purpose(tmp_path: Path) -> None:
    vault = KeyVault(tmp_path / "v")
    mac_id = vault.active_key_id("mac")
    wrap_id = vault.active_key_id("wrap")
    with pytest.raises(UnknownKeyError, match="is a 'wrap' key, not a 'mac' key"):
        vault.mac(b"data", key_id=wrap_id)
    with pytest.raises(UnknownKeyError):
        vault.verify_mac(wrap_id, b"data", vault.mac(b"data")[1])
    assert vault.mac(b"data")[0] == mac_id


def test_rotation_keeps_old_keys_usable(tmp_path: Path) -> None:
    clock = Clock()
    vault = KeyVault(tmp_path / "v", now=clock)
    old_wrap = vault.active_key_id("wrap")
    old_mac, old_tag = vault.mac(b"template")
    wrapped = vault.wrap(SEED, context=CONTEXT)

    clock.current = T0 + timedelta(days=30)
    new_wrap = vault.rotate("wrap")
    new_mac = vault.rotate("mac")

    assert new_wrap != old_wrap and new_mac != old_mac
    fresh = KeyVault(tmp_path / "v")
    assert fresh.active_key_id("wrap") == new_wrap
    assert fresh.active_key_id("mac") == new_mac
    assert fresh.unwrap(wrapped, context=CONTEXT) == SEED
    fresh.verify_mac(old_mac, b"template", old_tag)
    assert fresh.wrap(SEED, context=CONTEXT)[4:12].hex() == new_wrap
    key_id, tag = fresh.mac(b"template")
    assert key_id == new_mac and tag != old_tag
    fresh.verify_mac(new_mac, b"template", tag)


def test_status_lists_both_keys_with_exact_times(tmp_path: Path) -> None:
    clock = Clock()
    vault = KeyVault(tmp_path / "v", now=clock)
    first = vault.active_key_id("wrap")
    clock.current = T0 + timedelta(hours=1)
    second = vault.rotate("wrap")

    infos = {info.id: info for info in KeyVault(tmp_path / "v").status()}
    assert list(infos) == [first, second]
    assert infos[first].purpose == infos[second].purpose == "wrap"
    assert infos[first].status == "retired"
    assert infos[first].created == T0
    assert infos[first].retired == T0 + timedelta(hours=1)
    assert infos[second].status == "active"
    assert infos[second].created == T0 + timedelta(hours=1)
    assert infos[second].retired is None


def test_clock_timezones_are_normalised_and_naive_clocks_refused(tmp_path: Path) -> None:
    paris = datetime(2025, 1, 1, 12, 0, tzinfo=UTC).astimezone(ZoneInfo("Europe/Paris"))
    vault = KeyVault(tmp_path / "v", now=lambda: paris)
    vault.active_key_id("mac")
    assert vault.status()[0].created == datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert vault.status()[0].created.tzinfo == UTC

    naive = KeyVault(tmp_path / "w", now=lambda: datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="aware"):
        naive.active_key_id("mac")
    assert not any((tmp_path / "w" / "keys").iterdir())  # no orphan key file


def test_verify_mac_rejects_a_wrong_tag(tmp_path: Path) -> None:
    vault = KeyVault(tmp_path / "v")
    key_id, tag = vault.mac(b"template")
    vault.verify_mac(key_id, b"template", tag)
    for data, bad in [
        (b"template!", tag),
        (b"template", bytes([tag[0] ^ 1]) + tag[1:]),
        (b"template", tag[:-1]),
        (b"template", b""),
    ]:
        with pytest.raises(TemplateIntegrityError) as caught:
            vault.verify_mac(key_id, data, bad)
        assert caught.value.code == "template_tampered"


def test_unknown_purposes_and_empty_contexts_are_refused(tmp_path: Path) -> None:
    vault = KeyVault(tmp_path / "v")
    with pytest.raises(ValueError, match="purpose"):
        vault.active_key_id("sign")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="context"):
        vault.wrap(SEED, context=b"")


def test_corrupt_metadata_says_to_restore_it(tmp_path: Path) -> None:
    vault = KeyVault(tmp_path / "v")
    vault.active_key_id("wrap")
    (tmp_path / "v" / "vault.json").write_text("{not json")
    with pytest.raises(VaultError, match=r"corrupt.*backup"):
        KeyVault(tmp_path / "v").status()


def test_default_directory_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEEKA_KEY_DIR", str(tmp_path / "env-keys"))
    assert default_key_dir() == tmp_path / "env-keys"
    vault = KeyVault()
    assert vault.directory == tmp_path / "env-keys"
    vault.active_key_id("mac")
    assert (tmp_path / "env-keys" / "vault.json").is_file()

    monkeypatch.setenv("PEEKA_KEY_DIR", " ")
    with pytest.raises(VaultError, match="PEEKA_KEY_DIR is set but empty"):
        default_key_dir()
    monkeypatch.delenv("PEEKA_KEY_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_key_dir() == tmp_path / "home" / ".local" / "share" / "peeka" / "keys"


def test_racing_threads_end_with_one_active_key(tmp_path: Path) -> None:
    directory = tmp_path / "v"
    count = 8
    barrier = threading.Barrier(count)
    results: list[str] = []

    def first_use() -> None:
        vault = KeyVault(directory)
        barrier.wait()
        results.append(vault.active_key_id("wrap"))

    threads = [threading.Thread(target=first_use) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == count and len(set(results)) == 1
    assert [info.id for info in KeyVault(directory).status()] == results[:1]
    assert len(list((directory / "keys").iterdir())) == 1


def _race_in_process(directory: str, barrier: Barrier, queue: multiprocessing.Queue[str]) -> None:
    vault = KeyVault(Path(directory))
    barrier.wait()
    queue.put(vault.active_key_id("mac"))


def test_racing_processes_end_with_one_active_key(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    count = 3
    barrier = context.Barrier(count)
    queue: multiprocessing.Queue[str] = context.Queue()
    processes = [
        context.Process(target=_race_in_process, args=(str(tmp_path / "v"), barrier, queue))
        for _ in range(count)
    ]
    for process in processes:
        process.start()
    results = [queue.get(timeout=30) for _ in range(count)]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0

    assert len(set(results)) == 1
    assert [info.id for info in KeyVault(tmp_path / "v").status()] == results[:1]


def test_errors_are_peeka_errors() -> None:
    for error in (VaultError, InsecureVaultError, UnknownKeyError, UnwrapError):
        assert issubclass(error, VaultError)
    assert issubclass(TemplateIntegrityError, PeekaError)
    assert not issubclass(TemplateIntegrityError, VaultError)


def test_a_secret_kept_under_the_lock_in_a_fresh_vault_does_not_wait_for_itself(
    tmp_path: Path,
) -> None:
    """`lock()` around `put_secret` (a shared seed made once, `peeka.protection.gallery`) in a
    vault without a "wrap" key yet: making that key takes the lock again in the same thread.
    Before the lock was re-entrant this waited forever (a CI run hung on it)."""
    vault = KeyVault(tmp_path / "v")
    done = threading.Event()

    def keep() -> None:
        with vault.lock():
            vault.put_secret("iom-seed", b"s" * 32)
        done.set()

    worker = threading.Thread(target=keep, daemon=True)
    worker.start()
    assert done.wait(10), "put_secret under lock() waited for its own lock"
    assert vault.get_secret("iom-seed") == b"s" * 32


def test_the_lock_still_keeps_other_threads_out(tmp_path: Path) -> None:
    vault = KeyVault(tmp_path / "v")
    inside = threading.Event()
    entered: list[str] = []

    def other() -> None:
        with vault.lock():
            entered.append("other")

    with vault.lock():
        worker = threading.Thread(target=other, daemon=True)
        worker.start()
        inside.wait(0.3)  # the other thread has had time to try
        assert entered == []
    worker.join(5)
    assert entered == ["other"]
