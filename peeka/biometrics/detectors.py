"""Face detectors behind one small interface, found by name in a registry of dotted paths and
built lazily. MediaPipe BlazeFace is the default; dlib HOG and dlib's CNN are alternatives."""

from __future__ import annotations

import functools
import importlib
from typing import Protocol

import numpy as np

from peeka.biometrics import _models
from peeka.biometrics.imageio import RGBImage
from peeka.biometrics.types import Box, Face


class Detector(Protocol):
    name: str

    def detect(self, image: RGBImage) -> list[Face]:
        """Every face found, in no particular order, with dlib-style boxes."""
        ...


DETECTORS: dict[str, str] = {
    "mediapipe": "peeka.biometrics.detectors:MediaPipeDetector",
    "mediapipe-full": "peeka.biometrics.detectors:MediaPipeFullRangeDetector",
    "hog": "peeka.biometrics.detectors:DlibHogDetector",
    "cnn": "peeka.biometrics.detectors:DlibCnnDetector",
}


@functools.cache
def get_detector(name: str) -> Detector:
    try:
        module_name, _, attr = DETECTORS[name].partition(":")
    except KeyError:
        raise ValueError(f"Unknown detector {name!r}; choose one of {sorted(DETECTORS)}") from None
    detector: Detector = getattr(importlib.import_module(module_name), attr)()
    return detector


class MediaPipeDetector:
    """BlazeFace short-range (faces within ~2 m, i.e. a webcam or a portrait), ~2 ms a frame."""

    name = "mediapipe"
    model_selection = 0
    # BlazeFace boxes sit lower and slightly to the subject's left of dlib HOG boxes for the
    # same face; measured as median offsets over 399 LFW images where both detectors agree
    # (same size, centre shifted by -4.4 % of the width and -6.6 % of the height).
    _DX, _DY, _SCALE = -0.044, -0.066, 1.0

    def detect(self, image: RGBImage) -> list[Face]:
        height, width = image.shape[:2]
        result = _models.raw_mediapipe_detector(self.model_selection).process(image)
        faces = []
        for detection in result.detections or []:
            rel = detection.location_data.relative_bounding_box
            w, h = rel.width * width, rel.height * height
            cx = (rel.xmin + rel.width / 2) * width + self._DX * w
            cy = (rel.ymin + rel.height / 2) * height + self._DY * h
            half_w, half_h = w * self._SCALE / 2, h * self._SCALE / 2
            box = Box(cx - half_w, cy - half_h, cx + half_w, cy + half_h)
            faces.append(Face(box=box, score=float(detection.score[0]), detector=self.name))
        return faces


class MediaPipeFullRangeDetector(MediaPipeDetector):
    """BlazeFace full-range: smaller faces further away (group photos, kiosks)."""

    name = "mediapipe-full"
    model_selection = 1


class DlibHogDetector:
    """dlib's HOG + linear SVM frontal detector. Large images are scanned at most 1,000 px
    wide (27 ms at 640x480); small ones are upsampled once so 40 px faces are found."""

    name = "hog"
    max_side = 1000

    def detect(self, image: RGBImage) -> list[Face]:
        scaled, factor = _downscale(image, self.max_side)
        upsample = 1 if max(scaled.shape[:2]) <= 400 else 0
        rects, scores, _ = _models.raw_hog_detector().run(scaled, upsample, 0.0)
        return [
            Face(box=_box(rect).scaled(1 / factor), score=float(score), detector=self.name)
            for rect, score in zip(rects, scores, strict=True)
        ]


class DlibCnnDetector:
    """dlib's MMOD CNN detector: finds faces HOG misses (profile, blur) but takes ~0.3-1 s."""

    name = "cnn"
    max_side = 800

    def detect(self, image: RGBImage) -> list[Face]:
        scaled, factor = _downscale(image, self.max_side)
        upsample = 1 if max(scaled.shape[:2]) <= 400 else 0
        found = _models.raw_cnn_detector()(scaled, upsample)
        return [
            Face(box=_box(d.rect).scaled(1 / factor), score=float(d.confidence), detector=self.name)
            for d in found
        ]


def _box(rect: object) -> Box:
    return Box(
        float(rect.left()),  # type: ignore[attr-defined]
        float(rect.top()),  # type: ignore[attr-defined]
        float(rect.right() + 1),  # type: ignore[attr-defined]
        float(rect.bottom() + 1),  # type: ignore[attr-defined]
    )


def _downscale(image: RGBImage, max_side: int) -> tuple[RGBImage, float]:
    longest = max(image.shape[:2])
    if longest <= max_side:
        return image, 1.0
    import cv2

    factor = max_side / longest
    size = (round(image.shape[1] * factor), round(image.shape[0] * factor))
    scaled = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(scaled), factor
