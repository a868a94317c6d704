from __future__ import annotations

import json
from pathlib import Path

import pytest

from peeka.cli import main
from peeka.errors import DatasetError
from peeka.evaluation.lfw import read_pairs
from tests.conftest import mini_pairs


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pairs.txt"
    path.write_text(text)
    return path


def test_it_reads_folds_and_both_kinds_of_line(tmp_path: Path) -> None:
    pairs = read_pairs(_write(tmp_path, "2\t1\nAl\t1\t2\nAl\t1\tBo\t3\nCy\t4\t12\nBo\t2\tCy\t1\n"))
    assert (pairs.folds, pairs.pairs_per_fold, len(pairs.pairs)) == (2, 1, 4)
    first, second = pairs.pairs[0], pairs.pairs[1]
    assert (first.first, first.second, first.same, first.fold) == (
        "Al/Al_0001.jpg",
        "Al/Al_0002.jpg",
        True,
        0,
    )
    assert (second.second, second.same) == ("Bo/Bo_0003.jpg", False)
    assert pairs.pairs[2].fold == 1 and pairs.pairs[2].second == "Cy/Cy_0012.jpg"
    assert pairs.images()[0] == "Al/Al_0001.jpg"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("ten\t300\n", "header"),
        ("1\t2\nAl\t1\t2\n", "promises"),
        ("1\t1\nAl\t1\nAl\t1\tBo\t1\n", "same-person"),
        ("1\t1\nAl\t1\t2\nAl\t1\tBo\tx\n", "whole number"),
    ],
)
def test_a_malformed_pairs_file_names_the_problem(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(DatasetError, match=message):
        read_pairs(_write(tmp_path, text))


def test_eval_lfw_on_a_few_real_pairs(
    lfw_dev: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pairs = mini_pairs(lfw_dev, tmp_path)
    report = tmp_path / "report"
    code = main(
        [
            "eval",
            "lfw",
            "--pairs",
            str(pairs),
            "--images",
            str(lfw_dev / "images"),
            "--json",
            "--report",
            str(report),
            "--workers",
            "2",
            "--enroll-images",
            "1",
            "--probe-images",
            "1",
        ]
    )
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    multi = result["multi_image"]
    assert (multi["enroll_images"], multi["probe_images"]) == (1, 1)
    for fusion in ("mean", "best"):  # one frame: both fusions are the plain comparison
        figures = multi["fusions"][fusion]
        assert figures["genuine_comparisons"] > 0 and figures["impostor_comparisons"] > 0
        assert figures["tar_at_far_0.0001"] is None  # too few impostors: said, not made up
    for key in (
        "accuracy",
        "accuracy_std",
        "eer",
        "tar_at_far_1e-3",
        "tar_at_far_1e-4",
        "failure_to_detect",
        "pairs",
    ):
        assert key in result
    assert result["pairs"] == 16 and result["folds"] == 2
    # These pairs are easy for the model; a broken pipeline scores ~50 %.
    assert result["accuracy"] >= 0.85
    assert result["eer"] < 0.2
    assert result["failure_to_detect"] == 0.0
    # 16 pairs have too few impostor comparisons for FAR 1e-4: said, not made up.
    assert result["tar_at_far_1e-4"] is None
    assert (report / "report.md").is_file() and (report / "roc.png").stat().st_size > 1000


def test_eval_lfw_reports_missing_images_clearly(
    lfw_dev: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pairs = mini_pairs(lfw_dev, tmp_path, per_fold=1)
    code = main(["eval", "lfw", "--pairs", str(pairs), "--images", str(tmp_path), "--json"])
    assert code == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["code"] == "dataset_invalid" and "not under" in error["message"]


def test_calibrate_writes_a_threshold_the_verify_command_uses(
    lfw_dev: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pairs = mini_pairs(lfw_dev, tmp_path)
    output = tmp_path / "calibration.json"
    args = [
        "calibrate",
        "--pairs",
        str(pairs),
        "--images",
        str(lfw_dev / "images"),
        "--json",
        "--workers",
        "1",
        "--output",
        str(output),
        # The four runs below extract the same images: the first fills the cache.
        "--cache",
        str(tmp_path / "descriptors"),
    ]
    assert main([*args, "--far", "1e-4"]) == 2  # too few impostors to resolve 1e-4
    assert "cannot resolve" in capsys.readouterr().out
    # 1:N's default 1e-6 cannot be resolved either, and may not be looser than 1:1.
    assert main([*args, "--far", "0.05"]) == 2
    assert "--identify-far 1e-06 must be" in capsys.readouterr().out
    assert main([*args, "--far", "0.05", "--identify-far", "0.1"]) == 2
    capsys.readouterr()
    assert main([*args, "--far", "0.05", "--identify-far", "0.01"]) == 0
    written = json.loads(output.read_text())["models"]["sface_2021dec_int8bq"]
    # SFace's unit descriptors: the same face within about 1.0, strangers near sqrt(2).
    assert 0.8 < written["threshold"] < 1.4
    assert written["measured_far"] <= 0.05
    assert 0.5 < written["identify_threshold"] < written["threshold"]
    assert written["identify_far"] <= 0.01 and written["identify_tar"] <= written["tar"]
    schemes = json.loads(output.read_text())["schemes"]["sface_2021dec_int8bq"]
    assert set(schemes) == {"iom", "ndb"}
    for name, entry in schemes.items():
        assert 0.0 < entry["threshold"] < 1.0, name
        assert entry["measured_far"] <= 0.05 and entry["tar"] > 0.5, name
    assert len(schemes["ndb"]["center"]) == 128 and schemes["iom"]["center"] is None


def test_the_multi_image_counts_go_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["eval", "lfw", "--pairs", str(tmp_path / "p.txt"), "--images", str(tmp_path)]
    assert main([*args, "--enroll-images", "3", "--json"]) == 2
    assert "go together" in capsys.readouterr().out
