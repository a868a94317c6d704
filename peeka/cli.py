"""The `peeka` command: verify, embed, evaluate, calibrate and benchmark the face engine.
Every subcommand is a thin wrapper over `peeka.biometrics` and `peeka.evaluation`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from peeka.errors import PeekaError

EXIT_OK, EXIT_NO_MATCH, EXIT_ERROR = 0, 1, 2
LIVENESS_DATA = Path("../shared/data/liveness")
"""Where the liveness recordings live beside a checkout (see ../shared/data/README.md)."""
DEFAULT_PIPELINE: dict[str, Any] = {
    "detector": "mediapipe",
    "reference": "mirror",
    "landmark_boxes": 9,
}
"""The ablation flags' defaults: the pipeline `verify` runs."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except PeekaError as exc:
        if getattr(args, "json", False):
            print(json.dumps({"error": {"code": exc.code, "message": exc.message}}))
        else:
            print(f"peeka: {exc.message} [{exc.code}]", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="peeka", description="Face authentication that never stores a face."
    )
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    p = sub.add_parser("verify", help="do two photos show the same person?")
    p.add_argument("reference", type=Path, help="photo embedded as at enrollment")
    p.add_argument("probe", type=Path, help="photo embedded as at login")
    p.add_argument("--json", action="store_true", help="print JSON: match, score, threshold")
    p.add_argument("--calibration", type=Path, help="calibration file (default: the packaged one)")
    p.add_argument(
        "--threshold", type=_positive_float, help="distance threshold, overriding calibration"
    )
    p.set_defaults(handler=_lazy("peeka.commands", "verify"))

    p = sub.add_parser("embed", help="print the 128-D descriptor and box of the face in a photo")
    p.add_argument("image", type=Path)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_lazy("peeka.commands", "embed"))

    p = sub.add_parser("eval", help="measure accuracy on a benchmark")
    eval_sub = p.add_subparsers(required=True, metavar="BENCHMARK")
    p = eval_sub.add_parser("lfw", help="LFW pairs protocol (accuracy, EER, TAR@FAR)")
    _dataset_args(p)
    p.add_argument("--report", type=Path, metavar="DIR", help="write report.md, roc.png, det.png")
    _ablation_args(p)
    p.set_defaults(handler=_lazy("peeka.commands", "eval_lfw"))

    p = eval_sub.add_parser(
        "liveness", help="liveness attack suite: APCER per attack type, BPCER (ISO/IEC 30107-3)"
    )
    p.add_argument("--data", type=Path, default=LIVENESS_DATA, help="the liveness material")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_lazy("peeka.commands_liveness", "eval_liveness"))

    p = eval_sub.add_parser(
        "protection", help="template protection schemes vs unprotected (ISO/IEC 24745)"
    )
    _dataset_args(p)
    p.add_argument("--report", type=Path, metavar="DIR", help="write report.md, roc.png, det.png")
    p.add_argument(
        "--ckks-pairs", type=_at_least(1), help="pairs to run through CKKS (default: all)"
    )
    p.add_argument(
        "--preimage-sample",
        type=_at_least(1),
        default=20,
        help="IoM templates attacked with the stolen seed (about 1 s each; default 20)",
    )
    # Both evaluate the pipeline `verify` runs, never an ablation variant.
    p.set_defaults(
        handler=_lazy("peeka.commands_protection", "eval_protection"), **DEFAULT_PIPELINE
    )

    p = sub.add_parser("calibrate", help="write the threshold for a target false-match rate")
    _dataset_args(p)
    p.add_argument("--far", type=float, default=1e-4, help="target false-match rate")
    p.add_argument(
        "--output",
        type=Path,
        help="calibration file to write (default: $PEEKA_CALIBRATION or the packaged file)",
    )
    p.set_defaults(handler=_lazy("peeka.commands", "calibrate"), **DEFAULT_PIPELINE)

    p = sub.add_parser("bench", help="latency of each pipeline stage on a 640x480 photo")
    p.add_argument("--json", action="store_true")
    p.add_argument("--image", type=Path, help="photo to use (default: scikit-image's astronaut)")
    p.add_argument("--repeat", type=_at_least(5), default=30, help="timed runs per stage")
    p.set_defaults(handler=_lazy("peeka.bench", "bench_engine"))
    bench_sub = p.add_subparsers(metavar="TARGET")
    p = bench_sub.add_parser("protection", help="1:N search per template scheme vs plain numpy")
    p.add_argument(
        "--gallery", type=_at_least(1), default=10_000, help="templates (default 10,000)"
    )
    p.add_argument("--repeat", type=_at_least(1), default=5, help="timed searches per scheme")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_lazy("peeka.bench_protection", "bench_protection"))

    p = bench_sub.add_parser("liveness", help="server analysis time per challenge frame")
    p.add_argument("--data", type=Path, default=LIVENESS_DATA, help="the liveness material")
    p.add_argument("--repeat", type=_at_least(1), default=5)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_lazy("peeka.commands_liveness", "bench_liveness"))

    p = bench_sub.add_parser("web", help="/api/v1/verify load test against a loopback server")
    p.add_argument("--duration", type=_positive_float, default=30.0, help="seconds per level")
    p.add_argument(
        "--concurrency",
        type=_concurrency,
        default=[1, 4],
        help="comma-separated client counts, measured in turn in one run (default 1,4)",
    )
    p.add_argument("--workers", type=_at_least(1), default=2, help="gunicorn workers (default 2)")
    p.add_argument("--max-requests", type=_at_least(1), default=5000, help="cap per level")
    p.add_argument("--image", type=Path, help="photo to use (default: scikit-image's astronaut)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_lazy("peeka.bench_web", "bench_web"))

    p = sub.add_parser("keys", help="the key vault (PEEKA_KEY_DIR): status and rotation")
    keys_sub = p.add_subparsers(required=True, metavar="ACTION")
    for action, text in (("status", "list the vault's keys"), ("rotate", "start new keys")):
        p = keys_sub.add_parser(action, help=text)
        p.add_argument("--json", action="store_true")
        p.add_argument(
            "--key-dir",
            type=Path,
            help="vault directory (default: $PEEKA_KEY_DIR or ~/.local/share/peeka/keys)",
        )
        p.set_defaults(handler=_lazy("peeka.commands_keys", f"keys_{action}"))
    p.add_argument(
        "--purpose",
        choices=["wrap", "mac", "ckks", "all"],
        default="all",
        help="wrap: per-user keys; mac: template integrity; ckks: the CKKS key pair",
    )

    p = sub.add_parser("serve", help="apply migrations and serve the web platform (gunicorn)")
    p.add_argument("--port", type=_at_least(1), default=8000)
    p.add_argument("--host", help="address to bind (default 127.0.0.1; 0.0.0.0 with --https)")
    p.add_argument("--workers", type=_at_least(1), default=2, help="processes (default 2)")
    p.add_argument(
        "--https", action="store_true", help="serve TLS with a self-signed certificate (LAN use)"
    )
    p.set_defaults(handler=_lazy("peeka.commands_web", "serve"))

    p = sub.add_parser("migrate", help="apply pending database migrations")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_lazy("peeka.commands_web", "migrate"))

    p = sub.add_parser("user", help="manage web accounts")
    user_sub = p.add_subparsers(required=True, metavar="ACTION")
    p = user_sub.add_parser("create", help="create an account; the password comes on stdin")
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.add_argument("--admin", action="store_true", help="make the account an administrator")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_lazy("peeka.commands_web", "user_create"))

    p = sub.add_parser("audit", help="the audit log")
    audit_sub = p.add_subparsers(required=True, metavar="ACTION")
    p = audit_sub.add_parser("prune", help="delete events older than the retention period")
    p.add_argument("--days", type=_at_least(1), help="default: PEEKA_AUDIT_RETENTION_DAYS (365)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_lazy("peeka.commands_web", "audit_prune"))

    p = sub.add_parser("apikey", help="API keys for client apps")
    key_sub = p.add_subparsers(required=True, metavar="ACTION")
    p = key_sub.add_parser("create", help="create a client and print its key once")
    p.add_argument("name")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_lazy("peeka.commands_web", "apikey_create"))

    p = sub.add_parser("demo", help="a short tour of the CLI on photos a pip package ships")
    p.set_defaults(handler=_lazy("peeka.commands", "demo"))
    return parser


