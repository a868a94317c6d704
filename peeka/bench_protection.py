"""`peeka bench protection`: 1:N search time over a synthetic gallery for each template scheme,
next to plain numpy in the same run, with each scheme's peak memory measured in its own process."""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from peeka.cli import EXIT_OK, emit

SCHEMES = ("plaintext", "iom", "ckks")
# Peeka's calibrated threshold; random templates lie ~2 apart, the probe 0.23 from template 0.
_THRESHOLD = 0.4725
_SEED = b"peeka-bench-protection"


def gallery(n: int, dim: int = 128) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """n synthetic descriptors at dlib's typical norm (~1.4), and a probe near the first."""
    rng = np.random.default_rng(0)
    rows = rng.standard_normal((n, dim)).astype(np.float32)
    rows *= 1.4 / np.linalg.norm(rows, axis=1, keepdims=True)
    probe = rows[0] + rng.standard_normal(dim).astype(np.float32) * 0.02
    return rows, probe.astype(np.float32)


def _median_ms(run: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return float(np.median(samples))


def _measure(job: tuple[str, int, int]) -> dict[str, Any]:
    """Runs in a fresh process, so ru_maxrss is this scheme's own peak."""
    scheme, n, repeat = job
    rows, probe = gallery(n)
    result: dict[str, Any] = {}
    if scheme == "plaintext":
        result["search_ms"] = _median_ms(lambda: np.linalg.norm(rows - probe, axis=1), repeat)
    elif scheme == "iom":
        from peeka.protection import iom

        started = time.perf_counter()
        codes = iom.protect_many(rows, _SEED)
        result["enroll_s"] = time.perf_counter() - started
        result["search_ms"] = _median_ms(
            lambda: iom.similarity_many(codes, iom.protect(probe, _SEED)), repeat
        )
        # The probe was made near template 0: the search must rank it first.
        result["best_match"] = int(np.argmax(iom.similarity_many(codes, iom.protect(probe, _SEED))))
    elif scheme == "ckks":
        from peeka.protection import ckks

        keys = ckks.KeyPair.generate()
        matcher = ckks.Matcher(keys.public_context(rotations=False))
        service = ckks.DecisionService(keys.secret_context())
        started = time.perf_counter()
        blocks = [
            matcher.build_block(rows[i : i + matcher.capacity])
            for i in range(0, n, matcher.capacity)
        ]
        result["enroll_s"] = time.perf_counter() - started

        def search() -> int:
            hits = 0
            for block in blocks:
                hits += int(
                    service.decide_many(matcher.masked_scores(block, probe, _THRESHOLD)).sum()
                )
            return hits

        result["search_ms"] = _median_ms(search, repeat)
        result["blocks"] = len(blocks)
        result["accepted"] = search()  # only template 0 lies within the threshold of the probe
    else:
        raise ValueError(f"unknown scheme {scheme!r}")
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def bench_protection(args: argparse.Namespace) -> int:
    context = multiprocessing.get_context("spawn")
    results: dict[str, dict[str, Any]] = {}
    for scheme in SCHEMES:
        with context.Pool(1) as pool:
            results[scheme] = pool.apply(_measure, ((scheme, args.gallery, args.repeat),))
    base = results["plaintext"]["search_ms"]
    for result in results.values():
        result["ratio_to_plaintext"] = result["search_ms"] / base
        for key, value in result.items():
            result[key] = round(value, 3) if isinstance(value, float) else value
    results["ndb"] = {"search_ms": None, "note": "1:1 only: an NDB is matched per claimed user"}
    payload = {"gallery": args.gallery, "repeat": args.repeat, "schemes": results}
    lines = [f"1:N search, gallery of {args.gallery:,} synthetic 128-D templates, one probe"]
    lines.append(
        f"{'scheme':<10}{'search ms':>12}{'x plaintext':>13}{'peak MB':>10}{'enroll s':>10}"
    )
    for name in SCHEMES:
        r = results[name]
        lines.append(
            f"{name:<10}{r['search_ms']:>12.2f}{r['ratio_to_plaintext']:>13.1f}"
            f"{r['peak_rss_mb']:>10.0f}{r.get('enroll_s', 0.0):>10.1f}"
        )
    lines.append("ndb       1:1 only (an NDB is matched against one claimed user)")
    emit(args, payload, "\n".join(lines))
    return EXIT_OK
