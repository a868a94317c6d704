"""Self-describing, authenticated stored templates: scheme, parameters, key id and payload sealed
with a vault MAC, like Django's `algorithm$iterations$salt$hash` but binary and tamper-evident."""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from peeka.errors import PeekaError
from peeka.protection.vault import TAG_BYTES, KeyVault, TemplateIntegrityError

__all__ = [
    "Envelope",
    "TemplateFormatError",
    "TemplateIntegrityError",
    "must_update",
    "open_sealed",
    "seal",
]

JsonValue: TypeAlias = "int | float | str | bool | list[JsonValue] | dict[str, JsonValue] | None"

VERSIONS = (1,)
"""Envelope versions this Peeka reads; `seal` writes the envelope's own, which must be here."""

# Sealed layout:
#   MAGIC (4) | MAC key id (16 ASCII hex) | header length (4, big-endian) | header | payload | tag
# The MAC key id sits at a fixed place so the MAC can be checked before anything else is parsed;
# the tag covers every byte before it, the MAC key id included.
MAGIC = b"PKT1"
_MAC_KEY_ID_BYTES = 16
_LENGTH = struct.Struct(">I")
_PREFIX_BYTES = len(MAGIC) + _MAC_KEY_ID_BYTES + _LENGTH.size
_MAX_HEADER_BYTES = 64 * 1024
_SCHEME = re.compile(r"[a-z0-9_]{1,16}")
_MAC_KEY_ID = re.compile(rb"[0-9a-f]{16}")
_HEADER_FIELDS = frozenset({"scheme", "params", "key_id", "version", "mac_key_id"})


class TemplateFormatError(PeekaError):
    """Bytes that are not a sealed template this Peeka can read."""

    code = "template_invalid"


@dataclass(frozen=True)
class Envelope:
    scheme: str
    """Protection scheme name ("ckks", "iom", "ndb", ...): 1 to 16 of [a-z0-9_]."""
    params: dict[str, JsonValue]
    """The scheme's parameters; stored as canonical JSON, so tuples come back as lists."""
    key_id: str
    """The scheme key (CKKS key id, wrapped seed id, ...); opaque to the envelope."""
    payload: bytes
    """The protected template itself (ciphertext, codes, NDB records)."""
    version: int = 1
    mac_key_id: str | None = field(default=None, compare=False)
    """The vault key that authenticated it; set by `open_sealed`, ignored by `seal`."""

    def __post_init__(self) -> None:
        if not isinstance(self.scheme, str) or not _SCHEME.fullmatch(self.scheme):
            raise ValueError(f"template scheme must be 1-16 of [a-z0-9_], got {self.scheme!r}")
        if not isinstance(self.key_id, str):
            raise ValueError(f"template key_id must be a string, got {type(self.key_id).__name__}")
        if not isinstance(self.payload, bytes):
            raise ValueError(f"template payload must be bytes, got {type(self.payload).__name__}")
        if type(self.version) is not int or self.version not in VERSIONS:
            raise ValueError(f"template version must be one of {VERSIONS}, got {self.version!r}")
        if not isinstance(self.params, Mapping):
            raise ValueError(f"template params must be a mapping, got {self.params!r}")
        # A private copy in canonical form: callers cannot change a frozen envelope through
        # their dict, and what comes back from `open_sealed` compares equal to what was sealed.
        object.__setattr__(self, "params", json.loads(_canonical(self.params)))


def seal(envelope: Envelope, vault: KeyVault) -> bytes:
    """`envelope` as bytes, authenticated with the vault's active "mac" key."""
    mac_key_id = vault.active_key_id("mac")
    header = _canonical(
        {
            "scheme": envelope.scheme,
            "params": envelope.params,
            "key_id": envelope.key_id,
            "version": envelope.version,
            "mac_key_id": mac_key_id,
        }
    ).encode()
    if len(header) > _MAX_HEADER_BYTES:
        raise ValueError(
            f"template header is {len(header)} bytes, above {_MAX_HEADER_BYTES}; "
            "keep large data in the payload, not in params"
        )
    body = MAGIC + mac_key_id.encode() + _LENGTH.pack(len(header)) + header + envelope.payload
    # The same key id that is written into `body`, even if another process rotates meanwhile.
    _, tag = vault.mac(body, key_id=mac_key_id)
    return body + tag


