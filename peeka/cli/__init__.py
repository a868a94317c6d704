"""The `peeka` command: verify, embed, evaluate, calibrate and benchmark the face engine, and run
the web platform. Each command group's module adds its own sub-commands to the parser here."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from peeka.cli import bench, coach, demo, engine, evaluate, keys, org, token, wallet, web
from peeka.cli.output import EXIT_ERROR
from peeka.errors import PeekaError


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, in the order `peeka --help` lists it. Building it imports no
    model and no Django (each handler imports what it needs when it runs), so help is instant."""
    parser = argparse.ArgumentParser(
        prog="peeka", description="Face authentication that never stores a face."
    )
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    for group in (engine, evaluate, bench, keys, web, token, org, wallet, coach, demo):
        group.add_parsers(sub)
    return parser
