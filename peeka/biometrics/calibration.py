"""Decision thresholds as versioned data: `peeka calibrate` measures, per embedding model, the
distance threshold that meets a target false-match rate and writes it to a JSON file.

Each threshold is measured for one kind of probe (`Mode`): "single", one crop of one picture
(a photo sent to the API, one webcam frame), or "fused", several frames of a liveness clip,
each frame's chip averaged with its mirror image (face login, step-up and identify after
a challenge). Averaging removes each picture's own pose and light from genuine and impostor
comparisons alike, so fused descriptors of strangers also come closer: each mode has its own
thresholds, under "modes" in the file (the top level is "single", as before modes)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from peeka.errors import CalibrationError

FORMAT = "peeka-calibration"
VERSION = 1
PACKAGED = Path(__file__).with_name("calibration.json")

Mode = Literal["single", "fused"]
MODES: tuple[Mode, ...] = get_args(Mode)


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
    identify_threshold: float | None = None
    """1:N (the kiosk): a stricter distance, measured for `identify_far`. Searching N people
    at a per-comparison false-match rate f names a stranger as someone with a probability of
    about N f: 1:1's 1e-4 would be 63 % at 10,000 people, 1e-6 is 1 %."""
    identify_far: float | None = None
    identify_tar: float | None = None

    def identification(self) -> float:
        """The 1:N distance threshold; a file without one is refused (`peeka calibrate`
        measures it)."""
        if self.identify_threshold is None:
            raise CalibrationError(
                f"The calibration of {self.model!r} has no identification (1:N) threshold. "
                "Run `peeka calibrate` again; it measures one."
            )
        return self.identify_threshold


@dataclass(frozen=True)
class SchemeCalibration:
    """Accept a protected comparison when the scheme's similarity score is at least
    `threshold` (a fraction in [0, 1]); measured like `Calibration`, for one scheme with the
    `params` it was measured with, which must equal the scheme's current ones."""

    model: str
    scheme: str
    params: dict[str, Any]
    threshold: float
    target_far: float
    measured_far: float
    tar: float
    genuine_comparisons: int
    impostor_comparisons: int
    dataset: str
    created: str
    center: list[float] | None = field(default=None)
    """For `ndb`: the mean descriptor of the calibration faces, subtracted before binarising."""


def default_path() -> Path:
    """`PEEKA_CALIBRATION` if set, else the file shipped inside the package."""
    env = os.environ.get("PEEKA_CALIBRATION")
    return Path(env) if env else PACKAGED


def load(model: str, path: Path | None = None, mode: Mode = "single") -> Calibration:
    path = path or default_path()
    entry = _section(_read(path), mode).get("models", {}).get(model)
    if entry is None:
        raise CalibrationError(
            f"{path} has no {_named(mode)}threshold for model {model!r}. Run `peeka calibrate` "
            "for it."
        )
    try:
        calibration = Calibration(**entry)
        threshold = float(calibration.threshold)
    except (TypeError, ValueError) as exc:
        raise CalibrationError(f"{path}: the entry for {model!r} is malformed ({exc}).") from exc
    identify = calibration.identify_threshold
    if not 0 < threshold < 10 or (identify is not None and not 0 < float(identify) <= threshold):
        raise CalibrationError(f"{path}: the thresholds for {model!r} are out of range.")
    return calibration


def load_scheme(
    model: str, scheme: str, path: Path | None = None, mode: Mode = "single"
) -> SchemeCalibration:
    """The score threshold of protection `scheme` over descriptors of `model`."""
    path = path or default_path()
    entry = _section(_read(path), mode).get("schemes", {}).get(model, {}).get(scheme)
    if entry is None:
        raise CalibrationError(
            f"{path} has no {_named(mode)}{scheme!r} threshold for model {model!r}. Run "
            "`peeka calibrate` on a pairs file to measure it."
        )
    try:
        calibration = SchemeCalibration(**entry)
        threshold = float(calibration.threshold)
    except (TypeError, ValueError) as exc:
        raise CalibrationError(f"{path}: the {scheme!r} entry is malformed ({exc}).") from exc
    if not 0 < threshold < 1:
        raise CalibrationError(f"{path}: {scheme!r} threshold {threshold} is out of range.")
    return calibration


def _section(document: dict[str, Any], mode: Mode) -> dict[str, Any]:
    if mode == "single":
        return document
    section: dict[str, Any] = document.get("modes", {}).get(mode, {})
    return section


def _named(mode: Mode) -> str:
    return "" if mode == "single" else f"{mode}-probe "


def _read(path: Path) -> dict[str, Any]:
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
    return document


def save(
    calibration: Calibration,
    path: Path,
    schemes: list[SchemeCalibration] | None = None,
    mode: Mode = "single",
) -> None:
    """Write or update the entry for `calibration.model` and its `schemes` in `mode`, keeping
    other models', schemes' and modes' entries."""
    document: dict[str, Any] = {"format": FORMAT, "version": VERSION, "models": {}}
    if path.exists():
        try:
            existing = json.loads(path.read_text(encoding="utf-8"))
            if existing.get("format") == FORMAT and existing.get("version") == VERSION:
                document = existing
        except ValueError:
            pass
    section = (
        document if mode == "single" else document.setdefault("modes", {}).setdefault(mode, {})
    )
    section.setdefault("models", {})[calibration.model] = asdict(calibration)
    for scheme in schemes or []:
        entries = section.setdefault("schemes", {}).setdefault(scheme.model, {})
        entries[scheme.scheme] = asdict(scheme)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)  # atomic: a reader never sees half a file
