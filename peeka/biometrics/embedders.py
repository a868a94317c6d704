"""Face embedders behind one interface: chips in, float32 descriptors out, compared by Euclidean
distance. OpenCV Zoo's SFace (the default) and dlib's ResNet are built in; other models plug in
through the registry. Each names the detector and the alignment its chips need."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from peeka.biometrics import _models
from peeka.biometrics.align import IDENTITY, ChipTransform
from peeka.plugins import instantiate


class Embedder(Protocol):
    name: str
    """Identifies the model and its version; calibration files and caches key on it."""
    dim: int
    alignment: Literal["dlib", "sface"]
    """Which chips it reads: dlib's 150x150 (`align.align`) or SFace's 112x112
    (`align.align_sface`, from five landmarks)."""
    detectors: tuple[str, ...]
    """The detector, then fallbacks tried only when the ones before found no face."""
    reference_transforms: tuple[ChipTransform, ...]
    """The crops an enrollment averages (`FaceEngine.reference`), the identity first."""

    def embed(self, chips: Sequence[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        """Descriptors of aligned RGB chips, shape (len(chips), dim)."""
        ...


MIRRORED: tuple[ChipTransform, ...] = (IDENTITY, ChipTransform(mirror=True))
"""The chip and its mirror: two network passes that smooth out landmark noise."""
SHIFTED: tuple[ChipTransform, ...] = tuple(
    ChipTransform(shift_x=dx, shift_y=dy, mirror=mirror)
    for dx, dy in ((0.0, 0.0), (0.02, 0.0), (-0.02, 0.0), (0.0, 0.02), (0.0, -0.02))
    for mirror in (False, True)
)
"""The chip moved by 2 % of its side in four directions, and the mirror of each: ten passes."""


EMBEDDERS: dict[str, str] = {
    "sface_2021dec_int8bq": "peeka.biometrics.embedders:SFaceEmbedder",
    "dlib_resnet_v1": "peeka.biometrics.embedders:DlibResNetEmbedder",
}
ALIASES = {"sface": "sface_2021dec_int8bq", "dlib": "dlib_resnet_v1"}
"""The short names `PEEKA_EMBEDDER` and `--embedder` take."""
DEFAULT_EMBEDDER = "sface_2021dec_int8bq"


def configured_model() -> str:
    """`PEEKA_EMBEDDER` (a short or full name), else SFace."""
    return model_name(os.environ.get("PEEKA_EMBEDDER") or DEFAULT_EMBEDDER)


def model_name(name: str) -> str:
    """The model a short or full name stands for; ValueError for an unknown one."""
    full = ALIASES.get(name, name)
    if full not in EMBEDDERS:
        known = ", ".join([*ALIASES, *EMBEDDERS])
        raise ValueError(f"unknown face model {name!r}; choose one of {known}")
    return full


@functools.cache
def get_embedder(name: str) -> Embedder:
    embedder: Embedder = instantiate(EMBEDDERS, name, "embedder")
    return embedder


class DlibResNetEmbedder:
    """dlib_face_recognition_resnet_model_v1: 29-layer ResNet, 128-D, ~55 ms a chip on one core."""

    name = "dlib_resnet_v1"
    dim = 128
    alignment: Literal["dlib", "sface"] = "dlib"
    detectors = ("mediapipe", "hog")
    reference_transforms = MIRRORED

    def embed(self, chips: Sequence[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        if not chips:
            return np.empty((0, self.dim), dtype=np.float32)
        model = _models.raw_face_recognizer()
        vectors = model.compute_face_descriptor([np.ascontiguousarray(c) for c in chips])
        return np.asarray([np.asarray(v) for v in vectors], dtype=np.float32)


class SFaceEmbedder:
    """OpenCV Zoo's SFace (MobileFaceNet trained with the SFace loss, int8 block-quantised),
    128-D, unit length, so the Euclidean distance is sqrt(2 - 2 cos); ~30 ms a chip on one core."""

    name = "sface_2021dec_int8bq"
    dim = 128
    alignment: Literal["dlib", "sface"] = "sface"
    # BlazeFace's keypoints align as well as YuNet's landmarks on lfw-dev (TAR at FAR 1e-4
    # 97.21 % against 97.03 %) and keep a webcam clip's frames closer together, in a tenth of
    # the time; YuNet finds the faces BlazeFace's short range misses.
    detectors = ("mediapipe", "yunet")
    # An enrollment averages ten crops (about 0.2 s a frame, at enrollment only); on lfw-dev
    # pairs accuracy went from 99.20 % (the chip and its mirror) to 99.30 %, TAR at FAR 1e-4
    # from 97.18 to 97.21 % (README, "LFW accuracy"). A login probe is still one pass.
    reference_transforms = SHIFTED

    def embed(self, chips: Sequence[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        import cv2

        out = np.empty((len(chips), self.dim), dtype=np.float32)
        model = _models.raw_sface()
        for i, chip in enumerate(chips):
            vector = model.feature(cv2.cvtColor(chip, cv2.COLOR_RGB2BGR)).ravel()
            out[i] = vector / max(float(np.linalg.norm(vector)), 1e-12)
        return out
