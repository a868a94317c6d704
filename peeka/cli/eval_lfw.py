"""`peeka eval lfw` (accuracy, EER, TAR@FAR on an LFW pairs file) and `peeka calibrate` (the
thresholds for a target false-match rate), and the descriptor extraction of a pairs file."""

from __future__ import annotations

import argparse
import datetime as dt
import time
from dataclasses import replace
from typing import Any

import numpy as np

from peeka.biometrics import calibration
from peeka.biometrics.align import IDENTITY, NINE_BOXES, SINGLE_BOX, ChipTransform
from peeka.biometrics.embedders import MIRRORED, configured_model, model_name
from peeka.biometrics.engine import EngineConfig, FaceEngine
from peeka.cli.output import EXIT_OK, emit
from peeka.errors import DatasetError
from peeka.evaluation import lfw, metrics, multi, report, scheme_calibration, verification
from peeka.evaluation.extract import Extraction, extract
from peeka.protection.schemes import IOM_PARAMS, NDB_PARAMS, plain_params


def extract_pairs(args: argparse.Namespace) -> tuple[lfw.PairsFile, Extraction, float]:
    pairs = lfw.read_pairs(args.pairs)
    if not args.images.is_dir():
        raise DatasetError(f"Images folder {args.images} does not exist.")
    names = pairs.images()
    missing = [n for n in names if not (args.images / n).is_file()]
    if missing:
        raise DatasetError(
            f"{len(missing)} images named in {args.pairs} are not under {args.images}, "
            f"e.g. {missing[0]}."
        )
    started = time.perf_counter()
    extraction = extract(
        args.images, names, config=_engine_config(args), workers=args.workers, cache_dir=args.cache
    )
    return pairs, extraction, time.perf_counter() - started


_REFERENCES: dict[str, tuple[ChipTransform, ...] | None] = {
    "crops": None,
    "mirror": MIRRORED,
    "single": (IDENTITY,),
}


def _engine_config(args: argparse.Namespace) -> EngineConfig:
    """The default engine, or one step of the README's ablation."""
    embedder = model_name(args.embedder) if args.embedder else configured_model()
    fallbacks: tuple[str, ...] | None = None
    if args.detector in ("mediapipe", "mediapipe-full", "hog", "cnn"):
        fallbacks = ("hog",) if args.detector != "hog" else ("mediapipe",)
    return EngineConfig(
        embedder=embedder,
        detector=args.detector,
        fallback_detectors=fallbacks,
        reference_transforms=_REFERENCES[args.reference],
        landmark_boxes=NINE_BOXES if args.landmark_boxes == 9 else SINGLE_BOX,
    )


