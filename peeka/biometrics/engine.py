"""The face pipeline: decode, detect, pick the face, check quality, align, embed; the detector
and the alignment are the embedding model's (YuNet and ArcFace-style chips for SFace,
MediaPipe and dlib's chips for dlib's ResNet). A reference (enrollment) is embedded from
several crops (the embedder's `reference_transforms`); a probe from one crop, and a fused
probe from the chip and its mirror in each of a few frames."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import numpy as np
import numpy.typing as npt

from peeka.biometrics import align as _align
from peeka.biometrics import quality as _quality
from peeka.biometrics.align import IDENTITY, ChipTransform
from peeka.biometrics.detectors import get_detector
from peeka.biometrics.embedders import MIRRORED, configured_model, get_embedder
from peeka.biometrics.imageio import RGBImage
from peeka.biometrics.types import AlignedFace, Box, Embedding, Face, FaceSample
from peeka.errors import MultipleFacesError, NoFaceError, gettext_noop

FacePolicy = Literal["single", "central"]
"""`single`: exactly one prominent face, quality checked (enrollment and login).
`central`: the face nearest the image centre, no quality gate (benchmark photos such as LFW,
whose subject is centred by construction)."""

FUSED_TRANSFORMS = MIRRORED
"""The crops of each frame of a fused (multi-frame) probe: two passes a frame at login."""


@dataclass(frozen=True)
class EngineConfig:
    embedder: str = field(default_factory=configured_model)
    """The embedding model (`PEEKA_EMBEDDER`, SFace by default); it decides the alignment and,
    unless `detector` is set, the detectors."""
    detector: str | None = None
    fallback_detectors: tuple[str, ...] | None = None
    """Tried in order only when the detectors before them found no face (default: the
    embedder's)."""
    quality: _quality.QualityPolicy = field(default_factory=_quality.QualityPolicy)
    reference_transforms: tuple[ChipTransform, ...] | None = None
    """The crops an enrollment averages (default: the embedder's); the identity first."""
    landmark_boxes: _align.BoxShifts = _align.NINE_BOXES
    prominent_face_ratio: float = 0.5
    """Under `single`, a second face at least this fraction of the largest face's width makes
    the photo ambiguous; smaller faces (people far behind) are ignored."""


class FaceEngine:
    """Thread-safe; models load on first use."""

    def __init__(self, config: EngineConfig | None = None) -> None:
        self.config = config or EngineConfig()

    @property
    def model(self) -> str:
        return self.config.embedder

    @property
    def detectors(self) -> tuple[str, ...]:
        """The detector chain: the configured one and its fallbacks, else the embedder's."""
        own = get_embedder(self.config.embedder).detectors
        first = self.config.detector or own[0]
        fallbacks = self.config.fallback_detectors
        if fallbacks is None:
            fallbacks = own[1:] if first == own[0] else tuple(d for d in own if d != first)
        return (first, *fallbacks)

    @property
    def reference_transforms(self) -> tuple[ChipTransform, ...]:
        own = self.config.reference_transforms
        return own if own is not None else get_embedder(self.config.embedder).reference_transforms

    def detect(self, image: RGBImage) -> list[Face]:
        """Faces found by the first detector in the chain that finds any."""
        for name in self.detectors:
            faces = get_detector(name).detect(image)
            if faces:
                return faces
        return []

    def pick(self, faces: Sequence[Face], image: RGBImage, policy: FacePolicy) -> Face:
        if not faces:
            raise NoFaceError(
                gettext_noop(
                    "No face was found. Face the camera in good light, with nothing covering "
                    "your face."
                )
            )
        if policy == "central":
            height, width = image.shape[:2]
            return min(
                faces,
                key=lambda f: (
                    (f.box.center[0] - width / 2) ** 2 + (f.box.center[1] - height / 2) ** 2
                ),
            )
        largest = max(faces, key=lambda f: f.box.width)
        rivals = [
            f for f in faces if f.box.width >= self.config.prominent_face_ratio * largest.box.width
        ]
        if len(rivals) > 1:
            raise MultipleFacesError(
                gettext_noop("%(count)d faces were found. Make sure only you are in the picture."),
                params={"count": len(rivals)},
            )
        return largest

    def locate(self, image: RGBImage, policy: FacePolicy = "single") -> Face:
        return self.pick(self.detect(image), image, policy)

    def sample(
        self,
        image: RGBImage,
        face: Face,
        *,
        transforms: tuple[ChipTransform, ...] = (IDENTITY,),
        check_quality: bool = True,
    ) -> FaceSample:
        """Align and embed one face; several transforms give the mean of their descriptors."""
        chips = self.align(image, face, transforms)
        if check_quality:
            _quality.check(_quality.measure(face.box, chips[0]), self.config.quality)
        views = get_embedder(self.config.embedder).embed([c.chip for c in chips])
        return FaceSample(face=face, landmarks=chips[0].landmarks, embedding=mean_descriptor(views))

    def align(
        self, image: RGBImage, face: Face, transforms: tuple[ChipTransform, ...] = (IDENTITY,)
    ) -> list[AlignedFace]:
        """The chips the embedder reads, one per transform."""
        if get_embedder(self.config.embedder).alignment == "sface":
            return _align.align_sface(image, face, transforms)
        return _align.align(image, face.box, transforms, self.config.landmark_boxes)

    def embed_views(
        self, image: RGBImage, face: Face, transforms: tuple[ChipTransform, ...]
    ) -> npt.NDArray[np.float32]:
        """One descriptor per transform, shape (len(transforms), dim); no quality gate.
        Benchmarks use it to get a probe and a reference from a single alignment."""
        chips = self.align(image, face, transforms)
        return get_embedder(self.config.embedder).embed([c.chip for c in chips])

    def probe(self, image: RGBImage, policy: FacePolicy = "single") -> FaceSample:
        """The descriptor to compare against a reference: one crop, one network pass."""
        face = self.locate(image, policy)
        return self.sample(image, face, check_quality=policy == "single")

    def reference(
        self,
        images: Sequence[RGBImage],
        policy: FacePolicy = "single",
        transforms: tuple[ChipTransform, ...] | None = None,
    ) -> FaceSample:
        """An enrollment descriptor: the mean over every image and every crop of `transforms`
        (default: the reference transforms; a fused probe passes `FUSED_TRANSFORMS`). All
        images must show a face; the caller checks they agree on identity."""
        if not images:
            raise ValueError("reference() needs at least one image")
        crops = self.reference_transforms if transforms is None else transforms
        samples = [
            self.sample(
                image,
                self.locate(image, policy),
                transforms=crops,
                check_quality=policy == "single",
            )
            for image in images
        ]
        mean = mean_descriptor(np.array([s.embedding for s in samples]))
        return FaceSample(face=samples[0].face, landmarks=samples[0].landmarks, embedding=mean)


Floats = TypeVar("Floats", np.float32, np.float64)


def mean_descriptor(views: npt.NDArray[Floats]) -> npt.NDArray[Floats]:
    """The mean of descriptors (rows), in their dtype; unit-length models (SFace) stay unit
    length."""
    mean: npt.NDArray[Floats] = views.mean(axis=0).astype(views.dtype)
    norms = np.linalg.norm(views, axis=1)
    if views.size and np.allclose(norms, 1.0, atol=1e-3):
        mean /= max(float(np.linalg.norm(mean)), 1e-12)
    return mean


def distance(reference: Embedding, probe: Embedding) -> float:
    """Euclidean distance (lower = more alike): the metric dlib's ResNet was trained for, and
    for SFace's unit-length descriptors sqrt(2 - 2 cos), in the order of its cosine score."""
    return float(np.linalg.norm(np.asarray(reference, np.float64) - np.asarray(probe, np.float64)))


def centred_box(image: RGBImage) -> Box:
    """Where an LFW-style crop puts its subject's face (median of MediaPipe boxes on 200 LFW
    images); used only by benchmarks when no detector finds the face, as LFW's protocol asks."""
    height, width = image.shape[:2]
    return Box(0.272 * width, 0.314 * height, 0.698 * width, 0.741 * height)


@functools.cache
def default_engine() -> FaceEngine:
    return FaceEngine()
