"""`peeka bench` (each pipeline stage on one photo) and `peeka bench
protection|liveness|web|identify|punch`. The measurements live in bench_engine,
bench_protection, liveness, bench_web, bench_identify and bench_punch."""

from __future__ import annotations

import argparse
from pathlib import Path

from peeka.cli.evaluate import LFW_DEV, LIVENESS_DATA
from peeka.cli.output import Subparsers, at_least, positive_float


def add_parsers(sub: Subparsers) -> None:
    p = sub.add_parser(
        "bench", help="latency of each pipeline stage on a 640x480 photo, per face model"
    )
    p.add_argument("--json", action="store_true")
    p.add_argument("--image", type=Path, help="photo to use (default: scikit-image's astronaut)")
    p.add_argument("--repeat", type=at_least(5), default=30, help="timed runs per stage")
    p.add_argument(
        "--threads", type=at_least(1), default=1, help="cores OpenCV may use (default 1)"
    )
    p.set_defaults(handler=_bench_engine)
    bench_sub = p.add_subparsers(metavar="TARGET")
    p = bench_sub.add_parser("protection", help="1:N search per template scheme vs plain numpy")
    p.add_argument("--gallery", type=at_least(1), default=10_000, help="templates (default 10,000)")
    p.add_argument("--repeat", type=at_least(1), default=5, help="timed searches per scheme")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_bench_protection)

    p = bench_sub.add_parser(
        "liveness",
        help="CPU per challenge, and the worst case of one request per frame endpoint",
    )
    p.add_argument("--data", type=Path, default=LIVENESS_DATA, help="the liveness material")
    p.add_argument("--repeat", type=at_least(1), default=5)
    p.add_argument(
        "--no-requests",
        dest="requests",
        action="store_false",
        help="skip the worst-case requests against a loopback server",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_bench_liveness)

    p = bench_sub.add_parser("web", help="/api/v1/verify load test against a loopback server")
    p.add_argument("--duration", type=positive_float, default=30.0, help="seconds per level")
    p.add_argument(
        "--concurrency",
        type=_concurrency,
        default=[1, 4],
        help="comma-separated client counts, measured in turn in one run (default 1,4)",
    )
    p.add_argument("--workers", type=at_least(1), default=2, help="gunicorn workers (default 2)")
    p.add_argument("--max-requests", type=at_least(1), default=5000, help="cap per level")
    p.add_argument(
        "--slow-clients",
        type=at_least(1),
        default=200,
        help="connections dribbling headers during the last level's second run (default 200)",
    )
    p.add_argument("--image", type=Path, help="photo to use (default: scikit-image's astronaut)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_bench_web)

    p = bench_sub.add_parser(
        "identify",
        help="/api/v1/identify (kiosk 1:N through the encrypted gallery) with N subjects",
    )
    p.add_argument("--users", type=at_least(1), default=10_000, help="subjects (default 10,000)")
    p.add_argument("--requests", type=at_least(1), default=100, help="timed requests (100)")
    p.add_argument("--workers", type=at_least(1), default=2, help="gunicorn workers (default 2)")
    p.add_argument(
        "--scheme",
        choices=("ckks", "iom", "ndb"),
        default="iom",
        help="the subjects' own templates (default iom; ckks takes 393 KB per subject)",
    )
    p.add_argument("--lfw", type=Path, default=LFW_DEV, help="LFW folder with pairs.txt, images/")
    p.add_argument(
        "--identities", type=at_least(1), default=2000, help="LFW identities to use (at most)"
    )
    p.add_argument("--cache", type=Path, metavar="DIR", help="keep LFW descriptors in DIR")
    p.add_argument("--seed", type=int, default=0, help="seed of the rotations")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_bench_identify)

    p = bench_sub.add_parser(
        "punch",
        help="/api/v1/workplace/punch (the kiosk, liveness off) under an open-loop load",
    )
    p.add_argument("--duration", type=positive_float, default=300.0, help="seconds (300)")
    p.add_argument(
        "--rate", type=positive_float, default=50.0, help="punches a minute, on a fixed schedule"
    )
    p.add_argument("--workers", type=at_least(1), default=2, help="gunicorn workers (default 2)")
    p.add_argument("--members", type=at_least(1), default=20, help="members, one LFW identity each")
    p.add_argument("--lfw", type=Path, default=LFW_DEV, help="LFW folder with pairs.txt, images/")
    p.add_argument(
        "--scheme",
        choices=("ckks", "iom", "ndb"),
        default="ckks",
        help="the members' templates (default ckks, the deployment default)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_bench_punch)


def _concurrency(text: str) -> list[int]:
    try:
        levels = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 1,4, got {text!r}") from None
    if not levels or any(level < 1 or level > 64 for level in levels):
        raise argparse.ArgumentTypeError(f"concurrency must be 1..64, got {text!r}")
    return levels


# The handlers import the face engine, the protection schemes or Django only when they run.


def _bench_engine(args: argparse.Namespace) -> int:
    from peeka.cli.bench_engine import bench_engine

    return bench_engine(args)


def _bench_protection(args: argparse.Namespace) -> int:
    from peeka.cli.bench_protection import bench_protection

    return bench_protection(args)


def _bench_liveness(args: argparse.Namespace) -> int:
    from peeka.cli.liveness import bench_liveness

    return bench_liveness(args)


def _bench_web(args: argparse.Namespace) -> int:
    from peeka.cli.bench_web import bench_web

    return bench_web(args)


def _bench_identify(args: argparse.Namespace) -> int:
    from peeka.cli.bench_identify import bench_identify

    return bench_identify(args)


def _bench_punch(args: argparse.Namespace) -> int:
    from peeka.cli.bench_punch import bench_punch

    return bench_punch(args)
