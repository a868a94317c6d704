"""`peeka eval liveness` (the attack suite: APCER per attack type, BPCER) and
`peeka bench liveness` (CPU per challenge in this process, then the worst case of one request
on each endpoint that takes frames, against a server on 127.0.0.1)."""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from peeka.biometrics.challenge import ChallengePolicy
from peeka.biometrics.imageio import RGBImage
from peeka.cli.bench_web import (
    _free_port,
    _multipart,
    _post,
    _prepare,
    _server_env,
    _wait_until_up,
)
from peeka.cli.output import EXIT_OK, emit
from peeka.evaluation import liveness

_HOST = "127.0.0.1"


def eval_liveness(args: argparse.Namespace) -> int:
    outcomes = liveness.run(liveness.presentations(args.data))
    payload: dict[str, Any] = liveness.rates(outcomes)
    lines = [
        f"{payload['attack_presentations']} attack and {payload['bona_fide_presentations']} "
        "bona fide presentations (ISO/IEC 30107-3), interactive protocol",
        f"{'attack type':<20}{'APCER':>8}",
    ]
    lines += [f"{kind:<20}{rate * 100:>7.1f}%" for kind, rate in payload["apcer"].items()]
    lines.append(f"{'BPCER':<20}{payload['bpcer'] * 100:>7.1f}%")
    lines += [
        f"  {'PASS' if p['accepted'] else 'fail'} {p['kind']:<19} {p['check']:<13} {p['name']}"
        for p in payload["presentations"]
    ]
    emit(args, payload, "\n".join(lines))
    return EXIT_OK


def bench_liveness(args: argparse.Namespace) -> int:
    """CPU and wall time per bona fide challenge (all its steps) in this process, `--repeat`
    times, and the worst case of one request per frame endpoint on a loopback server."""
    bona_fide = [p for p in liveness.presentations(args.data) if p.kind == "bona_fide"]
    policy = ChallengePolicy()
    liveness.run(iter(bona_fide[:1]), policy)  # load the models
    cpu: dict[str, list[float]] = {p.name: [] for p in bona_fide}
    wall: dict[str, list[float]] = {p.name: [] for p in bona_fide}
    for _ in range(args.repeat):
        for presentation in bona_fide:
            started, started_cpu = time.perf_counter(), time.process_time()
            (outcome,) = liveness.run(iter([presentation]), policy)
            if not outcome.accepted:
                raise RuntimeError(f"{presentation.name!r} failed: {outcome.verdict.check}")
            cpu[presentation.name].append(time.process_time() - started_cpu)
            wall[presentation.name].append(time.perf_counter() - started)
    challenges = {
        p.name: {
            "steps": len(p.steps),
            "frames": p.frames,
            "cpu_seconds": round(float(np.median(cpu[p.name])), 3),
            "wall_seconds": round(float(np.median(wall[p.name])), 3),
            "ms_per_frame": round(float(np.median(wall[p.name])) * 1000 / p.frames, 1),
        }
        for p in bona_fide
    }
    requests = _worst_requests(args.data) if args.requests else {}
    payload: dict[str, Any] = {
        "repeat": args.repeat,
        "challenges": challenges,
        "cpu_seconds_per_challenge_median": round(
            float(np.median([v for values in cpu.values() for v in values])), 3
        ),
        "worst_requests": requests,
    }
    lines = [f"{'bona fide challenge':<58}{'steps':>6}{'frames':>7}{'CPU s':>7}{'ms/frame':>9}"]
    lines += [
        f"{name[:57]:<58}{r['steps']:>6}{r['frames']:>7}{r['cpu_seconds']:>7.2f}"
        f"{r['ms_per_frame']:>9.1f}"
        for name, r in challenges.items()
    ]
    lines.append(f"median CPU per challenge: {payload['cpu_seconds_per_challenge_median']:.2f} s")
    if requests:
        lines.append(
            f"\nworst case per request, one gunicorn worker on {_HOST} "
            "(peak RSS above the worker's idle RSS):"
        )
        lines.append(f"{'request':<54}{'status':>7}{'step':>6}{'seconds':>9}{'+MB':>7}")
        passed = {True: "pass", False: "fail", None: ""}
        lines += [
            f"{name[:53]:<54}{r['status']:>7}{passed[r['step_passed']]:>6}{r['seconds']:>9.2f}"
            f"{r['peak_mb_above_idle']:>7.0f}"
            for name, r in requests.items()
        ]
    emit(args, payload, "\n".join(lines))
    return EXIT_OK


