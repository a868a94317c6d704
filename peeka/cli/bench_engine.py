"""`peeka bench`: median and p95 latency of each pipeline stage (decode, detect, align, embed)
and of the whole per-image pipeline on one 640x480 photo, for the default face model (SFace)
and dlib's beside it, measured side by side in one run."""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from peeka.biometrics import EngineConfig, FaceEngine, RGBImage, load_image
from peeka.biometrics.detectors import get_detector
from peeka.biometrics.embedders import configured_model, get_embedder
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


MODELS = ("sface_2021dec_int8bq", "dlib_resnet_v1")


def bench_engine(args: argparse.Namespace) -> int:
    """Each stage of each face model's pipeline, all interleaved round by round in one run, so a
    noisy neighbour slows them all alike and the ratios hold. OpenCV runs on `--threads` cores
    (1 by default, like dlib, and like a server worker when every core has one)."""
    import cv2

    cv2.setNumThreads(args.threads)
    jpeg = photo_640x480(args)
    image = load_image(jpeg)
    stages: dict[str, dict[str, Callable[[], object]]] = {
        model: _stages(FaceEngine(EngineConfig(embedder=model)), jpeg, image) for model in MODELS
    }
    rounds: dict[str, dict[str, list[float]]] = {
        model: {name: [] for name in runs} for model, runs in stages.items()
    }
    for runs in stages.values():
        for run in runs.values():
            run()
    for _ in range(args.repeat):
        for model, runs in stages.items():
            for name, run in runs.items():
                started = time.perf_counter()
                run()
                rounds[model][name].append((time.perf_counter() - started) * 1000)
    models: dict[str, Any] = {}
    for model, by_stage in rounds.items():
        results = {
            name: {
                "median_ms": round(float(np.median(v)), 3),
                "p95_ms": round(float(np.percentile(v, 95)), 3),
            }
            for name, v in by_stage.items()
        }
        ratio = results["pipeline"]["median_ms"] / results["embed"]["median_ms"]
        models[model] = {"stages": results, "pipeline_to_embed_ratio": round(ratio, 3)}
    default = configured_model()
    other = next(m for m in MODELS if m != default)
    speedup = (
        models[default]["stages"]["pipeline"]["median_ms"]
        / models[other]["stages"]["pipeline"]["median_ms"]
    )
    payload = {
        "image": str(args.image or "scikit-image astronaut, fitted to 640x480"),
        "repeat": args.repeat,
        "opencv_threads": args.threads,
        "model": default,
        **models[default],
        "models": models,
        f"pipeline_{default}_to_{other}": round(speedup, 3),
    }
    lines = []
    for model, result in models.items():
        mark = " (default)" if model == default else ""
        lines += [f"{model}{mark}", f"  {'stage':<10}{'median ms':>12}{'p95 ms':>10}"]
        lines += [
            f"  {name:<10}{r['median_ms']:>12.2f}{r['p95_ms']:>10.2f}"
            for name, r in result["stages"].items()
        ]
        lines.append(f"  pipeline / embed (medians): {result['pipeline_to_embed_ratio']:.3f}")
    lines.append(f"pipeline {default} / {other} (medians): {speedup:.3f}")
    lines.append(f"(OpenCV on {args.threads} thread(s); dlib on one)")
    emit(args, payload, "\n".join(lines))
    return EXIT_OK


def _stages(engine: FaceEngine, jpeg: bytes, image: RGBImage) -> dict[str, Callable[[], object]]:
    face = engine.locate(image)
    chip = engine.align(image, face)[0].chip
    detectors = engine.detectors
    embedder = get_embedder(engine.model)
    return {
        "decode": lambda: load_image(jpeg),
        "detect": lambda: get_detector(detectors[0]).detect(image),
        "align": lambda: engine.align(image, face),
        "embed": lambda: embedder.embed([chip]),
        "pipeline": lambda: engine.probe(load_image(jpeg)),
    }
