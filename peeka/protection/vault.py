"""The key vault: named, rotatable symmetric keys kept in private files outside the database,
used to wrap per-user seeds (AES-256-GCM) and to authenticate stored templates (HMAC-SHA256)."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from peeka.errors import PeekaError

Purpose = Literal["wrap", "mac"]
Status = Literal["active", "retired"]

PURPOSES: tuple[str, ...] = get_args(Purpose)
ENV_KEY_DIR = "PEEKA_KEY_DIR"
DEFAULT_KEY_DIR = Path("~/.local/share/peeka/keys")

KEY_BYTES = 32
TAG_BYTES = hashlib.sha256().digest_size
# Key ids are 8 random bytes, written as 16 hex digits; they say nothing about the key.
_KEY_ID_BYTES = 8
_KEY_ID = re.compile(r"[0-9a-f]{16}")
_METADATA_FORMAT = 1
# A wrapped value is _WRAP_MAGIC | key id (8 raw bytes) | nonce | AES-GCM ciphertext and tag.
_WRAP_MAGIC = b"PKW1"
_NONCE_BYTES = 12
_GCM_TAG_BYTES = 16
_WRAP_HEADER_BYTES = len(_WRAP_MAGIC) + _KEY_ID_BYTES
_WRAP_MIN_BYTES = _WRAP_HEADER_BYTES + _NONCE_BYTES + _GCM_TAG_BYTES
# Group or other holding any access bit: read leaks keys, write lets a key be swapped.
_PRIVATE_MASK = 0o077
# Names of the wrapped values `put_secret` keeps under secrets/: also their file names.
_SECRET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{0,63}")


class VaultError(PeekaError):
    """The key vault cannot be used as asked; the message says how to fix it.

    PeekaError
    ├── VaultError                     vault_error
    │   ├── InsecureVaultError         vault_insecure
    │   ├── UnknownKeyError            key_unknown
    │   └── UnwrapError                unwrap_failed
    └── TemplateIntegrityError         template_tampered
    """

    code = "vault_error"


class InsecureVaultError(VaultError):
    """A vault directory or file others could read or replace; Peeka will not use it."""

    code = "vault_insecure"


class UnknownKeyError(VaultError):
    code = "key_unknown"


class UnwrapError(VaultError):
    """A wrapped value that is malformed, altered, or was wrapped for another context."""

    code = "unwrap_failed"


class TemplateIntegrityError(PeekaError):
    """Data whose MAC does not verify: altered, truncated, or authenticated by another vault."""

    code = "template_tampered"


@dataclass(frozen=True)
class KeyInfo:
    id: str
    purpose: Purpose
    status: Status
    created: datetime
    retired: datetime | None = None
    """When `rotate` replaced this key; None while it is active."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def default_key_dir() -> Path:
    """`$PEEKA_KEY_DIR` when set, else `~/.local/share/peeka/keys`."""
    configured = os.environ.get(ENV_KEY_DIR)
    if configured is None:
        return DEFAULT_KEY_DIR.expanduser()
    if not configured.strip():
        raise VaultError(
            f"{ENV_KEY_DIR} is set but empty; set it to a private directory or unset it to use "
            f"{DEFAULT_KEY_DIR}"
        )
    return Path(configured).expanduser().absolute()


