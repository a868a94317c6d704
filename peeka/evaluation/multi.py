"""The multi-image protocol: enroll a person from E images, probe with K others, fused.

A login with liveness has several good frames, not one photo; this measures what using them
gains. Over the identities of a pairs file's images, each person's images (in name order) are
cut into consecutive sets: the first E images are that person's enrollment (the mean of their
reference descriptors, as `FaceEngine.reference` makes it), and the following images, K at a
time, are that person's probes. Genuine: each enrollment against each probe set of the same
person. Impostor: each enrollment against every probe set of every other person, where a
person's probe sets here are all their images K at a time (so people with fewer than E + K
images still serve as impostors). Two fusions of a probe set's K descriptors:

    mean   the mean descriptor (unit length again for unit-length models), one distance
    best   the smallest of the K distances (the best-scoring frame)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from peeka.biometrics.engine import mean_descriptor
from peeka.evaluation import metrics
from peeka.evaluation.extract import Extraction
from peeka.evaluation.lfw import identity

FUSIONS = ("mean", "best")
FARS = (1e-4, 1e-5)


@dataclass(frozen=True)
class MultiScores:
    fusion: str
    genuine: npt.NDArray[np.float64]
    """Similarities (negated distances) of same-person comparisons."""
    impostor: npt.NDArray[np.float64]
    people: int
    """People with at least E + K images (the genuine comparisons' people)."""


@dataclass(frozen=True)
class MultiResult:
    fusion: str
    people: int
    genuine_comparisons: int
    impostor_comparisons: int
    tar_at_far: dict[float, float | None]
    """None where too few impostor comparisons exist to resolve that FAR."""
    threshold_at_far: dict[float, float | None]
    """The distance threshold that gives that FAR (accept distance <= threshold)."""


def multi_image_scores(extraction: Extraction, enroll: int, probe: int) -> list[MultiScores]:
    if enroll < 1 or probe < 1:
        raise ValueError("enroll and probe image counts must be at least 1")
    by_person: dict[str, list[int]] = defaultdict(list)
    for i, name in sorted(enumerate(extraction.names), key=lambda item: item[1]):
        by_person[identity(name)].append(i)
    refs = extraction.references.astype(np.float64)
    probes = extraction.probes.astype(np.float64)
    enrolled = sorted(p for p, images in by_person.items() if len(images) >= enroll)
    references = np.array([mean_descriptor(refs[by_person[p][:enroll]]) for p in enrolled])
    row = {p: i for i, p in enumerate(enrolled)}
    # Probe sets as (owner, image indices); genuine ones follow the owner's enrollment images.
    genuine_sets = [(p, s) for p in enrolled for s in _chunks(by_person[p][enroll:], probe)]
    impostor_sets = [(p, s) for p in sorted(by_person) for s in _chunks(by_person[p], probe)]
    owners = np.array([p for p, _ in impostor_sets])
    others = np.array(enrolled)[:, None] != owners[None, :]
    to_images = _distances(references, probes)  # every enrollment to every image
    out = []
    for fusion in FUSIONS:
        genuine = _set_distances(fusion, genuine_sets, references, probes, to_images)
        impostor = _set_distances(fusion, impostor_sets, references, probes, to_images)
        out.append(
            MultiScores(
                fusion,
                -genuine[[row[p] for p, _ in genuine_sets], np.arange(len(genuine_sets))],
                -impostor[others],
                len({p for p, _ in genuine_sets}),
            )
        )
    return out


def _set_distances(
    fusion: str,
    sets: list[tuple[str, list[int]]],
    references: npt.NDArray[np.float64],
    probes: npt.NDArray[np.float64],
    to_images: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Distances of every enrollment (rows) to every probe set (columns) under `fusion`."""
    if not sets:
        return np.empty((len(references), 0))
    if fusion == "best":
        return np.stack([to_images[:, s].min(axis=1) for _, s in sets], axis=1)
    return _distances(references, np.array([mean_descriptor(probes[s]) for _, s in sets]))


def _distances(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    sq = (a**2).sum(axis=1)[:, None] + (b**2).sum(axis=1)[None, :] - 2.0 * a @ b.T
    distances: npt.NDArray[np.float64] = np.sqrt(np.maximum(sq, 0.0))
    return distances


def evaluate(scores: MultiScores) -> MultiResult:
    tar: dict[float, float | None] = {}
    threshold: dict[float, float | None] = {}
    for far in FARS:
        if scores.genuine.size and metrics.far_resolvable(scores.impostor.size, far):
            tar[far] = metrics.tar_at_far(scores.genuine, scores.impostor, far)
            threshold[far] = -metrics.threshold_at_far(scores.impostor, far)
        else:
            tar[far] = threshold[far] = None
    return MultiResult(
        fusion=scores.fusion,
        people=scores.people,
        genuine_comparisons=int(scores.genuine.size),
        impostor_comparisons=int(scores.impostor.size),
        tar_at_far=tar,
        threshold_at_far=threshold,
    )


def _chunks(indices: list[int], size: int) -> list[list[int]]:
    return [indices[i : i + size] for i in range(0, len(indices) - size + 1, size)]
