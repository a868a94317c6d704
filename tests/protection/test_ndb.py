"""Tests for peeka.protection.ndb: binarisation, NDB generation, distance estimation from record
counts and the majority-vote attack that balanced probabilities defeat."""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
import pytest

from peeka.protection.ndb import (
    Ndb,
    NdbParams,
    binarise,
    binarise_many,
    estimate_distance,
    estimate_distances,
    expected_fraction,
    generate,
    majority_vote_attack,
    mismatch_counts,
    mismatch_distribution,
    sat_attack,
    similarities,
    similarity,
)

SEED = bytes(range(32))
OTHER_SEED = bytes(range(1, 33))
# K = 3 and 10 records per bit (the earlier defaults), whose numbers are easy to check by hand;
# the mechanics do not depend on K.
PARAMS = NdbParams(k=3, r=10, p=(0.6, 0.3, 0.1))
UNBALANCED = NdbParams(k=3, r=10, p=(0.95, 0.03, 0.02))
Bits = npt.NDArray[np.bool_]


def _random_bits(seed: int, size: int = PARAMS.bits) -> Bits:
    bits: Bits = np.random.default_rng(seed).random(size) < 0.5
    return bits


def _flip(bits: Bits, count: int, seed: int) -> Bits:
    flipped = bits.copy()
    flipped[np.random.default_rng(seed).choice(bits.size, size=count, replace=False)] ^= True
    return flipped


def test_the_same_seed_gives_the_same_bits_and_database() -> None:
    x = np.random.default_rng(1).standard_normal(128)
    assert np.array_equal(binarise(x, SEED), binarise(x, SEED))
    assert not np.array_equal(binarise(x, SEED), binarise(x, OTHER_SEED))
    hidden = binarise(x, SEED)
    first, again, other = (
        generate(hidden, SEED, PARAMS),
        generate(hidden, SEED, PARAMS),
        generate(hidden, OTHER_SEED),
    )
    assert np.array_equal(first.positions, again.positions)
    assert np.array_equal(first.values, again.values)
    assert not np.array_equal(first.positions, other.positions)


def test_binarising_tracks_the_angle_between_descriptors() -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal(128)
    near = x + 0.1 * rng.standard_normal(128)
    stranger = rng.standard_normal(128)
    bits = binarise(x, SEED)
    assert bits.shape == (PARAMS.bits,)
    assert bits.dtype == np.bool_
    # Random hyperplanes separate two vectors with probability angle / pi.
    for other in (near, stranger):
        angle = np.arccos(x @ other / (np.linalg.norm(x) * np.linalg.norm(other))) / np.pi
        assert np.mean(bits != binarise(other, SEED)) == pytest.approx(angle, abs=0.07)


def test_binarising_many_rows_draws_the_same_projection_once() -> None:
    rng = np.random.default_rng(15)
    rows, center = rng.standard_normal((40, 128)), rng.standard_normal(128)
    many = binarise_many(rows, SEED, center=center)
    assert many.shape == (40, PARAMS.bits)
    assert all(np.array_equal(many[i], binarise(rows[i], SEED, center=center)) for i in range(40))
    assert binarise_many(rows[:0], SEED).shape == (0, PARAMS.bits)


def test_binarising_subtracts_the_center() -> None:
    rng = np.random.default_rng(3)
    x, center = rng.standard_normal(128), rng.standard_normal(128)
    assert np.array_equal(binarise(x, SEED, center=center), binarise(x - center, SEED))
    assert not np.array_equal(binarise(x, SEED, center=center), binarise(x, SEED))


