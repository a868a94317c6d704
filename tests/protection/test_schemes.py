"""Tests for peeka.protection.schemes and .gallery: each scheme behind one interface, with the
calibrated thresholds, per-user keys in the vault, sealed templates, revocation, and 1:N."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import tenseal as ts

from peeka.biometrics import calibration
from peeka.errors import CalibrationError, PeekaError
from peeka.protection import ckks, iom, schemes
from peeka.protection.envelope import Envelope, TemplateFormatError, open_sealed, seal
from peeka.protection.gallery import CkksGallery, IomGallery
from peeka.protection.schemes import (
    IomScheme,
    MemorySeedStore,
    ModelMismatchError,
    ProtectionScheme,
    TemplateOutdatedError,
    get_scheme,
    iom_codes,
    scheme_names,
)
from peeka.protection.vault import KeyVault, TemplateIntegrityError, UnknownKeyError

NAMES = ("ckks", "iom", "ndb")
MODEL = "sface_2021dec_int8bq"
"""The default face model, whose descriptors the `descriptors` fixture holds."""
Descriptors = dict[str, npt.NDArray[np.float32]]


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> KeyVault:
    return KeyVault(tmp_path_factory.mktemp("vault") / "keys")


@pytest.fixture(scope="module")
def seeds() -> MemorySeedStore:
    return MemorySeedStore()


@pytest.fixture(scope="module")
def protection(vault: KeyVault, seeds: MemorySeedStore) -> dict[str, ProtectionScheme]:
    """Every scheme with its calibrated threshold, as the product builds them."""
    return {name: get_scheme(name, vault=vault, seeds=seeds, model=MODEL) for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_a_template_is_sealed_and_self_describing(
    name: str, protection: dict[str, ProtectionScheme], vault: KeyVault, descriptors: Descriptors
) -> None:
    scheme = protection[name]
    template = scheme.enroll(descriptors["obama"])
    envelope = open_sealed(template, vault)
    assert (envelope.scheme, envelope.params, envelope.version) == (name, scheme.params, 1)
    info = scheme.describe(template)
    assert (info.scheme, info.key_id, info.size) == (name, envelope.key_id, len(template))
    assert info.mac_key_id == vault.active_key_id("mac")
    # No raw descriptor in it, in any float width.
    for width in (np.float32, np.float64):
        assert descriptors["obama"].astype(width).tobytes()[:16] not in template
    assert not scheme.must_update(template)


@pytest.mark.parametrize("name", NAMES)
def test_the_same_person_is_accepted_and_another_rejected(
    name: str, protection: dict[str, ProtectionScheme], descriptors: Descriptors
) -> None:
    scheme = protection[name]
    template = scheme.enroll(descriptors["obama"])
    for genuine in ("obama/probe", "obama2/probe", "obama3/probe"):
        assert scheme.verify(template, descriptors[genuine]), genuine
    assert not scheme.verify(template, descriptors["biden/probe"])
    assert scheme.verify(scheme.enroll(descriptors["biden"]), descriptors["biden/probe"])


@pytest.mark.parametrize("name", NAMES)
def test_every_altered_or_truncated_template_is_rejected(
    name: str, protection: dict[str, ProtectionScheme], descriptors: Descriptors
) -> None:
    scheme = protection[name]
    template = scheme.enroll(descriptors["obama"])
    for position in np.linspace(0, len(template) - 1, 25).astype(int):
        altered = bytearray(template)
        altered[position] ^= 0x01
        with pytest.raises((TemplateIntegrityError, TemplateFormatError)):
            scheme.verify(bytes(altered), descriptors["obama/probe"])
    for length in (0, 10, len(template) // 2, len(template) - 1):
        with pytest.raises((TemplateIntegrityError, TemplateFormatError)):
            scheme.verify(template[:length], descriptors["obama/probe"])


@pytest.mark.parametrize("name", NAMES)
def test_a_renewed_template_matches_and_the_revoked_one_never_again(
    name: str,
    protection: dict[str, ProtectionScheme],
    seeds: MemorySeedStore,
    descriptors: Descriptors,
) -> None:
    scheme = protection[name]
    old = scheme.enroll(descriptors["obama"])
    old_key = scheme.describe(old).key_id
    new = scheme.renew(old, descriptors["obama"])
    assert scheme.describe(new).key_id != old_key
    assert scheme.verify(new, descriptors["obama2/probe"])
    with pytest.raises(UnknownKeyError, match="revoked"):
        scheme.verify(old, descriptors["obama2/probe"])
    assert seeds.get(old_key.rsplit(".", 1)[-1]) is None


def test_a_revoked_iom_template_scores_like_a_stranger_even_for_the_key_holder(
    protection: dict[str, ProtectionScheme], vault: KeyVault, descriptors: Descriptors
) -> None:
    """Beyond the destroyed key: the old codes compared under the new key are noise."""
    scheme = protection["iom"]
    assert isinstance(scheme, IomScheme)
    old = scheme.enroll(descriptors["obama"])
    new = scheme.renew(old, descriptors["obama"])
    new_seed = scheme._seed(scheme.describe(new).key_id)
    old_codes = iom_codes(open_sealed(old, vault).payload, scheme.iom_params)
    probe = iom.protect(descriptors["obama2/probe"], new_seed, scheme.iom_params)
    assert iom.similarity(old_codes, probe) < scheme.threshold / 2


def test_a_revoked_ckks_template_decrypts_to_a_rotation_nobody_knows(
    protection: dict[str, ProtectionScheme], vault: KeyVault, descriptors: Descriptors
) -> None:
    """Even the CKKS secret key holder gets only R_old x, and R_old is gone with its key."""
    scheme = protection["ckks"]
    template = scheme.enroll(descriptors["obama"])
    envelope = open_sealed(template, vault)
    seed = scheme._seed(envelope.key_id.split(".")[1])
    keys = schemes.load_ckks_key(vault, envelope.key_id.split(".")[0])
    inside = ckks._decrypt_template(keys.secret_context(), envelope.payload)[:128]
    x = descriptors["obama"].astype(np.float64)
    assert np.allclose(inside, schemes.rotation(seed, 128) @ x, atol=1e-6)
    assert np.linalg.norm(inside) == pytest.approx(np.linalg.norm(x), abs=1e-6)
    # Unlike x itself, R x is far from the same person's other descriptors.
    assert np.linalg.norm(inside - descriptors["obama2/probe"]) > 1.0
    assert np.linalg.norm(x - descriptors["obama2/probe"]) < scheme.threshold


def test_a_template_from_another_vault_or_without_its_key_is_a_clear_error(
    protection: dict[str, ProtectionScheme], descriptors: Descriptors, tmp_path: Path
) -> None:
    other_vault = KeyVault(tmp_path / "other")
    other = get_scheme("iom", vault=other_vault, seeds=MemorySeedStore(), model=MODEL)
    foreign = other.enroll(descriptors["obama"])
    with pytest.raises(UnknownKeyError, match="another vault"):
        protection["iom"].verify(foreign, descriptors["obama/probe"])
    lonely = get_scheme("iom", vault=protection["iom"].vault, seeds=MemorySeedStore(), model=MODEL)
    with pytest.raises(UnknownKeyError, match="revoked or never stored"):
        lonely.verify(protection["iom"].enroll(descriptors["obama"]), descriptors["obama/probe"])


def test_a_template_of_another_scheme_or_other_params_is_refused(
    protection: dict[str, ProtectionScheme], vault: KeyVault, descriptors: Descriptors
) -> None:
    template = protection["iom"].enroll(descriptors["obama"])
    with pytest.raises(TemplateFormatError, match="not a 'ndb'"):
        protection["ndb"].verify(template, descriptors["obama/probe"])
    params = iom.IomParams(m=256, q=16)
    smaller = IomScheme(vault, protection["iom"].seeds, 0.5, params, model=MODEL)
    with pytest.raises(TemplateOutdatedError, match="enroll again") as caught:
        smaller.verify(template, descriptors["obama/probe"])
    assert caught.value.code == "template_outdated"


def test_rotating_keys_keeps_templates_working_and_asks_for_an_update(
    tmp_path: Path, descriptors: Descriptors
) -> None:
    vault = KeyVault(tmp_path / "keys")
    ckks_scheme = get_scheme("ckks", vault=vault, seeds=MemorySeedStore(), model=MODEL)
    iom_scheme = get_scheme("iom", vault=vault, seeds=MemorySeedStore(), model=MODEL)
    ckks_template = ckks_scheme.enroll(descriptors["obama"])
    iom_template = iom_scheme.enroll(descriptors["obama"])

    first = ckks_scheme.describe(ckks_template).key_id.split(".")[0]
    assert schemes.rotate_ckks_key(vault) != first
    assert ckks_scheme.must_update(ckks_template)
    assert ckks_scheme.verify(ckks_template, descriptors["obama2/probe"])
    assert not iom_scheme.must_update(iom_template)

    vault.rotate("mac")
    vault.rotate("wrap")
    assert iom_scheme.must_update(iom_template)
    assert iom_scheme.verify(iom_template, descriptors["obama2/probe"])
    renewed = ckks_scheme.renew(ckks_template, descriptors["obama"])
    assert not ckks_scheme.must_update(renewed)
    assert ckks_scheme.describe(renewed).key_id.split(".")[0] != first


def test_the_seed_store_holds_only_wrapped_keys(
    protection: dict[str, ProtectionScheme], descriptors: Descriptors
) -> None:
    seeds = MemorySeedStore()
    scheme = get_scheme("iom", vault=protection["iom"].vault, seeds=seeds, model=MODEL)
    template = scheme.enroll(descriptors["obama"])
    key_id = scheme.describe(template).key_id
    wrapped = seeds.get(key_id)
    assert wrapped is not None and wrapped.startswith(b"PKW1") and len(seeds) == 1
    # Bound to its key id: the same bytes under another id do not unwrap.
    other = scheme.enroll(descriptors["biden"])
    seeds.put(scheme.describe(other).key_id, wrapped)
    with pytest.raises(PeekaError, match="could not unwrap"):
        scheme.verify(other, descriptors["biden/probe"])


def test_nothing_stored_outside_the_vault_holds_the_ckks_secret_key(
    protection: dict[str, ProtectionScheme],
    seeds: MemorySeedStore,
    vault: KeyVault,
    descriptors: Descriptors,
) -> None:
    """Templates, wrapped seeds and gallery blocks (what the database keeps) and the matcher's
    public context: none contains a piece of the secret key. Only the vault does, wrapped."""
    scheme = protection["ckks"]
    template = scheme.enroll(descriptors["obama"])
    key_id = scheme.describe(template).key_id.split(".")[0]
    keys = schemes.load_ckks_key(vault, key_id)
    context = ts.context_from(keys.secret_context())
    no_keys = context.serialize(
        save_public_key=False, save_secret_key=False, save_galois_keys=False, save_relin_keys=False
    )
    with_secret = context.serialize(
        save_public_key=False, save_secret_key=True, save_galois_keys=False, save_relin_keys=False
    )
    secret_key = with_secret[len(no_keys) :]
    pieces = [secret_key[start : start + 32] for start in range(1000, len(secret_key) - 32, 20011)]
    assert pieces and all(piece in keys.secret_context() for piece in pieces)

    gallery = CkksGallery(vault, scheme.threshold)
    gallery.add("obama", descriptors["obama"])
    stored = [
        template,
        *(seeds.get(k) or b"" for k in list(seeds._wrapped)),
        *(block.to_bytes() for block in gallery.blocks),
        keys.public_context(),
        *(path.read_bytes() for path in (vault.directory / "secrets").iterdir()),
    ]
    for blob in stored:
        assert not any(piece in blob for piece in pieces)


@pytest.mark.parametrize("kind", ["ckks", "iom"])
def test_a_removed_user_is_no_longer_identified_and_everyone_else_still_is(
    kind: str, vault: KeyVault, protection: dict[str, ProtectionScheme], descriptors: Descriptors
) -> None:
    gallery: CkksGallery | IomGallery
    if kind == "ckks":
        gallery = CkksGallery(vault, protection["ckks"].threshold)
    else:
        gallery = IomGallery(vault, protection["iom"].threshold)
    rng = np.random.default_rng(0)
    strangers = rng.standard_normal((20, 128))
    strangers *= 1.4 / np.linalg.norm(strangers, axis=1, keepdims=True)
    if isinstance(gallery, CkksGallery):
        gallery.add_many([f"stranger{i}" for i in range(20)], strangers)
    else:
        for i, stranger in enumerate(strangers):
            gallery.add(f"stranger{i}", stranger)
    gallery.add("obama", descriptors["obama"])
    gallery.add("biden", descriptors["biden"])
    assert gallery.identify(descriptors["obama2/probe"]) == ["obama"]
    assert gallery.identify(descriptors["biden/probe"]) == ["biden"]
    assert gallery.identify(strangers[3]) == ["stranger3"]

    gallery.remove("obama")
    assert gallery.identify(descriptors["obama2/probe"]) == []
    assert gallery.identify(descriptors["obama/probe"]) == []
    assert gallery.identify(descriptors["biden/probe"]) == ["biden"]
    assert all(gallery.identify(s) == [f"stranger{i}"] for i, s in enumerate(strangers))
    assert len(gallery) == 21 and "obama" not in gallery.users

    # Enrolling again takes a new slot or row; the removed one stays empty.
    gallery.add("obama", descriptors["obama"])
    assert gallery.identify(descriptors["obama3/probe"]) == ["obama"]


def test_an_unknown_scheme_or_a_calibration_for_other_params_is_refused(
    vault: KeyVault, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="unknown protection scheme"):
        get_scheme("rot13", vault=vault, seeds=MemorySeedStore(), model=MODEL)
    packaged = calibration.PACKAGED.read_text()
    changed = tmp_path / "calibration.json"
    changed.write_text(packaged.replace('"m": 512', '"m": 256'))
    with pytest.raises(CalibrationError, match="calibrate"):
        get_scheme(
            "iom", vault=vault, seeds=MemorySeedStore(), model=MODEL, calibration_path=changed
        )


def test_a_template_records_its_model_and_refuses_a_probe_of_another(
    protection: dict[str, ProtectionScheme], descriptors: Descriptors
) -> None:
    iom_scheme = protection["iom"]
    template = iom_scheme.enroll(descriptors["obama"])
    assert iom_scheme.describe(template).params["model"] == MODEL
    other = IomScheme(
        iom_scheme.vault, iom_scheme.seeds, iom_scheme.threshold, model="another_model_v1"
    )
    with pytest.raises(ModelMismatchError, match=MODEL) as caught:
        other.verify(template, descriptors["obama/probe"])
    assert caught.value.code == "model_mismatch"
    # A template made by the other model is refused by this one just the same.
    with pytest.raises(ModelMismatchError):
        iom_scheme.verify(other.enroll(descriptors["obama"]), descriptors["obama/probe"])


def test_a_template_sealed_before_models_were_recorded_matches_and_asks_for_an_update(
    vault: KeyVault, seeds: MemorySeedStore, dlib_descriptors: Descriptors
) -> None:
    """Templates sealed before they recorded a model were all dlib's."""
    iom_scheme = get_scheme("iom", vault=vault, seeds=seeds, model="dlib_resnet_v1")
    current = open_sealed(iom_scheme.enroll(dlib_descriptors["obama"]), vault)
    legacy_params = {k: v for k, v in current.params.items() if k != "model"}
    legacy = seal(Envelope("iom", legacy_params, current.key_id, current.payload), vault)
    assert iom_scheme.verify(legacy, dlib_descriptors["obama2/probe"])
    assert iom_scheme.must_update(legacy)
    # Under SFace, the legacy template is dlib's: an SFace probe is refused, not compared.
    with pytest.raises(ModelMismatchError):
        get_scheme("iom", vault=vault, seeds=seeds, model=MODEL).verify(
            legacy, dlib_descriptors["obama2/probe"]
        )


