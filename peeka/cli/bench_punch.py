"""`peeka bench punch`: the kiosk's `POST /api/v1/workplace/punch` under an open-loop load
against `peeka serve` on 127.0.0.1 (a throwaway database and key vault, liveness off so that a
punch is one image).

`--members` members are enrolled, each from one LFW image of a distinct identity with at least
two images in the dev set; each probe is another image of that identity (the first that the
engine does not refuse as a probe: a kiosk would take that picture again), sent as the file's
bytes. The punches go out on a fixed schedule, `--rate` a minute for `--duration` seconds, each
from its own thread so a slow answer never delays the next send; at most `_IN_FLIGHT` wait for
an answer at once, and a send that finds them all waiting is skipped and counted as an error.
Traffic goes to loopback only: `rate * duration / 60` punches plus a few to warm the workers."""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from peeka.cli.bench_web import (
    _free_port,
    _multipart,
    _post,
    _Run,
    _server_command,
    _server_env,
    _summary,
    _wait_until_up,
)
from peeka.cli.output import EXIT_ERROR, EXIT_OK, emit
from peeka.errors import DatasetError

_PATH = "/api/v1/workplace/punch"
_KEY_HEADER = "X-Device-Key"
_TIMEOUT = 30.0
"""Seconds before a punch counts as timed out."""
_IN_FLIGHT = 32
"""Punches waiting for an answer at most; a send past it is skipped (an error)."""
_WARMUP = 3
"""Punches per worker before measuring (each worker loads the models and keys on its first)."""
_ERROR_KINDS = ("status", "timeout", "connection", "skipped")


@dataclass(frozen=True)
class _Member:
    username: str
    identity: str
    probe: bytes


@dataclass(frozen=True)
class _Outcome:
    """One scheduled punch: `kind` is "ok" (a 200 with a punch reply) or an error kind."""

    kind: str
    expected: str
    late_ms: float = 0.0
    latency_ms: float = 0.0
    member: str | None = None
    direction: str | None = None


def bench_punch(args: argparse.Namespace) -> int:
    lfw: Path = args.lfw.resolve()
    if not (lfw / "pairs.txt").is_file() or not (lfw / "images").is_dir():
        raise DatasetError(f"No LFW pairs file and images folder under {args.lfw}.")
    total = max(1, round(args.rate * args.duration / 60))
    with tempfile.TemporaryDirectory(prefix="peeka-bench-punch-") as folder:
        env = _server_env(Path(folder))
        env["PEEKA_LIVENESS"] = "0"  # a punch is one image (the API refuses it otherwise)
        started = time.perf_counter()
        key, members = _prepare(env, lfw, args.members, args.scheme)
        prepare_s = time.perf_counter() - started
        port = _free_port()
        log = Path(folder) / "serve.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                _server_command("serve", port, args.workers), env=env, stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            _wait_until_up(port, server, log)
            _warm_up(port, key, members, args.workers)
            outcomes, span_s = _load(port, key, members, total, 60 / args.rate)
        finally:
            server.terminate()
            server.wait(timeout=60)
    payload = _report(outcomes, span_s, prepare_s, args)
    emit(args, payload, _text(payload))
    return EXIT_OK if payload["errors"] == 0 else EXIT_ERROR


def _prepare(env: dict[str, str], lfw: Path, count: int, scheme: str) -> tuple[str, list[_Member]]:
    """Migrate the throwaway database, make the members, enroll them and register a kiosk, in a
    child process with the server's environment; (the kiosk's key, the members)."""
    script = (
        "import sys, django; django.setup();"
        "from peeka.cli.bench_punch import prepare_child;"
        "prepare_child(sys.argv[1], int(sys.argv[2]), sys.argv[3])"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(lfw), str(count), scheme], env=env,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"setting up the members failed: {done.stderr[-2000:]}")
    made = json.loads(done.stdout.strip().splitlines()[-1])
    members = [
        _Member(m["username"], m["identity"], (lfw / "images" / m["probe"]).read_bytes())
        for m in made["members"]
    ]
    return made["key"], members


