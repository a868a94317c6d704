"""The multi-image protocol: which sets it forms, and what each fusion measures."""

from __future__ import annotations

import numpy as np
import pytest

from peeka.evaluation.extract import Extraction
from peeka.evaluation.multi import evaluate, multi_image_scores


def _extraction(vectors: dict[str, list[list[float]]]) -> Extraction:
    names = [f"{p}/{p}_{i:04d}.jpg" for p, vs in vectors.items() for i in range(len(vs))]
    flat = np.array([v for vs in vectors.values() for v in vs], dtype=np.float32)
    flat /= np.linalg.norm(flat, axis=1, keepdims=True)
    n = len(names)
    return Extraction(
        names, flat, flat.copy(), flat.copy(), np.ones(n, bool), np.zeros(n), np.zeros(n, bool)
    )


def test_sets_are_consecutive_and_people_with_few_images_are_impostors_only() -> None:
    rng = np.random.default_rng(0)
    vectors = {
        person: (centre + 0.1 * rng.standard_normal((count, 8))).tolist()
        for person, count, centre in (
            ("Ann", 6, np.eye(8)[0]),
            ("Bob", 3, np.eye(8)[1]),  # enrolled, but no images left to probe with
            ("Cat", 7, np.eye(8)[2]),  # its 7th image is left over
        )
    }
    mean, best = multi_image_scores(_extraction(vectors), enroll=3, probe=3)
    assert (mean.fusion, best.fusion) == ("mean", "best")
    # Genuine: Ann 3-5 against Ann 0-2, Cat 3-5 against Cat 0-2.
    assert mean.genuine.size == best.genuine.size == 2 and mean.people == 2
    # Impostor: 5 probe sets (Ann 2, Bob 1, Cat 2) against the 2 other enrolled people each.
    assert mean.impostor.size == best.impostor.size == 10
    # Every frame is near its person's centre: the people separate under both fusions.
    for scores in (mean, best):
        assert scores.genuine.min() > scores.impostor.max()


def test_best_takes_the_closest_frame_and_mean_the_fused_descriptor() -> None:
    near, far = [1.0, 0.0], [0.0, 1.0]
    vectors = {"Ann": [near, near, far], "Bob": [far, far]}
    mean, best = multi_image_scores(_extraction(vectors), enroll=1, probe=2)
    # Ann enrolled from [near]; her genuine probe set is [near, far]: best 0, mean sqrt(2-sqrt2).
    assert best.genuine.tolist() == [pytest.approx(0.0, abs=1e-6)]
    assert mean.genuine.tolist() == [pytest.approx(-np.sqrt(2 - np.sqrt(2)), abs=1e-6)]


def test_too_few_impostors_leave_a_far_unresolved() -> None:
    vectors = {"Ann": [[1.0, 0.0]] * 4, "Bob": [[0.0, 1.0]] * 4}
    result = evaluate(multi_image_scores(_extraction(vectors), enroll=2, probe=2)[0])
    assert result.tar_at_far == {1e-4: None, 1e-5: None}
    assert result.genuine_comparisons == 2 and result.impostor_comparisons == 4
