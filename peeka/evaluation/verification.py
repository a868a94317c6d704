"""1:1 verification results on a pairs file: k-fold accuracy on the official pairs, and EER and
TAR at fixed FAR over every comparison among the images (so FAR 1e-4 is resolvable)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from peeka.evaluation import metrics
from peeka.evaluation.extract import Extraction
from peeka.evaluation.lfw import PairsFile, identity

FARS = (1e-3, 1e-4)


@dataclass(frozen=True)
class Scores:
    """Similarities (negated Euclidean distances, reference vs probe)."""

    pair_scores: npt.NDArray[np.float64]
    pair_labels: npt.NDArray[np.bool_]
    pair_folds: npt.NDArray[np.intp]
    genuine: npt.NDArray[np.float64]
    """Every same-person comparison among the images: reference of one, probe of another."""
    impostor: npt.NDArray[np.float64]
    """Every different-person comparison among the images, likewise."""


def scores(pairs: PairsFile, extraction: Extraction) -> Scores:
    """The first image of a pair plays the enrolled reference, the second the login probe."""
    at = extraction.index()
    first = np.array([at[p.first] for p in pairs.pairs])
    second = np.array([at[p.second] for p in pairs.pairs])
    refs = extraction.references.astype(np.float64)
    probes = extraction.probes.astype(np.float64)
    pair_scores = -np.linalg.norm(refs[first] - probes[second], axis=1)
    people = np.unique([identity(n) for n in extraction.names], return_inverse=True)[1]
    genuine, impostor = _all_comparisons(refs, probes, people)
    return Scores(
        pair_scores=pair_scores,
        pair_labels=np.array([p.same for p in pairs.pairs]),
        pair_folds=np.array([p.fold for p in pairs.pairs], dtype=np.intp),
        genuine=genuine,
        impostor=impostor,
    )


def _all_comparisons(
    refs: npt.NDArray[np.float64], probes: npt.NDArray[np.float64], people: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    genuine, impostor = [], []
    probe_sq = (probes**2).sum(axis=1)
    for start in range(0, len(refs), 512):  # blocks keep memory at ~2 x 512 x n floats
        block = refs[start : start + 512]
        sq = (block**2).sum(axis=1)[:, None] + probe_sq[None, :] - 2.0 * block @ probes.T
        dist = np.sqrt(np.maximum(sq, 0.0))
        same = people[start : start + 512, None] == people[None, :]
        own = np.arange(start, start + len(block))[:, None] == np.arange(len(refs))[None, :]
        genuine.append(-dist[same & ~own])
        impostor.append(-dist[~same])
    return np.concatenate(genuine), np.concatenate(impostor)


@dataclass(frozen=True)
class VerificationResult:
    accuracy: float
    accuracy_std: float
    folds: int
    fold_accuracies: tuple[float, ...]
    fold_thresholds: tuple[float, ...]
    eer: float
    tar_at_far: dict[float, float | None]
    """None where too few impostor comparisons exist to resolve that FAR."""
    genuine_comparisons: int
    impostor_comparisons: int
    pairs: int


def evaluate(s: Scores) -> VerificationResult:
    kfold = metrics.kfold_accuracy(s.pair_scores, s.pair_labels, s.pair_folds)
    tar: dict[float, float | None] = {
        far: metrics.tar_at_far(s.genuine, s.impostor, far)
        if metrics.far_resolvable(s.impostor.size, far)
        else None
        for far in FARS
    }
    return VerificationResult(
        accuracy=kfold.accuracy,
        accuracy_std=kfold.accuracy_std,
        folds=len(kfold.fold_accuracies),
        fold_accuracies=kfold.fold_accuracies,
        fold_thresholds=tuple(-t for t in kfold.fold_thresholds),
        eer=metrics.eer(s.genuine, s.impostor),
        tar_at_far=tar,
        genuine_comparisons=int(s.genuine.size),
        impostor_comparisons=int(s.impostor.size),
        pairs=int(s.pair_scores.size),
    )


def distance_threshold_at_far(s: Scores, far: float) -> tuple[float, float, float]:
    """(distance threshold, measured FAR, TAR) for accepting distance <= threshold."""
    similarity = metrics.threshold_at_far(s.impostor, far)
    measured = float(np.count_nonzero(s.impostor >= similarity)) / s.impostor.size
    tar = float(np.count_nonzero(s.genuine >= similarity)) / s.genuine.size
    return -float(similarity), measured, tar
