"""Tests for peeka.protection.envelope: sealed templates round-trip, every truncation and flipped
bit is caught, MAC-key rotation keeps old templates readable, and must_update says when to renew."""

from __future__ import annotations

import json
import struct
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from peeka.errors import PeekaError
from peeka.protection.envelope import (
    MAGIC,
    Envelope,
    TemplateFormatError,
    TemplateIntegrityError,
    must_update,
    open_sealed,
    seal,
)
from peeka.protection.ndb import NdbParams
from peeka.protection.vault import KeyVault, UnknownKeyError

PARAMS = {"m": 512, "q": 16, "dim": 128}


@pytest.fixture
def vault(tmp_path: Path) -> KeyVault:
    return KeyVault(tmp_path / "keys")


def _iom_envelope(payload: bytes = bytes(range(64))) -> Envelope:
    return Envelope(scheme="iom", params=dict(PARAMS), key_id="seed-7f3a", payload=payload)


def test_round_trip(vault: KeyVault) -> None:
    envelope = Envelope(
        scheme="ckks",
        params={"poly_modulus_degree": 8192, "coeff_mod_bit_sizes": [60, 40, 40, 60], "x": 0.5},
        key_id="ckks-key-01",
        payload=b"\x00\xffciphertext" * 100,
    )
    sealed = seal(envelope, vault)
    opened = open_sealed(sealed, vault)

    assert opened == envelope
    assert opened.payload == envelope.payload
    assert opened.params == envelope.params
    assert opened.mac_key_id == vault.active_key_id("mac")
    assert sealed.startswith(MAGIC + vault.active_key_id("mac").encode())


def test_dataclass_params_with_tuples_round_trip(vault: KeyVault) -> None:
    params = asdict(NdbParams())
    envelope = Envelope(scheme="ndb", params=params, key_id="k", payload=b"")
    assert envelope.params["p"] == [0.3, 0.25, 0.2, 0.15, 0.1]
    assert open_sealed(seal(envelope, vault), vault) == envelope
    assert not must_update(envelope, scheme="ndb", params=params, key_id="k")


def test_the_header_is_canonical_json(vault: KeyVault) -> None:
    sealed = seal(_iom_envelope(), vault)
    (length,) = struct.unpack(">I", sealed[20:24])
    header = json.loads(sealed[24 : 24 + length])
    assert header == {
        "scheme": "iom",
        "params": PARAMS,
        "key_id": "seed-7f3a",
        "version": 1,
        "mac_key_id": vault.active_key_id("mac"),
    }
    assert (
        sealed[24 : 24 + length]
        == json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    )


def test_every_truncation_is_rejected(vault: KeyVault) -> None:
    sealed = seal(_iom_envelope(), vault)
    for length in range(len(sealed)):
        with pytest.raises((TemplateFormatError, TemplateIntegrityError)):
            open_sealed(sealed[:length], vault)


def test_every_flipped_bit_is_rejected(vault: KeyVault) -> None:
    sealed = seal(_iom_envelope(bytes(8)), vault)
    assert len(sealed) * 8 < 3000  # small enough to try every bit
    for index in range(len(sealed)):
        for bit in range(8):
            altered = bytearray(sealed)
            altered[index] ^= 1 << bit
            # A flipped MAC key id may name no key at all: UnknownKeyError.
            with pytest.raises((TemplateFormatError, TemplateIntegrityError, UnknownKeyError)):
                open_sealed(bytes(altered), vault)


def test_appended_bytes_are_rejected(vault: KeyVault) -> None:
    sealed = seal(_iom_envelope(), vault)
    with pytest.raises(TemplateIntegrityError):
        open_sealed(sealed + b"\x00", vault)


def test_wrong_magic_is_a_format_error(vault: KeyVault) -> None:
    sealed = seal(_iom_envelope(), vault)
    with pytest.raises(TemplateFormatError, match="not a sealed Peeka template") as caught:
        open_sealed(b"PKT2" + sealed[4:], vault)
    assert caught.value.code == "template_invalid"
    with pytest.raises(TemplateFormatError, match="too short"):
        open_sealed(b"", vault)


def test_a_template_sealed_by_another_vault_is_unknown(vault: KeyVault, tmp_path: Path) -> None:
    other = KeyVault(tmp_path / "other")
    sealed = seal(_iom_envelope(), other)
    with pytest.raises(UnknownKeyError, match=other.active_key_id("mac")):
        open_sealed(sealed, vault)


def _reseal(body: bytes, vault: KeyVault) -> bytes:
    # Forge a well-authenticated template with an arbitrary header, as a newer Peeka might.
    return body + vault.mac(body)[1]


def _forged(vault: KeyVault, header: bytes, payload: bytes = b"p") -> bytes:
    key_id = vault.active_key_id("mac").encode()
    return _reseal(MAGIC + key_id + struct.pack(">I", len(header)) + header + payload, vault)