def prepare_child(lfw: str, count: int, scheme: str) -> None:
    """The child's half of `_prepare` (Django is set up): prints one JSON line, the kiosk's key
    and each member's username, LFW identity and probe image (relative to images/)."""
    import datetime as dt

    from django.core.management import call_command

    from peeka.accounts.models import User
    from peeka.biometrics import load_image
    from peeka.errors import PeekaError
    from peeka.evaluation import lfw as lfw_protocol
    from peeka.faces import flows
    from peeka.faces.services.protection import engine_for, enrollment_model
    from peeka.security.client import ClientInfo
    from peeka.workplace.attendance.services import kiosk_create
    from peeka.workplace.org.services import department_create, member_create

    call_command("migrate", verbosity=0)
    images = Path(lfw) / "images"
    by_person: dict[str, list[str]] = {}
    for name in lfw_protocol.read_pairs(Path(lfw) / "pairs.txt").images():
        by_person.setdefault(lfw_protocol.identity(name), []).append(name)
    engine = engine_for(enrollment_model())
    client = ClientInfo(ip="127.0.0.1", user_agent="bench")
    department = department_create(name="Bench", code="bench")
    made: list[dict[str, str]] = []
    for person, names in sorted(by_person.items()):
        if len(made) == count:
            break
        if len(names) < 2:
            continue
        enrolled, *others = sorted(names)
        probe = None
        for other in others:
            try:
                engine.probe(load_image((images / other).read_bytes()))
            except PeekaError:
                continue  # no usable face: the kiosk would take the picture again
            probe = other
            break
        if probe is None:
            continue
        username = f"bench-{len(made):04d}"
        user = User.objects.create_user(username, password=None)
        try:
            flows.face_enroll(
                user=user, frames=[(images / enrolled).read_bytes()], scheme=scheme,
                client=client, channel="admin",
            )  # fmt: skip
        except PeekaError:
            user.delete()  # this photo cannot enroll: the next identity instead
            continue
        member_create(
            user=user,
            employee_number=f"B{len(made):04d}",
            name=person.replace("_", " ")[:100],
            department=department,
            hire_date=dt.date(2024, 1, 2),
        )
        made.append({"username": username, "identity": person, "probe": probe})
    if len(made) < count:
        raise DatasetError(f"Only {len(made)} LFW identities could enroll, not {count}.")
    _, key = kiosk_create(name="bench")
    print(json.dumps({"key": key, "members": made}))


