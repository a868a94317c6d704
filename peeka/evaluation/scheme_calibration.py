"""Score thresholds of the `iom` and `ndb` protection schemes at a target false-match rate, measured
like the distance threshold: every same-person comparison among the images, and impostor
comparisons enough to resolve the rate, all under one key (an impostor's probe is transformed
with the claimed user's key, so that is the deployed setting)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from peeka.evaluation import metrics
from peeka.evaluation.extract import Extraction
from peeka.evaluation.lfw import identity
from peeka.protection import iom, ndb

FloatArray = npt.NDArray[np.float64]
_KEY = b"peeka/calibrate/schemes"
_NDB_IMPOSTORS_PER_TEMPLATE = 40
"""Impostor probes per enrolled NDB (all pairs would take hours: ~0.1 ms per comparison)."""


@dataclass(frozen=True)
class SchemeScores:
    scheme: str
    genuine: FloatArray
    impostor: FloatArray


@dataclass(frozen=True)
class SchemeThreshold:
    scheme: str
    threshold: float
    """Accept when the scheme's similarity is at least this."""
    measured_far: float
    tar: float
    genuine_comparisons: int
    impostor_comparisons: int


def people(extraction: Extraction) -> npt.NDArray[np.intp]:
    """An integer identity per image."""
    inverse: npt.NDArray[np.intp] = np.unique(
        [identity(n) for n in extraction.names], return_inverse=True
    )[1]
    return inverse


def iom_scores(extraction: Extraction, params: iom.IomParams) -> SchemeScores:
    """Every reference-vs-probe comparison among the images, under one key."""
    refs = iom.protect_many(extraction.references, _KEY, params)
    probes = iom.protect_many(extraction.probes, _KEY, params)
    who = people(extraction)
    genuine, impostor = [], []
    for start in range(0, len(refs), 16):  # 16 x n x m bytes at a time
        block = refs[start : start + 16]
        scores = np.mean(block[:, None, :] == probes[None, :, :], axis=2)
        same = who[start : start + 16, None] == who[None, :]
        own = np.arange(start, start + len(block))[:, None] == np.arange(len(refs))[None, :]
        genuine.append(scores[same & ~own])
        impostor.append(scores[~same])
    return SchemeScores("iom", np.concatenate(genuine), np.concatenate(impostor))


def ndb_scores(
    extraction: Extraction,
    center: npt.ArrayLike,
    params: ndb.NdbParams,
    impostors_per_template: int = _NDB_IMPOSTORS_PER_TEMPLATE,
) -> SchemeScores:
    """Every same-person comparison, and `impostors_per_template` random other-person probes
    against each reference's negative database, under one key."""
    hidden = ndb.binarise_many(extraction.references, _KEY, params, center=center)
    probes = ndb.binarise_many(extraction.probes, _KEY, params, center=center)
    who = people(extraction)
    rng = np.random.default_rng(0)
    genuine, impostor = [], []
    for i in range(len(hidden)):
        database = ndb.generate(hidden[i], _KEY + b"/records/" + str(i).encode(), params)
        mates = np.flatnonzero((who == who[i]) & (np.arange(len(who)) != i))
        others = np.flatnonzero(who != who[i])
        chosen = rng.choice(others, min(impostors_per_template, others.size), replace=False)
        scores = ndb.similarities(database, probes[np.concatenate([mates, chosen])], params)
        genuine.append(scores[: mates.size])
        impostor.append(scores[mates.size :])
    return SchemeScores("ndb", np.concatenate(genuine), np.concatenate(impostor))


def threshold_at_far(scores: SchemeScores, far: float) -> SchemeThreshold:
    threshold = metrics.threshold_at_far(scores.impostor, far)
    return SchemeThreshold(
        scheme=scores.scheme,
        threshold=threshold,
        measured_far=float(np.mean(scores.impostor >= threshold)),
        tar=float(np.mean(scores.genuine >= threshold)),
        genuine_comparisons=int(scores.genuine.size),
        impostor_comparisons=int(scores.impostor.size),
    )
