"""`peeka bench web`: sustained `/api/v1/verify` throughput and latency against a Peeka server
this command starts on 127.0.0.1 (gunicorn, a throwaway database and key vault), next to the
engine's own per-image pipeline time measured in the same run.

Traffic goes to loopback only and is bounded by `--duration` and `--max-requests` per level."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from peeka.biometrics import FaceEngine, load_image
from peeka.cli.bench_engine import photo_640x480
from peeka.cli.output import EXIT_OK, emit

_HOST = "127.0.0.1"


def bench_web(args: argparse.Namespace) -> int:
    levels = sorted(set(args.concurrency))
    photo = photo_640x480(args)
    engine_ms = _engine_ms(photo, repeat=20)
    with tempfile.TemporaryDirectory(prefix="peeka-bench-web-") as folder:
        env = _server_env(Path(folder))
        key = _prepare(env)
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "peeka.web.wsgi:application",
             "--bind", f"{_HOST}:{port}", "--workers", str(args.workers), "--timeout", "120"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            _wait_until_up(port, server)
            body = _multipart({"user": "bench"}, {"images": photo})
            status, reply = _post(port, "/api/v1/enrollments", key, *body)
            if status != 201:
                raise RuntimeError(f"enrollment failed: {status} {reply}")
            probe = _multipart({"user": "bench"}, {"image": photo})
            # Every worker loads the models and keys on its first request.
            for _ in range(3 * args.workers):
                _post(port, "/api/v1/verify", key, *probe)
            results = {
                str(c): _load(port, key, probe, c, args.duration, args.max_requests) for c in levels
            }
        finally:
            server.terminate()
            server.wait(timeout=30)
    base = results[str(levels[0])]
    payload: dict[str, Any] = {
        "endpoint": "/api/v1/verify",
        "workers": args.workers,
        "duration_s": args.duration,
        "engine_pipeline_ms": round(engine_ms, 2),
        "levels": results,
        "p50_to_engine_at_concurrency_1": round(results["1"]["p50_ms"] / engine_ms, 3)
        if "1" in results
        else None,
        "throughput_ratio_to_lowest": {
            c: round(r["rps"] / base["rps"], 3) for c, r in results.items()
        },
    }
    lines = [
        f"POST /api/v1/verify on {args.workers} gunicorn workers; engine pipeline "
        f"{engine_ms:.1f} ms per image (median, this process)",
        f"{'concurrency':>11}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}",
    ]
    for c, r in results.items():
        lines.append(
            f"{c:>11}{r['requests']:>10}{r['rps']:>9.2f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
            f"{r['errors']:>8}"
        )
    ratio_1 = payload["p50_to_engine_at_concurrency_1"]
    if ratio_1 is not None:
        lines.append(f"p50 / engine pipeline at concurrency 1: {ratio_1:.2f}")
    for c, ratio in payload["throughput_ratio_to_lowest"].items():
        lines.append(f"throughput at {c} / at {levels[0]}: {ratio:.2f}")
    emit(args, payload, "\n".join(lines))
    return EXIT_OK


def _engine_ms(photo: bytes, repeat: int) -> float:
    engine = FaceEngine()
    engine.probe(load_image(photo))
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        engine.probe(load_image(photo))
        samples.append((time.perf_counter() - started) * 1000)
    return float(np.median(samples))


def _server_env(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PEEKA_DATA_DIR=str(folder),
        PEEKA_KEY_DIR=str(folder / "keys"),
        PEEKA_SECRET_KEY=uuid.uuid4().hex,
        DJANGO_SETTINGS_MODULE="peeka.web.settings",
    )
    env.pop("DATABASE_URL", None)
    return env


def _prepare(env: dict[str, str]) -> str:
    """Migrate the throwaway database and create an API key, in a child process."""
    script = (
        "import django; django.setup();"
        "from django.core.management import call_command; call_command('migrate', verbosity=0);"
        "from peeka.api.models import ApiClient; print(ApiClient.create('bench')[1])"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip().splitlines()[-1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((_HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_up(port: int, server: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            error = server.stderr.read().decode() if server.stderr else ""
            raise RuntimeError(f"the server stopped: {error[-2000:]}")
        try:
            with socket.create_connection((_HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not listen on port {port} within {timeout:.0f} s")


def _multipart(fields: dict[str, str], files: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, data in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{name}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _post(port: int, path: str, key: str, body: bytes, content_type: str) -> tuple[int, Any]:
    connection = http.client.HTTPConnection(_HOST, port, timeout=120)
    try:
        connection.request("POST", path, body, {"Content-Type": content_type, "X-API-Key": key})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def _load(
    port: int,
    key: str,
    probe: tuple[bytes, str],
    concurrency: int,
    duration: float,
    max_requests: int,
) -> dict[str, Any]:
    """`concurrency` clients posting back to back for `duration` s (at most `max_requests`)."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def client() -> None:
        nonlocal errors
        while time.monotonic() < deadline:
            with lock:
                if len(latencies) + errors >= max_requests:
                    return
            started = time.perf_counter()
            try:
                status, reply = _post(port, "/api/v1/verify", key, *probe)
                ok = status == 200 and reply == {"match": True}
            except OSError:
                ok = False
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if ok:
                    latencies.append(elapsed)
                else:
                    errors += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    values = np.array(latencies) if latencies else np.array([np.nan])
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": round(len(latencies) / wall, 3),
        "p50_ms": round(float(np.percentile(values, 50)), 2),
        "p99_ms": round(float(np.percentile(values, 99)), 2),
    }
