"""Lazy loaders for the third-party models; dlib and mediapipe objects never leave this layer
and the adapters around it. Nothing loads at import time; a missing model says how to fix it."""

from __future__ import annotations

import contextlib
import functools
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
