"""Tests for peeka.evaluation.metrics on hand-computed examples and brute-force references.
Hand-worked numbers are spelled out in comments so a failure can be checked on paper.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest

from peeka.evaluation.metrics import (
    accuracy,
    best_threshold,
    eer,
    far_resolvable,
    kfold_accuracy,
    roc,
    tar_at_far,
    threshold_at_far,
)


def _brute_force_eer(genuine: npt.NDArray[np.float64], impostor: npt.NDArray[np.float64]) -> float:
    """O(n^2) reference: walk every candidate threshold and interpolate at the crossing."""
    candidates = sorted(set(genuine.tolist()) | set(impostor.tolist()))
    candidates.append(float(np.nextafter(candidates[-1], np.inf)))
    rates = [
        (
            sum(score >= t for score in impostor) / len(impostor),
            sum(score < t for score in genuine) / len(genuine),
        )
        for t in candidates
    ]
    for (far_a, frr_a), (far_b, frr_b) in itertools.pairwise(rates):
        if far_a - frr_a > 0 >= far_b - frr_b:
            weight = (far_a - frr_a) / ((far_a - frr_a) - (far_b - frr_b))
            return float(far_a + weight * (far_b - far_a))
    raise AssertionError("FAR and FRR never crossed")


def test_perfect_separation_gives_zero_eer_and_full_accuracy() -> None:
    genuine = [0.8, 0.9, 0.95]
    impostor = [0.1, 0.2, 0.3, 0.4]
    assert eer(genuine, impostor) == 0.0
    scores = genuine + impostor
    labels = [True] * 3 + [False] * 4
    threshold = best_threshold(scores, labels)
    # Midpoint of the gap between the best impostor (0.4) and the worst genuine (0.8).
    assert threshold == pytest.approx(0.6)
    assert accuracy(scores, labels, threshold) == 1.0


def test_identical_distributions_give_half_eer() -> None:
    scores = np.arange(1.0, 11.0)
    assert eer(scores, scores) == pytest.approx(0.5)
    rng = np.random.default_rng(7)
    assert eer(rng.normal(size=4000), rng.normal(size=4000)) == pytest.approx(0.5, abs=0.03)


def test_eer_interpolates_between_crossing_points() -> None:
    # Ascending thresholds 0, 1, 2, 3, 3+: (FAR, FRR) = (1, 0), (0.5, 0), (0.5, 0.5)...
    # Genuine [1, 3], impostor [0, 2]: at t=2 FAR=0.5, FRR=0.5 exactly, so EER 0.5.
    assert eer([1.0, 3.0], [0.0, 2.0]) == pytest.approx(0.5)
    # Genuine [2, 3, 4], impostor [0, 1, 2.5, 5]:
    #   t=2.5: FAR 2/4 = 0.5,  FRR 1/3   -> gap +1/6
    #   t=3:   FAR 1/4 = 0.25, FRR 1/3   -> gap -1/12
    # weight = (1/6) / (1/6 + 1/12) = 2/3, EER = 0.5 + 2/3 * (0.25 - 0.5) = 1/3.
    assert eer([2.0, 3.0, 4.0], [0.0, 1.0, 2.5, 5.0]) == pytest.approx(1.0 / 3.0)


@pytest.mark.parametrize("seed", range(5))
def test_eer_matches_brute_force_and_bounds(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # Rounding creates plenty of ties, within and across the two distributions.
    genuine = np.round(rng.normal(1.0, 1.0, size=200), 1)
    impostor = np.round(rng.normal(0.0, 1.0, size=230), 1)
    value = eer(genuine, impostor)
    assert value == pytest.approx(_brute_force_eer(genuine, impostor), abs=1e-12)

    thresholds = np.append(np.unique(np.concatenate((genuine, impostor))), np.inf)
    far = np.array([np.mean(impostor >= t) for t in thresholds])
    frr = np.array([np.mean(genuine < t) for t in thresholds])
    assert np.max(np.minimum(far, frr)) - 1e-12 <= value <= np.min(np.maximum(far, frr)) + 1e-12


def test_roc_is_exact_and_spans_the_unit_square() -> None:
    curve = roc([0.5, 0.9], [0.1, 0.5, 0.7])
    # Descending thresholds: just above 0.9, then 0.9, 0.7, 0.5, 0.1.
    assert curve.thresholds[0] > 0.9
    np.testing.assert_array_equal(curve.thresholds[1:], [0.9, 0.7, 0.5, 0.1])
    np.testing.assert_allclose(curve.far, [0.0, 0.0, 1 / 3, 2 / 3, 1.0])
    np.testing.assert_allclose(curve.tar, [0.0, 0.5, 0.5, 1.0, 1.0])


def test_roc_thins_large_curves_but_keeps_points_exact() -> None:
    rng = np.random.default_rng(3)
    genuine = rng.normal(2.0, 1.0, size=500)
    impostor = rng.normal(0.0, 1.0, size=20_000)
    curve = roc(genuine, impostor, max_points=400)
    assert curve.thresholds.size <= 400
    assert np.all(np.diff(curve.thresholds) < 0)
    assert (curve.far[0], curve.tar[0], curve.far[-1], curve.tar[-1]) == (0.0, 0.0, 1.0, 1.0)
    # Log-spaced targets must keep detail at low FAR, not only the linear bulk.
    assert np.count_nonzero((curve.far > 0) & (curve.far < 1e-3)) >= 10
    for index in (5, 100, 250):
        t = curve.thresholds[index]
        assert curve.far[index] == pytest.approx(np.mean(impostor >= t))
        assert curve.tar[index] == pytest.approx(np.mean(genuine >= t))


def test_threshold_at_far_is_exact_with_ties() -> None:
    impostor = [0.0, 0.0, 0.0, 1.0, 1.0]
    threshold = threshold_at_far(impostor, 0.4)
    # Two false accepts are allowed: accepting both 1.0 scores is fine, any 0.0 is not.
    assert 0.0 < threshold <= 1.0
    assert np.mean(np.asarray(impostor) >= threshold) == pytest.approx(0.4)
    # Allowing only one false accept cannot split the tie, so nothing may pass.
    threshold = threshold_at_far(impostor, 0.3)
    assert threshold > 1.0
    assert np.mean(np.asarray(impostor) >= threshold) == 0.0


def test_threshold_at_far_edges() -> None:
    impostor = np.arange(100.0)
    # FAR 0 (and anything below 1/n) lands just above the maximum.
    assert threshold_at_far(impostor, 0.0) == np.nextafter(99.0, np.inf)
    assert threshold_at_far(impostor, 0.005) == np.nextafter(99.0, np.inf)
    # 0.29 * 100 rounds to 28.999999999999996 in floats; 29 false accepts must still be allowed.
    assert np.mean(impostor >= threshold_at_far(impostor, 0.29)) == pytest.approx(0.29)
    assert threshold_at_far(impostor, 1.0) == -np.inf


def test_tar_at_far_on_constructed_example() -> None:
    impostor = np.arange(10) / 10  # 0.0 ... 0.9
    genuine = [0.65, 0.7, 0.75, 0.85, 0.95]
    # FAR 0.2 allows 2 false accepts (0.8, 0.9): threshold just above 0.7, so the genuine 0.7
    # that ties with an impostor is rejected and TAR = 3/5.
    assert tar_at_far(genuine, impostor, 0.2) == pytest.approx(0.6)
    assert tar_at_far(genuine, impostor, 0.1) == pytest.approx(0.4)
    assert tar_at_far(genuine, impostor, 0.3) == pytest.approx(1.0)
    assert tar_at_far(genuine, impostor, 0.0) == pytest.approx(0.2)


def test_far_resolvable() -> None:
    assert far_resolvable(1000, 1e-3)
    assert not far_resolvable(999, 1e-3)
    assert far_resolvable(7_000_000, 1e-6)
    assert not far_resolvable(0, 0.5)


def test_best_threshold_takes_middle_of_a_tied_run() -> None:
    # Ties with mixed labels at 1 and 2 leave accuracy flat (4/6) for candidates 0.5, 1.5, 2.5.
    scores = [0.0, 1.0, 1.0, 2.0, 2.0, 3.0]
    labels = [0, 1, 0, 1, 0, 1]
    assert best_threshold(scores, labels) == pytest.approx(1.5)
    assert accuracy(scores, labels, 1.5) == pytest.approx(4 / 6)


def test_best_threshold_prefers_the_longest_run() -> None:
    # Correct counts per candidate -0.5, 0.5, ..., 5.5 are 4, 5, 4, 5, 5, 5, 4:
    # a single best at 0.5 and a run of three around 3.5; the run wins.
    scores = [0.0, 1.0, 2.0, 3.0, 3.0, 4.0, 4.0, 5.0]
    labels = [False, True, False, True, False, True, False, True]
    assert best_threshold(scores, labels) == pytest.approx(3.5)


def test_best_threshold_maximises_accuracy_on_random_data() -> None:
    rng = np.random.default_rng(11)
    labels = rng.random(300) < 0.5
    scores = np.round(rng.normal(labels.astype(float), 1.0), 1)
    threshold = best_threshold(scores, labels)
    brute = max(accuracy(scores, labels, t) for t in np.append(np.unique(scores), np.inf))
    assert accuracy(scores, labels, threshold) == pytest.approx(brute)


def test_best_threshold_single_unique_score() -> None:
    # One distinct score: the only choice is accepting all pairs or rejecting all of them.
    mostly_same = best_threshold([0.3, 0.3, 0.3], [1, 1, 0])
    assert accuracy([0.3, 0.3, 0.3], [1, 1, 0], mostly_same) == pytest.approx(2 / 3)
    all_different = best_threshold([0.3, 0.3], [0, 0])
    assert accuracy([0.3, 0.3], [0, 0], all_different) == 1.0


def test_best_threshold_separates_adjacent_floats() -> None:
    # The plain midpoint of 1.0 and the next float rounds back down to 1.0, accepting both.
    scores = [0.0, 1.0, float(np.nextafter(1.0, np.inf)), 2.0]
    labels = [0, 0, 1, 1]
    assert accuracy(scores, labels, best_threshold(scores, labels)) == 1.0


def test_kfold_uses_threshold_from_the_other_folds() -> None:
    # Fold 0 alone is best split at 0.2 and fold 1 alone at 0.475 (both 100%), but each fold is
    # scored with the other's threshold:
    #   fold 0 at 0.475: 0.1F ok, 0.3T miss, 0.4T miss, 0.9T ok  -> 0.5
    #   fold 1 at 0.2:   0.15F ok, 0.25F miss, 0.7T ok, 0.8T ok  -> 0.75
    scores = [0.1, 0.3, 0.4, 0.9, 0.15, 0.25, 0.7, 0.8]
    labels = [0, 1, 1, 1, 0, 0, 1, 1]
    folds = [0, 0, 0, 0, 1, 1, 1, 1]
    assert best_threshold(scores[:4], labels[:4]) == pytest.approx(0.2)
    assert best_threshold(scores[4:], labels[4:]) == pytest.approx(0.475)

    result = kfold_accuracy(scores, labels, folds)
    assert result.fold_thresholds == pytest.approx((0.475, 0.2))
    assert result.fold_accuracies == pytest.approx((0.5, 0.75))
    assert result.accuracy == pytest.approx(0.625)
    assert result.accuracy_std == pytest.approx(0.125)  # population std, ddof=0


def test_kfold_orders_folds_by_index_and_ignores_their_position() -> None:
    scores = [0.15, 0.1, 0.25, 0.3, 0.7, 0.4, 0.8, 0.9]
    labels = [0, 0, 0, 1, 1, 1, 1, 1]
    folds = [7, 2, 7, 2, 7, 2, 7, 2]
    result = kfold_accuracy(scores, labels, folds)
    assert result.fold_accuracies == pytest.approx((0.5, 0.75))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: eer([], [0.1]), "genuine is empty"),
        (lambda: eer([0.9], []), "impostor is empty"),
        (lambda: roc([0.9, np.nan], [0.1]), "genuine contains NaN"),
        (lambda: tar_at_far([0.9], [0.1, np.nan], 0.1), "impostor contains NaN"),
        (lambda: threshold_at_far([0.1, np.inf], 0.1), "infinite"),
        (lambda: threshold_at_far([0.1], 1.5), r"far must lie in \[0, 1\]"),
        (lambda: threshold_at_far([0.1], float("nan")), "far must lie"),
        (lambda: eer([[0.9]], [0.1]), "1-D"),
        (lambda: accuracy([0.1, 0.2], [1], 0.5), "one entry per score"),
        (lambda: accuracy([0.1, 0.2], [1, 2], 0.5), "0/1"),
        (lambda: best_threshold([0.1, 0.2], ["a", "b"]), "0/1"),
        (lambda: kfold_accuracy([0.1, 0.2], [0, 1], [0]), "folds must have one entry"),
        (lambda: kfold_accuracy([0.1, 0.2], [0, 1], [0.0, 1.0]), "integer"),
        (lambda: kfold_accuracy([0.1, 0.2], [0, 1], [3, 3]), "at least 2 distinct folds"),
        (lambda: roc([0.9], [0.1], max_points=3), "max_points"),
    ],
)
def test_invalid_input_is_rejected(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
