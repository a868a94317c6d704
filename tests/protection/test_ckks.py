"""Tests for peeka.protection.ckks (and its numpy arithmetic, ckks_ring): encrypted 1:1 and 1:N
decisions equal plaintext ones on real and synthetic descriptors, the numpy ring agrees with
SEAL bit for bit, the matcher never holds the secret key, and scores stay masked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

# Tests may use SEAL directly to check the numpy arithmetic against it.
import tenseal as ts
import tenseal.sealapi as seal
import tenseal.sealapi.util as seal_util

from peeka.biometrics import FaceEngine, calibration, load_image
from peeka.protection import ckks
from peeka.protection.ckks import (
    _BLOCK,
    _SCORE,
    _SCORES,
    CkksParams,
    DecisionService,
    GalleryBlock,
    KeyPair,
    Matcher,
    _unpack,
)
from peeka.protection.ckks_ring import Ring

Vector = npt.NDArray[np.float64]
# dlib descriptors measure about 1.4; synthetic ones get the same scale.
NORM = 1.4
# The scales the matcher uses (see ckks.py): templates 2**40, 1:N probe weights 2**26 and masks
# 2**30, 1:1 probe plaintext 2**40 and mask 2**20.
BLOCK_SCALE = 2.0 ** (40 + 26 + 30 + 1)
# Decisions may differ from plaintext only where tau - d2 is within the CKKS error of zero. The
# worst slot of a full block measured 2e-8 to 3e-8 over 18 blocks (the TenSEAL implementation
# before: 2.4e-8), 1:1 below 1e-8; this bound catches a 4-fold loss of precision.
PRECISION = 1e-7


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
def ring(matcher: Matcher) -> Ring:
    return matcher._ring


@pytest.fixture(scope="module")
def full_block(matcher: Matcher) -> tuple[GalleryBlock, Vector]:
    """A block with all 4096 slots live."""
    rows = _random_descriptors(np.random.default_rng(11), matcher.capacity)
    return matcher.build_block(rows), rows


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


@pytest.fixture
def fixed_rho(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Makes every mask rho the next of the given values, cycled (1.0 when empty)."""
    values: list[float] = []

    def rhos(count: int) -> Vector:
        pattern = np.array(values or [1.0])
        return np.resize(pattern, count).astype(np.float64)

    monkeypatch.setattr(ckks, "_rhos", rhos)
    yield values


def _random_descriptors(rng: np.random.Generator, count: int, dim: int = 128) -> Vector:
    x = rng.standard_normal((count, dim))
    scaled: Vector = NORM * x / np.linalg.norm(x, axis=1, keepdims=True)
    return scaled


def _at_distance(x: Vector, distance: float, rng: np.random.Generator) -> Vector:
    direction = rng.standard_normal(x.size)
    moved: Vector = x + distance * direction / np.linalg.norm(direction)
    return moved


def _plain_accepts(template: npt.ArrayLike, probe: npt.ArrayLike, threshold: float) -> bool:
    return bool(np.linalg.norm(np.subtract(template, probe)) <= threshold)


def _quantized(probe: Vector) -> Vector:
    """The probe as the 1:N matcher weighs it: on a 2**-27 grid."""
    rounded: Vector = np.round(probe * 2.0**27) / 2.0**27
    return rounded


def _block_margins(
    matcher: Matcher,
    service: DecisionService,
    block: GalleryBlock,
    probe: Vector,
    threshold: float,
    rho: Vector,
) -> Vector:
    """The decrypted tau - d2 of every slot, with the encoded masks divided out."""
    _, values = service._block_scores(matcher.masked_scores(block, probe, threshold))
    ring = matcher._ring
    masks = np.where(block.live, rho, 0.0)
    encoded = ring.decode(ring.encode(masks, 2.0**30).astype(np.float64)).real / 2.0**30
    margins: Vector = values / BLOCK_SCALE / np.where(block.live, encoded, 1.0)
    return margins


