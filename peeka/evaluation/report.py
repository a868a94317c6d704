"""Evaluation reports: ROC and DET plots as PNG plus a Markdown summary that embeds them.
Plots are drawn on a private Agg canvas, so no global matplotlib backend state is touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from peeka.evaluation.metrics import Roc, roc

# Below one in a million the typical benchmark has too few impostors for the rate to mean much.
_MIN_PLOTTED_RATE = 1e-6


@dataclass(frozen=True, eq=False)
class CurveSet:
    """One system's similarity scores, labelled for the plot legend."""

    label: str
    genuine: npt.NDArray[np.floating[Any]]
    impostor: npt.NDArray[np.floating[Any]]


def plot_roc(curves: Sequence[CurveSet], path: Path) -> None:
    """TAR against FAR, FAR on a log axis, written as PNG to `path`."""
    figure, axes = _new_plot()
    for curve, points in _rocs(curves):
        # Log axes cannot show FAR 0; dropping those points is clearer than clipping them.
        visible = points.far > 0.0
        axes.plot(points.far[visible], points.tar[visible], label=curve.label)
    axes.set_xscale("log")
    axes.set_xlim(_lowest_rate(curve.impostor.size for curve in curves), 1.0)
    axes.set_ylim(0.0, 1.0)
    axes.set_xlabel("False accept rate (FAR)")
    axes.set_ylabel("True accept rate (TAR)")
    axes.set_title("ROC")
    _save(figure, axes, path)


def plot_det(curves: Sequence[CurveSet], path: Path) -> None:
    """FRR against FAR, both on log axes (DET style), written as PNG to `path`."""
    figure, axes = _new_plot()
    for curve, points in _rocs(curves):
        frr = 1.0 - points.tar
        visible = (points.far > 0.0) & (frr > 0.0)
        axes.plot(points.far[visible], frr[visible], label=curve.label)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlim(_lowest_rate(curve.impostor.size for curve in curves), 1.0)
    axes.set_ylim(_lowest_rate(curve.genuine.size for curve in curves), 1.0)
    axes.set_xlabel("False accept rate (FAR)")
    axes.set_ylabel("False reject rate (FRR)")
    axes.set_title("DET")
    _save(figure, axes, path)


def write_markdown_report(
    out_dir: Path,
    *,
    title: str,
    summary: Mapping[str, object],
    curves: Sequence[CurveSet],
    sections: Sequence[tuple[str, str]] = (),
) -> Path:
    """Write roc.png, det.png and report.md into `out_dir`; return the report.md path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    plot_roc(curves, out_dir / "roc.png")
    plot_det(curves, out_dir / "det.png")

    lines = [f"# {title}", "", "| Key | Value |", "| --- | --- |"]
    lines += [f"| {_cell(key)} | {_cell(_format_value(value))} |" for key, value in summary.items()]
    for heading, body in sections:
        lines += ["", f"## {heading}", "", body.strip()]
    # Relative links keep the report valid when the directory is moved or published.
    lines += ["", "## ROC", "", "![ROC curve](roc.png)", "", "## DET", "", "![DET curve](det.png)"]

    report = out_dir / "report.md"
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return report


def _rocs(curves: Sequence[CurveSet]) -> list[tuple[CurveSet, Roc]]:
    if not curves:
        raise ValueError("at least one CurveSet is needed to draw a plot")
    return [(curve, roc(curve.genuine, curve.impostor)) for curve in curves]


def _lowest_rate(sample_sizes: Iterable[int]) -> float:
    # The finest rate any curve resolves is one error in its largest sample.
    return max(_MIN_PLOTTED_RATE, 1.0 / max(sample_sizes))


def _new_plot() -> tuple[Figure, Axes]:
    figure = Figure(figsize=(6.4, 4.8), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.grid(True, which="both", alpha=0.3)
    return figure, axes


def _save(figure: Figure, axes: Axes, path: Path) -> None:
    axes.legend(loc="best")
    figure.tight_layout()
    figure.savefig(path, format="png")


def _format_value(value: object) -> str:
    # numpy floats are formatted like Python floats so summaries can pass either.
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    return str(value)


def _cell(text: str) -> str:
    # A raw pipe or newline would break the Markdown table row.
    return text.replace("|", "\\|").replace("\n", " ")
