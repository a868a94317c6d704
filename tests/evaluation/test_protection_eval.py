from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from peeka.cli import main
from peeka.evaluation.extract import Extraction
from peeka.evaluation.lfw import Pair, PairsFile, identity, read_pairs
from peeka.evaluation.protection import (
    Settings,
    dsys,
    dsys_bins,
    eer_threshold,
    evaluate,
    linkage_groups,
)
from tests.conftest import mini_pairs


def test_dsys_is_zero_for_identical_score_distributions() -> None:
    scores = np.random.default_rng(0).normal(size=2000)
    assert dsys(scores, scores) == 0.0


def test_dsys_is_near_zero_for_two_samples_of_one_distribution() -> None:
    rng = np.random.default_rng(1)
    assert dsys(rng.normal(size=20000), rng.normal(size=20000)) < 0.05


def test_dsys_is_one_for_disjoint_score_distributions() -> None:
    rng = np.random.default_rng(2)
    assert dsys(rng.uniform(0.6, 1.0, 500), rng.uniform(0.0, 0.4, 500)) == pytest.approx(1.0)


def test_dsys_is_between_for_overlapping_distributions() -> None:
    rng = np.random.default_rng(3)
    value = dsys(rng.normal(1.0, 1.0, 20000), rng.normal(0.0, 1.0, 20000))
    assert 0.2 < value < 0.6


def test_dsys_bins_follow_the_reference_implementation() -> None:
    assert [dsys_bins(n) for n in (5, 15, 480, 1000, 8828)] == [1, 1, 48, 100, 100]


def test_dsys_uses_those_bins_by_default() -> None:
    rng = np.random.default_rng(4)
    mated, nonmated = rng.normal(0.3, 1.0, 300), rng.normal(0.0, 1.0, 3000)
    assert dsys(mated, nonmated) == dsys(mated, nonmated, bins=30)
    assert dsys(mated, nonmated) != dsys(mated, nonmated, bins=100)


def test_dsys_refuses_empty_scores() -> None:
    with pytest.raises(ValueError, match="at least one"):
        dsys([], [0.5])


def test_eer_threshold_separates_separable_scores() -> None:
    assert eer_threshold([0.8, 0.9, 1.0], [0.1, 0.2, 0.3]) in (0.3, 0.8)
    assert eer_threshold([0.5, 0.9], [0.1, 0.6]) in (0.5, 0.6)