def _decrypted_columns(service: DecisionService, block: GalleryBlock) -> npt.NDArray[np.complex128]:
    """The slots of every ciphertext of a block, decrypted (the key holder's view)."""
    _, fields = _unpack(block.to_bytes(), _BLOCK, 3)
    ring = service._ring
    shape = (-1, 2, ring.levels, ring.degree)
    cipher = np.frombuffer(fields[2], dtype="<u8").reshape(shape).astype(np.int64)
    slots: npt.NDArray[np.complex128] = np.array(
        [service._decode(service._decrypt(column)) for column in cipher]
    )
    return slots / 2.0**40


# The numpy ring against SEAL ---------------------------------------------------------------------


def test_the_numpy_ntt_is_seals(ring: Ring) -> None:
    rng = np.random.default_rng(20)
    values = np.stack([rng.integers(0, q, ring.degree) for q in ring.primes]).astype(np.int64)
    log_degree = ring.degree.bit_length() - 1
    seals = np.array(
        [
            seal_util.ntt_negacyclic_harvey(
                row.tolist(), seal_util.NTTTables(log_degree, seal.Modulus(q))
            )
            for row, q in zip(values, ring.primes, strict=True)
        ],
        dtype=np.int64,
    )
    assert np.array_equal(ring.ntt(values), seals)
    assert np.array_equal(ring.intt(seals), values)
    stacked = np.stack([values, seals])
    assert np.array_equal(ring.intt(ring.ntt(stacked)), stacked)


def test_the_numpy_encoding_is_seals(keys: KeyPair, ring: Ring) -> None:
    context = ts.context_from(keys.secret_context())
    encoder = seal.CKKSEncoder(context.seal_context().data)
    parms_id = context.seal_context().data.first_context_data().parms_id()
    rng = np.random.default_rng(21)
    slots = rng.standard_normal(ring.slots) + 1j * rng.standard_normal(ring.slots)
    plain = seal.Plaintext()
    encoder.encode(slots.tolist(), parms_id, 2.0**30, plain)
    count = ring.levels * ring.degree
    seals = np.fromiter(map(plain.__getitem__, range(count)), np.uint64, count)
    assert np.array_equal(
        ring.encode_ntt(slots, 2.0**30), seals.astype(np.int64).reshape(-1, ring.degree)
    )
    decoded = ring.decode(ring.to_float(ring.intt(ring.encode_ntt(slots, 2.0**30)))) / 2.0**30
    assert np.max(np.abs(decoded - slots)) < 1e-7
    # Real values give a polynomial with a(X^-1) = a(X): exactly real slots.
    real = ring.encode_ntt(slots.real, 2.0**30)
    assert np.array_equal(real, ring.conjugate(real))
    # X^(N/2) is i in the even slots and -i in the odd ones.
    turn = ring.decode(ring.to_float(ring.intt(ring.half_turn)))
    assert np.allclose(turn, 1j * ring.half_turn_signs)


def test_exact_weighted_sums_and_chinese_remainders(ring: Ring) -> None:
    rng = np.random.default_rng(22)
    count = 65
    residues = np.stack([rng.integers(0, q, (count, 2, 4)) for q in ring.primes], axis=2).astype(
        np.int64
    )  # (count, 2, L, 4)
    weights = rng.integers(-(2**31), 2**31, (2, count))
    weights[0, :3] = [2**31 - 1, -(2**31), 0]
    sums = ring.weighted_sums(ring.centered(residues), ring.digits(weights, count))
    for k in range(2):
        for limb, q in enumerate(ring.primes):
            expected = [
                sum(
                    int(w) * int(r)
                    for w, r in zip(weights[k], residues[:, p, limb, i], strict=True)
                )
                % q
                for p in range(2)
                for i in range(4)
            ]
            assert sums[k, :, limb].ravel().tolist() == expected
    values = [0, 5, -7, 2**110 + 3, -(2**115) + 11, 123456789 * 2**70]
    exact = [[v % q for v in values] for q in ring.primes]
    assert [ring.to_int([row[i] for row in exact]) for i in range(len(values))] == values
    floats = ring.to_float(np.array(exact, dtype=np.int64))
    assert np.allclose(floats, [float(v) for v in values], rtol=2.0**-50, atol=0)