def test_a_database_has_r_records_per_bit_of_k_distinct_sorted_positions() -> None:
    ndb = generate(_random_bits(4), SEED, PARAMS)
    assert ndb.positions.shape == ndb.values.shape == (PARAMS.r * PARAMS.bits, PARAMS.k)
    assert ndb.positions.dtype == np.uint16
    assert ndb.values.dtype == np.bool_
    assert np.all(np.diff(ndb.positions.astype(np.int64), axis=1) > 0)
    assert ndb.positions.max() < PARAMS.bits
    # Every position is used about N * K / bits = 3 r = 30 times (Poisson; 12 to 53 over 20
    # databases).
    counts = np.bincount(ndb.positions.ravel(), minlength=PARAMS.bits)
    assert counts.mean() == 3 * PARAMS.r
    assert counts.min() > 5
    assert counts.max() < 70


def test_the_hidden_string_satisfies_no_record() -> None:
    hidden = _random_bits(5)
    ndb = generate(hidden, SEED, PARAMS)
    assert ndb.satisfied_by(hidden) == 0
    assert ndb.satisfied_by(~hidden) > 0


def test_records_differ_from_the_hidden_string_in_i_bits_with_probability_p_i() -> None:
    hidden = _random_bits(6)
    ndb = generate(hidden, SEED, PARAMS)
    differing = np.count_nonzero(ndb.values != hidden[ndb.positions], axis=1)
    observed = np.bincount(differing, minlength=4) / differing.size
    assert observed[0] == 0
    assert observed[1:] == pytest.approx(PARAMS.p, abs=0.02)


def test_no_column_of_a_record_betrays_the_hidden_bit() -> None:
    hidden = _random_bits(7)
    ndb = generate(hidden, SEED, PARAMS)
    # Balanced p makes each specified value differ from the hidden bit half the time; in draw
    # order the first column would always differ.
    per_column = np.mean(ndb.values != hidden[ndb.positions], axis=0)
    assert per_column == pytest.approx([0.5, 0.5, 0.5], abs=0.03)


def test_expected_fraction_rises_from_zero_to_two_to_the_minus_k() -> None:
    grid = np.linspace(0.0, 0.5, 101)
    curve = expected_fraction(grid, PARAMS)
    assert curve.shape == (101,)
    assert curve[0] == 0.0
    assert curve[-1] == pytest.approx(1 / 8)
    assert np.all(np.diff(curve) > 0)
    # 0.6 * 0.2 * 0.8^2 + 0.3 * 0.2^2 * 0.8 + 0.1 * 0.2^3
    assert expected_fraction(0.2, PARAMS) == pytest.approx(0.0872)
    assert isinstance(expected_fraction(0.2, PARAMS), float)


def test_a_record_disagrees_with_a_probe_at_distance_delta_as_predicted() -> None:
    grid = np.array([0.0, 0.1, 0.25, 0.4, 0.5])
    table = mismatch_distribution(grid, PARAMS)
    assert table.shape == (5, 4)
    assert table.sum(axis=1) == pytest.approx(np.ones(5))
    assert table[:, 0] == pytest.approx(expected_fraction(grid, PARAMS))
    # At distance 0 a record disagrees where it flipped; at 1/2 it is Binomial(3, 1/2).
    assert table[0] == pytest.approx([0.0, *PARAMS.p])
    assert table[-1] == pytest.approx([1 / 8, 3 / 8, 3 / 8, 1 / 8])
    # Balanced p: one disagreement in K / 2 on average, whatever the distance.
    assert table @ np.arange(4) == pytest.approx(np.full(5, 1.5))
    # Mirror image: P(j | 1 - delta) = P(K - j | delta).
    mirrored = mismatch_distribution(0.3, PARAMS)[::-1]
    assert mismatch_distribution(0.7, PARAMS) == pytest.approx(mirrored)


def test_records_are_counted_by_how_many_specified_bits_a_probe_gets_wrong() -> None:
    hidden = _random_bits(16)
    ndb = generate(hidden, SEED, PARAMS)
    probes = np.stack([hidden, _flip(hidden, 100, seed=17), _random_bits(18)])
    counts = mismatch_counts(ndb, probes)
    assert counts.shape == (3, 4)
    assert np.all(counts.sum(axis=1) == PARAMS.records)
    assert counts[:, 0].tolist() == [ndb.satisfied_by(p) for p in probes]
    assert all(np.array_equal(counts[i], mismatch_counts(ndb, probes[i])) for i in range(3))
    # The hidden string disagrees with each record exactly where the record flipped it.
    assert counts[0, 0] == 0
    assert counts[0, 1:] / PARAMS.records == pytest.approx(PARAMS.p, abs=0.02)
    assert np.array_equal(mismatch_counts(ndb, probes.astype(np.int64)), counts)


