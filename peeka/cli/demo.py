"""`peeka demo`: a short tour of the CLI on photos a pip package ships (scikit-image's), each
command printed before it runs."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from peeka.cli.output import EXIT_OK, Subparsers


def add_parsers(sub: Subparsers) -> None:
    p = sub.add_parser("demo", help="a short tour of the CLI on photos a pip package ships")
    p.set_defaults(handler=demo)


def demo(args: argparse.Namespace) -> int:
    """Writes scikit-image's public-domain photos to a temporary folder and runs the CLI on
    them, printing each command first; the folder is removed afterwards."""
    from PIL import Image
    from skimage import data

    with tempfile.TemporaryDirectory(prefix="peeka-demo-") as tmp:
        folder = Path(tmp)
        astronaut = Image.fromarray(data.astronaut())
        astronaut.save(folder / "astronaut.jpg", quality=92)
        # The same person in a second, different picture: cropped, smaller and darker.
        second = astronaut.crop((40, 0, 472, 400)).resize((324, 300)).point(lambda v: int(v * 0.8))
        second.save(folder / "astronaut_again.jpg", quality=85)
        Image.fromarray(data.chelsea()).save(folder / "cat.jpg")
        (folder / "notes.txt").write_text("not a picture")
        steps = [
            ["embed", "astronaut.jpg"],
            ["verify", "astronaut.jpg", "astronaut_again.jpg"],
            ["verify", "astronaut.jpg", "astronaut_again.jpg", "--json"],
            ["verify", "astronaut.jpg", "cat.jpg"],
            ["verify", "astronaut.jpg", "notes.txt"],
        ]
        for step in steps:
            print(f"\n$ peeka {' '.join(step)}", flush=True)
            subprocess.run([sys.executable, "-m", "peeka.cli", *step], cwd=folder, check=False)
    print(
        "\nNext: `peeka eval lfw --pairs ../shared/data/lfw-dev/pairs.txt "
        "--images ../shared/data/lfw-dev/images` and `peeka bench`."
    )
    return EXIT_OK
