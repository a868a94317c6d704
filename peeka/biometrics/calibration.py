"""Decision thresholds as versioned data: `peeka calibrate` measures, per embedding model, the
distance threshold that meets a target false-match rate and writes it to a JSON file."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from peeka.errors import CalibrationError

FORMAT = "peeka-calibration"
VERSION = 1
PACKAGED = Path(__file__).with_name("calibration.json")


@dataclass(frozen=True)
class Calibration:
    """Accept a comparison when the Euclidean distance between reference and probe is at most
    `threshold`; measured on `dataset` to give a false-match rate of at most `target_far`."""

    model: str
    threshold: float
    target_far: float
    measured_far: float
    tar: float
    genuine_comparisons: int
    impostor_comparisons: int
    dataset: str
    created: str


def default_path() -> Path:
    """`PEEKA_CALIBRATION` if set, else the file shipped inside the package."""
    env = os.environ.get("PEEKA_CALIBRATION")
    return Path(env) if env else PACKAGED


def load(model: str, path: Path | None = None) -> Calibration:
    path = path or default_path()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CalibrationError(
            f"Calibration file {path} does not exist. Create one with `peeka calibrate`."
        ) from None
    except (OSError, ValueError) as exc:
        raise CalibrationError(f"Calibration file {path} cannot be read: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise CalibrationError(f"{path} is not a Peeka calibration file.")
    if document.get("version") != VERSION:
        raise CalibrationError(
            f"{path} has calibration format version {document.get('version')!r}; this Peeka "
            f"reads version {VERSION}. Recreate it with `peeka calibrate`."
        )
    entry = document.get("models", {}).get(model)
    if entry is None:
        raise CalibrationError(
            f"{path} has no threshold for model {model!r}. Run `peeka calibrate` for it."
        )
    try:
        calibration = Calibration(**entry)
        threshold = float(calibration.threshold)
    except (TypeError, ValueError) as exc:
        raise CalibrationError(f"{path}: the entry for {model!r} is malformed ({exc}).") from exc
    if not 0 < threshold < 10:
        raise CalibrationError(f"{path}: threshold {threshold} for {model!r} is out of range.")
    return calibration


def save(calibration: Calibration, path: Path) -> None:
    """Write or update the entry for `calibration.model`, keeping other models' entries."""
    document: dict[str, Any] = {"format": FORMAT, "version": VERSION, "models": {}}
    if path.exists():
        try:
            existing = json.loads(path.read_text(encoding="utf-8"))
            if existing.get("format") == FORMAT and existing.get("version") == VERSION:
                document = existing
        except ValueError:
            pass
    document["models"][calibration.model] = asdict(calibration)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)  # atomic: a reader never sees half a file