@pytest.mark.parametrize(
    ("fraction", "r"),
    [
        (0.05, 10),
        (0.2, 10),
        # Balanced p flattens the counts' distribution towards delta = 1/2: at r = 10 an
        # estimate of 0.4 has a standard deviation of about 0.03 (0.012 at 1/4), at r = 40 of
        # 0.019 (measured over 40 databases each).
        (0.4, 40),
    ],
)
def test_the_record_counts_estimate_the_hamming_distance(fraction: float, r: int) -> None:
    params = NdbParams(r=r)
    hidden = _random_bits(8)
    ndb = generate(hidden, SEED, params)
    flips = round(fraction * params.bits)
    probe = _flip(hidden, flips, seed=9)
    assert estimate_distance(ndb, probe, params) == pytest.approx(flips / params.bits, abs=0.05)
    assert similarity(ndb, probe, params) == pytest.approx(1 - flips / params.bits, abs=0.05)


def _from_satisfied_count_only(ndb: Ndb, probe: Bits) -> float:
    """The previous estimator: invert E[satisfied] / N on [0, 1/2]."""
    grid = np.linspace(0.0, 0.5, 4097)
    observed = ndb.satisfied_by(probe) / ndb.positions.shape[0]
    return float(np.interp(observed, expected_fraction(grid, PARAMS), grid))


def test_all_the_counts_estimate_the_distance_better_than_the_satisfied_count_alone() -> None:
    flips = PARAMS.bits // 4  # where same-person pairs sit
    errors: dict[str, list[float]] = {"all counts": [], "satisfied only": []}
    for seed in range(200):
        hidden = _random_bits(1000 + seed)
        ndb = generate(hidden, bytes([seed]) + SEED)
        probe = _flip(hidden, flips, seed=2000 + seed)
        errors["all counts"].append(estimate_distance(ndb, probe) - flips / PARAMS.bits)
        errors["satisfied only"].append(
            _from_satisfied_count_only(ndb, probe) - flips / PARAMS.bits
        )
    spread = {name: float(np.sqrt(np.mean(np.square(e)))) for name, e in errors.items()}
    # Fisher information 1.6 times larger: about 0.79 times the error (0.81 measured over 300
    # databases: 0.0105 against 0.0129).
    assert spread["all counts"] < 0.9 * spread["satisfied only"], spread


def test_a_stack_of_probes_scores_as_each_probe_alone() -> None:
    hidden = _random_bits(19)
    ndb = generate(hidden, SEED, PARAMS)
    probes = np.stack([_flip(hidden, n, seed=n) for n in (0, 30, 120, 256)])
    stacked = similarities(ndb, probes, PARAMS)
    assert stacked == pytest.approx([similarity(ndb, p, PARAMS) for p in probes])
    assert np.all(np.diff(stacked) < 0)
    assert estimate_distances(mismatch_counts(ndb, probes), PARAMS) == pytest.approx(1 - stacked)


def test_the_same_person_scores_above_a_stranger() -> None:
    rng = np.random.default_rng(10)
    x = rng.standard_normal(128)
    ndb = generate(binarise(x, SEED), SEED, PARAMS)
    genuine = similarity(ndb, binarise(x + 0.2 * rng.standard_normal(128), SEED), PARAMS)
    impostor = similarity(ndb, binarise(rng.standard_normal(128), SEED), PARAMS)
    assert genuine > 0.9
    assert impostor < 0.65
    # The posterior mean of an exact copy's distance: well under one bit.
    assert similarity(ndb, binarise(x, SEED), PARAMS) > 1 - 1 / PARAMS.bits


