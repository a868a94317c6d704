from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from peeka.cli import main
from peeka.evaluation.protection import dsys, eer_threshold
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
    code = main(
        ["eval", "protection", "--pairs", str(mini_pairs(lfw_dev, tmp_path)),
         "--images", str(lfw_dev / "images"), "--json", "--report", str(report_dir),
         "--workers", "2", "--preimage-sample", "2"]
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
    assert out["ndb"]["template_bytes"] == 20 * 512 * 3 * 3  # uint16 positions + bool values
    assert out["ckks"]["template_bytes"] > 100_000
    assert out["unprotected"]["dsys"] is None and out["ckks"]["dsys"] is None
    assert 0.0 <= out["iom"]["dsys"] <= 1.0 and 0.0 <= out["ndb"]["dsys"] <= 1.0
    assert out["ckks"]["decisions_equal_plaintext"] == out["ckks"]["decisions_compared"] == 16
    assert out["ckks"]["accuracy"] == out["unprotected"]["accuracy"]
    # A template under the old key scores against a new-key probe well below a genuine match.
    for name in ("iom", "ndb"):
        assert out[name]["revoked_mean"] < out[name]["genuine_mean"] - 0.1, name

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
