"""`peeka bench web`: sustained `/api/v1/verify` throughput and latency against a Peeka server
this command starts on 127.0.0.1 (gunicorn, a throwaway database and key vault), next to the
engine's own per-image pipeline time measured in the same run.

Traffic goes to loopback only and is bounded by `--duration` and `--max-requests` per level."""

from __future__ import annotations

import argparse
import asyncio
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
from dataclasses import dataclass
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
    names = ("serve", "gunicorn")
    with tempfile.TemporaryDirectory(prefix="peeka-bench-web-") as folder:
        env = _server_env(Path(folder))
        key = _prepare(env)
        processes: list[subprocess.Popen[bytes]] = []
        ports: dict[str, int] = {}
        try:
            for name in names:
                ports[name] = _free_port()
                log = Path(folder) / f"{name}.log"
                command = _server_command(name, ports[name], args.workers)
                with log.open("wb") as out:
                    processes.append(
                        subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
                    )
                _wait_until_up(ports[name], processes[-1], log)
            servers = _measure(ports, key, photo, levels, args)
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=60)
    results = servers["serve"]
    top = str(levels[-1])
    slow = f"{top}+{args.slow_clients}slow"
    payload: dict[str, Any] = {
        "endpoint": "/api/v1/verify",
        "workers": args.workers,
        "duration_s": args.duration,
        "slow_clients": args.slow_clients,
        "engine_pipeline_ms": round(engine_ms, 2),
        "levels": results,
        "gunicorn_alone": servers["gunicorn"],
        "p50_to_engine_at_concurrency_1": round(results["1"]["p50_ms"] / engine_ms, 3)
        if "1" in results
        else None,
        "throughput_ratio_to_lowest": {
            c: round(results[c]["rps"] / results[str(levels[0])]["rps"], 3)
            for c in map(str, levels)
        },
        "throughput_serve_to_gunicorn_alone": {
            c: _ratio(results[c]["rps"], servers["gunicorn"][c]["rps"]) for c in results
        },
    }
    lines = [
        f"POST /api/v1/verify, {args.workers} gunicorn workers, {args.duration:.0f} s per level; "
        f"engine pipeline {engine_ms:.1f} ms per image (median, this process)",
        f"{'server':>17}{'concurrency':>17}{'requests':>10}{'req/s':>9}{'p50 ms':>9}"
        f"{'p99 ms':>9}{'errors':>8}",
    ]
    for name, label in (("serve", "peeka serve"), ("gunicorn", "gunicorn alone")):
        for c, r in servers[name].items():
            lines.append(
                f"{label:>17}{c:>17}{r['requests']:>10}{r['rps']:>9.2f}{r['p50_ms']:>9.1f}"
                f"{r['p99_ms']:>9.1f}{r['errors']:>8}"
            )
    ratio_1 = payload["p50_to_engine_at_concurrency_1"]
    if ratio_1 is not None:
        lines.append(f"p50 / engine pipeline at concurrency 1: {ratio_1:.2f}")
    for c, ratio in list(payload["throughput_ratio_to_lowest"].items())[1:]:
        lines.append(f"throughput at {c} / at {levels[0]}: {ratio:.2f}")
    for c, ratio in payload["throughput_serve_to_gunicorn_alone"].items():
        lines.append(f"throughput of peeka serve / gunicorn alone at {c}: {ratio}")
    lines.append(
        f"with {args.slow_clients} slow clients: peeka serve {results[slow]['rps']:.2f} req/s, "
        f"gunicorn alone {servers['gunicorn'][slow]['rps']:.2f} req/s"
    )
    emit(args, payload, "\n".join(lines))
    return EXIT_OK


def _server_command(name: str, port: int, workers: int) -> list[str]:
    """`peeka serve` as users start it (the buffering front before the workers), or its
    gunicorn workers alone on a TCP port, as before the front (issue 12)."""
    if name == "serve":
        return [sys.executable, "-m", "peeka.cli", "serve", "--host", _HOST, "--port",
                str(port), "--workers", str(workers)]  # fmt: skip
    return [sys.executable, "-m", "gunicorn", "peeka.web.wsgi:application",
            "--bind", f"{_HOST}:{port}", "--workers", str(workers), "--timeout", "120",
            "--no-control-socket"]  # fmt: skip