def test_majority_vote_learns_nothing_from_balanced_probabilities() -> None:
    hidden = _random_bits(11)
    recovered = majority_vote_attack(generate(hidden, SEED, PARAMS), PARAMS.bits)
    assert recovered.shape == (PARAMS.bits,)
    # Measured 0.48-0.53 over 20 seeds: a coin toss.
    assert np.mean(recovered == hidden) <= 0.6


def test_majority_vote_recovers_the_face_from_unbalanced_probabilities() -> None:
    hidden = _random_bits(12)
    recovered = majority_vote_attack(generate(hidden, SEED, UNBALANCED), PARAMS.bits)
    # Measured 0.92-0.95 over 20 seeds (0.98-0.99 at 512 bits, r = 20: more votes per bit).
    assert np.mean(recovered == hidden) >= 0.85


def test_majority_vote_breaks_ties_and_gaps_towards_false() -> None:
    ndb = Ndb(
        positions=np.array([[0, 1], [0, 2]], dtype=np.uint16),
        values=np.array([[True, True], [False, True]]),
    )
    # Bit 0: one True, one False; bit 1 and 2: True; bit 3: never specified.
    assert majority_vote_attack(ndb, 4).tolist() == [False, True, True, False]


def test_real_descriptors_match_the_same_person_and_not_another(
    descriptors: dict[str, npt.NDArray[np.float32]],
) -> None:
    obamas = ("obama", "obama2", "obama3")
    bits = {name: binarise(x, SEED) for name, x in descriptors.items()}
    databases = {name: generate(bits[name], SEED, PARAMS) for name in (*obamas, "biden")}
    genuine = [
        similarity(databases[a], bits[f"{b}/probe"], PARAMS)
        for a in obamas
        for b in obamas
        if a != b
    ]
    impostor = [similarity(databases[a], bits["biden/probe"], PARAMS) for a in obamas] + [
        similarity(databases["biden"], bits[f"{b}/probe"], PARAMS) for b in obamas
    ]
    # Measured without centering: genuine 0.90-0.94, impostor 0.80-0.81.
    assert min(genuine) > max(impostor) + 0.05


