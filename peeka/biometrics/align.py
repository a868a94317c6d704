"""Alignment: dlib's 5-point landmarks, then the 150x150 chip dlib's ResNet expects (the same
geometry as dlib.get_face_chip with padding 0.25), cut by one affine warp we can also jitter."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from peeka.biometrics import _models
from peeka.biometrics.imageio import RGBImage
from peeka.biometrics.types import AlignedFace, Box

CHIP_SIZE = 150
CHIP_PADDING = 0.25


@dataclass(frozen=True)
class ChipTransform:
    """A small change to the crop: rotation in degrees, zoom factor (>1 shows more context),
    shift as a fraction of the chip size, and a horizontal mirror."""

    rotate: float = 0.0
    zoom: float = 1.0
    shift_x: float = 0.0
    shift_y: float = 0.0
    mirror: bool = False


IDENTITY = ChipTransform()


BoxShifts = tuple[tuple[float, float], ...]
"""Offsets (dx, dy), as fractions of the box width, of the boxes the landmark model runs on."""

SINGLE_BOX: BoxShifts = ((0.0, 0.0),)
# The mean of the landmark model's answers on nine shifted boxes is steadier than any one of
# them, for ~0.5 ms a box (README, "What each step gained").
NINE_BOXES: BoxShifts = tuple((dx, dy) for dx in (-0.06, 0.0, 0.06) for dy in (-0.06, 0.0, 0.06))


def landmarks(image: RGBImage, box: Box, shifts: BoxShifts = NINE_BOXES) -> npt.NDArray[np.float64]:
    """The five dlib landmarks, shape (5, 2), (x, y) pixels: the mean over the shifted boxes."""
    dlib, predictor = _models.dlib(), _models.raw_shape_predictor()
    points = []
    for dx, dy in shifts:
        x, y = dx * box.width, dy * box.width
        rect = dlib.rectangle(
            round(box.left + x),
            round(box.top + y),
            round(box.right + x) - 1,
            round(box.bottom + y) - 1,
        )
        points.append([[p.x, p.y] for p in predictor(image, rect).parts()])
    mean: npt.NDArray[np.float64] = np.mean(np.array(points, dtype=np.float64), axis=0)
    return mean


def align(
    image: RGBImage,
    box: Box,
    transforms: tuple[ChipTransform, ...] = (IDENTITY,),
    shifts: BoxShifts = NINE_BOXES,
) -> list[AlignedFace]:
    """One chip per transform, all cut around the same landmarks."""
    points = landmarks(image, box, shifts)
    base = _base_transform(points)
    return [_warp(image, base, t, points) for t in transforms]


def _base_transform(points: npt.NDArray[np.float64]) -> tuple[float, float, float, float]:
    """Centre (x, y), side length and angle of dlib's chip rectangle for these landmarks."""
    dlib = _models.dlib()
    # dlib points are integers: scale up 64x so the mean landmarks keep sub-pixel precision.
    parts = dlib.points([dlib.point(round(x * 64), round(y * 64)) for x, y in points])
    rect = dlib.rectangle(0, 0, 1, 1)
    details = dlib.get_face_chip_details(
        dlib.full_object_detection(rect, parts), size=CHIP_SIZE, padding=CHIP_PADDING
    )
    r = details.rect
    return (r.left() + r.right()) / 128, (r.top() + r.bottom()) / 128, r.width() / 64, details.angle


def _warp(
    image: RGBImage,
    base: tuple[float, float, float, float],
    t: ChipTransform,
    points: npt.NDArray[np.float64],
) -> AlignedFace:
    cx, cy, side, angle = base
    angle += np.deg2rad(t.rotate)
    step = side * t.zoom / CHIP_SIZE  # image pixels per chip pixel
    cos, sin = np.cos(angle) * step, np.sin(angle) * step
    linear = np.array([[cos, -sin], [sin, cos]])
    middle = np.array(
        [CHIP_SIZE / 2 - 0.5 - t.shift_x * CHIP_SIZE, CHIP_SIZE / 2 - 0.5 - t.shift_y * CHIP_SIZE]
    )
    offset = np.array([cx, cy]) - linear @ middle
    matrix = np.hstack([linear, offset[:, None]])
    chip = cv2.warpAffine(
        image,
        matrix,
        (CHIP_SIZE, CHIP_SIZE),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REFLECT,
    )
    if t.mirror:
        chip = chip[:, ::-1]
    return AlignedFace(chip=np.ascontiguousarray(chip), landmarks=points)