def _measure(
    ports: dict[str, int], key: str, photo: bytes, levels: list[int], args: argparse.Namespace
) -> dict[str, dict[str, Any]]:
    """Each level in rounds of about 5 s, the servers taking turns round by round (both are
    up all along, so the machine's drift falls on both alike); then each with slow clients."""
    probe = _multipart({"user": "bench"}, {"image": photo})
    for port in ports.values():
        body = _multipart({"user": "bench"}, {"images": photo})
        status, reply = _post(port, "/api/v1/enrollments", key, *body)
        if status != 201:
            raise RuntimeError(f"enrollment failed: {status} {reply}")
        # Every worker loads the models and keys on its first request.
        for _ in range(3 * args.workers):
            _post(port, "/api/v1/verify", key, *probe)
    rounds = max(1, round(args.duration / 5))
    runs: dict[str, dict[str, list[_Run]]] = {name: {} for name in ports}
    for level in levels:
        for _ in range(rounds):
            for name, port in ports.items():
                run = _load(port, key, probe, level, args.duration / rounds, args.max_requests)
                runs[name].setdefault(str(level), []).append(run)
    slow = f"{levels[-1]}+{args.slow_clients}slow"
    for name, port in ports.items():
        with _SlowClients(port, args.slow_clients):
            runs[name][slow] = [
                _load(port, key, probe, levels[-1], args.duration, args.max_requests)
            ]
    return {
        name: {level: _summary(r) for level, r in by_level.items()}
        for name, by_level in runs.items()
    }


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


class _SlowClients:
    """`count` connections that send a header line every 2 s and never finish; one that the
    server closes is opened again, so `count` stay open while the block runs."""

    def __init__(self, port: int, count: int) -> None:
        self.port, self.count = port, count
        self.stop = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def __enter__(self) -> _SlowClients:
        self.thread.start()
        time.sleep(3)  # let them connect
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)

    async def _run(self) -> None:
        # From 8 loopback addresses, as from several hosts (the front caps sockets per address).
        await asyncio.gather(*(self._one(f"127.0.1.{n % 8 + 1}") for n in range(self.count)))

    async def _one(self, source: str) -> None:
        while not self.stop.is_set():
            try:
                _, writer = await asyncio.open_connection(_HOST, self.port, local_addr=(source, 0))
                writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                n = 0
                while not self.stop.is_set() and not writer.is_closing():
                    await asyncio.sleep(2)
                    writer.write(f"X-Slow-{n}: 1\r\n".encode())
                    await writer.drain()
                    n += 1
                writer.close()
            except OSError:
                await asyncio.sleep(0.5)


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
        PEEKA_API_RATE_LIMIT="1000000",  # measure the server, not the per-key limit
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


def _wait_until_up(
    port: int, server: subprocess.Popen[bytes], log: Path, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped: {log.read_text()[-2000:]}")
        try:
            with socket.create_connection((_HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not listen on port {port} within {timeout:.0f} s")


def _multipart(
    fields: dict[str, str], files: dict[str, bytes], *, same_name: str | None = None
) -> tuple[bytes, str]:
    """A multipart/form-data body; with `same_name`, every file goes under that field name
    (a list of files), in order."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, data in files.items():
        field = same_name or name
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{name}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _post(
    port: int,
    path: str,
    key: str,
    body: bytes,
    content_type: str,
    timeout: float = 120,
    *,
    key_header: str = "X-API-Key",
) -> tuple[int, Any]:
    """POST `body` with `key` in `key_header` (an API client's key; a kiosk's X-Device-Key)."""
    connection = http.client.HTTPConnection(_HOST, port, timeout=timeout)
    try:
        connection.request("POST", path, body, {"Content-Type": content_type, key_header: key})
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
) -> _Run:
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
                status, reply = _post(
                    port, "/api/v1/verify", key, *probe, timeout=deadline - time.monotonic() + 5
                )
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
    return _Run(latencies, errors, time.monotonic() - started)


@dataclass(frozen=True)
class _Run:
    latencies_ms: list[float]
    errors: int
    wall_s: float


def _summary(runs: list[_Run]) -> dict[str, Any]:
    latencies = [ms for run in runs for ms in run.latencies_ms]
    values = np.array(latencies) if latencies else np.array([np.nan])
    return {
        "requests": len(latencies),
        "errors": sum(run.errors for run in runs),
        "rps": round(len(latencies) / sum(run.wall_s for run in runs), 3),
        "p50_ms": round(float(np.percentile(values, 50)), 2),
        "p99_ms": round(float(np.percentile(values, 99)), 2),
    }