def eval_lfw(args: argparse.Namespace) -> int:
    if (args.enroll_images is None) != (args.probe_images is None):
        raise DatasetError("--enroll-images and --probe-images go together.")
    config = _engine_config(args)
    pairs, extraction, wall = extract_pairs(args)
    s = verification.scores(pairs, extraction)
    result = verification.evaluate(s)
    computed = extraction.seconds[~extraction.cached]
    ftd = float(np.mean(~extraction.detected))
    payload: dict[str, Any] = {
        "accuracy": result.accuracy,
        "accuracy_std": result.accuracy_std,
        "folds": result.folds,
        "eer": result.eer,
        "tar_at_far_1e-3": result.tar_at_far[1e-3],
        "tar_at_far_1e-4": result.tar_at_far[1e-4],
        "failure_to_detect": ftd,
        "pairs": result.pairs,
        "images": len(extraction.names),
        "genuine_comparisons": result.genuine_comparisons,
        "impostor_comparisons": result.impostor_comparisons,
        "ms_per_image": float(np.median(computed) * 1000) if computed.size else None,
        "images_computed": int(computed.size),
        "wall_seconds": round(wall, 1),
        "model": config.embedder,
        "pipeline": {
            "detectors": list(FaceEngine(config).detectors),
            "reference": args.reference,
            "landmark_boxes": args.landmark_boxes,
        },
    }
    lines = [
        f"{result.pairs} pairs in {result.folds} folds, {len(extraction.names)} images",
        f"accuracy         {result.accuracy * 100:.2f} % +- {result.accuracy_std * 100:.2f} "
        f"({result.folds}-fold; each fold's threshold chosen on the other folds)",
        f"EER              {result.eer * 100:.3f} %",
    ]
    for far, tar in result.tar_at_far.items():
        value = "not resolvable (too few impostors)" if tar is None else f"{tar * 100:.2f} %"
        lines.append(f"TAR @ FAR {far:g}  {value}")
    lines += [
        f"comparisons      {result.genuine_comparisons:,} genuine, "
        f"{result.impostor_comparisons:,} impostor (all cross-identity image pairs)",
        f"failure to detect {ftd * 100:.2f} % ({int((~extraction.detected).sum())} images; "
        "the centred LFW box was used for them)",
        f"time per image   {payload['ms_per_image'] or 0:.0f} ms median on one core "
        f"({int(computed.size)} computed, {int(extraction.cached.sum())} from cache; "
        f"{wall:.0f} s wall)",
    ]
    if args.enroll_images is not None:
        payload["multi_image"], more = _multi_image(
            extraction, args.enroll_images, args.probe_images
        )
        lines += more
    if args.report:
        path = report.write_markdown_report(
            args.report,
            title="Peeka LFW verification report",
            summary={"pairs file": str(args.pairs), **payload},
            curves=[report.CurveSet(payload["model"], s.genuine, s.impostor)],
            sections=[
                (
                    "Protocol",
                    "Accuracy: official pairs, the first image enrolled (reference crops "
                    "averaged), the second as a login probe (one crop); each fold's threshold is "
                    "chosen on the other folds. EER and TAR@FAR: every reference-probe "
                    "comparison among the images (genuine: same person; impostor: different).",
                ),
                (
                    "Per fold",
                    "\n".join(
                        f"- fold {i + 1}: accuracy {a * 100:.2f} %, distance threshold {t:.4f}"
                        for i, (a, t) in enumerate(
                            zip(result.fold_accuracies, result.fold_thresholds, strict=True)
                        )
                    ),
                ),
            ],
        )
        lines.append(f"report           {path}")
    emit(args, payload, "\n".join(lines))
    return EXIT_OK


def _multi_image(
    extraction: Extraction, enroll: int, probe: int
) -> tuple[dict[str, Any], list[str]]:
    """The multi-image protocol's figures per fusion (`peeka.evaluation.multi`)."""
    fusions: dict[str, Any] = {}
    lines = [f"multi-image: enroll from {enroll} images, probe with {probe} others"]
    for scores in multi.multi_image_scores(extraction, enroll, probe):
        r = multi.evaluate(scores)
        fusions[r.fusion] = {
            "people": r.people,
            "genuine_comparisons": r.genuine_comparisons,
            "impostor_comparisons": r.impostor_comparisons,
            **{f"tar_at_far_{far:g}": tar for far, tar in r.tar_at_far.items()},
            **{f"threshold_at_far_{far:g}": t for far, t in r.threshold_at_far.items()},
        }
        figures = ", ".join(
            f"TAR @ FAR {far:g} " + ("not resolvable" if tar is None else f"{tar * 100:.2f} %")
            for far, tar in r.tar_at_far.items()
        )
        lines.append(
            f"  {r.fusion:<5} {figures} ({r.genuine_comparisons:,} genuine from {r.people} "
            f"people, {r.impostor_comparisons:,} impostor)"
        )
    return {"enroll_images": enroll, "probe_images": probe, "fusions": fusions}, lines


