"""Tests for peeka.evaluation.report: PNG plots and the Markdown report written to disk.
Synthetic score distributions stand in for real benchmark output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from peeka.evaluation.report import CurveSet, plot_det, plot_roc, write_markdown_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _curves() -> list[CurveSet]:
    rng = np.random.default_rng(5)
    return [
        CurveSet("dlib ResNet (unprotected)", rng.normal(3, 1, 300), rng.normal(0, 1, 20_000)),
        CurveSet("protected template", rng.normal(2.5, 1, 300), rng.normal(0, 1, 20_000)),
    ]


def _assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert len(data) > 1024


def test_write_markdown_report(tmp_path: Path) -> None:
    out_dir = tmp_path / "nested" / "run-1"
    summary: dict[str, object] = {
        "EER": 0.0123456789,
        "TAR @ FAR=1e-3": np.float32(0.987654),
        "genuine pairs": 300,
        "model": "dlib|resnet",
    }
    report = write_markdown_report(
        out_dir,
        title="LFW verification",
        summary=summary,
        curves=_curves(),
        sections=[("Method", "Cosine similarity.\n"), ("Notes", "Seeded synthetic data.")],
    )

    assert report == out_dir / "report.md"
    _assert_png(out_dir / "roc.png")
    _assert_png(out_dir / "det.png")
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# LFW verification\n")
    assert "| Key | Value |" in text
    assert "| EER | 0.0123457 |" in text
    assert "| TAR @ FAR=1e-3 | 0.987654 |" in text
    assert "| genuine pairs | 300 |" in text
    assert "| model | dlib\\|resnet |" in text
    assert "![ROC curve](roc.png)" in text
    assert "![DET curve](det.png)" in text
    # Sections keep their order and come after the summary table.
    assert text.index("| EER |") < text.index("## Method") < text.index("## Notes")
    assert "## Method\n\nCosine similarity.\n" in text


def test_plots_write_png(tmp_path: Path) -> None:
    plot_roc(_curves(), tmp_path / "roc.png")
    plot_det(_curves()[:1], tmp_path / "det.png")
    _assert_png(tmp_path / "roc.png")
    _assert_png(tmp_path / "det.png")


def test_plot_needs_a_curve(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one CurveSet"):
        plot_roc([], tmp_path / "roc.png")
