"""Alignment, one per embedder. dlib: its 5-point landmarks, then the 150x150 chip dlib's ResNet
expects (the same geometry as dlib.get_face_chip with padding 0.25), cut by one affine warp we
can also jitter. SFace: YuNet's five landmarks, then OpenCV's `alignCrop` to the 112x112
ArcFace template SFace was trained on."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from peeka.biometrics import _models
from peeka.biometrics.imageio import RGBImage
from peeka.biometrics.types import AlignedFace, Box, Face

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
    eyes = (points[0:2].mean(axis=0), points[2:4].mean(axis=0))
    return AlignedFace(chip=np.ascontiguousarray(chip), landmarks=points, eyes=eyes, nose=points[4])


SFACE_CHIP_SIZE = 112
# Where YuNet's five landmarks sit relative to its box: the median over the 4 photos of
# ../shared/data/faces and the first 300 images of lfw-dev (YuNet found a face in all 304).
# Used only when a benchmark photo has no detected face and the box is a guess
# (`engine.centred_box`), as LFW's protocol asks.
_YUNET_POINTS_IN_BOX = np.array(
    [[0.275, 0.373], [0.754, 0.367], [0.528, 0.565], [0.321, 0.725], [0.727, 0.723]],
    dtype=np.float64,
)


SFACE_FACE_WIDTH = 120.0
"""A larger face is scaled down to this width (YuNet's box) with area averaging before the
chip is cut: OpenCV's `alignCrop` samples bilinearly, which aliases a face several times the
chip's size. Measured on the photos of ../shared/data/faces at 480 to 1,280 px, the
descriptors of one photo at its four sizes then differ by at most 0.07-0.19 instead of
0.14-0.22, and the nearest impostor moves from 1.197 to 1.21. LFW-sized faces are unchanged."""


def align_sface(
    image: RGBImage, face: Face, transforms: tuple[ChipTransform, ...] = (IDENTITY,)
) -> list[AlignedFace]:
    """One 112x112 chip per transform: OpenCV's `alignCrop` from the face's five landmarks
    (YuNet's, or placed from BlazeFace's keypoints; a similarity transform onto the ArcFace
    template), then the transform about the chip's centre."""
    box = face.box
    points = face.landmarks
    if points is None:
        points = np.array([box.left, box.top]) + _YUNET_POINTS_IN_BOX * [box.width, box.height]
    # The region around the face, scaled so the face is at most SFACE_FACE_WIDTH wide.
    side = 1.5 * max(box.width, box.height)
    cx, cy = box.center
    left, top = max(0, int(cx - side)), max(0, int(cy - side))
    right, bottom = min(image.shape[1], int(cx + side) + 1), min(image.shape[0], int(cy + side) + 1)
    region = image[top:bottom, left:right]
    scale = min(1.0, SFACE_FACE_WIDTH / max(box.width, 1.0))
    if scale < 1:
        size = (max(1, round(region.shape[1] * scale)), max(1, round(region.shape[0] * scale)))
        region = np.asarray(cv2.resize(region, size, interpolation=cv2.INTER_AREA), np.uint8)
    row = np.zeros((1, 15), np.float32)
    row[0, :4] = ((box.left - left) * scale, (box.top - top) * scale, box.width * scale,
                  box.height * scale)  # fmt: skip
    row[0, 4:14] = ((points - [left, top]) * scale).ravel()
    row[0, 14] = face.score
    bgr = cv2.cvtColor(np.ascontiguousarray(region), cv2.COLOR_RGB2BGR)
    chip = cv2.cvtColor(_models.raw_sface().alignCrop(bgr, row), cv2.COLOR_BGR2RGB)
    eyes = (points[0], points[1])
    return [
        AlignedFace(chip=_jitter(chip, t), landmarks=points, eyes=eyes, nose=points[2])
        for t in transforms
    ]


def _jitter(chip: npt.NDArray[np.uint8], t: ChipTransform) -> npt.NDArray[np.uint8]:
    if (t.rotate, t.zoom, t.shift_x, t.shift_y) != (0.0, 1.0, 0.0, 0.0):
        size = chip.shape[0]
        centre = (size / 2 - 0.5, size / 2 - 0.5)
        matrix = np.asarray(cv2.getRotationMatrix2D(centre, -t.rotate, 1 / t.zoom), np.float64)
        matrix[:, 2] += (t.shift_x * size, t.shift_y * size)
        chip = np.asarray(
            cv2.warpAffine(chip, matrix, (size, size), borderMode=cv2.BORDER_REFLECT), np.uint8
        )
    if t.mirror:
        chip = chip[:, ::-1]
    return np.ascontiguousarray(chip)