def calibrate(args: argparse.Namespace) -> int:
    if not 0 < args.far < 1:
        raise DatasetError(f"--far must be between 0 and 1, got {args.far}.")
    pairs, extraction, _ = extract_pairs(args)
    output = args.output or calibration.default_path()
    payload: dict[str, Any] = {"path": str(output)}
    lines = []
    # "single": the second image as one crop, as a photo or one frame is embedded; "fused":
    # the chip and its mirror, as each of a liveness clip's best frames is.
    fused = replace(extraction, probes=extraction.fused)
    modes: tuple[tuple[calibration.Mode, Extraction], ...] = (
        ("single", extraction),
        ("fused", fused),
    )
    for mode, probes in modes:
        cal, schemes = _calibrate_mode(args, pairs, probes)
        calibration.save(cal, output, schemes, mode=mode)
        entry = {**cal.__dict__}
        entry["schemes"] = {
            c.scheme: {k: v for k, v in c.__dict__.items() if k != "center"} for c in schemes
        }
        if mode == "single":
            payload.update(entry)
        else:
            payload.setdefault("modes", {})[mode] = entry
        lines += [
            f"{mode} probes, {cal.model}: accept distance <= {cal.threshold:.4f} for FAR "
            f"{args.far:g} (measured FAR {cal.measured_far:.2e}, TAR {cal.tar * 100:.2f} %)",
            f"  1:N identification: accept distance <= {cal.identify_threshold:.4f} for FAR "
            f"{args.identify_far:g} per comparison (measured {cal.identify_far:.2e}, TAR "
            f"{(cal.identify_tar or 0) * 100:.2f} %)",
        ]
        lines += [
            f"  {c.scheme}: accept similarity >= {c.threshold:.4f} (measured FAR "
            f"{c.measured_far:.2e} on {c.impostor_comparisons:,} impostor comparisons, TAR "
            f"{c.tar * 100:.2f} %)"
            for c in schemes
        ]
    lines.append(f"-> {output}")
    emit(args, payload, "\n".join(lines))
    return EXIT_OK


def _calibrate_mode(
    args: argparse.Namespace, pairs: lfw.PairsFile, extraction: Extraction
) -> tuple[calibration.Calibration, list[calibration.SchemeCalibration]]:
    """The thresholds for the probes `extraction` holds, against its references."""
    s = verification.scores(pairs, extraction)
    if s.impostor.size * args.far < 10:
        raise DatasetError(
            f"{s.impostor.size:,} impostor comparisons cannot resolve FAR {args.far:g} "
            "(at least 10 false matches must be observable); use a larger image set."
        )
    threshold, measured, tar = verification.distance_threshold_at_far(s, args.far)
    if not args.far >= args.identify_far > 0 or not metrics.far_resolvable(
        s.impostor.size, args.identify_far
    ):
        raise DatasetError(
            f"--identify-far {args.identify_far:g} must be positive, at most --far, and "
            f"resolvable with {s.impostor.size:,} impostor comparisons."
        )
    identify, identify_far, identify_tar = verification.distance_threshold_at_far(
        s, args.identify_far
    )
    model = _engine_config(args).embedder
    dataset = f"{args.pairs.parent.name}/{args.pairs.name}"
    today = dt.date.today().isoformat()
    cal = calibration.Calibration(
        model=model,
        threshold=round(threshold, 6),
        target_far=args.far,
        measured_far=measured,
        tar=tar,
        genuine_comparisons=int(s.genuine.size),
        impostor_comparisons=int(s.impostor.size),
        dataset=dataset,
        created=today,
        identify_threshold=round(identify, 6),
        identify_far=identify_far,
        identify_tar=identify_tar,
    )
    return cal, _calibrate_schemes(extraction, args.far, model, dataset, today)


def _calibrate_schemes(
    extraction: Extraction, far: float, model: str, dataset: str, created: str
) -> list[calibration.SchemeCalibration]:
    """The `iom` and `ndb` score thresholds at `far`; the NDB center is the mean reference."""
    center = extraction.references.astype(np.float64).mean(axis=0)
    measured = [
        (scheme_calibration.iom_scores(extraction, IOM_PARAMS), plain_params(IOM_PARAMS)),
        (
            scheme_calibration.ndb_scores(extraction, center, NDB_PARAMS),
            plain_params(NDB_PARAMS),
        ),
    ]
    out = []
    for scores, params in measured:
        if not metrics.far_resolvable(scores.impostor.size, far):
            raise DatasetError(
                f"{scores.impostor.size:,} {scores.scheme} impostor comparisons cannot resolve "
                f"FAR {far:g}; use a larger image set."
            )
        found = scheme_calibration.threshold_at_far(scores, far)
        out.append(
            calibration.SchemeCalibration(
                model=model,
                scheme=scores.scheme,
                params=params,
                threshold=found.threshold,
                target_far=far,
                measured_far=found.measured_far,
                tar=found.tar,
                genuine_comparisons=found.genuine_comparisons,
                impostor_comparisons=found.impostor_comparisons,
                dataset=dataset,
                created=created,
                center=[round(float(v), 8) for v in center] if scores.scheme == "ndb" else None,
            )
        )
    return out