def test_two_blocks_masks_share_one_ntt_exactly(
    matcher: Matcher, ring: Ring, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(23)
    masks = [rng.uniform(2.0**-8, 2.0**8, ring.slots) for _ in range(2)]
    drawn = iter(masks)
    monkeypatch.setattr(ckks, "_rhos", lambda count: next(drawn).copy())
    live = [np.ones(ring.slots, dtype=bool), np.arange(ring.slots) % 3 == 0]
    shared = matcher._masks(live)
    for operand, mask, alive in zip(shared, masks, live, strict=True):
        alone = ring.encode_ntt(np.where(alive, mask, 0.0), 2.0**30)
        assert np.array_equal(operand.values, alone)


# Decisions -----------------------------------------------------------------------------------


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
        for offset in (-0.01, 0.01, -1e-5, 1e-5):
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


def test_the_1_to_1_error_is_far_below_the_decision_margin(
    matcher: Matcher, service: DecisionService, fixed_rho: list[float]
) -> None:
    rng = np.random.default_rng(12)
    threshold = 0.47
    errors = []
    for x in _random_descriptors(rng, 5):
        template = matcher.encrypt_template(x)
        for distance in (0.2, 0.47, 0.9):
            probe = _at_distance(x, distance, rng)
            # rho = 1 is 2**20 exactly; the constant coefficient is 2/N of the slot sum.
            value = service._score(matcher.masked_score(template, probe, threshold))
            margin = value / 2.0 ** (80 + 20 + 1 - 13)
            errors.append(abs(margin - (threshold**2 - np.sum((x - probe) ** 2))))
    assert max(errors) < PRECISION


def test_the_1_to_n_error_is_far_below_the_decision_margin_in_every_slot(
    matcher: Matcher,
    service: DecisionService,
    full_block: tuple[GalleryBlock, Vector],
    fixed_rho: list[float],
) -> None:
    block, rows = full_block
    rng = np.random.default_rng(13)
    threshold = 0.47
    probe = _at_distance(rows[5], 0.3, rng)
    # The extreme masks, alternating, so that the largest masked values sit next to the
    # smallest ones as the double-precision decoding sees them.
    fixed_rho += [2.0**8, 2.0**-8]
    rho = np.resize(np.array(fixed_rho), matcher.capacity)
    expected = threshold**2 - np.sum((rows - _quantized(probe)) ** 2, axis=1)

    margins = _block_margins(matcher, service, block, probe, threshold, rho)
    assert np.max(np.abs(margins - expected)) < PRECISION

    # After removals: noise of up to 2**24 in 300 slots, encoded next to the live ones.
    removed = matcher.remove_from_block(block, range(0, 600, 2))
    margins = _block_margins(matcher, service, removed, probe, threshold, rho)
    kept = removed.live
    assert kept.sum() == matcher.capacity - 300
    assert np.max(np.abs(margins[kept] - expected[kept])) < PRECISION


def test_equal_decisions_in_a_full_block_after_many_removals(
    matcher: Matcher, service: DecisionService, full_block: tuple[GalleryBlock, Vector]
) -> None:
    block, rows = full_block
    rng = np.random.default_rng(14)
    threshold = 0.47
    removed = matcher.remove_from_block(block, range(100, 4000, 3))
    for target in (0, 101, 4095):
        probe = _at_distance(rows[target], 0.3, rng)
        plain = np.linalg.norm(rows - probe, axis=1) <= threshold
        accepted = service.decide_many(matcher.masked_scores(removed, probe, threshold))
        assert np.array_equal(accepted, plain & removed.live)


def test_a_parallel_search_decides_like_one_block_at_a_time(
    matcher: Matcher, service: DecisionService
) -> None:
    rng = np.random.default_rng(15)
    rows = _random_descriptors(rng, 30)
    blocks = [matcher.build_block(rows[start : start + 10]) for start in (0, 10, 20)]
    probe = _at_distance(rows[14], 0.25, rng)
    masked = matcher.search(blocks, probe, 0.47, workers=2)
    assert len(masked) == 3
    # Two at a time (the second block in the imaginary parts) and the odd one alone.
    together = service.decide_all(masked, workers=2)
    alone = [service.decide_many(item) for item in masked]
    assert [np.flatnonzero(found).tolist() for found in together] == [[], [4], []]
    assert all(np.array_equal(a, b) for a, b in zip(together, alone, strict=True))
    near = [_at_distance(rows[index], 0.3, rng) for index in (3, 27)]
    for probe in near:
        masked = matcher.search(blocks, probe, 0.47, workers=1)
        plain = [np.linalg.norm(rows[i : i + 10] - probe, axis=1) <= 0.47 for i in (0, 10, 20)]
        found = service.decide_all(masked, workers=1)
        assert all(np.array_equal(f[:10], p) for f, p in zip(found, plain, strict=True))
        assert not any(f[10:].any() for f in found)
    with pytest.raises(ValueError, match="workers must be at least 1"):
        matcher.search(blocks, probe, 0.47, workers=0)


# What each side holds and sees ---------------------------------------------------------------


def test_the_public_context_holds_no_secret_key(
    keys: KeyPair, public_context: bytes, matcher: Matcher
) -> None:
    context = ts.context_from(public_context)
    assert not context.is_private()
    assert not context.has_secret_key()
    assert context.has_public_key()
    # Matching needs no Galois keys: the matcher's context stays small.
    assert not context.has_galois_keys()
    assert len(public_context) < 2_000_000
    with_rotations = ts.context_from(keys.public_context(rotations=True))
    assert with_rotations.has_galois_keys()
    assert not with_rotations.has_secret_key()
    assert Matcher(keys.public_context(rotations=True)).key_id == matcher.key_id


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
        matcher.encrypt_template(rows[0]),
        matcher.build_block(rows).to_bytes(),
    ]
    for blob in stored:
        assert not any(piece in blob for piece in pieces)