def _worst_requests(data: Path) -> dict[str, dict[str, Any]]:
    """The heaviest request each frame endpoint accepts, each sent to its own fresh one-worker
    gunicorn server (a throwaway database and vault) once the worker has loaded its models on
    ordinary requests: the request's time, and the worker's peak resident memory (its
    high-water mark, reset just before) above its resident memory just before."""
    webcam = data / "face_video" / "tfjs_facemesh_input.mp4"
    gesture = data / "face_video" / "mps_gesture_test_video.mp4"
    small = [_jpeg(f) for f in liveness.clip(webcam, 15, 45)]
    # Steps that pass liveness, so every check runs (Hands on each frame of the hand step).
    face_step = [_jpeg(f, (1280, 720)) for f in liveness.clip(webcam, 15, 75, stride=2)]
    hand_step = [_jpeg(f, (1280, 720)) for f in liveness.clip(gesture, 0, 60, stride=2)]
    photo = _jpeg(liveness.clip(webcam, 15, 16)[0], (1280, 1280))
    photos = {f"image{i}": photo for i in range(10)}
    cases: dict[str, Callable[[int, str], Callable[[], tuple[int, Any]]]] = {
        "liveness step: thumbs up, 30 frames of 1280x720": lambda port, key: _step(
            port, key, "thumbs_up", hand_step
        ),
        "liveness step: blink, 30 frames of 1280x720": lambda port, key: _step(
            port, key, "blink", face_step
        ),
        "enrollment: 10 photos of 1280x1280": lambda port, key: (
            lambda: _post(
                port,
                "/api/v1/enrollments",
                key,
                *_multipart({"user": "p2"}, photos, same_name="images"),
            )
        ),
        "verify: 1 photo of 1280x1280": lambda port, key: (
            lambda: _post(
                port, "/api/v1/verify", key, *_multipart({"user": "p1"}, {"image": photo})
            )
        ),
    }
    return {name: _on_fresh_server(case, small) for name, case in cases.items()}


def _on_fresh_server(
    case: Callable[[int, str], Callable[[], tuple[int, Any]]], small: list[bytes]
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="peeka-bench-liveness-") as folder:
        env = _server_env(Path(folder))
        key = _prepare(env)
        port = _free_port()
        log = Path(folder) / "server.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "peeka.web.wsgi:application",
                 "--bind", f"{_HOST}:{port}", "--workers", "1", "--timeout", "120",
                 "--no-control-socket"],
                env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            _wait_until_up(port, server, log)
            worker = _worker_pid(server.pid)
            # Ordinary requests first: every model and key is loaded before the one measured.
            first = _multipart({"user": "p1"}, {"image": small[0]}, same_name="images")
            enrolled = _post(port, "/api/v1/enrollments", key, *first)
            if enrolled[0] != 201:
                raise RuntimeError(f"enrollment failed: {enrolled}")
            _step(port, key, "", small[:10])()
            _step(port, key, "thumbs_up", small[:10])()
            request = case(port, key)  # challenges drawn, the step's time waited
            idle = _status_kb(worker, "VmRSS")
            Path(f"/proc/{worker}/clear_refs").write_text("5")  # reset the high-water mark
            started = time.perf_counter()
            status, reply = request()
            seconds = time.perf_counter() - started
            peak = _status_kb(worker, "VmHWM")
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {
        "status": status,
        # A liveness step that passed went through every check (then matched nobody, or
        # revealed the next step); one that failed stopped at a check.
        "step_passed": reply.get("steps_done", 0) >= 1 if "steps_done" in reply else None,
        "seconds": round(seconds, 2),
        "idle_rss_mb": round(idle / 1024),
        "peak_mb_above_idle": round((peak - idle) / 1024, 1),
    }


def _step(port: int, key: str, wanted: str, frames: list[bytes]) -> Callable[[], tuple[int, Any]]:
    """Start 1:N challenges until the first step revealed is `wanted` (any, for ""), as the
    server draws them; wait as long as recording `frames` at 10 a second takes; and return
    the request that answers the step with them, stamped by a clock that runs with the
    server's. Challenges refused by the rate limit are retried after a pause."""
    for _ in range(200):
        status, reply = _post(port, "/api/v1/liveness/challenges", key, *_multipart({}, {}))
        if status == 429:
            time.sleep(5)
            continue
        if status != 201:
            raise RuntimeError(f"challenge failed: {status} {reply}")
        if not wanted or reply["step"] == wanted:
            break
    else:
        raise RuntimeError(f"no challenge began with {wanted} in 200 draws")
    time.sleep(len(frames) * 0.1 + 0.2)
    start = round(time.time() * 1000) - len(frames) * 100
    stamps = ",".join(str(start + 100 * i) for i in range(len(frames)))
    files = {f"frames{i}": frame for i, frame in enumerate(frames)}
    body = _multipart({"timestamps": stamps}, files, same_name="frames")
    url = f"/api/v1/liveness/challenges/{reply['id']}/frames"
    return lambda: _post(port, url, key, *body)


def _jpeg(frame: RGBImage, size: tuple[int, int] | None = None) -> bytes:
    """`frame` as JPEG, scaled to `size` (up to the largest picture the server takes)."""
    picture = Image.fromarray(frame)
    if size is not None:
        picture = picture.resize(size, Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def _worker_pid(master: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.2)
    raise RuntimeError("gunicorn started no worker")


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no {field}")
