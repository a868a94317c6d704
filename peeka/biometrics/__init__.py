"""Peeka's face engine, without Django: decode, detect, align, embed, check quality, compare.
Images are RGB uint8 arrays (height, width, 3); boxes are (left, top, right, bottom) pixels."""

from __future__ import annotations

from dataclasses import dataclass

from peeka.biometrics.calibration import Calibration
from peeka.biometrics.engine import EngineConfig, FaceEngine, default_engine, distance
from peeka.biometrics.imageio import RGBImage, load_image
from peeka.biometrics.quality import QualityPolicy
from peeka.biometrics.types import Box, Embedding, Face, FaceSample

__all__ = [
    "Box",
    "Calibration",
    "Embedding",
    "EngineConfig",
    "Face",
    "FaceEngine",
    "FaceSample",
    "QualityPolicy",
    "RGBImage",
    "Verification",
    "default_engine",
    "detect",
    "distance",
    "embed",
    "load_image",
    "verify",
]


def detect(image: RGBImage) -> list[Face]:
    """Every face in the image, by the default model's detectors (YuNet for SFace)."""
    return default_engine().detect(image)


def embed(image: RGBImage, face: Face) -> Embedding:
    """The descriptor of one detected face (one crop, no quality gate)."""
    return default_engine().sample(image, face, check_quality=False).embedding


@dataclass(frozen=True)
class Verification:
    match: bool
    distance: float
    threshold: float
    model: str


def verify(
    reference: RGBImage, probe: RGBImage, *, threshold: float, engine: FaceEngine | None = None
) -> Verification:
    """Is the single face in `probe` the person in `reference`? The reference is embedded as
    at enrollment (jittered crops), the probe as at login (one crop); both pass quality gates."""
    engine = engine or default_engine()
    d = distance(engine.reference([reference]).embedding, engine.probe(probe).embedding)
    return Verification(match=d <= threshold, distance=d, threshold=threshold, model=engine.model)