def test_a_1_to_1_comparison_hands_over_only_the_total(
    matcher: Matcher, service: DecisionService, ring: Ring
) -> None:
    x = _random_descriptors(np.random.default_rng(16), 1)[0]
    masked = matcher.masked_score(matcher.encrypt_template(x), x, 0.47)
    _, fields = _unpack(masked, _SCORE, 2)
    # One residue per prime of the first half, which decrypts to the slot sum alone; the other
    # 8191 coefficients of the first half (they would give every product x_j y_j) stay behind.
    assert len(fields[0]) == 8 * ring.levels
    assert len(fields[1]) == 8 * ring.levels * ring.degree
    assert service._score(masked) > 0


def test_a_stolen_template_decrypts_only_with_the_secret_key(
    keys: KeyPair, matcher: Matcher
) -> None:
    x = _random_descriptors(np.random.default_rng(19), 1)[0]
    template = matcher.encrypt_template(x)
    values = ckks._decrypt_template(keys.secret_context(), template)
    assert np.allclose(values[:128], x, atol=1e-6)
    assert values[128] == pytest.approx(NORM**2, abs=1e-6)
    assert values[129] == pytest.approx(1.0, abs=1e-6)
    assert np.max(np.abs(values[130:])) < 1e-6
    with pytest.raises(ValueError, match="computed under CKKS key"):
        ckks._decrypt_template(KeyPair.generate().secret_context(), template)


def test_a_1_to_n_comparison_hands_over_only_the_real_parts(
    matcher: Matcher, service: DecisionService, ring: Ring
) -> None:
    rng = np.random.default_rng(17)
    rows = _random_descriptors(rng, 40)
    block = matcher.build_block(rows)
    probe = _at_distance(rows[3], 0.3, rng)
    _, fields = _unpack(matcher.masked_scores(block, probe, 0.47), _SCORES, 3)
    first = np.frombuffer(fields[1], dtype="<u8").astype(np.int64).reshape(ring.levels, -1)
    second = np.frombuffer(fields[2], dtype="<u8").astype(np.int64).reshape(ring.levels, -1)
    # The first half comes as c0 + sigma(c0): whatever the key holder does with it decrypts
    # to d + sigma(d), whose slots are twice the real parts; the imaginary parts, which hold
    # x_a y_b - x_b y_a, cannot be had.
    assert np.array_equal(first, ring.conjugate(first))
    product = ring.multiply(second, service._secret)
    slots = service._decode(
        ring.fold(first + product + ring.conjugate(product) - ring.primes_column)
    )
    assert np.max(np.abs(slots.imag)) < 1e-6 * np.max(np.abs(slots.real))


