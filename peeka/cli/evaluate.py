"""`peeka eval lfw|liveness|protection` and `peeka calibrate`: the commands that measure on a
benchmark set. The measurements themselves live in eval_lfw, liveness and eval_protection."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from peeka.cli.output import Subparsers, at_least

LFW_DEV = Path("../shared/data/lfw-dev")
"""LFW folds 1-5 with their official pairs, beside a checkout."""
LIVENESS_DATA = Path("../shared/data/liveness")
"""Where the liveness recordings live beside a checkout (see ../shared/data/README.md)."""
DEFAULT_PIPELINE: dict[str, Any] = {
    "embedder": None,
    "detector": None,
    "reference": "crops",
    "landmark_boxes": 9,
}
"""The ablation flags' defaults: the pipeline `verify` runs."""


def add_parsers(sub: Subparsers) -> None:
    p = sub.add_parser("eval", help="measure accuracy on a benchmark")
    eval_sub = p.add_subparsers(required=True, metavar="BENCHMARK")
    p = eval_sub.add_parser("lfw", help="LFW pairs protocol (accuracy, EER, TAR@FAR)")
    _dataset_args(p)
    p.add_argument("--report", type=Path, metavar="DIR", help="write report.md, roc.png, det.png")
    _ablation_args(p)
    p.add_argument(
        "--enroll-images",
        type=at_least(1),
        metavar="E",
        help="also the multi-image protocol: enroll each person from E images ...",
    )
    p.add_argument(
        "--probe-images",
        type=at_least(1),
        metavar="K",
        help="... and probe with K others, fused by mean descriptor and by best score",
    )
    p.set_defaults(handler=_eval_lfw)

    p = eval_sub.add_parser(
        "liveness", help="liveness attack suite: APCER per attack type, BPCER (ISO/IEC 30107-3)"
    )
    p.add_argument("--data", type=Path, default=LIVENESS_DATA, help="the liveness material")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_eval_liveness)

    p = eval_sub.add_parser(
        "protection", help="template protection schemes vs unprotected (ISO/IEC 24745)"
    )
    _dataset_args(p)
    p.add_argument("--report", type=Path, metavar="DIR", help="write report.md, roc.png, det.png")
    p.add_argument(
        "--ckks-pairs", type=at_least(1), help="pairs to run through CKKS (default: all)"
    )
    p.add_argument(
        "--preimage-sample",
        type=at_least(1),
        default=20,
        help="IoM templates attacked with the stolen seed (about 1 s each; default 20)",
    )
    p.add_argument(
        "--sat-templates",
        type=at_least(0),
        default=3,
        help="NDB templates, under today's and the earlier K=3 parameters, given to a SAT "
        "solver (up to about 4 minutes each; default 3, 0 to skip)",
    )
    p.add_argument(
        "--sat-conflicts",
        type=at_least(1),
        default=2_000_000,
        help="the SAT solver's conflict budget per template (default 2,000,000)",
    )
    # Both evaluate the pipeline `verify` runs, never an ablation variant.
    p.set_defaults(handler=_eval_protection, **DEFAULT_PIPELINE)

    p = sub.add_parser("calibrate", help="write the threshold for a target false-match rate")
    _dataset_args(p)
    p.add_argument("--far", type=float, default=1e-4, help="target false-match rate")
    p.add_argument(
        "--identify-far",
        type=float,
        default=1e-6,
        help="target false-match rate per comparison of 1:N identification (default 1e-6)",
    )
    p.add_argument(
        "--output",
        type=Path,
        help="calibration file to write (default: $PEEKA_CALIBRATION or the packaged file)",
    )
    p.add_argument(
        "--embedder",
        choices=["sface", "dlib"],
        default=DEFAULT_PIPELINE["embedder"],
        help="face model to calibrate (default: $PEEKA_EMBEDDER, else sface)",
    )
    p.set_defaults(handler=_calibrate, **DEFAULT_PIPELINE)


def _ablation_args(p: argparse.ArgumentParser) -> None:
    """Pipeline variants, so the README's "what each step gained" table can be rerun."""
    p.add_argument(
        "--embedder",
        choices=["sface", "dlib"],
        default=DEFAULT_PIPELINE["embedder"],
        help="face model (default: $PEEKA_EMBEDDER, else sface)",
    )
    p.add_argument(
        "--detector",
        choices=["yunet", "mediapipe", "mediapipe-full", "hog", "cnn"],
        default=DEFAULT_PIPELINE["detector"],
        help="first detector (default: the model's own, mediapipe then yunet for sface, mediapipe "
        "then hog for dlib; with dlib, the other of mediapipe/hog is the fallback)",
    )
    p.add_argument(
        "--reference",
        choices=["crops", "mirror", "single"],
        default=DEFAULT_PIPELINE["reference"],
        help="enrollment crops averaged into the reference: the model's own (default; for "
        "sface the chip shifted four ways and the mirror of each, for dlib the chip and its "
        "mirror), the chip and its mirror, or the chip alone (as a probe)",
    )
    p.add_argument(
        "--landmark-boxes",
        type=int,
        choices=[9, 1],
        default=DEFAULT_PIPELINE["landmark_boxes"],
        help="dlib only: boxes its landmark model is averaged over (default 9; 1 = dlib's way)",
    )


def _dataset_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pairs", type=Path, required=True, help="LFW-format pairs.txt")
    p.add_argument("--images", type=Path, required=True, help="folder of <Name>/<Name>_NNNN.jpg")
    p.add_argument("--json", action="store_true")
    p.add_argument("--workers", type=at_least(1), help="processes (default: one per core)")
    p.add_argument(
        "--cache",
        type=Path,
        metavar="DIR",
        help="keep descriptors of these benchmark images in DIR, keyed by file hash and model "
        "version (off by default: Peeka writes no descriptor to disk unless asked)",
    )


# The handlers import the face engine and the evaluation package only when they run.


def _eval_lfw(args: argparse.Namespace) -> int:
    from peeka.cli.eval_lfw import eval_lfw

    return eval_lfw(args)


def _eval_liveness(args: argparse.Namespace) -> int:
    from peeka.cli.liveness import eval_liveness

    return eval_liveness(args)


def _eval_protection(args: argparse.Namespace) -> int:
    from peeka.cli.eval_protection import eval_protection

    return eval_protection(args)


def _calibrate(args: argparse.Namespace) -> int:
    from peeka.cli.eval_lfw import calibrate

    return calibrate(args)
