"""Biometric verification metrics: ROC, EER, TAR at a fixed FAR and LFW-style k-fold accuracy.
All scores are similarities (higher = more likely the same person); accept when score >= threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]

# Float rounding in far * n (e.g. 0.29 * 100 == 28.999999999999996) must not cost a whole
# allowed false accept; this relative slack absorbs the rounding yet stays far below one
# false accept for any realistic number of impostor pairs.
_FAR_SLACK = 1e-12


@dataclass(frozen=True, eq=False)
class Roc:
    """ROC curve points, ordered by descending threshold.

    The first threshold lies just above every score (FAR = TAR = 0) and the last equals the
    lowest score (FAR = TAR = 1), so the curve spans the whole unit square. FRR is 1 - tar.
    """

    thresholds: FloatArray
    far: FloatArray
    tar: FloatArray


@dataclass(frozen=True)
class KFoldResult:
    """Outcome of `kfold_accuracy`; fold order follows ascending fold index."""

    accuracy: float
    accuracy_std: float
    fold_accuracies: tuple[float, ...]
    fold_thresholds: tuple[float, ...]


def roc(genuine: npt.ArrayLike, impostor: npt.ArrayLike, *, max_points: int = 5000) -> Roc:
    """ROC of genuine vs impostor similarity scores.

    Points are exact at their thresholds. Above `max_points` thresholds the curve is thinned to
    points spread both linearly and logarithmically in FAR and FRR, so log-scale plots keep
    their detail at low error rates.
    """
    if max_points < 10:
        raise ValueError(f"max_points must be at least 10, got {max_points}")
    gen = np.sort(_as_scores(genuine, "genuine"))
    imp = np.sort(_as_scores(impostor, "impostor"))
    thresholds, far, frr = _error_rates(gen, imp)
    # Descending thresholds make FAR and TAR nondecreasing, the usual ROC orientation.
    thresholds, far, tar = thresholds[::-1], far[::-1], 1.0 - frr[::-1]
    if thresholds.size > max_points:
        keep = _thin(far, tar, gen.size, imp.size, max_points)
        thresholds, far, tar = thresholds[keep], far[keep], tar[keep]
    return Roc(thresholds=thresholds, far=far, tar=tar)


def eer(genuine: npt.ArrayLike, impostor: npt.ArrayLike) -> float:
    """Equal error rate, interpolated linearly between the two points where FAR and FRR cross."""
    gen = np.sort(_as_scores(genuine, "genuine"))
    imp = np.sort(_as_scores(impostor, "impostor"))
    _, far, frr = _error_rates(gen, imp)
    gap = far - frr
    # gap falls monotonically from 1 (lowest threshold) to -1 (above every score), so the
    # first non-positive entry always exists and is never the first point.
    after = int(np.argmax(gap <= 0.0))
    before = after - 1
    weight = gap[before] / (gap[before] - gap[after])
    return float(far[before] + weight * (far[after] - far[before]))


def threshold_at_far(impostor: npt.ArrayLike, far: float) -> float:
    """Smallest threshold whose observed false accept rate is at most `far`.

    With k = floor(far * n) allowed false accepts, that is the next float above the (k+1)-th
    largest impostor score, which stays exact when scores tie. If far * n < 1 the result lies
    just above the maximum impostor score; if far >= 1 every impostor may pass, giving -inf.
    """
    imp = _as_scores(impostor, "impostor")
    allowed = _allowed_false_accepts(imp.size, far)
    if allowed >= imp.size:
        return -math.inf
    rank = imp.size - allowed - 1
    # Partition instead of a full sort: only one order statistic is needed (O(n)).
    pivot = np.partition(imp, rank)[rank]
    return float(np.nextafter(pivot, np.inf))


def tar_at_far(genuine: npt.ArrayLike, impostor: npt.ArrayLike, far: float) -> float:
    """True accept rate at `threshold_at_far(impostor, far)`.

    Check `far_resolvable` first: below 1 / len(impostor) the result is the TAR at FAR 0.
    """
    gen = _as_scores(genuine, "genuine")
    threshold = threshold_at_far(impostor, far)
    return float(np.count_nonzero(gen >= threshold)) / gen.size


def far_resolvable(n_impostor: int, far: float) -> bool:
    """Whether `n_impostor` impostor pairs can measure a false accept rate as low as `far`."""
    if n_impostor < 0:
        raise ValueError(f"n_impostor must be non-negative, got {n_impostor}")
    return _allowed_false_accepts(n_impostor, far) >= 1


def best_threshold(scores: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """Threshold maximising accuracy on these pairs (labels: True = same person).

    Candidates are the midpoints between consecutive unique scores plus one below the minimum
    and one above the maximum (mirroring the nearest gap). Among optimal candidates the longest
    contiguous run wins (the earliest on a tie) and its middle value is returned, which keeps
    the threshold as far as possible from the scores that would flip a decision.
    """
    values = _as_scores(scores, "scores")
    truth = _as_labels(labels, values.size)
    candidates = _candidate_thresholds(np.unique(values))

    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    positives_below = np.concatenate(([0], np.cumsum(truth[order])))
    below = np.searchsorted(sorted_values, candidates, side="left")
    n_positive = int(positives_below[-1])
    # Correct = positives at or above the threshold + negatives below it.
    correct = (n_positive - positives_below[below]) + (below - positives_below[below])

    is_best = np.concatenate(([False], correct == correct.max(), [False]))
    edges = np.diff(is_best.astype(np.int8))
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1) - 1
    run = int(np.argmax(stops - starts))
    return float((candidates[starts[run]] + candidates[stops[run]]) / 2.0)


def accuracy(scores: npt.ArrayLike, labels: npt.ArrayLike, threshold: float) -> float:
    """Fraction of pairs whose decision (score >= threshold) matches the label."""
    values = _as_scores(scores, "scores")
    truth = _as_labels(labels, values.size)
    if math.isnan(threshold):
        raise ValueError("threshold is NaN")
    return float(np.mean((values >= threshold) == truth))


def kfold_accuracy(
    scores: npt.ArrayLike, labels: npt.ArrayLike, folds: npt.ArrayLike
) -> KFoldResult:
    """LFW protocol: each fold is scored at the threshold chosen on all the other folds."""
    values = _as_scores(scores, "scores")
    truth = _as_labels(labels, values.size)
    fold_ids = np.asarray(folds)
    if fold_ids.shape != values.shape:
        raise ValueError(
            f"folds must have one entry per score: got shape {fold_ids.shape} "
            f"for {values.size} scores"
        )
    if fold_ids.dtype.kind not in "iu":
        raise ValueError(f"folds must be integer fold indices, got dtype {fold_ids.dtype}")
    distinct = np.unique(fold_ids)
    if distinct.size < 2:
        raise ValueError(f"kfold_accuracy needs at least 2 distinct folds, got {distinct.size}")

    fold_accuracies: list[float] = []
    fold_thresholds: list[float] = []
    for fold in distinct:
        held_out = fold_ids == fold
        threshold = best_threshold(values[~held_out], truth[~held_out])
        fold_thresholds.append(threshold)
        fold_accuracies.append(accuracy(values[held_out], truth[held_out], threshold))
    return KFoldResult(
        accuracy=float(np.mean(fold_accuracies)),
        accuracy_std=float(np.std(fold_accuracies)),
        fold_accuracies=tuple(fold_accuracies),
        fold_thresholds=tuple(fold_thresholds),
    )


def _as_scores(values: npt.ArrayLike, name: str) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of scores, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty: at least one score is needed")
    if np.isnan(array).any():
        raise ValueError(f"{name} contains NaN scores")
    if np.isinf(array).any():
        raise ValueError(f"{name} contains infinite scores")
    return array


def _as_labels(labels: npt.ArrayLike, n_scores: int) -> BoolArray:
    array = np.asarray(labels)
    if array.shape != (n_scores,):
        raise ValueError(
            f"labels must have one entry per score: got shape {array.shape} for {n_scores} scores"
        )
    if array.dtype == np.bool_:
        return array
    if array.dtype.kind not in "iuf" or not np.isin(array, (0, 1)).all():
        raise ValueError("labels must be booleans or 0/1 values (1 = same person)")
    return array.astype(np.bool_)


def _allowed_false_accepts(n_impostor: int, far: float) -> int:
    if not 0.0 <= far <= 1.0:
        raise ValueError(f"far must lie in [0, 1], got {far}")
    return math.floor(far * n_impostor * (1.0 + _FAR_SLACK))


def _error_rates(gen: FloatArray, imp: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Ascending thresholds with exact FAR and FRR at each; inputs must be sorted ascending.

    Thresholds are every distinct score plus one just above the maximum, because FAR and FRR
    only change at observed scores and the extra point closes the curve at FAR 0.
    """
    merged = np.concatenate((gen, imp))
    # Two already-sorted runs: the stable sort (timsort) merges them in linear time.
    merged.sort(kind="stable")
    distinct = merged[np.concatenate(([True], merged[1:] != merged[:-1]))]
    thresholds = np.append(distinct, np.nextafter(distinct[-1], np.inf))
    far = (imp.size - np.searchsorted(imp, thresholds, side="left")) / imp.size
    frr = np.searchsorted(gen, thresholds, side="left") / gen.size
    return thresholds, far, frr