def test_every_comparison_gets_a_fresh_mask_that_keeps_the_sign(
    matcher: Matcher, service: DecisionService
) -> None:
    rng = np.random.default_rng(3)
    threshold = 0.47
    x = _random_descriptors(rng, 1)[0]
    template = matcher.encrypt_template(x)
    for distance in (0.3, 0.6):
        probe = _at_distance(x, distance, rng)
        margin = threshold**2 - distance**2
        first, second = (
            service._score(matcher.masked_score(template, probe, threshold)) / 2.0**88
            for _ in range(2)
        )
        assert first != pytest.approx(second, rel=1e-6)
        assert np.sign(first) == np.sign(second) == np.sign(margin)
        for value in (first, second):
            assert 2.0**-8 <= value / margin <= 2.0**8

    rows = _random_descriptors(rng, 20)
    probe = _at_distance(rows[0], 0.2, rng)
    block = matcher.build_block(rows)
    live, values = service._block_scores(matcher.masked_scores(block, probe, threshold))
    margins = threshold**2 - np.sum((rows - probe) ** 2, axis=1)
    rho = values[: len(rows)] / BLOCK_SCALE / margins
    assert np.all((rho >= 2.0**-8 * 0.999) & (rho <= 2.0**8 * 1.001))
    # One rho per slot: a single factor for the block would let ratios of scores compare faces.
    assert np.std(np.log2(rho)) > 1.0
    assert not live[len(rows) :].any()
    assert np.all(np.abs(values[len(rows) :]) / BLOCK_SCALE < 1e-5)


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


def test_a_removed_template_leaves_only_noise(matcher: Matcher, service: DecisionService) -> None:
    rows = _random_descriptors(np.random.default_rng(5), 3)
    block = matcher.remove_from_block(matcher.build_block(rows), [1])
    columns = _decrypted_columns(service, block)  # (65, 4096) complex
    signs = matcher._ring.half_turn_signs

    def values(slot: int) -> Vector:
        paired = np.stack([columns[:, slot].real, columns[:, slot].imag * signs[slot]], axis=1)
        flat: Vector = paired.ravel()[:129]
        return flat

    kept = values(0)
    assert np.allclose(kept[:-1], rows[0], atol=1e-6)
    assert kept[-1] == pytest.approx(NORM**2, abs=1e-6)
    assert np.allclose(values(2)[:-1], rows[2], atol=1e-6)
    gone = values(1)
    assert np.median(np.abs(gone)) > 1e5
    assert abs(np.corrcoef(gone[:-1], rows[1])[0, 1]) < 0.5


def test_a_block_survives_serialisation(matcher: Matcher, service: DecisionService) -> None:
    rng = np.random.default_rng(6)
    rows = _random_descriptors(rng, 5)
    block = matcher.remove_from_block(matcher.build_block(rows), [2])
    data = block.to_bytes()
    loaded = matcher.load_block(data)
    assert np.array_equal(loaded.live, block.live)
    assert loaded.to_bytes() == data
    probe = _at_distance(rows[3], 0.2, rng)
    accepted = service.decide_many(matcher.masked_scores(loaded, probe, 0.47))
    assert np.flatnonzero(accepted).tolist() == [3]


