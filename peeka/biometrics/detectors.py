"""Face detectors behind one small interface, found by name in a registry of dotted paths and
built lazily. YuNet (with SFace) and MediaPipe BlazeFace (with dlib's ResNet) are the defaults;
dlib HOG and dlib's CNN are alternatives."""

from __future__ import annotations

import functools
from typing import Protocol

import numpy as np
import numpy.typing as npt

from peeka.biometrics import _models
from peeka.biometrics.imageio import RGBImage
from peeka.biometrics.types import Box, Face
from peeka.plugins import instantiate


class Detector(Protocol):
    name: str

    def detect(self, image: RGBImage) -> list[Face]:
        """Every face found, in no particular order (boxes as `Face` describes)."""
        ...


DETECTORS: dict[str, str] = {
    "yunet": "peeka.biometrics.detectors:YuNetDetector",
    "mediapipe": "peeka.biometrics.detectors:MediaPipeDetector",
    "mediapipe-full": "peeka.biometrics.detectors:MediaPipeFullRangeDetector",
    "hog": "peeka.biometrics.detectors:DlibHogDetector",
    "cnn": "peeka.biometrics.detectors:DlibCnnDetector",
}


@functools.cache
def get_detector(name: str) -> Detector:
    detector: Detector = instantiate(DETECTORS, name, "detector")
    return detector


class YuNetDetector:
    """OpenCV Zoo's YuNet (int8): a box and five landmarks per face. SFace's fallback when
    BlazeFace finds nothing (faces further than about 2 m, or very small in the picture).
    Images are scanned at most 640 px on their longest side (a webcam frame as the server
    keeps it), and coordinates are mapped back to the full image: 18-23 ms at 640x480 on one
    core, against about 1-2 ms for BlazeFace, which is why it is not the first detector."""

    name = "yunet"
    max_side = 640
    min_side = 32
    """YuNet's coarsest feature map has a stride of 32: a smaller input leaves it empty, and
    OpenCV then returned rows of NaN for a 1x1 picture (found by the API's schema fuzzing)."""

    def detect(self, image: RGBImage) -> list[Face]:
        import cv2

        if min(image.shape[:2]) < self.min_side:
            return []
        scaled, factor = _downscale(image, self.max_side)
        detector = _models.raw_yunet()
        detector.setInputSize((scaled.shape[1], scaled.shape[0]))
        _, rows = detector.detect(cv2.cvtColor(scaled, cv2.COLOR_RGB2BGR))
        faces = []
        for row in rows if rows is not None else []:
            if not np.isfinite(row[:15]).all() or row[2] <= 0 or row[3] <= 0:
                continue  # never a face: a degenerate row
            x, y, w, h = (float(v) / factor for v in row[:4])
            points = row[4:14].astype(np.float64).reshape(5, 2) / factor
            faces.append(Face(Box(x, y, x + w, y + h), float(row[14]), self.name, landmarks=points))
        return faces


class MediaPipeDetector:
    """BlazeFace short-range (faces within ~2 m, i.e. a webcam or a portrait), ~2 ms a frame.
    Each face carries five landmarks in YuNet's order for SFace's alignment (`_five_points`);
    dlib's pipeline uses the box, placed from the same keypoints (`_dlib_style_box`)."""

    name = "mediapipe"
    model_selection = 0

    def detect(self, image: RGBImage) -> list[Face]:
        height, width = image.shape[:2]
        result = _models.raw_mediapipe_detector(self.model_selection).process(image)
        faces = []
        for detection in result.detections or []:
            keypoints = np.array(
                [[k.x * width, k.y * height] for k in detection.location_data.relative_keypoints]
            )
            box = _dlib_style_box(
                keypoints, detection.location_data.relative_bounding_box.width * width
            )
            faces.append(
                Face(box, float(detection.score[0]), self.name, landmarks=_five_points(keypoints))
            )
        return faces


MOUTH_CORNERS = 0.414
"""Half the distance between the mouth corners over the distance between the eyes, in the
ArcFace template that SFace's `alignCrop` maps onto (29.2 / 35.2 / 2)."""


def _five_points(keypoints: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """YuNet's five landmarks (eyes, nose tip, mouth corners, the subject's right first) from
    BlazeFace's eyes, nose tip and mouth centre: the corners are placed along the eye line."""
    right_eye, left_eye, nose, mouth = keypoints[:4]
    across = MOUTH_CORNERS * (left_eye - right_eye)
    return np.array([right_eye, left_eye, nose, mouth - across, mouth + across])


def _dlib_style_box(keypoints: npt.NDArray[np.float64], blaze_width: float) -> Box:
    """Place a dlib-style box from BlazeFace's eye, nose and mouth keypoints.

    BlazeFace boxes frame the whole head; dlib's detector (on whose boxes the 5-point landmark
    model was trained) frames the eyes, nose and mouth, so on a turned head the two centres
    differ by up to a fifth of the face. Fitted by least squares on 1,689 LFW images where both
    detectors found exactly one face, relative to the eyes so it holds at any position and
    scale: median centre error 4.0 px (x) and 1.6 px (y), against 6.3 and 3.2 px for a fixed
    offset of the BlazeFace box.
    """
    eyes = (keypoints[0] + keypoints[1]) / 2
    nose, mouth = keypoints[2] - eyes, keypoints[3] - eyes
    cx = eyes[0] - 0.0593 * mouth[0] + 0.0409 * nose[0]
    cy = eyes[1] + 0.4897 * mouth[1] - 0.1755 * nose[1]
    half = 0.99 * blaze_width / 2
    return Box(cx - half, cy - half, cx + half, cy + half)


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