def _ablation_args(p: argparse.ArgumentParser) -> None:
    """Pipeline variants, so the README's "what each step gained" table can be rerun."""
    p.add_argument(
        "--detector",
        choices=["mediapipe", "mediapipe-full", "hog", "cnn"],
        default=DEFAULT_PIPELINE["detector"],
        help="first detector; the other of mediapipe/hog is the fallback (default: mediapipe)",
    )
    p.add_argument(
        "--reference",
        choices=["mirror", "single"],
        default=DEFAULT_PIPELINE["reference"],
        help="enrollment crops averaged into the reference: the chip and its mirror image "
        "(default) or the chip alone (as a probe)",
    )
    p.add_argument(
        "--landmark-boxes",
        type=int,
        choices=[9, 1],
        default=DEFAULT_PIPELINE["landmark_boxes"],
        help="boxes the landmark model is averaged over (default 9; 1 = dlib's plain way)",
    )


def _dataset_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pairs", type=Path, required=True, help="LFW-format pairs.txt")
    p.add_argument("--images", type=Path, required=True, help="folder of <Name>/<Name>_NNNN.jpg")
    p.add_argument("--json", action="store_true")
    p.add_argument("--workers", type=_at_least(1), help="processes (default: one per core)")
    p.add_argument(
        "--cache",
        type=Path,
        metavar="DIR",
        help="keep descriptors of these benchmark images in DIR, keyed by file hash and model "
        "version (off by default: Peeka writes no descriptor to disk unless asked)",
    )


def _concurrency(text: str) -> list[int]:
    try:
        levels = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 1,4, got {text!r}") from None
    if not levels or any(level < 1 or level > 64 for level in levels):
        raise argparse.ArgumentTypeError(f"concurrency must be 1..64, got {text!r}")
    return levels


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def _at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _lazy(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """Import a command's module only when it runs, so `peeka --help` stays instant."""

    def run(args: argparse.Namespace) -> int:
        import importlib

        function: Callable[[argparse.Namespace], int] = getattr(
            importlib.import_module(module), name
        )
        return function(args)

    return run


def emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    print(json.dumps(payload, indent=2) if getattr(args, "json", False) else text)


if __name__ == "__main__":
    sys.exit(main())