def test_eval_protection_on_a_few_real_pairs(
    lfw_dev: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report_dir = tmp_path / "report"
    pairs_file = mini_pairs(lfw_dev, tmp_path)
    code = main(
        ["eval", "protection", "--pairs", str(pairs_file),
         "--images", str(lfw_dev / "images"), "--json", "--report", str(report_dir),
         "--workers", "2", "--preimage-sample", "2", "--sat-templates", "1",
         "--sat-conflicts", "20000"]
    )  # fmt: skip
    assert code == 0
    out = json.loads(capsys.readouterr().out)

    assert (out["pairs"], out["folds"]) == (16, 2)
    for name in ("unprotected", "ckks", "iom", "ndb"):
        scheme = out[name]
        for key in ("accuracy", "eer", "tar_at_far_1e-3", "dsys", "template_bytes", "verify_ms"):
            assert key in scheme, (name, key)
        assert 0.7 < scheme["accuracy"] <= 1.0, name
        assert 0.0 <= scheme["eer"] <= 0.3, name
        # Eight impostor pairs cannot measure FAR 1e-3.
        assert scheme["tar_at_far_1e-3"] is None
        assert scheme["verify_ms"] > 0.0
    assert out["unprotected"]["template_bytes"] == 512
    assert out["iom"]["template_bytes"] == 512
    records = 40 * 1024  # 5 uint16 positions and 5 bit-packed values each
    assert out["ndb"]["template_bytes"] == records * 5 * 2 + records * 5 // 8
    assert out["ckks"]["template_bytes"] > 100_000
    for name in ("unprotected", "ckks"):
        assert out[name]["dsys"] is None and out[name]["dsys_floor"] is None
    for name in ("iom", "ndb"):
        assert 0.0 <= out[name]["dsys"] <= 1.0 and 0.0 <= out[name]["dsys_floor"] <= 1.0
    # Every ordered pair of two images of one person among the pairs' images is a mated
    # comparison.
    people = Counter(identity(n) for n in read_pairs(pairs_file).images())
    assert out["unlinkability"]["mated"] == sum(n * (n - 1) for n in people.values()) > 0
    assert out["unlinkability"]["floor_nonmated"] <= out["unlinkability"]["mated"]
    assert out["ckks"]["decisions_equal_plaintext"] == out["ckks"]["decisions_compared"] == 16
    assert out["ckks"]["accuracy"] == out["unprotected"]["accuracy"]
    # A template under the old key scores against a new-key probe well below a genuine match.
    for name in ("iom", "ndb"):
        assert out[name]["revoked_mean"] < out[name]["genuine_mean"] - 0.1, name

    sat = out["irreversibility"]["ndb_sat_solver"]
    assert [(s["k"], s["r"], s["templates"]) for s in sat] == [(5, 40, 1), (3, 10, 1)]
    for s in sat:
        assert s["solved"] in (0, 1) and s["median_seconds"] > 0.0
        assert (s["bits_recovered"] is None) == (s["solved"] == 0)
    attack = out["irreversibility"]["ndb_majority_vote"]
    assert attack["bits_recovered"] == pytest.approx(0.5, abs=0.05)
    assert attack["unbalanced_bits_recovered"] > 0.85
    preimage = out["irreversibility"]["iom_preimage_stolen_seed"]
    assert preimage["templates"] == 2
    # With the seed, the codes give back a descriptor the plain matcher takes for the user.
    assert preimage["accepted_same_reference"] == 1.0
    assert 0.0 <= preimage["baseline_accepted_other_image"] <= 1.0

    report = (report_dir / "report.md").read_text()
    for heading in ("Protocol", "Unlinkability and revocability", "Irreversibility"):
        assert f"## {heading}" in report
    assert (report_dir / "roc.png").is_file() and (report_dir / "det.png").is_file()


def _synthetic(people: int = 40, per_person: int = 4) -> tuple[PairsFile, Extraction]:
    """`people` identities of `per_person` images each (an identity direction plus noise on a
    shared offset, as dlib descriptors have) and two identity-disjoint folds of official pairs:
    each person's first image against their others, and against the next person's."""
    rng = np.random.default_rng(0)
    names = [f"P{p:03d}/P{p:03d}_{i:04d}.jpg" for p in range(people) for i in range(per_person)]
    directions = np.repeat(rng.normal(0.0, 0.1, (people, 128)), per_person, axis=0)
    refs = rng.normal(0.0, 0.3, 128) + directions + rng.normal(0.0, 0.04, directions.shape)
    probes = refs + rng.normal(0.0, 0.01, refs.shape)
    half = people // 2
    same, different = [], []
    for p in range(people):
        fold, other = p // half, (p + 1) % half + (p // half) * half
        for i in range(1, per_person):
            same.append(Pair(names[p * per_person], names[p * per_person + i], True, fold))
            different.append(
                Pair(names[p * per_person], names[other * per_person + i], False, fold)
            )
    extraction = Extraction(
        names=names,
        probes=probes.astype(np.float32),
        references=refs.astype(np.float32),
        fused=refs.astype(np.float32),
        detected=np.ones(len(names), dtype=np.bool_),
        seconds=np.zeros(len(names)),
        cached=np.zeros(len(names), dtype=np.bool_),
    )
    pairs = tuple(sorted(same + different, key=lambda pair: (pair.fold, not pair.same)))
    return PairsFile(folds=2, pairs_per_fold=half * (per_person - 1), pairs=pairs), extraction


def test_linkage_pairs_are_every_mated_pair_and_distinct_nonmated_ones_per_group() -> None:
    _, extraction = _synthetic(people=24, per_person=3)
    settings = Settings(linkage_nonmated=300, linkage_groups=3)
    groups = linkage_groups(extraction, settings)
    person = np.array([identity(n) for n in extraction.names])

    assert len(groups) == 3
    mated = np.concatenate([g.mated for g in groups])
    # Every ordered pair of two images of one person, as `eval lfw` counts genuine comparisons.
    assert len(mated) == len({tuple(p) for p in mated}) == 24 * 3 * 2
    assert np.all(person[mated[:, 0]] == person[mated[:, 1]])
    assert np.all(mated[:, 0] != mated[:, 1])
    assert 300 <= sum(len(g.nonmated) for g in groups) < 300 + 3
    keys = [key for g in groups for key in g.keys]
    assert len(set(keys)) == 6
    for g in groups:
        inside = np.unique(np.concatenate((g.mated, g.nonmated, g.floor)))
        people_inside = set(person[inside])
        # Identities belong to one group; its centre is learnt on the other groups' images.
        assert all(people_inside.isdisjoint(person[o.mated[:, 0]]) for o in groups if o is not g)
        outside = [i for i in range(len(person)) if person[i] not in people_inside]
        assert g.centre == pytest.approx(extraction.references[outside].astype(float).mean(axis=0))
        drawn = np.concatenate((g.nonmated, g.floor))
        assert np.all(person[drawn[:, 0]] != person[drawn[:, 1]])
        assert len({tuple(p) for p in drawn}) == len(drawn)
        assert len(g.floor) == len(g.mated)
    again = linkage_groups(extraction, settings)
    assert all(np.array_equal(a.nonmated, b.nonmated) for a, b in zip(groups, again, strict=True))


def test_unlinkability_reads_its_floor_across_keys_and_high_under_one_key() -> None:
    pairs, extraction = _synthetic()
    small = Settings(
        ckks_pairs=2, preimage_sample=0, attack_sample=2, timing_sample=2, linkage_nonmated=3000
    )
    independent = evaluate(pairs, extraction, threshold=0.6, settings=small)
    one_key = evaluate(
        pairs, extraction, threshold=0.6, settings=replace(small, key=b"same", new_key=b"same")
    )
    assert independent.linkage.mated == 40 * 4 * 3
    assert independent.linkage.floor == independent.linkage.mated
    assert independent.linkage.bins == 48
    for name in ("iom", "ndb"):
        apart, linked = independent.schemes[name], one_key.schemes[name]
        assert apart.dsys is not None and apart.dsys_floor is not None
        assert linked.dsys is not None and linked.dsys_floor is not None
        # Independent keys: indistinguishable from two non-mated samples (measured 0.084 against
        # 0.078 for IoM, 0.061 against 0.059 for the NDB at these sizes).
        assert apart.dsys == pytest.approx(apart.dsys_floor, abs=0.05), name
        # One key on both sides: the same person's templates link (measured 1.0).
        assert linked.dsys > 0.9, name
        assert linked.dsys_floor < 0.15, name
