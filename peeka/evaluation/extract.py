"""Runs the face engine over a folder of benchmark images on every core, giving each image a
probe descriptor (one crop), a reference descriptor (enrollment crops) and a fused-probe
descriptor (the chip and its mirror), optionally cached."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from peeka.biometrics.align import IDENTITY, ChipTransform
from peeka.biometrics.engine import (
    FUSED_TRANSFORMS,
    EngineConfig,
    FaceEngine,
    centred_box,
    mean_descriptor,
)
from peeka.biometrics.imageio import load_image
from peeka.biometrics.types import Face
from peeka.errors import PeekaError

PIPELINE_VERSION = "4"
"""Bump when anything that changes descriptors changes, so cached ones are not reused."""


@dataclass(frozen=True)
class ImageResult:
    name: str
    probe: npt.NDArray[np.float32]
    reference: npt.NDArray[np.float32]
    fused: npt.NDArray[np.float32]
    detected: bool
    """False when no detector found a face and the LFW centred box was used instead."""
    seconds: float
    """Pipeline time for this image (decode to descriptors); 0 for a cache hit."""
    cached: bool = False


@dataclass(frozen=True)
class Extraction:
    names: list[str]
    probes: npt.NDArray[np.float32]
    references: npt.NDArray[np.float32]
    fused: npt.NDArray[np.float32]
    """Per image, as one frame of a fused probe is embedded (`FUSED_TRANSFORMS`)."""
    detected: npt.NDArray[np.bool_]
    seconds: npt.NDArray[np.float64]
    cached: npt.NDArray[np.bool_]

    def index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.names)}


def fingerprint(config: EngineConfig) -> str:
    """Identifies everything that shapes a descriptor; cache entries are keyed on it."""
    parts = {
        "pipeline": PIPELINE_VERSION,
        "detectors": list(FaceEngine(config).detectors),
        "embedder": config.embedder,
        "reference": [repr(t) for t in FaceEngine(config).reference_transforms],
        "landmark_boxes": config.landmark_boxes,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def extract(
    images_dir: Path,
    names: Sequence[str],
    *,
    config: EngineConfig | None = None,
    workers: int | None = None,
    cache_dir: Path | None = None,
    progress: bool = True,
) -> Extraction:
    """Descriptors for every named image. A missing or unreadable image is a `DatasetError`
    naming it; a face no detector finds falls back to the centred box (LFW protocol)."""
    config = config or EngineConfig()
    workers = workers or os.cpu_count() or 1
    jobs = [(str(images_dir / name), name, config, cache_dir) for name in names]
    results: dict[str, ImageResult] = {}
    bar = _progress(len(jobs), progress)
    if workers == 1:
        _init_worker(config)
        for job in jobs:
            result = _work(job)
            results[result.name] = result
            bar.update(1)
    else:
        context = multiprocessing.get_context("spawn")  # mediapipe graphs do not survive fork
        with context.Pool(workers, initializer=_init_worker, initargs=(config,)) as pool:
            for result in pool.imap_unordered(_work, jobs, chunksize=4):
                results[result.name] = result
                bar.update(1)
    bar.close()
    ordered = [results[name] for name in names]
    return Extraction(
        names=list(names),
        probes=np.stack([r.probe for r in ordered]),
        references=np.stack([r.reference for r in ordered]),
        fused=np.stack([r.fused for r in ordered]),
        detected=np.array([r.detected for r in ordered]),
        seconds=np.array([r.seconds for r in ordered]),
        cached=np.array([r.cached for r in ordered]),
    )


_engine: FaceEngine | None = None


def _init_worker(config: EngineConfig) -> None:
    global _engine
    _engine = FaceEngine(config)


def _work(job: tuple[str, str, EngineConfig, Path | None]) -> ImageResult:
    path, name, config, cache_dir = job
    assert _engine is not None
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise _dataset_error(f"Cannot read benchmark image {path}: {exc.strerror or exc}") from None
    cache_file = None
    if cache_dir is not None:
        key = hashlib.sha256(data).hexdigest()
        cache_file = cache_dir / fingerprint(config) / key[:2] / f"{key}.npz"
        if cache_file.exists():
            with np.load(cache_file) as stored:
                return ImageResult(
                    name,
                    stored["probe"],
                    stored["reference"],
                    stored["fused"],
                    bool(stored["detected"]),
                    0.0,
                    True,
                )
    started = time.perf_counter()
    try:
        image = load_image(data)
    except PeekaError as exc:
        raise _dataset_error(f"Benchmark image {path}: {exc}") from None
    faces = _engine.detect(image)
    detected = bool(faces)
    face = (
        _engine.pick(faces, image, "central") if faces else Face(centred_box(image), 0.0, "centre")
    )
    references = _engine.reference_transforms
    transforms = tuple(dict.fromkeys((IDENTITY, *references, *FUSED_TRANSFORMS)))
    views = _engine.embed_views(image, face, transforms)

    def mean(crops: tuple[ChipTransform, ...]) -> npt.NDArray[np.float32]:
        return mean_descriptor(views[[transforms.index(t) for t in crops]])

    result = ImageResult(
        name,
        views[0],
        mean(references),
        mean(FUSED_TRANSFORMS),
        detected,
        time.perf_counter() - started,
    )
    if cache_file is not None:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(
            tmp,
            probe=result.probe,
            reference=result.reference,
            fused=result.fused,
            detected=detected,
        )
        tmp.replace(cache_file)
    return result


def _dataset_error(message: str) -> Exception:
    # Raised inside a worker: must be picklable, so built from the message alone.
    from peeka.errors import DatasetError

    return DatasetError(message)


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, enabled: bool) -> _NoBar:
    if not enabled or not sys.stderr.isatty():
        return _NoBar()
    from tqdm import tqdm

    bar: _NoBar = tqdm(total=total, unit="img", desc="embedding", file=sys.stderr)
    return bar
