"""Live framing hints for the camera page before it records: is there one face, large enough,
near the middle, in usable light. These are advice only — the recording is judged by the
liveness check and the quality gates — so they run on one small frame, cheaply, a few times a
second at most, and decide nothing about who is in front of the camera."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from peeka.biometrics.imageio import RGBImage
from peeka.biometrics.types import Face
from peeka.errors import gettext_noop


@dataclass(frozen=True)
class FramingPolicy:
    min_width: float = 0.18
    """Face box width over frame width. The quality gate refuses faces under 64 px of a
    640 px frame (0.10); below 0.18 the landmarks of a blink or a turn get unsteady."""
    max_width: float = 0.65
    """Above this a head turn takes the face out of the picture."""
    max_offset: float = 0.22
    """Distance of the face's centre from the frame's centre, as a fraction of each side."""
    min_brightness: float = 45.0
    max_brightness: float = 215.0
    """Mean grey level (0-255) inside the face box: the quality gate's limits."""
    prominent_face_ratio: float = 0.5
    """A second face at least this wide, relative to the largest, counts (the engine's rule)."""


HINTS = {
    "ok": gettext_noop("Good. Keep your face inside the oval."),
    "no_face": gettext_noop("No face in view. Look straight at the camera."),
    "several": gettext_noop("More than one face in view. Only you, please."),
    "far": gettext_noop("Move a little closer."),
    "near": gettext_noop("Move back a little."),
    "off_centre": gettext_noop("Move your face into the oval."),
    "dark": gettext_noop("Too dark. Turn towards a light."),
    "bright": gettext_noop("Too bright. Move away from the light behind or in front of you."),
}
"""What the page shows for each check, in the order the checks run."""


@dataclass(frozen=True)
class Framing:
    check: str
    """A key of `HINTS`: "ok" or the first check that failed."""
    box: tuple[float, float, float, float] | None = None
    """The largest face's box as fractions of the frame (left, top, right, bottom), to draw."""

    @property
    def hint(self) -> str:
        return HINTS[self.check]


def framing(
    image: RGBImage, faces: Sequence[Face], policy: FramingPolicy = FramingPolicy()
) -> Framing:
    """The first framing problem of `image` given the faces detected in it, or "ok"."""
    if not faces:
        return Framing("no_face")
    height, width = image.shape[:2]
    largest = max(faces, key=lambda f: f.box.width)
    b = largest.box
    box = (
        _clip(b.left / width),
        _clip(b.top / height),
        _clip(b.right / width),
        _clip(b.bottom / height),
    )
    if sum(f.box.width >= policy.prominent_face_ratio * b.width for f in faces) > 1:
        return Framing("several", box)
    relative = b.width / width
    if relative < policy.min_width:
        return Framing("far", box)
    if relative > policy.max_width:
        return Framing("near", box)
    cx, cy = b.center
    if abs(cx / width - 0.5) > policy.max_offset or abs(cy / height - 0.5) > policy.max_offset:
        return Framing("off_centre", box)
    brightness = _brightness(image, box)
    if brightness < policy.min_brightness:
        return Framing("dark", box)
    if brightness > policy.max_brightness:
        return Framing("bright", box)
    return Framing("ok", box)


def _clip(value: float) -> float:
    return round(min(1.0, max(0.0, value)), 3)


def _brightness(image: RGBImage, box: tuple[float, float, float, float]) -> float:
    height, width = image.shape[:2]
    left, top, right, bottom = (
        int(box[0] * width),
        int(box[1] * height),
        int(np.ceil(box[2] * width)),
        int(np.ceil(box[3] * height)),
    )
    region = image[top : max(bottom, top + 1), left : max(right, left + 1)]
    # ITU-R BT.601 luma, as the quality gate's grey conversion.
    luma = region[..., 0] * 0.299 + region[..., 1] * 0.587 + region[..., 2] * 0.114
    return float(luma.mean())
