"""Tests for peeka.protection.ckks: encrypted 1:1 and 1:N decisions equal plaintext ones on real
and synthetic descriptors, the matcher never holds the secret key, and scores stay masked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

# Tests may decrypt with the secret context to look inside what the matcher produced.
import tenseal as ts

from peeka.biometrics import FaceEngine, calibration, load_image
from peeka.protection.ckks import (
    _BLOCK,
    _SCORE,
    _SCORES,
    _TEMPLATE,
    CkksParams,
    DecisionService,
    GalleryBlock,
    KeyPair,
    Matcher,
    _unpack,
)

Vector = npt.NDArray[np.float64]
# dlib descriptors measure about 1.4; synthetic ones get the same scale.
NORM = 1.4


@pytest.fixture(scope="module")
def keys() -> KeyPair:
    return KeyPair.generate()


@pytest.fixture(scope="module")
def public_context(keys: KeyPair) -> bytes:
    return keys.public_context()


@pytest.fixture(scope="module")
def matcher(public_context: bytes) -> Matcher:
    return Matcher(public_context)


@pytest.fixture(scope="module")
def service(keys: KeyPair) -> DecisionService:
    return DecisionService(keys.secret_context())


@pytest.fixture(scope="module")
def secret(keys: KeyPair) -> ts.Context:
    """The secret context as TenSEAL sees it, to decrypt inside the tests."""
    return ts.context_from(keys.secret_context())


@pytest.fixture(scope="module")
def faces(faces_dir: Path, engine: FaceEngine) -> dict[str, npt.NDArray[np.float32]]:
    """Obama's enrollment reference and the login probes of Obama (genuine) and Biden."""
    return {
        "ref": engine.reference([load_image(faces_dir / "obama.jpg")]).embedding,
        "genuine": engine.probe(load_image(faces_dir / "obama2.jpg")).embedding,
        "impostor": engine.probe(load_image(faces_dir / "biden.jpg")).embedding,
    }


@pytest.fixture(scope="module")
def threshold(engine: FaceEngine) -> float:
    return calibration.load(engine.model).threshold


def _random_descriptors(rng: np.random.Generator, count: int) -> Vector:
    x = rng.standard_normal((count, 128))
    scaled: Vector = NORM * x / np.linalg.norm(x, axis=1, keepdims=True)
    return scaled


def _at_distance(x: Vector, distance: float, rng: np.random.Generator) -> Vector:
    direction = rng.standard_normal(x.size)
    moved: Vector = x + distance * direction / np.linalg.norm(direction)
    return moved


def _plain_accepts(template: npt.ArrayLike, probe: npt.ArrayLike, threshold: float) -> bool:
    return bool(np.linalg.norm(np.subtract(template, probe)) <= threshold)


def _decrypt(secret: ts.Context, data: bytes) -> Vector:
    return np.asarray(ts.ckks_vector_from(secret, data).decrypt(), dtype=np.float64)


def test_a_genuine_face_is_accepted_and_an_impostor_rejected_as_in_plaintext(
    faces: dict[str, npt.NDArray[np.float32]],
    threshold: float,
    matcher: Matcher,
    service: DecisionService,
) -> None:
    template = matcher.encrypt_template(faces["ref"])
    decisions = {}
    for name in ("genuine", "impostor"):
        masked = matcher.masked_score(template, faces[name], threshold)
        decisions[name] = service.decide(masked)
        assert decisions[name] == _plain_accepts(faces["ref"], faces[name], threshold)
    assert decisions == {"genuine": True, "impostor": False}


def test_decisions_equal_plaintext_just_inside_and_outside_the_threshold(
    matcher: Matcher, service: DecisionService
) -> None:
    rng = np.random.default_rng(7)
    threshold = 0.47
    templates = _random_descriptors(rng, 4)
    block = matcher.build_block(templates)
    for index, x in enumerate(templates):
        stored = matcher.encrypt_template(x)
        for offset in (-0.01, 0.01, -1e-4, 1e-4):
            probe = _at_distance(x, threshold + offset, rng)
            expected = offset < 0
            assert _plain_accepts(x, probe, threshold) == expected
            assert service.decide(matcher.masked_score(stored, probe, threshold)) == expected
            accepted = service.decide_many(matcher.masked_scores(block, probe, threshold))
            assert accepted[index] == expected
            assert np.array_equal(
                accepted[: len(templates)],
                [_plain_accepts(other, probe, threshold) for other in templates],
            )