def test_other_dimensions_and_64_dimensional_descriptors(keys: KeyPair) -> None:
    rng = np.random.default_rng(18)
    service = DecisionService(keys.secret_context())
    for dim in (64, 3):
        matcher = Matcher(keys.public_context(), dim=dim)
        rows = _random_descriptors(rng, 6, dim)
        block = matcher.build_block(rows)
        probe = _at_distance(rows[4], 0.3, rng)
        assert np.flatnonzero(
            service.decide_many(matcher.masked_scores(block, probe, 0.47))
        ).tolist() == [4]
        template = matcher.encrypt_template(rows[4])
        assert service.decide(matcher.masked_score(template, probe, 0.47))
        assert not service.decide(
            matcher.masked_score(template, _at_distance(rows[4], 0.5, rng), 0.47)
        )
        with pytest.raises(ValueError, match="was not made for"):
            Matcher(keys.public_context(), dim=128).load_block(block.to_bytes())


# Refusals --------------------------------------------------------------------------------------


def test_values_under_another_key_are_refused_instead_of_decided_at_random(
    matcher: Matcher, service: DecisionService
) -> None:
    other_keys = KeyPair.generate()
    other = Matcher(other_keys.public_context())
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
    with pytest.raises(ValueError, match="encrypted under CKKS key"):
        matcher.search([foreign_block], x, 0.47)
    with pytest.raises(ValueError, match="computed under CKKS key"):
        service.decide_many(other.masked_scores(foreign_block, x, 0.47))
    with pytest.raises(ValueError, match="computed under CKKS key"):
        service.decide(other.masked_score(foreign_template, x, 0.47))
    assert DecisionService(other_keys.secret_context()).decide_many(
        other.masked_scores(foreign_block, x, 0.47)
    )[0]


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


def test_contexts_the_numpy_arithmetic_cannot_serve_are_refused() -> None:
    context = ts.context(ts.SCHEME_TYPE.CKKS, 8192, coeff_mod_bit_sizes=[60, 40, 40, 60])
    context.global_scale = 2.0**40
    public = context.serialize(save_secret_key=False)
    with pytest.raises(ValueError, match="at most 40 bits"):
        Matcher(public)
    small = ts.context(ts.SCHEME_TYPE.CKKS, 8192, coeff_mod_bit_sizes=[40, 40, 60])
    small.global_scale = 2.0**40
    with pytest.raises(ValueError, match="too small"):
        Matcher(small.serialize(save_secret_key=False))


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


def test_it_rejects_unusable_blocks_probes_thresholds_and_slots(
    matcher: Matcher, full_block: tuple[GalleryBlock, Vector]
) -> None:
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
    with pytest.raises(ValueError, match="no free slot"):
        matcher.add_to_block(full_block[0], rows[0])
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
    with pytest.raises(ValueError, match="made by an older Peeka"):
        matcher.masked_score(b"peeka.ckks.1T" + template[13:], rows[1], 0.47)
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
    corrupt = masked[:-8] + b"\xff" * 8
    with pytest.raises(ValueError, match="outside the modulus"):
        service.decide(corrupt)
    with pytest.raises(ValueError, match="outside the modulus"):
        matcher.masked_score(template[:-8] + b"\xff" * 8, rows[1], 0.47)
    with pytest.raises(ValueError, match="must be bytes"):
        service.decide(bytearray(masked))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"poly_modulus_degree": 6000}, "power of two"),
        ({"coeff_mod_bit_sizes": (60,)}, "special prime"),
        ({"global_scale_bits": 20}, "30..60"),
        ({"coeff_mod_bit_sizes": (60, 40, 40, 60)}, "at most 40 bits each"),
        ({"coeff_mod_bit_sizes": (40, 40, 60)}, "give 80 bits.*need at least 112"),
    ],
)
def test_it_rejects_bad_params(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CkksParams(**fields)  # type: ignore[arg-type]


def test_seal_refuses_insecure_parameters_with_a_clear_error() -> None:
    # 4 x 40 + 60 = 220 bits: two more than 128-bit security allows at N = 8192.
    with pytest.raises(ValueError, match="SEAL refused the CKKS parameters"):
        KeyPair.generate(CkksParams(coeff_mod_bit_sizes=(40, 40, 40, 40, 60)))
    # N = 4096 allows 109 bits, too few for the scores.
    with pytest.raises(ValueError, match="SEAL refused the CKKS parameters"):
        KeyPair.generate(CkksParams(poly_modulus_degree=4096))
