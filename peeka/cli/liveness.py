"""`peeka eval liveness` (the attack suite: APCER per attack type, BPCER) and
`peeka bench liveness` (server analysis time per frame)."""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from peeka.biometrics.challenge import ChallengePolicy, Verifier, issue
from peeka.cli.output import EXIT_OK, emit
from peeka.evaluation import liveness


def eval_liveness(args: argparse.Namespace) -> int:
    outcomes = liveness.run(liveness.presentations(args.data))
    payload: dict[str, Any] = liveness.rates(outcomes)
    lines = [
        f"{payload['attack_presentations']} attack and {payload['bona_fide_presentations']} "
        "bona fide presentations (ISO/IEC 30107-3)",
        f"{'attack type':<20}{'APCER':>8}",
    ]
    lines += [f"{kind:<20}{rate * 100:>7.1f}%" for kind, rate in payload["apcer"].items()]
    lines.append(f"{'BPCER':<20}{payload['bpcer'] * 100:>7.1f}%")
    lines += [
        f"  {'PASS' if p['accepted'] else 'fail'} {p['kind']:<18} {p['check']:<13} {p['name']}"
        for p in payload["presentations"]
    ]
    emit(args, payload, "\n".join(lines))
    return EXIT_OK


def bench_liveness(args: argparse.Namespace) -> int:
    """Whole-challenge verification time divided by its frames, for each bona fide clip,
    `--repeat` times; the median is the server's analysis cost per frame."""
    policy = ChallengePolicy()
    verifier = Verifier(policy)
    clips = [p for p in liveness.presentations(args.data) if p.kind == "bona_fide"]
    first = clips[0]
    verifier.verify(issue(policy, steps=first.steps), first.frames, first.timestamps_ms)  # warm
    per_frame: dict[str, list[float]] = {clip.name: [] for clip in clips}
    for _ in range(args.repeat):
        for clip in clips:
            challenge = issue(policy, steps=clip.steps)
            started = time.perf_counter()
            verdict = verifier.verify(challenge, clip.frames, clip.timestamps_ms)
            elapsed = (time.perf_counter() - started) * 1000
            if not verdict.passed:
                raise RuntimeError(f"bona fide clip {clip.name!r} failed: {verdict.check}")
            per_frame[clip.name].append(elapsed / len(clip.frames))
    everything = [v for values in per_frame.values() for v in values]
    payload = {
        "repeat": args.repeat,
        "median_ms_per_frame": round(float(np.median(everything)), 2),
        "clips": {
            name: {
                "frames": len(next(c for c in clips if c.name == name).frames),
                "median_ms_per_frame": round(float(np.median(v)), 2),
            }
            for name, v in per_frame.items()
        },
        "user_seconds_at_10_fps": {
            c.name: round((c.timestamps_ms[-1] - c.timestamps_ms[0]) / 1000, 1) for c in clips
        },
    }
    clip_rows: dict[str, dict[str, Any]] = payload["clips"]
    lines = [f"{'clip':<42}{'frames':>7}{'ms/frame':>10}"]
    lines += [
        f"{name:<42}{r['frames']:>7}{r['median_ms_per_frame']:>10.1f}"
        for name, r in clip_rows.items()
    ]
    lines.append(f"median over all: {payload['median_ms_per_frame']:.1f} ms per frame")
    emit(args, payload, "\n".join(lines))
    return EXIT_OK
