"""`peeka bench`: median and p95 latency of each pipeline stage (decode, detect, align, embed)
and of the whole per-image pipeline on one 640x480 photo, measured side by side in one run."""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from peeka.biometrics import FaceEngine, load_image
from peeka.biometrics import align as _align
from peeka.biometrics.detectors import get_detector
from peeka.biometrics.embedders import get_embedder
from peeka.cli.output import EXIT_OK, emit


def photo_640x480(args: argparse.Namespace) -> bytes:
    from PIL import Image

    if args.image is not None:
        picture = Image.fromarray(load_image(args.image))
    else:
        from skimage import data

        picture = Image.fromarray(data.astronaut())
    # Fit inside 640x480 and pad, as a webcam frame would frame a face.
    picture.thumbnail((640, 480))
    frame = Image.new("RGB", (640, 480), (128, 128, 128))
    frame.paste(picture, ((640 - picture.width) // 2, (480 - picture.height) // 2))
    buffer = io.BytesIO()
    frame.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def bench_engine(args: argparse.Namespace) -> int:
    engine = FaceEngine()
    jpeg = photo_640x480(args)
    image = load_image(jpeg)
    face = engine.locate(image)
    shifts = engine.config.landmark_boxes
    chip = _align.align(image, face.box, shifts=shifts)[0].chip
    detector = get_detector(engine.config.detector)
    embedder = get_embedder(engine.config.embedder)

    # Stages interleaved per round, so a noisy neighbour slows all of them alike.
    stages: dict[str, Callable[[], object]] = {
        "decode": lambda: load_image(jpeg),
        "detect": lambda: detector.detect(image),
        "align": lambda: _align.align(image, face.box, shifts=shifts),
        "embed": lambda: embedder.embed([chip]),
        "pipeline": lambda: engine.probe(load_image(jpeg)),
    }
    rounds: dict[str, list[float]] = {name: [] for name in stages}
    for run in stages.values():
        run()
    for _ in range(args.repeat):
        for name, run in stages.items():
            started = time.perf_counter()
            run()
            rounds[name].append((time.perf_counter() - started) * 1000)
    results: dict[str, Any] = {
        name: {
            "median_ms": round(float(np.median(v)), 3),
            "p95_ms": round(float(np.percentile(v, 95)), 3),
        }
        for name, v in rounds.items()
    }
    ratio = results["pipeline"]["median_ms"] / results["embed"]["median_ms"]
    payload = {
        "image": str(args.image or "scikit-image astronaut, fitted to 640x480"),
        "repeat": args.repeat,
        "stages": results,
        "pipeline_to_embed_ratio": round(ratio, 3),
    }
    lines = [f"{'stage':<10}{'median ms':>12}{'p95 ms':>10}"] + [
        f"{name:<10}{r['median_ms']:>12.2f}{r['p95_ms']:>10.2f}" for name, r in results.items()
    ]
    lines.append(f"pipeline / embed (medians): {ratio:.3f}")
    emit(args, payload, "\n".join(lines))
    return EXIT_OK
