"""`peeka bench identify`: `POST /api/v1/identify` end to end (`peeka serve`, a throwaway
database and key vault on 127.0.0.1) with `--users` subjects enrolled from LFW descriptors,
one identity each: the kiosk's 1:N through the encrypted gallery, then the 1:1 confirmation.

The subjects are the lfw-dev identities with at least two images, enrolled from one; probes
are the other image of up to 50 of them, those that pass the quality gates and are within the
1:N threshold, so the right answer is known (one probe photo of a person who is there). The
rest up to `--users` are those descriptors under random rotations (as distinct
from everyone as strangers are, which is what the search's cost depends on). No image is
stored: the descriptors go to the server's database as protected templates and gallery slots
through a pipe, never through a file. Traffic goes to loopback only, `--requests` in all."""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from peeka.biometrics import FaceEngine, calibration, load_image
from peeka.biometrics.embedders import configured_model
from peeka.biometrics.engine import distance
from peeka.cli.bench_web import (
    _engine_ms,
    _free_port,
    _multipart,
    _post,
    _server_command,
    _server_env,
    _wait_until_up,
)
from peeka.cli.output import EXIT_OK, emit
from peeka.errors import DatasetError, PeekaError
from peeka.evaluation import lfw
from peeka.evaluation.extract import extract

_PROBES = 50
"""Distinct probe photos, sent in turn."""
_WARMUP = 3
"""Requests per worker before measuring: each loads the models, keys and gallery blocks."""


def bench_identify(args: argparse.Namespace) -> int:
    people, probes = _lfw_people(args)
    engine_ms = float(np.median([_engine_ms(photo, repeat=3) for _, photo in probes[:10]]))
    rng = np.random.default_rng(args.seed)
    references = _subjects(np.stack(list(people.values())), args.users, rng)
    subject_of = {name: f"s{i}" for i, name in enumerate(people)}
    with tempfile.TemporaryDirectory(prefix="peeka-bench-identify-") as folder:
        env = _server_env(Path(folder))
        started = time.perf_counter()
        key = _populate(env, references, args.scheme)
        populate_s = time.perf_counter() - started
        port = _free_port()
        log = Path(folder) / "serve.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                _server_command("serve", port, args.workers), env=env, stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            _wait_until_up(port, server, log)
            results = _measure(port, key, probes, subject_of, args)
        finally:
            server.terminate()
            server.wait(timeout=60)
    latencies = np.array(results["latencies"] or [np.nan])
    payload: dict[str, Any] = {
        "users": args.users,
        "endpoint": "/api/v1/identify",
        "model": configured_model(),
        "scheme": args.scheme,
        "workers": args.workers,
        "concurrency": 1,
        "requests": len(results["latencies"]),
        "p50_ms": round(float(np.percentile(latencies, 50)), 2),
        "p95_ms": round(float(np.percentile(latencies, 95)), 2),
        "errors": results["errors"],
        "engine_pipeline_ms": round(engine_ms, 2),
        "answers": results["answers"],
        "lfw_identities": len(people),
        "populate_s": round(populate_s, 1),
    }
    answers = payload["answers"]
    emit(
        args,
        payload,
        f"POST /api/v1/identify, {args.users} subjects ({len(people)} LFW identities, the rest "
        f"rotated), {args.scheme} templates, {args.workers} workers, concurrency 1\n"
        f"requests {payload['requests']}, p50 {payload['p50_ms']:.1f} ms, p95 "
        f"{payload['p95_ms']:.1f} ms, errors {payload['errors']}; the engine's own pipeline on "
        f"these photos {engine_ms:.1f} ms (median, this process)\n"
        f"answers: right {answers['right']}, nobody {answers['nobody']}, wrong "
        f"{answers['wrong']} (setup {populate_s:.0f} s)",
    )
    return EXIT_OK