def _thin(far: FloatArray, tar: FloatArray, n_gen: int, n_imp: int, max_points: int) -> IntArray:
    """Indices of at most `max_points` curve points spread over FAR and FRR, endpoints kept."""
    per_target = (max_points - 2) // 4
    far_targets = np.concatenate(
        (np.geomspace(1.0 / n_imp, 1.0, per_target), np.linspace(0.0, 1.0, per_target))
    )
    frr_targets = np.concatenate(
        (np.geomspace(1.0 / n_gen, 1.0, per_target), np.linspace(0.0, 1.0, per_target))
    )
    last = far.size - 1
    picks = np.concatenate(
        (
            [0, last],
            np.searchsorted(far, far_targets, side="left"),
            np.searchsorted(tar, 1.0 - frr_targets, side="left"),
        )
    )
    kept: IntArray = np.unique(np.clip(picks, 0, last))
    return kept


def _candidate_thresholds(distinct: FloatArray) -> FloatArray:
    if distinct.size == 1:
        # No gap to mirror; any offset gives the same accept-all / reject-all decisions.
        return np.array([distinct[0] - 1.0, distinct[0] + 1.0])
    lower, upper = distinct[:-1], distinct[1:]
    # For adjacent floats the midpoint can round down onto the lower score, which would then
    # be accepted; nudging keeps every candidate strictly between its two scores.
    midpoints = np.maximum(lower + (upper - lower) / 2.0, np.nextafter(lower, np.inf))
    below = distinct[0] - (distinct[1] - distinct[0]) / 2.0
    above = distinct[-1] + (distinct[-1] - distinct[-2]) / 2.0
    return np.concatenate(([below], midpoints, [above]))