@pytest.mark.parametrize(
    ("name", "kind"), [("ckks", "ciphertext"), ("iom", "histogram"), ("ndb", "records")]
)
def test_each_scheme_previews_its_own_template(
    name: str, kind: str, protection: dict[str, ProtectionScheme], descriptors: Descriptors
) -> None:
    scheme = protection[name]
    template = scheme.enroll(descriptors["obama"])
    preview = scheme.preview(template)
    assert preview.kind == kind
    if name == "iom":
        assert len(preview.histogram) == scheme.params["q"]
        assert sum(preview.histogram) == scheme.params["m"]
    else:
        assert preview.histogram == []
    if name == "ndb":
        assert len(preview.records) == 6
        assert all(re.fullmatch(r"(bit \d+ = [01]  ){4}bit \d+ = [01]", r) for r in preview.records)
    else:
        assert preview.records == []
    altered = template[:-1] + bytes([template[-1] ^ 1])
    with pytest.raises(TemplateIntegrityError):
        scheme.preview(altered)


def test_schemes_come_from_the_registry_of_dotted_paths(
    vault: KeyVault, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert scheme_names() == ["ckks", "iom", "ndb"]
    monkeypatch.setitem(schemes.SCHEMES, "mine", "peeka.protection.schemes:IomScheme")
    assert isinstance(
        get_scheme("mine", vault=vault, seeds=MemorySeedStore(), model=MODEL), IomScheme
    )
    monkeypatch.setitem(schemes.SCHEMES, "broken", "peeka.protection.no_such_module:Scheme")
    with pytest.raises(ModuleNotFoundError):
        get_scheme("broken", vault=vault, seeds=MemorySeedStore(), model=MODEL)
