"""Descriptors of the real photos, computed once for every protection test module."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from peeka.biometrics import FaceEngine, load_image


@pytest.fixture(scope="session")
def descriptors(faces_dir: Path, engine: FaceEngine) -> dict[str, npt.NDArray[np.float32]]:
    """Enrollment descriptors as `name`, login descriptors as `name/probe` (default model)."""
    return _descriptors(faces_dir, engine)


@pytest.fixture(scope="session")
def dlib_descriptors(
    faces_dir: Path, dlib_engine: FaceEngine
) -> dict[str, npt.NDArray[np.float32]]:
    """The same with dlib's ResNet, for templates made before SFace."""
    return _descriptors(faces_dir, dlib_engine)


def _descriptors(faces_dir: Path, engine: FaceEngine) -> dict[str, npt.NDArray[np.float32]]:
    found: dict[str, npt.NDArray[np.float32]] = {}
    for name in ("obama", "obama2", "obama3", "biden"):
        image = load_image(faces_dir / f"{name}.jpg")
        found[name] = engine.reference([image]).embedding
        found[f"{name}/probe"] = engine.probe(image).embedding
    return found