def test_authentic_but_unreadable_headers_are_format_errors(vault: KeyVault) -> None:
    mac_key_id = vault.active_key_id("mac")
    good = {"scheme": "iom", "params": {}, "key_id": "k", "version": 1, "mac_key_id": mac_key_id}

    with pytest.raises(TemplateFormatError, match="not JSON"):
        open_sealed(_forged(vault, b"{not json"), vault)
    with pytest.raises(TemplateFormatError, match=r"version 2.*upgrade Peeka"):
        open_sealed(_forged(vault, json.dumps({**good, "version": 2}).encode()), vault)
    with pytest.raises(TemplateFormatError, match="exactly"):
        open_sealed(_forged(vault, json.dumps({**good, "extra": 1}).encode()), vault)
    with pytest.raises(TemplateFormatError, match="scheme"):
        open_sealed(_forged(vault, json.dumps({**good, "scheme": "IOM!"}).encode()), vault)
    with pytest.raises(TemplateFormatError, match="sealed with"):
        bad_key = {**good, "mac_key_id": "0" * 16}
        open_sealed(_forged(vault, json.dumps(bad_key).encode()), vault)
    with pytest.raises(TemplateFormatError, match="runs past"):
        body = MAGIC + mac_key_id.encode() + struct.pack(">I", 10_000) + b"{}"
        open_sealed(_reseal(body, vault), vault)
    opened = open_sealed(_forged(vault, json.dumps(good).encode(), b"payload"), vault)
    assert opened.payload == b"payload"


def test_mac_key_rotation_keeps_old_templates_readable(vault: KeyVault) -> None:
    old_mac = vault.active_key_id("mac")
    old_sealed = seal(_iom_envelope(), vault)
    new_mac = vault.rotate("mac")

    old = open_sealed(old_sealed, vault)
    assert old == _iom_envelope()
    assert old.mac_key_id == old_mac
    new_sealed = seal(_iom_envelope(), vault)
    assert new_sealed[4:20] == new_mac.encode()
    assert open_sealed(new_sealed, vault).mac_key_id == new_mac


def test_a_sealed_template_never_contains_vault_key_bytes(vault: KeyVault) -> None:
    vault.active_key_id("wrap")
    sealed = seal(_iom_envelope(bytes(range(256)) * 4), vault)
    vault.rotate("mac")
    sealed_again = seal(_iom_envelope(), vault)
    for info in vault.status():
        key = vault.key(info.id)
        assert key not in sealed and key not in sealed_again
        assert key.hex().encode() not in sealed and key.hex().encode() not in sealed_again


def test_must_update_when_the_scheme_params_or_key_change(vault: KeyVault) -> None:
    stored = open_sealed(seal(_iom_envelope(), vault), vault)
    current: dict[str, Any] = {"scheme": "iom", "params": dict(PARAMS), "key_id": "seed-7f3a"}

    assert not must_update(stored, **current)
    assert not must_update(stored, **current, vault=vault)
    assert not must_update(
        stored, scheme="iom", params={"dim": 128, "q": 16, "m": 512}, key_id="seed-7f3a"
    )
    assert must_update(stored, scheme="ckks", params=PARAMS, key_id="seed-7f3a")
    assert must_update(stored, scheme="iom", params={**PARAMS, "m": 1024}, key_id="seed-7f3a")
    assert must_update(stored, scheme="iom", params={**PARAMS, "m": 512.0}, key_id="seed-7f3a")
    assert must_update(stored, scheme="iom", params={"m": 512}, key_id="seed-7f3a")
    # The scheme key was retired (revoked seed, new CKKS key pair): re-protect under the new one.
    assert must_update(stored, scheme="iom", params=PARAMS, key_id="seed-8b21")


def test_must_update_after_the_mac_key_is_retired(vault: KeyVault) -> None:
    stored = open_sealed(seal(_iom_envelope(), vault), vault)
    vault.rotate("mac")
    current: dict[str, Any] = {"scheme": "iom", "params": PARAMS, "key_id": "seed-7f3a"}

    assert must_update(stored, **current, vault=vault)
    renewed = open_sealed(seal(stored, vault), vault)
    assert not must_update(renewed, **current, vault=vault)
    # Without the vault only the scheme, params and key are compared.
    assert not must_update(stored, **current)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"scheme": "CKKS"}, "scheme"),
        ({"scheme": ""}, "scheme"),
        ({"scheme": "a" * 17}, "scheme"),
        ({"version": 2}, "version"),
        ({"version": True}, "version"),
        ({"payload": "text"}, "payload"),
        ({"params": {"x": float("nan")}}, "JSON"),
        ({"params": {"x": b"bytes"}}, "JSON"),
        ({"params": {"nested": {1: 2}}}, "keys must be strings"),
    ],
)
def test_invalid_envelopes_are_refused(changes: dict[str, object], message: str) -> None:
    fields: dict[str, Any] = {
        "scheme": "iom",
        "params": {},
        "key_id": "k",
        "payload": b"",
        **changes,
    }
    with pytest.raises(ValueError, match=message):
        Envelope(**fields)


def test_errors_are_peeka_errors() -> None:
    assert issubclass(TemplateFormatError, PeekaError)
    assert issubclass(TemplateIntegrityError, PeekaError)
    assert TemplateIntegrityError.code == "template_tampered"