class KeyVault:
    """Vault keys in files under `directory` (default: see `default_key_dir`).

    Layout, created on first use:

        <directory>/             mode 0700
            vault.json           mode 0600, metadata only: {"format": 1, "keys": [{"id",
                                 "purpose", "status", "created", "retired"}, ...]}
            keys/<id>.key        mode 0600, the raw 32 key bytes; the keys/ folder is 0700
            secrets/<name>       mode 0600, values `put_secret` wrapped with a "wrap" key
                                 (e.g. the CKKS secret context); the folder is 0700
            .lock                mode 0600, flock'ed around every metadata change

    Files are written to a fresh 0600 temporary file and renamed into place, so no key is ever
    readable by others, even for a moment, and readers see the old or the new metadata, never a
    mix. Directories or key files with group or other permissions are refused.
    """

    def __init__(
        self, directory: Path | None = None, *, now: Callable[[], datetime] = _utc_now
    ) -> None:
        self.directory = Path(directory) if directory is not None else default_key_dir()
        self._now = now
        self._ready = False
        # Key bytes never change once written, so each is read (and its file checked) once.
        self._cache: dict[str, bytes] = {}
        # The lock is re-entrant in its holder's thread: `lock()` held around `put_secret` (a
        # shared secret made once) may reach `_locked()` again (the first "wrap" key).
        self._thread_lock = threading.RLock()
        self._depth = 0

    def __repr__(self) -> str:
        return f"KeyVault({str(self.directory)!r})"

    # --- keys --------------------------------------------------------------------------------

    def active_key_id(self, purpose: Purpose) -> str:
        """The id of the active key for `purpose`, creating the first one on first use."""
        _check_purpose(purpose)
        active = _active(self._read_metadata(), purpose)
        if active is not None:
            return active.id
        with self._locked():
            # Another process may have created it while we waited for the lock.
            keys = self._read_metadata()
            active = _active(keys, purpose)
            if active is not None:
                return active.id
            new = self._new_key(keys, purpose)
            self._write_metadata([*keys, new])
            return new.id

    def rotate(self, purpose: Purpose) -> str:
        """Make a new active key for `purpose` and return its id.

        The previous key becomes "retired": it still unwraps and verifies what it protected
        until that is re-protected, but nothing new uses it."""
        _check_purpose(purpose)
        with self._locked():
            keys = self._read_metadata()
            stamp = self._timestamp()
            kept = [
                replace(info, status="retired", retired=stamp)
                if info.purpose == purpose and info.status == "active"
                else info
                for info in keys
            ]
            new = self._new_key(keys, purpose)
            self._write_metadata([*kept, new])
            return new.id

    def status(self) -> list[KeyInfo]:
        """Every key in the vault, oldest first."""
        return self._read_metadata()

    def key(self, key_id: str) -> bytes:
        """The 32 bytes of key `key_id`, active or retired."""
        return self._key(key_id, None)

    # --- wrapping ----------------------------------------------------------------------------

    def wrap(self, plaintext: bytes, *, context: bytes) -> bytes:
        """`plaintext` encrypted with the active "wrap" key, bound to `context`.

        `context` (e.g. b"user:42/iom-seed") must be given again to unwrap, so a wrapped seed
        copied to another user's row does not unwrap there."""
        _check_context(context)
        key_id = self.active_key_id("wrap")
        header = _WRAP_MAGIC + bytes.fromhex(key_id)
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = AESGCM(self._key(key_id, "wrap")).encrypt(nonce, plaintext, header + context)
        return header + nonce + sealed

    def unwrap(self, wrapped: bytes, *, context: bytes) -> bytes:
        """The plaintext `wrap` was given, with any wrap key of this vault, active or retired."""
        _check_context(context)
        if len(wrapped) < _WRAP_MIN_BYTES:
            raise UnwrapError(
                f"wrapped value is {len(wrapped)} bytes, shorter than the {_WRAP_MIN_BYTES} of "
                "any wrapped value; it was truncated — restore it from a backup or re-enroll"
            )
        if not wrapped.startswith(_WRAP_MAGIC):
            raise UnwrapError("not a value wrapped by a Peeka key vault (wrong magic bytes)")
        header = wrapped[:_WRAP_HEADER_BYTES]
        key_id = header[len(_WRAP_MAGIC) :].hex()
        nonce = wrapped[_WRAP_HEADER_BYTES : _WRAP_HEADER_BYTES + _NONCE_BYTES]
        sealed = wrapped[_WRAP_HEADER_BYTES + _NONCE_BYTES :]
        key = self._key(key_id, "wrap")
        try:
            return AESGCM(key).decrypt(nonce, sealed, header + context)
        except InvalidTag:
            raise UnwrapError(
                f"could not unwrap with key {key_id}: the value was altered or truncated, or it "
                f"was wrapped for another context than {context!r}; re-enroll to replace it"
            ) from None

    # --- integrity ---------------------------------------------------------------------------

    def mac(self, data: bytes, *, key_id: str | None = None) -> tuple[str, bytes]:
        """(key id, HMAC-SHA256 of `data`), with the active "mac" key unless `key_id` is given.

        Callers that must write the key id inside `data` fetch `active_key_id("mac")` first and
        pass it here, so a concurrent `rotate` cannot make the id and the tag disagree."""
        chosen = key_id if key_id is not None else self.active_key_id("mac")
        return chosen, hmac.digest(self._key(chosen, "mac"), data, "sha256")

    def verify_mac(self, key_id: str, data: bytes, tag: bytes) -> None:
        """Raise `TemplateIntegrityError` unless `tag` is the HMAC of `data` under `key_id`."""
        expected = hmac.digest(self._key(key_id, "mac"), data, "sha256")
        if not hmac.compare_digest(expected, tag):
            raise TemplateIntegrityError(
                f"integrity check failed (MAC key {key_id}): the data was altered or truncated; "
                "restore it from a backup or re-enroll"
            )

    # --- wrapped secrets ---------------------------------------------------------------------

    def put_secret(self, name: str, data: bytes) -> None:
        """Keep `data` under `name` in the vault, wrapped with the active "wrap" key and bound
        to the name, so a file renamed or swapped with another does not unwrap."""
        path = self._secret_path(name)
        _write_private(path, self.wrap(data, context=_secret_context(name)))

    def get_secret(self, name: str) -> bytes | None:
        """What `put_secret` kept under `name`, or None if nothing was."""
        path = self._secret_path(name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return None
        with os.fdopen(fd, "rb") as handle:
            _check_private(path, os.fstat(handle.fileno()), "file", "chmod 600")
            wrapped = handle.read()
        return self.unwrap(wrapped, context=_secret_context(name))

    def delete_secret(self, name: str) -> None:
        """Forget `name`; a no-op if nothing is kept under it."""
        with contextlib.suppress(FileNotFoundError):
            self._secret_path(name).unlink()
            _fsync_dir(self._secrets_dir)

    def secret_names(self) -> list[str]:
        """Names `put_secret` keeps, sorted."""
        self._ensure_directories()
        return sorted(p.name for p in self._secrets_dir.iterdir() if _SECRET_NAME.fullmatch(p.name))

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the vault's lock (across processes), e.g. to create a shared secret once."""
        with self._locked():
            yield

    def _secret_path(self, name: str) -> Path:
        if not isinstance(name, str) or not _SECRET_NAME.fullmatch(name):
            raise ValueError(f"vault secret names are 1-64 of [a-z0-9.-], got {name!r}")
        self._ensure_directories()
        return self._secrets_dir / name

    # --- files -------------------------------------------------------------------------------

    @property
    def _metadata_path(self) -> Path:
        return self.directory / "vault.json"

    @property
    def _keys_dir(self) -> Path:
        return self.directory / "keys"

    @property
    def _secrets_dir(self) -> Path:
        return self.directory / "secrets"

    def _key(self, key_id: str, purpose: Purpose | None) -> bytes:
        info = self._info(key_id)
        if purpose is not None and info.purpose != purpose:
            # Key separation: a MAC key must never encrypt, nor a wrap key authenticate.
            raise UnknownKeyError(
                f"key {key_id} in the key vault at {self.directory} is a {info.purpose!r} key, "
                f"not a {purpose!r} key; the value was made for another use"
            )
        cached = self._cache.get(key_id)
        if cached is None:
            cached = self._read_key_file(key_id)
            self._cache[key_id] = cached
        return cached

    def _info(self, key_id: str) -> KeyInfo:
        # The format check also keeps a hostile id such as "../x" out of the file path.
        if _KEY_ID.fullmatch(key_id):
            for info in self._read_metadata():
                if info.id == key_id:
                    return info
        raise UnknownKeyError(
            f"no key {key_id!r} in the key vault at {self.directory}; the value was protected by "
            f"another vault — point {ENV_KEY_DIR} at that vault's directory or re-enroll"
        )

    def _new_key(self, keys: list[KeyInfo], purpose: Purpose) -> KeyInfo:
        created = self._timestamp()  # a broken clock fails before any file is written
        taken = {info.id for info in keys}
        key_id = secrets.token_hex(_KEY_ID_BYTES)
        while key_id in taken:
            key_id = secrets.token_hex(_KEY_ID_BYTES)
        # The key file lands before the metadata naming it, so a listed key is always readable.
        _write_private(self._keys_dir / f"{key_id}.key", secrets.token_bytes(KEY_BYTES))
        return KeyInfo(id=key_id, purpose=purpose, status="active", created=created)

    def _timestamp(self) -> datetime:
        stamp = self._now()
        if stamp.tzinfo is None:
            raise ValueError(f"the vault clock must return an aware datetime, got {stamp!r}")
        return stamp.astimezone(UTC)

    def _ensure_directories(self) -> None:
        if self._ready:
            return
        self.directory.parent.mkdir(parents=True, exist_ok=True)
        for folder in (self.directory, self._keys_dir, self._secrets_dir):
            _make_private_dir(folder)
            _check_private(folder, folder.stat(), "directory", "chmod 700")
        self._ready = True

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """The vault's lock: other threads wait on the in-process lock, other processes on the
        lock file's flock. Taken again by the thread that holds it, it is already held (a
        second flock on a new descriptor of the same file would wait for itself forever)."""
        with self._thread_lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._ensure_directories()
            fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                self._depth = 1
                yield
            finally:
                self._depth = 0
                os.close(fd)  # closing releases the lock

    def _read_metadata(self) -> list[KeyInfo]:
        self._ensure_directories()
        path = self._metadata_path
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return []
        with os.fdopen(fd, "rb") as handle:
            _check_private(path, os.fstat(handle.fileno()), "file", "chmod 600")
            raw = handle.read()
        try:
            return _parse_metadata(json.loads(raw))
        except (ValueError, TypeError, KeyError) as exc:
            raise VaultError(
                f"the key vault metadata {path} is corrupt ({exc}); restore it from a backup"
            ) from None

    def _write_metadata(self, keys: list[KeyInfo]) -> None:
        document = {"format": _METADATA_FORMAT, "keys": [_dump_info(info) for info in keys]}
        text = json.dumps(document, indent=2, sort_keys=True) + "\n"
        _write_private(self._metadata_path, text.encode())

    def _read_key_file(self, key_id: str) -> bytes:
        path = self._keys_dir / f"{key_id}.key"
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            raise VaultError(
                f"the key vault at {self.directory} lists key {key_id} but {path} is missing; "
                "restore the keys/ folder from a backup"
            ) from None
        with os.fdopen(fd, "rb") as handle:
            _check_private(path, os.fstat(handle.fileno()), "file", "chmod 600")
            key = handle.read()
        if len(key) != KEY_BYTES:
            raise VaultError(
                f"key file {path} holds {len(key)} bytes instead of {KEY_BYTES}; "
                "restore it from a backup"
            )
        return key


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise ValueError(f"vault key purpose must be one of {PURPOSES}, got {purpose!r}")


def _check_context(context: bytes) -> None:
    # An empty context would let a wrapped value move freely between users and uses.
    if not context:
        raise ValueError("wrap/unwrap need a non-empty context such as b'user:42/iom-seed'")


def _secret_context(name: str) -> bytes:
    return b"peeka/vault/secret/" + name.encode()


def _active(keys: list[KeyInfo], purpose: str) -> KeyInfo | None:
    return next(
        (info for info in keys if info.purpose == purpose and info.status == "active"), None
    )


def _make_private_dir(path: Path) -> None:
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        return
    # mkdir's mode passes through the umask; make the result exactly 0700.
    path.chmod(0o700)


def _check_private(path: Path, info: os.stat_result, kind: str, fix: str) -> None:
    wanted = stat.S_ISDIR if kind == "directory" else stat.S_ISREG
    if not wanted(info.st_mode):
        raise InsecureVaultError(f"key vault path {path} is not a {kind}; move it away")
    if info.st_uid != os.geteuid():
        raise InsecureVaultError(
            f"key vault {kind} {path} belongs to uid {info.st_uid}, not to this user "
            f"(uid {os.geteuid()}); chown it or use another {ENV_KEY_DIR}"
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & _PRIVATE_MASK:
        raise InsecureVaultError(
            f"key vault {kind} {path} has mode {mode:04o}, so other users can reach the keys; "
            f"run `{fix} {path}` (and replace the keys if they may have been copied)"
        )


def _write_private(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    # O_EXCL with mode 0600: the file is private from the moment it exists.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    # Makes the rename durable; some filesystems refuse fsync on a directory, which is harmless.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _dump_info(info: KeyInfo) -> dict[str, str | None]:
    return {
        "id": info.id,
        "purpose": info.purpose,
        "status": info.status,
        "created": info.created.isoformat(),
        "retired": info.retired.isoformat() if info.retired is not None else None,
    }


def _parse_metadata(document: Any) -> list[KeyInfo]:
    if not isinstance(document, dict) or document.get("format") != _METADATA_FORMAT:
        raise ValueError(f"expected format {_METADATA_FORMAT}")
    keys: list[KeyInfo] = []
    for entry in document["keys"]:
        key_id, purpose, status = entry["id"], entry["purpose"], entry["status"]
        if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
            raise ValueError(f"bad key id {key_id!r}")
        if purpose not in PURPOSES or status not in ("active", "retired"):
            raise ValueError(f"bad purpose or status for key {key_id}")
        retired = entry["retired"]
        keys.append(
            KeyInfo(
                id=key_id,
                purpose=purpose,
                status=status,
                created=datetime.fromisoformat(entry["created"]),
                retired=datetime.fromisoformat(retired) if retired is not None else None,
            )
        )
    for purpose in PURPOSES:
        if sum(info.purpose == purpose and info.status == "active" for info in keys) > 1:
            raise ValueError(f"more than one active {purpose!r} key")
    return keys