def test_the_public_context_holds_no_secret_key(
    keys: KeyPair, public_context: bytes, matcher: Matcher
) -> None:
    context = ts.context_from(public_context)
    assert not context.is_private()
    assert not context.has_secret_key()
    assert context.has_public_key()
    template = matcher.encrypt_template(_random_descriptors(np.random.default_rng(1), 1)[0])
    _, fields = _unpack(template, _TEMPLATE, 2)
    with pytest.raises(ValueError, match="secret_key"):
        ts.ckks_vector_from(context, fields[1]).decrypt()
    without_rotations = ts.context_from(keys.public_context(rotations=False))
    assert not without_rotations.has_secret_key()
    assert not without_rotations.has_galois_keys()


def test_nothing_the_matcher_stores_contains_the_secret_key(
    keys: KeyPair, public_context: bytes, matcher: Matcher
) -> None:
    # The secret key's own serialisation: what a context with only the secret key adds to one
    # with no key at all.
    context = ts.context_from(keys.secret_context())
    no_keys = context.serialize(
        save_public_key=False, save_secret_key=False, save_galois_keys=False, save_relin_keys=False
    )
    with_secret = context.serialize(
        save_public_key=False, save_secret_key=True, save_galois_keys=False, save_relin_keys=False
    )
    assert with_secret.startswith(no_keys)
    secret_key = with_secret[len(no_keys) :]
    assert len(secret_key) > 100_000
    pieces = [secret_key[start : start + 32] for start in range(1000, len(secret_key) - 32, 20011)]
    assert all(piece in keys.secret_context() for piece in pieces)  # the search would find it

    rows = _random_descriptors(np.random.default_rng(2), 3)
    stored = [
        public_context,
        keys.public_context(rotations=False),
        matcher.encrypt_template(rows[0]),
        matcher.build_block(rows).to_bytes(),
    ]
    for blob in stored:
        assert not any(piece in blob for piece in pieces)


def test_every_comparison_gets_a_fresh_mask_that_keeps_the_sign(
    matcher: Matcher, secret: ts.Context
) -> None:
    rng = np.random.default_rng(3)
    threshold = 0.47
    x = _random_descriptors(rng, 1)[0]
    template = matcher.encrypt_template(x)
    for distance in (0.3, 0.6):
        probe = _at_distance(x, distance, rng)
        margin = threshold**2 - distance**2
        first, second = (
            _decrypt(
                secret, _unpack(matcher.masked_score(template, probe, threshold), _SCORE, 1)[1][0]
            )[0]
            for _ in range(2)
        )
        assert first != pytest.approx(second, rel=1e-6)
        assert np.sign(first) == np.sign(second) == np.sign(margin)
        for value in (first, second):
            assert 2.0**-8 <= value / margin <= 2.0**8

    rows = _random_descriptors(rng, 20)
    probe = _at_distance(rows[0], 0.2, rng)
    _, fields = _unpack(
        matcher.masked_scores(matcher.build_block(rows), probe, threshold), _SCORES, 2
    )
    values = _decrypt(secret, fields[1])
    margins = threshold**2 - np.sum((rows - probe) ** 2, axis=1)
    rho = values[: len(rows)] / margins
    assert np.all((rho >= 2.0**-8) & (rho <= 2.0**8))
    # One rho per slot: a single factor for the block would let ratios of scores compare faces.
    assert np.std(np.log2(rho)) > 1.0
    assert np.all(np.abs(values[len(rows) :]) < 1e-6)


def test_one_to_n_finds_the_face_only_at_its_slot_until_it_is_removed(
    faces: dict[str, npt.NDArray[np.float32]],
    threshold: float,
    matcher: Matcher,
    service: DecisionService,
) -> None:
    rng = np.random.default_rng(4)
    gallery = _random_descriptors(rng, 50)
    ref_slot = 23
    gallery = np.insert(gallery, ref_slot, faces["ref"], axis=0)
    block = matcher.build_block(gallery)
    assert block.capacity == matcher.capacity == 4096
    assert np.flatnonzero(block.live).tolist() == list(range(51))
    assert block.free == 4096 - 51
    # A second login that belongs to one of the synthetic people.
    other_slot = 40
    other = _at_distance(gallery[other_slot], 0.3, rng)

    def found(current: GalleryBlock, probe: npt.ArrayLike) -> list[int]:
        accepted = service.decide_many(matcher.masked_scores(current, probe, threshold))
        assert accepted.shape == (4096,)
        return [int(slot) for slot in np.flatnonzero(accepted)]

    plain = [i for i, x in enumerate(gallery) if _plain_accepts(x, faces["genuine"], threshold)]
    assert found(block, faces["genuine"]) == plain == [ref_slot]
    assert found(block, faces["impostor"]) == []
    assert found(block, other) == [other_slot]

    removed = matcher.remove_from_block(block, [ref_slot])
    assert not removed.live[ref_slot]
    assert found(removed, faces["genuine"]) == []
    assert found(removed, other) == [other_slot]
    # Removal costs no level of the modulus chain, so it can be repeated indefinitely.
    for slot in (0, 1, 2):
        removed = matcher.remove_from_block(removed, [slot])
    assert found(removed, other) == [other_slot]
    added, slot = matcher.add_to_block(removed, faces["ref"])
    assert slot == 51
    assert found(added, faces["genuine"]) == [51]
    assert found(added, other) == [other_slot]