def test_uncentered_real_descriptors_keep_strangers_well_below_half_the_bits_apart(
    dlib_descriptors: dict[str, npt.NDArray[np.float32]],
) -> None:
    """dlib's descriptors share a common component (SFace's strangers are 0.42-0.47 apart
    uncentered on these photos; the NDB scheme centres every model's descriptors on its
    calibration mean all the same)."""
    descriptors = dlib_descriptors
    obamas = ("obama", "obama2", "obama3")
    names = (*obamas, "biden")
    mean = np.mean([descriptors[name] for name in names], axis=0)
    for center in (None, mean):
        bits = {name: binarise(descriptors[name], SEED, center=center) for name in names}
        pairs = list(itertools.combinations(names, 2))
        distances = {pair: float(np.mean(bits[pair[0]] != bits[pair[1]])) for pair in pairs}
        genuine = [d for pair, d in distances.items() if "biden" not in pair]
        impostor = [d for pair, d in distances.items() if "biden" in pair]
        assert max(genuine) < min(impostor)
        if center is None:
            # The common component of dlib descriptors: measured about 0.2 for strangers
            # instead of the 0.5 that unrelated directions would give.
            assert max(impostor) < 0.35
        else:
            # The mean of these four photos (three of them Obama) only demonstrates the API:
            # it removes the common component but overshoots, pushing Biden past 0.5.
            assert min(impostor) > 0.5


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"k": 3, "p": (0.6, 0.4)}, "k=3 probabilities"),
        ({"k": 3, "p": (0.6, 0.3, 0.2)}, "sum to 1"),
        ({"k": 3, "p": (1.2, -0.1, -0.1)}, "non-negative"),
        ({"k": 3, "p": (0.0, 0.5, 0.5)}, r"p\[0\]"),
        ({"r": 0}, "records per bit"),
        ({"bits": 0}, "bits"),
        ({"k": 0, "p": ()}, "k must be"),
        ({"dim": 0}, "dim"),
    ],
)
def test_it_rejects_bad_params(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NdbParams(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("embedding", "message"),
    [
        (np.ones(127), r"shape \(128,\)"),
        (np.full(128, np.inf), "NaN or infinite"),
        (np.zeros(128), "all zeros"),
    ],
)
def test_it_rejects_unusable_embeddings(embedding: npt.NDArray[np.float64], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        binarise(embedding, SEED)


def test_it_rejects_unusable_centers_and_seeds() -> None:
    x = np.ones(128)
    with pytest.raises(ValueError, match=r"center must have shape \(128,\)"):
        binarise(x, SEED, center=np.ones(3))
    with pytest.raises(ValueError, match="equal to center"):
        binarise(x, SEED, center=x)
    with pytest.raises(ValueError, match="must not be empty"):
        generate(_random_bits(13), b"")
    with pytest.raises(ValueError, match="must be bytes"):
        binarise(x, "seed")  # type: ignore[arg-type]


def test_it_rejects_bits_that_are_not_a_bit_string_of_the_right_length() -> None:
    ndb = generate(_random_bits(14), SEED, PARAMS)
    with pytest.raises(ValueError, match=r"\(1024,\)"):
        generate(np.ones(100, dtype=bool), SEED, PARAMS)
    with pytest.raises(ValueError, match="0/1"):
        generate(np.full(PARAMS.bits, 2), SEED, PARAMS)
    with pytest.raises(ValueError, match="0/1"):
        estimate_distance(ndb, np.full(PARAMS.bits, 0.5), PARAMS)
    with pytest.raises(ValueError, match="k=4"):
        estimate_distance(ndb, _random_bits(14), NdbParams(k=4, p=(0.4, 0.3, 0.2, 0.1)))
    with pytest.raises(ValueError, match="delta"):
        expected_fraction(0.7 + 0.5, PARAMS)
    with pytest.raises(ValueError, match="delta"):
        mismatch_distribution(-0.1, PARAMS)
    with pytest.raises(ValueError, match=r"\(n, k \+ 1 = 4\)"):
        estimate_distances(np.ones((2, 3)), PARAMS)
    with pytest.raises(ValueError, match="non-negative"):
        estimate_distances(-np.ones((2, 4)), PARAMS)
    with pytest.raises(ValueError, match=r"\(bits,\) or \(n, bits\)"):
        mismatch_counts(ndb, np.zeros((1, 1, PARAMS.bits), dtype=bool))
    with pytest.raises(ValueError, match=r"\(n, 1024\)"):
        similarities(ndb, _random_bits(14), PARAMS)
    with pytest.raises(ValueError, match="equal to center"):
        binarise_many(np.ones((2, 128)), SEED, center=np.ones(128))


def test_a_sat_solver_finds_the_hidden_string_of_a_dense_k3_database() -> None:
    # Each record is a clause the hidden string satisfies; at K = 3 and 10 records per bit the
    # formula leaves the solver nothing else to find (the reason the defaults are K = 5).
    params = NdbParams(bits=256, k=3, r=10, p=(0.6, 0.3, 0.1))
    hidden = _random_bits(30, 256)
    outcome = sat_attack(generate(hidden, SEED, params), hidden, conflicts=1_000_000)
    assert outcome.solved and outcome.bits_recovered >= 0.99  # a bit no record pins may differ
    assert 0 <= outcome.conflicts <= 1_000_000


def test_the_sat_solver_stops_at_its_budget() -> None:
    hidden = _random_bits(31)
    outcome = sat_attack(generate(hidden, SEED, NdbParams()), hidden, conflicts=2_000)
    assert not outcome.solved and outcome.bits_recovered == 0.0
