"""Value types of the face engine. Coordinates are pixels in the image they came from, x to the
right and y down, as floats; arrays are numpy; no dlib or mediapipe object appears here."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

Embedding = npt.NDArray[np.float32]
"""A face descriptor: float32 vector of the embedder's dimension (128 for dlib's ResNet)."""


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def center(self) -> tuple[float, float]:
        return ((self.left + self.right) / 2, (self.top + self.bottom) / 2)

    def scaled(self, factor: float) -> Box:
        return Box(self.left * factor, self.top * factor, self.right * factor, self.bottom * factor)

    def as_list(self) -> list[float]:
        return [round(v, 1) for v in (self.left, self.top, self.right, self.bottom)]


@dataclass(frozen=True)
class Face:
    """A detected face. MediaPipe's and dlib's detectors give `box` in dlib's frontal-detector
    geometry, because dlib's 5-point landmark model was trained on such boxes; YuNet gives its
    own box (forehead to chin) and `landmarks`: five points, (x, y) pixels, in YuNet's order
    (the eye on the image's left, the other eye, the nose tip, the mouth corner on the image's
    left, the other one), which SFace's alignment reads."""

    box: Box
    score: float
    detector: str
    landmarks: npt.NDArray[np.float64] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, eq=False)
class AlignedFace:
    """The RGB chip the embedder reads (150x150 for dlib's ResNet, 112x112 for SFace), the five
    landmarks it was cut from, as (x, y) image pixels, and where its eyes and nose are (for the
    pose gate), whatever the landmark model's order."""

    chip: npt.NDArray[np.uint8]
    landmarks: npt.NDArray[np.float64]
    eyes: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]
    nose: npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class FaceSample:
    """One face taken through the pipeline: where it was, and its descriptor."""

    face: Face
    landmarks: npt.NDArray[np.float64]
    embedding: Embedding