def test_a_removed_template_leaves_only_noise(matcher: Matcher, secret: ts.Context) -> None:
    rows = _random_descriptors(np.random.default_rng(5), 3)
    block = matcher.remove_from_block(matcher.build_block(rows), [1])
    _, fields = _unpack(block.to_bytes(), _BLOCK, None)
    columns = np.array([_decrypt(secret, field) for field in fields[1:]])
    kept = columns[:, 0]
    assert np.allclose(kept[:-1], rows[0], atol=1e-6)
    assert kept[-1] == pytest.approx(NORM**2, abs=1e-6)
    gone = columns[:, 1]
    assert np.median(np.abs(gone)) > 1e5
    assert abs(np.corrcoef(gone[:-1], rows[1])[0, 1]) < 0.5


def test_a_block_survives_serialisation(matcher: Matcher, service: DecisionService) -> None:
    rng = np.random.default_rng(6)
    rows = _random_descriptors(rng, 5)
    block = matcher.remove_from_block(matcher.build_block(rows), [2])
    loaded = matcher.load_block(block.to_bytes())
    assert np.array_equal(loaded.live, block.live)
    probe = _at_distance(rows[3], 0.2, rng)
    accepted = service.decide_many(matcher.masked_scores(loaded, probe, 0.47))
    assert np.flatnonzero(accepted).tolist() == [3]


def test_values_under_another_key_are_refused_instead_of_decided_at_random(
    matcher: Matcher, service: DecisionService
) -> None:
    other_keys = KeyPair.generate()
    other = Matcher(other_keys.public_context(rotations=False))
    assert other.key_id == other_keys.key_id != matcher.key_id == service.key_id
    x = _random_descriptors(np.random.default_rng(8), 1)[0]
    foreign_template = other.encrypt_template(x)
    with pytest.raises(ValueError, match="encrypted under CKKS key"):
        matcher.masked_score(foreign_template, x, 0.47)
    foreign_block = other.build_block(x[None, :])
    with pytest.raises(ValueError, match="encrypted under CKKS key"):
        matcher.masked_scores(foreign_block, x, 0.47)
    with pytest.raises(ValueError, match="encrypted under CKKS key"):
        matcher.load_block(foreign_block.to_bytes())
    with pytest.raises(ValueError, match="computed under CKKS key"):
        service.decide_many(other.masked_scores(foreign_block, x, 0.47))
    # Without rotation keys a matcher still does 1:N but says why it cannot do 1:1.
    assert DecisionService(other_keys.secret_context()).decide_many(
        other.masked_scores(foreign_block, x, 0.47)
    )[0]
    with pytest.raises(ValueError, match="rotations=True"):
        other.masked_score(foreign_template, x, 0.47)


def test_each_side_refuses_the_other_sides_context(keys: KeyPair, public_context: bytes) -> None:
    with pytest.raises(ValueError, match="holds the secret key"):
        Matcher(keys.secret_context())
    with pytest.raises(ValueError, match=r"needs KeyPair\.secret_context"):
        DecisionService(public_context)
    with pytest.raises(ValueError, match="not a TenSEAL context"):
        Matcher(b"not a context")
    with pytest.raises(ValueError, match="must be bytes"):
        DecisionService("a string")  # type: ignore[arg-type]
    assert KeyPair(keys.secret_context()).key_id == keys.key_id
    with pytest.raises(ValueError, match="not the public one"):
        KeyPair(public_context)


