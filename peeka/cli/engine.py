"""`peeka verify` and `peeka embed`: the face engine on one or two photos, printing one result
(text, or JSON with --json)."""

from __future__ import annotations

import argparse
from pathlib import Path

from peeka.cli.output import EXIT_NO_MATCH, EXIT_OK, Subparsers, emit, positive_float


def add_parsers(sub: Subparsers) -> None:
    p = sub.add_parser("verify", help="do two photos show the same person?")
    p.add_argument("reference", type=Path, help="photo embedded as at enrollment")
    p.add_argument("probe", type=Path, help="photo embedded as at login")
    p.add_argument("--json", action="store_true", help="print JSON: match, score, threshold")
    p.add_argument("--calibration", type=Path, help="calibration file (default: the packaged one)")
    p.add_argument(
        "--threshold", type=positive_float, help="distance threshold, overriding calibration"
    )
    p.set_defaults(handler=verify)

    p = sub.add_parser("embed", help="print the 128-D descriptor and box of the face in a photo")
    p.add_argument("image", type=Path)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=embed)


def verify(args: argparse.Namespace) -> int:
    from peeka.biometrics import calibration, default_engine, load_image
    from peeka.biometrics import verify as verify_images

    engine = default_engine()
    if args.threshold is not None:
        threshold, source = args.threshold, "--threshold"
    else:
        cal = calibration.load(engine.model, args.calibration)
        threshold, source = cal.threshold, f"calibrated at FAR {cal.target_far:g} on {cal.dataset}"
    result = verify_images(load_image(args.reference), load_image(args.probe), threshold=threshold)
    payload = {
        "match": result.match,
        "score": round(result.distance, 6),
        "threshold": round(threshold, 6),
        "metric": "euclidean_distance",
        "model": result.model,
    }
    verdict = "MATCH" if result.match else "NO MATCH"
    emit(
        args,
        payload,
        f"{verdict}: distance {result.distance:.4f} "
        f"{'<=' if result.match else '>'} threshold {threshold:.4f} ({source})",
    )
    return EXIT_OK if result.match else EXIT_NO_MATCH


def embed(args: argparse.Namespace) -> int:
    import numpy as np

    from peeka.biometrics import default_engine, load_image

    engine = default_engine()
    image = load_image(args.image)
    sample = engine.probe(image)
    payload = {
        "model": engine.model,
        "box": sample.face.box.as_list(),
        "detector": sample.face.detector,
        "landmarks": np.round(sample.landmarks, 1).tolist(),
        "embedding": [round(float(v), 6) for v in sample.embedding],
    }
    box = ", ".join(f"{v:.0f}" for v in sample.face.box.as_list())
    emit(
        args,
        payload,
        f"face at ({box}) by {sample.face.detector}\n"
        + "\n".join(
            " ".join(f"{v:+.4f}" for v in sample.embedding[i : i + 8]) for i in range(0, 128, 8)
        ),
    )
    return EXIT_OK