def open_sealed(data: bytes, vault: KeyVault) -> Envelope:
    """The envelope `seal` made, after checking its MAC with any mac key of `vault`.

    Raises `TemplateFormatError` for bytes that are not a sealed template, `UnknownKeyError` for
    a template sealed by another vault, `TemplateIntegrityError` for any altered or missing byte.
    """
    if len(data) < _PREFIX_BYTES + TAG_BYTES:
        raise TemplateFormatError(
            f"stored template is {len(data)} bytes, too short to be a sealed template; it was "
            "truncated — restore it from a backup or re-enroll"
        )
    if not data.startswith(MAGIC):
        raise TemplateFormatError(
            f"stored template does not start with {MAGIC!r}; it is not a sealed Peeka template"
        )
    raw_key_id = data[len(MAGIC) : len(MAGIC) + _MAC_KEY_ID_BYTES]
    if not _MAC_KEY_ID.fullmatch(raw_key_id):
        raise TemplateFormatError(
            f"stored template names MAC key {raw_key_id!r}, which is not a vault key id; "
            "it was altered — restore it from a backup or re-enroll"
        )
    mac_key_id = raw_key_id.decode()
    body, tag = data[:-TAG_BYTES], data[-TAG_BYTES:]
    # Nothing past the key id is trusted, or even parsed, before this.
    vault.verify_mac(mac_key_id, body, tag)
    (header_length,) = _LENGTH.unpack_from(body, len(MAGIC) + _MAC_KEY_ID_BYTES)
    if _PREFIX_BYTES + header_length > len(body):
        raise TemplateFormatError(
            f"template header length {header_length} runs past the end of the template"
        )
    header = _parse_header(body[_PREFIX_BYTES : _PREFIX_BYTES + header_length])
    if header["mac_key_id"] != mac_key_id:
        raise TemplateFormatError(
            f"template header names MAC key {header['mac_key_id']!r} but was sealed with "
            f"{mac_key_id}; it was not made by `seal`"
        )
    try:
        return Envelope(
            scheme=header["scheme"],
            params=header["params"],
            key_id=header["key_id"],
            payload=body[_PREFIX_BYTES + header_length :],
            version=header["version"],
            mac_key_id=mac_key_id,
        )
    except ValueError as exc:
        raise TemplateFormatError(f"stored template header is invalid: {exc}") from None


def must_update(
    envelope: Envelope,
    *,
    scheme: str,
    params: Mapping[str, Any],
    key_id: str,
    vault: KeyVault | None = None,
) -> bool:
    """True when the template should be re-protected on the user's next successful match.

    That is when it uses another scheme, other parameters or another (retired) scheme key than
    the current `scheme`, `params` and `key_id`, or, given the `vault`, was sealed with a MAC key
    that is no longer the active one."""
    if envelope.scheme != scheme or envelope.key_id != key_id:
        return True
    if _canonical(envelope.params) != _canonical(params):
        return True
    return (
        vault is not None
        and envelope.mac_key_id is not None
        and envelope.mac_key_id != vault.active_key_id("mac")
    )


def _canonical(value: Any) -> str:
    # One text per value: sorted keys, no spaces, no NaN or infinity (not JSON, not comparable).
    _check_keys(value)
    try:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise ValueError(f"template params must be plain JSON values: {exc}") from None


def _check_keys(value: Any) -> None:
    # json.dumps would silently turn {1: 2} into {"1": 2}; a stored value must come back as given.
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"template params keys must be strings, got {key!r}")
            _check_keys(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_keys(item)


def _parse_header(raw: bytes) -> dict[str, Any]:
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TemplateFormatError(f"stored template header is not JSON: {exc}") from None
    if not isinstance(header, dict) or set(header) != _HEADER_FIELDS:
        raise TemplateFormatError(
            f"stored template header must hold exactly {sorted(_HEADER_FIELDS)}"
        )
    version = header["version"]
    if type(version) is not int or version not in VERSIONS:
        raise TemplateFormatError(
            f"stored template has version {version!r}, but this Peeka reads only {VERSIONS}; "
            "upgrade Peeka to read it"
        )
    return header
