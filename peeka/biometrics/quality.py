"""Quality gates on a detected face: size, sharpness, exposure and pose. Each rejection is a
`QualityError` whose code names the check and whose message says what the user should change."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from peeka.biometrics.types import AlignedFace, Box
from peeka.errors import QualityError, gettext_noop


@dataclass(frozen=True)
class QualityPolicy:
    """Limits for an enrollment or login photo; `None` for a field disables that check."""

    min_face_px: float | None = 64.0
    """Face box width in pixels; the face fills ~100 px of the 150 px chip, so much smaller
    faces have lost the detail the embedder needs."""
    min_sharpness: float | None = 40.0
    """Variance of the Laplacian of the grey chip centre; a 3 px Gaussian blur falls below."""
    min_brightness: float | None = 45.0
    max_brightness: float | None = 215.0
    """Mean grey level (0-255) of the chip centre."""
    max_yaw: float | None = 0.30
    """Nose offset along the eye line, as a fraction of the eye distance (0 = frontal)."""
    max_roll_degrees: float | None = 40.0
    """Angle of the eye line. Alignment turns the face upright, so a tilt costs little: the
    photos of ../shared/data/faces turned by 35 degrees embed within 0.85 of the threshold of
    the upright ones, and at 50 degrees are refused (`tests/biometrics/test_engine.py`).
    30 degrees refused the webcam clip's frontal frames, a head tilted 25-35 degrees."""


@dataclass(frozen=True)
class QualityReport:
    face_px: float
    sharpness: float
    brightness: float
    yaw: float
    roll_degrees: float


def measure(box: Box, aligned: AlignedFace) -> QualityReport:
    """Quality measurements of one face: its box, its aligned chip, its eyes and nose. A chip
    of another size than dlib's 150 px is scaled to it first, so one set of limits holds for
    every model."""
    chip = aligned.chip
    if chip.shape[0] != 150:
        chip = np.asarray(cv2.resize(chip, (150, 150), interpolation=cv2.INTER_LINEAR), np.uint8)
    grey = cv2.cvtColor(chip, cv2.COLOR_RGB2GRAY)
    centre = grey[30:120, 30:120]  # the face itself, without the padding around it
    sharpness = float(cv2.Laplacian(centre, cv2.CV_64F).var())
    (eye_a, eye_b), nose = aligned.eyes, aligned.nose
    axis = eye_b - eye_a
    if axis[0] < 0:  # orient the eye line left to right in the image, whatever dlib's order
        axis = -axis
    eye_distance = max(float(np.hypot(*axis)), 1e-6)
    yaw = float(np.dot(nose - (eye_a + eye_b) / 2, axis)) / eye_distance**2
    roll = float(np.degrees(np.arctan2(axis[1], axis[0])))
    return QualityReport(
        face_px=box.width,
        sharpness=sharpness,
        brightness=float(centre.mean()),
        yaw=yaw,
        roll_degrees=roll,
    )


def check(report: QualityReport, policy: QualityPolicy) -> None:
    """Raise `QualityError` for the first check the face fails."""
    p = policy
    if p.min_face_px is not None and report.face_px < p.min_face_px:
        raise QualityError(
            gettext_noop(
                "The face is too small (%(width)d px wide, at least %(needed)d needed). Move "
                "closer to the camera."
            ),
            code="face_too_small",
            params={"width": round(report.face_px), "needed": round(p.min_face_px)},
        )
    if p.min_brightness is not None and report.brightness < p.min_brightness:
        raise QualityError(
            gettext_noop("The face is too dark. Turn on a light or face a window."),
            code="face_too_dark",
        )
    if p.max_brightness is not None and report.brightness > p.max_brightness:
        raise QualityError(
            gettext_noop("The face is overexposed. Move away from direct light."),
            code="face_too_bright",
        )
    if p.min_sharpness is not None and report.sharpness < p.min_sharpness:
        raise QualityError(
            gettext_noop("The face is blurry. Hold still and make sure the camera is in focus."),
            code="face_blurry",
        )
    if p.max_yaw is not None and abs(report.yaw) > p.max_yaw:
        raise QualityError(
            gettext_noop("The face is turned away. Look straight at the camera."), code="face_pose"
        )
    if p.max_roll_degrees is not None and abs(report.roll_degrees) > p.max_roll_degrees:
        raise QualityError(
            gettext_noop("The head is tilted. Hold your head upright."), code="face_pose"
        )