def _lfw_people(
    args: argparse.Namespace,
) -> tuple[dict[str, npt.NDArray[np.float32]], list[tuple[str, bytes]]]:
    """{identity: reference descriptor of its first image} for the identities with at least two
    images, and up to `_PROBES` probes: (identity, JPEG bytes) of its second image when that
    passes the server's quality gates and is within the 1:N threshold of the reference (so
    that the right answer is known)."""
    pairs_file = args.lfw / "pairs.txt"
    images = args.lfw / "images"
    if not pairs_file.is_file() or not images.is_dir():
        raise DatasetError(f"No LFW pairs file and images folder under {args.lfw}.")
    by_person: dict[str, list[str]] = {}
    for name in lfw.read_pairs(pairs_file).images():
        by_person.setdefault(lfw.identity(name), []).append(name)
    chosen = {p: sorted(n)[:2] for p, n in sorted(by_person.items()) if len(n) >= 2}
    chosen = dict(list(chosen.items())[: args.identities])
    firsts = [first for first, _ in chosen.values()]
    found = extract(images, firsts, workers=args.workers, cache_dir=args.cache, progress=False)
    people = dict(zip(chosen, found.references, strict=True))
    engine = FaceEngine()
    threshold = calibration.load(engine.model).identification()
    probes = []
    for person, (_, second) in chosen.items():
        photo = (images / second).read_bytes()
        try:
            embedding = engine.probe(load_image(photo)).embedding
        except PeekaError:
            continue  # refused as a probe (blurry, two faces, ...): the server would too
        if distance(people[person], embedding) <= threshold:
            probes.append((person, photo))
            if len(probes) == _PROBES:
                break
    if not probes:
        raise DatasetError("No LFW identity has a usable second image within the threshold.")
    return people, probes


def _subjects(
    real: npt.NDArray[np.float32], count: int, rng: np.random.Generator
) -> npt.NDArray[np.float64]:
    """`count` descriptors: the real ones, then the real ones under random rotations."""
    rows = [real.astype(np.float64)]
    total = len(real)
    while total < count:
        q, r = np.linalg.qr(rng.normal(size=(real.shape[1], real.shape[1])))
        rows.append(real @ (q * np.sign(np.diag(r))).T)  # Haar-distributed
        total += len(real)
    return np.concatenate(rows)[:count]


def _populate(env: dict[str, str], references: npt.NDArray[np.float64], scheme: str) -> str:
    """Migrate the throwaway database, create an API client and its subjects s0..sN-1 with
    templates and gallery slots, in a child process reading the descriptors from a pipe."""
    script = (
        "import sys, django; django.setup();"
        "from peeka.cli.bench_identify import populate_child; populate_child(sys.argv[1])"
    )
    buffer = io.BytesIO()
    np.save(buffer, references)
    done = subprocess.run(
        [sys.executable, "-c", script, scheme], env=env, input=buffer.getvalue(),
        capture_output=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"setting up the subjects failed: {done.stderr.decode()[-2000:]}")
    return done.stdout.decode().strip().splitlines()[-1]


def populate_child(scheme: str) -> None:
    """The child's half of `_populate` (Django is set up)."""
    from django.core.management import call_command

    from peeka.accounts.models import User
    from peeka.api.models import ApiClient
    from peeka.faces.services.enrollment import templates_import

    call_command("migrate", verbosity=0)
    references = np.load(io.BytesIO(sys.stdin.buffer.read()))
    client, key = ApiClient.create("bench-identify")
    users = User.objects.bulk_create(
        User(username=f"bench-{i}", api_client=client, api_subject=f"s{i}", password="!")
        for i in range(len(references))
    )
    templates_import(users=users, embeddings=list(references), scheme_name=scheme)
    print(key)


def _measure(
    port: int,
    key: str,
    probes: list[tuple[str, bytes]],
    subject_of: dict[str, str],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """`args.requests` identifications one after another, cycling through the probes."""
    bodies = [(person, _multipart({}, {"image": photo})) for person, photo in probes]
    for i in range(_WARMUP * args.workers):
        _post(port, "/api/v1/identify", key, *bodies[i % len(bodies)][1])
    latencies: list[float] = []
    errors = 0
    answers = {"right": 0, "nobody": 0, "wrong": 0}
    for i in range(args.requests):
        person, body = bodies[i % len(bodies)]
        started = time.perf_counter()
        try:
            status, reply = _post(port, "/api/v1/identify", key, *body)
        except OSError:
            status, reply = 0, None
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200 or not isinstance(reply, dict):
            errors += 1
            continue
        latencies.append(elapsed)
        found = reply.get("user")
        answer = "right" if found == subject_of[person] else "wrong" if found else "nobody"
        answers[answer] += 1
        # Every probe is within the threshold of its subject only: any other answer is wrong.
        errors += answer != "right"
    return {"latencies": latencies, "errors": errors, "answers": answers}