def _warm_up(port: int, key: str, members: list[_Member], workers: int) -> None:
    """`_WARMUP` punches per worker, the workers' shares at once (so that each worker gets
    some), not counted; the members' directions simply go on alternating from there."""
    bodies = [_multipart({}, {"image": m.probe}) for m in members]
    failures: list[str] = []

    def client(first: int) -> None:
        for i in range(first, _WARMUP * workers, workers):
            status, reply = _post(
                port, _PATH, key, *bodies[i % len(bodies)], key_header=_KEY_HEADER
            )
            if status != 200:
                failures.append(f"{status} {reply}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"a warm-up punch failed: {failures[0]}")


def _load(
    port: int, key: str, members: list[_Member], total: int, interval: float
) -> tuple[list[_Outcome], float]:
    """`total` punches, one every `interval` s on a fixed schedule, each in its own thread;
    the members in turn. (The outcomes in send order, seconds from the first send to the
    last.)"""
    bodies = [_multipart({}, {"image": m.probe}) for m in members]
    outcomes: list[_Outcome | None] = [None] * total
    slots = threading.BoundedSemaphore(_IN_FLIGHT)

    def punch(i: int, late_ms: float) -> None:
        expected = members[i % len(members)].username
        outcome = _Outcome("connection", expected, late_ms)
        started = time.perf_counter()
        try:
            status, reply = _post(
                port, _PATH, key, *bodies[i % len(bodies)], timeout=_TIMEOUT,
                key_header=_KEY_HEADER,
            )  # fmt: skip
            elapsed = (time.perf_counter() - started) * 1000
            if elapsed >= _TIMEOUT * 1000:
                outcome = _Outcome("timeout", expected, late_ms)
            elif status != 200 or not isinstance(reply, dict) or "member" not in reply:
                outcome = _Outcome("status", expected, late_ms)
            else:
                member, direction = reply["member"], reply.get("direction")
                outcome = _Outcome("ok", expected, late_ms, elapsed, member, direction)
        except TimeoutError:
            outcome = _Outcome("timeout", expected, late_ms)
        except (OSError, http.client.HTTPException, ValueError):
            outcome = _Outcome("connection", expected, late_ms)
        finally:
            slots.release()
            outcomes[i] = outcome

    threads = []
    start = time.monotonic() + 0.1
    sent_at = start
    for i in range(total):
        due = start + i * interval
        time.sleep(max(0.0, due - time.monotonic()))
        sent_at = time.monotonic()
        late_ms = (sent_at - due) * 1000
        if not slots.acquire(blocking=False):
            outcomes[i] = _Outcome("skipped", members[i % len(members)].username, late_ms)
            continue
        thread = threading.Thread(target=punch, args=(i, late_ms))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    done = [o for o in outcomes if o is not None]
    assert len(done) == total  # every thread stores its outcome, even after an error
    return done, sent_at - start


def _report(
    outcomes: list[_Outcome], span_s: float, prepare_s: float, args: argparse.Namespace
) -> dict[str, Any]:
    answered = [o for o in outcomes if o.kind == "ok"]
    kinds = {kind: sum(o.kind == kind for o in outcomes) for kind in _ERROR_KINDS}
    latencies = [o.latency_ms for o in answered]
    summary = _summary([_Run(latencies, sum(kinds.values()), max(span_s, 1e-3))])  # one punch: 0 s
    values = np.array(latencies or [np.nan])
    total = len(outcomes)
    return {
        "endpoint": _PATH,
        "scheme": args.scheme,
        "workers": args.workers,
        "members": args.members,
        "rate_per_min": args.rate,
        "duration_s": args.duration,
        "punches": total,
        "sent": total - kinds["skipped"],
        "errors": summary["errors"],
        "error_kinds": kinds,
        "right": sum(o.member == o.expected for o in answered),
        "wrong_member": sum(o.member is not None and o.member != o.expected for o in answered),
        "unknown": sum(o.member is None for o in answered),
        "p50_ms": summary["p50_ms"],
        "p95_ms": round(float(np.percentile(values, 95)), 2),
        "p99_ms": summary["p99_ms"],
        "max_ms": round(float(np.max(values)), 2),
        "achieved_per_min": round(60 * (total - 1) / span_s, 2) if total > 1 else None,
        "latest_send_ms": round(max(o.late_ms for o in outcomes), 1),
        "directions": {
            "in": sum(o.direction == "in" for o in answered),
            "out": sum(o.direction == "out" for o in answered),
            "none": sum(o.direction is None for o in answered),
        },
        "prepare_s": round(prepare_s, 1),
    }


def _text(p: dict[str, Any]) -> str:
    kinds, directions = p["error_kinds"], p["directions"]
    achieved = "-" if p["achieved_per_min"] is None else f"{p['achieved_per_min']:.1f}"
    return (
        f"POST {p['endpoint']}, open loop: {p['rate_per_min']:g} a minute for "
        f"{p['duration_s']:g} s against peeka serve on 127.0.0.1, {p['workers']} workers, "
        f"{p['members']} members ({p['scheme']} templates, one LFW photo each)\n"
        f"punches {p['punches']}, sent {p['sent']} at {achieved} a minute (the latest send "
        f"{p['latest_send_ms']:.0f} ms behind schedule)\n"
        f"errors {p['errors']} (non-200 {kinds['status']}, timeouts {kinds['timeout']}, "
        f"connection {kinds['connection']}, skipped {kinds['skipped']})\n"
        f"latency p50 {p['p50_ms']:.1f} ms, p95 {p['p95_ms']:.1f} ms, p99 {p['p99_ms']:.1f} ms, "
        f"max {p['max_ms']:.1f} ms\n"
        f"members: right {p['right']}, wrong {p['wrong_member']}, unknown {p['unknown']}; "
        f"directions in {directions['in']}, out {directions['out']}, none {directions['none']} "
        f"(setup {p['prepare_s']:.0f} s)"
    )