@pytest.mark.parametrize(
    ("embedding", "message"),
    [
        (np.full(127, 0.1), r"shape \(128,\)"),
        (np.full((2, 128), 0.1), r"shape \(128,\)"),
        (np.r_[np.nan, np.full(127, 0.1)], "NaN"),
        (np.r_[np.inf, np.full(127, 0.1)], "infinite"),
        (np.full(128, 1.0), "norm 11.3"),
    ],
)
def test_it_rejects_unusable_embeddings(matcher: Matcher, embedding: Vector, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        matcher.encrypt_template(embedding)
    block = matcher.build_block(np.zeros((0, 128)))
    with pytest.raises(ValueError, match=message):
        matcher.add_to_block(block, embedding)


@pytest.mark.parametrize(
    ("embeddings", "message"),
    [
        (np.full((3, 127), 0.1), r"shape \(n, 128\)"),
        (np.full(128, 0.1), r"shape \(n, 128\)"),
        (np.r_[np.full((2, 128), 0.1), np.full((1, 128), np.nan)], "NaN"),
        (np.r_[np.full((2, 128), 0.1), np.full((1, 128), 1.0)], "embedding 2 has norm 11.3"),
        (np.zeros((4097, 128)), "at most 4096 templates, got 4097"),
    ],
)
def test_it_rejects_unusable_galleries(matcher: Matcher, embeddings: Vector, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        matcher.build_block(embeddings)


def test_it_rejects_unusable_blocks_probes_thresholds_and_slots(matcher: Matcher) -> None:
    rows = _random_descriptors(np.random.default_rng(9), 2)
    block = matcher.build_block(rows)
    template = matcher.encrypt_template(rows[0])
    with pytest.raises(ValueError, match=r"probe must have shape \(128,\)"):
        matcher.masked_scores(block, rows[0][:64], 0.47)
    for threshold in (0.0, -0.5, float("nan"), 9.0):
        with pytest.raises(ValueError, match="threshold must be a distance"):
            matcher.masked_score(template, rows[1], threshold)
    with pytest.raises(ValueError, match="slot 1 holds no template"):
        matcher.remove_from_block(matcher.remove_from_block(block, [1]), [1])
    with pytest.raises(ValueError, match="outside the block"):
        matcher.remove_from_block(block, [4096])
    with pytest.raises(ValueError, match="slots must be integers"):
        matcher.remove_from_block(block, [1.0])  # type: ignore[list-item]
    full = matcher.build_block(np.zeros((4096, 128)))
    with pytest.raises(ValueError, match="no free slot"):
        matcher.add_to_block(full, rows[0])
    with pytest.raises(ValueError, match="expected a GalleryBlock"):
        matcher.masked_scores(block.to_bytes(), rows[0], 0.47)  # type: ignore[arg-type]


def test_it_rejects_bytes_that_are_not_what_they_should_be(
    matcher: Matcher, service: DecisionService
) -> None:
    rows = _random_descriptors(np.random.default_rng(10), 2)
    template = matcher.encrypt_template(rows[0])
    masked = matcher.masked_score(template, rows[1], 0.47)
    with pytest.raises(ValueError, match="not a Peeka CKKS value"):
        matcher.masked_score(b"garbage", rows[1], 0.47)
    with pytest.raises(ValueError, match="expected a 1:1 template, got a masked score"):
        matcher.masked_score(masked, rows[1], 0.47)
    with pytest.raises(ValueError, match="expected a gallery block, got a 1:1 template"):
        matcher.load_block(template)
    with pytest.raises(ValueError, match="truncated"):
        matcher.masked_score(template[:-10], rows[1], 0.47)
    with pytest.raises(ValueError, match="trailing bytes"):
        service.decide(masked + b"\0")
    with pytest.raises(ValueError, match="expected a masked block scores, got a masked score"):
        service.decide_many(masked)
    corrupt = masked[:-5000] + bytes(5000)
    with pytest.raises(ValueError, match="cannot read the masked score"):
        service.decide(corrupt[: len(masked)])
    with pytest.raises(ValueError, match="must be bytes"):
        service.decide(bytearray(masked))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"poly_modulus_degree": 6000}, "power of two"),
        ({"coeff_mod_bit_sizes": (60,)}, "special prime"),
        ({"global_scale_bits": 20}, "30..60"),
        ({"coeff_mod_bit_sizes": (50, 40, 60)}, "give 90 bits.*needs at least 100"),
    ],
)
def test_it_rejects_bad_params(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CkksParams(**fields)  # type: ignore[arg-type]


def test_seal_refuses_insecure_parameters_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="SEAL refused the CKKS parameters"):
        KeyPair.generate(CkksParams(coeff_mod_bit_sizes=(60, 60, 60, 60)))
