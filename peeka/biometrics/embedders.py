"""Face embedders behind one interface: chips in, float32 descriptors out. dlib's ResNet
(128-D, Euclidean distance) is built in; other models plug in through the registry."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from peeka.biometrics import _models
from peeka.plugins import instantiate


class Embedder(Protocol):
    name: str
    """Identifies the model and its version; calibration files and caches key on it."""
    dim: int

    def embed(self, chips: Sequence[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        """Descriptors of aligned 150x150 RGB chips, shape (len(chips), dim)."""
        ...


EMBEDDERS: dict[str, str] = {
    "dlib_resnet_v1": "peeka.biometrics.embedders:DlibResNetEmbedder",
}


@functools.cache
def get_embedder(name: str) -> Embedder:
    embedder: Embedder = instantiate(EMBEDDERS, name, "embedder")
    return embedder


class DlibResNetEmbedder:
    """dlib_face_recognition_resnet_model_v1: 29-layer ResNet, 128-D, ~55 ms a chip on one core."""

    name = "dlib_resnet_v1"
    dim = 128

    def embed(self, chips: Sequence[npt.NDArray[np.uint8]]) -> npt.NDArray[np.float32]:
        if not chips:
            return np.empty((0, self.dim), dtype=np.float32)
        model = _models.raw_face_recognizer()
        vectors = model.compute_face_descriptor([np.ascontiguousarray(c) for c in chips])
        return np.asarray([np.asarray(v) for v in vectors], dtype=np.float32)
