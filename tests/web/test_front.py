"""The front of `peeka serve` (issue 12, item 5): slow clients hold sockets, not workers; what
it refuses, it refuses before a worker sees it; the client's address reaches gunicorn; and
`--https` serves TLS with secure cookies and HSTS."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from peeka.web.front import Front, FrontConfig, RefusedError, forwarded_head, parse_head, proxy_line

HOST = "127.0.0.1"


# -- what the front reads and what it passes on ------------------------------------------------


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (b"POST /api/v1/verify HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411),
        (b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n", 400),
        (b"GET /  HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nBad Name: 1\r\n\r\n", 400),
    ],
)
def test_it_refuses_what_gunicorn_could_read_differently(head: bytes, status: int) -> None:
    with pytest.raises(RefusedError) as refused:
        parse_head(head)
    assert refused.value.status == status


def test_it_reads_the_length_and_the_expectation() -> None:
    request = parse_head(
        b"POST /face/x HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\nExpect: 100-continue\r\n\r\n"
    )
    assert (request.length, request.expects_continue, request.path) == (12, True, "/face/x")


def test_forwarding_headers_pass_only_from_a_trusted_proxy() -> None:
    request = parse_head(
        b"GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-Proto: https\r\nScript_Name: /x\r\n"
        b"Connection: keep-alive, X-Secret\r\nX-Secret: 1\r\nX-Forwarded-For: 10.0.0.9\r\n\r\n"
    )
    untrusted = forwarded_head(request, trusted=False, tls=False)
    assert b"X-Forwarded-Proto" not in untrusted and b"Script_Name" not in untrusted
    assert b"X-Secret" not in untrusted and b"keep-alive" not in untrusted
    assert untrusted.endswith(b"X-Forwarded-For: 10.0.0.9\r\nConnection: close\r\n\r\n")
    assert b"X-Forwarded-Proto: https" in forwarded_head(request, trusted=True, tls=False)
    over_tls = forwarded_head(request, trusted=False, tls=True)
    assert over_tls.count(b"X-Forwarded-Proto") == 1 and b"X-Forwarded-Proto: https" in over_tls


def test_the_proxy_line_gives_the_client_address() -> None:
    assert proxy_line(("10.1.2.3", 5000), ("10.0.0.1", 8000)) == (
        b"PROXY TCP4 10.1.2.3 10.0.0.1 5000 8000\r\n"
    )
    assert proxy_line(("::ffff:10.1.2.3", 5000), ("::ffff:10.0.0.1", 8000)).startswith(
        b"PROXY TCP4 10.1.2.3 "
    )
    assert proxy_line(("2001:db8::1", 5000), ("::1", 8000)).startswith(b"PROXY TCP6 2001:db8::1 ")


# -- the front's refusals, on a live socket (they come before any worker is asked) -------------


async def _exchange(port: int, data: bytes, source: str = HOST) -> bytes:
    reader, writer = await asyncio.open_connection(HOST, port, local_addr=(source, 0))
    writer.write(data)
    answer = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    return answer


def _with_front(config: FrontConfig, *exchanges: tuple[bytes, str]) -> list[bytes]:
    async def main() -> list[bytes]:
        front = Front("/nonexistent/peeka-test.sock", config)
        server = await front.start(HOST, 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            return list(await asyncio.gather(*(_exchange(port, d, w) for d, w in exchanges)))

    return asyncio.run(main())


def test_slow_headers_get_408_and_a_large_body_413_in_json_under_the_api() -> None:
    config = FrontConfig(header_seconds=0.5, max_body_bytes=1000)
    slow, large, gone = _with_front(
        config,
        (b"GET / HTTP/1.1\r\nHost: a\r\n", HOST),
        (b"POST /api/v1/verify HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n", HOST),
        (b"GET /api/v1/x HTTP/1.1\r\nHost: a\r\n\r\n", HOST),
    )
    assert slow.startswith(b"HTTP/1.1 408 ")
    assert large.startswith(b"HTTP/1.1 413 ")
    assert json.loads(large.split(b"\r\n\r\n", 1)[1])["code"] == "request_too_large"
    assert gone.startswith(b"HTTP/1.1 502 ")  # no workers behind this front


def test_it_refuses_large_headers_and_more_bodies_than_its_budget() -> None:
    config = FrontConfig(max_header_bytes=1024, buffer_bytes=100, body_seconds=1)
    big_head = b"GET / HTTP/1.1\r\nX-A: " + b"a" * 4000 + b"\r\n\r\n"
    held = b"POST /face/x HTTP/1.1\r\nHost: a\r\nContent-Length: 80\r\n\r\n"

    async def main() -> tuple[bytes, bytes, bytes]:
        front = Front("/nonexistent/peeka-test.sock", config)
        server = await front.start(HOST, 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            first = asyncio.create_task(_exchange(port, held))  # its body never comes
            await asyncio.sleep(0.3)
            second = await _exchange(port, held)
            return await _exchange(port, big_head), second, await first

    too_big, over_budget, unfinished = asyncio.run(main())
    assert too_big.startswith(b"HTTP/1.1 431 ")
    assert over_budget.startswith(b"HTTP/1.1 503 ") and b"Retry-After: 5" in over_budget
    assert json.loads(over_budget.split(b"\r\n\r\n", 1)[1])["code"] == "server_busy"
    assert unfinished.startswith(b"HTTP/1.1 408 ")


def test_it_refuses_connections_over_its_limits() -> None:
    config = FrontConfig(max_connections=2, header_seconds=1)
    answers = _with_front(config, *[(b"GET / HTTP/1.1\r\n", HOST)] * 3)
    assert sorted(a[:12] for a in answers) == [b"HTTP/1.1 408"] * 2 + [b"HTTP/1.1 503"]
    # Per address: the third socket from 127.0.0.1 is refused, one from 127.0.0.2 is not.
    config = FrontConfig(max_per_address=2, header_seconds=1)
    sources = [HOST, HOST, HOST, "127.0.0.2"]
    answers = _with_front(config, *[(b"GET / HTTP/1.1\r\n", source) for source in sources])
    assert sorted(a[:12] for a in answers) == [b"HTTP/1.1 408"] * 3 + [b"HTTP/1.1 503"]
    # A trusted proxy (nginx in front) carries many clients: it is not limited per address.
    config = FrontConfig(max_per_address=2, header_seconds=1, trusted_proxies=("127.0.0.1",))
    answers = _with_front(config, *[(b"GET / HTTP/1.1\r\n", HOST)] * 3)
    assert [a[:12] for a in answers] == [b"HTTP/1.1 408"] * 3


# -- `peeka serve --https`, started the documented way ------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    folder = tmp_path_factory.mktemp("serve")
    env = {
        **os.environ,
        "PEEKA_DATA_DIR": str(folder),
        "PEEKA_KEY_DIR": str(folder / "keys"),
        "PEEKA_SECRET_KEY": "front-test",
        "DJANGO_SETTINGS_MODULE": "peeka.web.settings",
    }
    for name in ("DATABASE_URL", "REDIS_URL"):  # a throwaway SQLite database of its own
        env.pop(name, None)
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    log = folder / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "peeka.cli", "serve", "--https", "--host", HOST,
             "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while b"Peeka is serving" not in log.read_bytes():
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield port, log
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert server.returncode == 0, log.read_text()[-3000:]


def _tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _get(port: int, path: str) -> tuple[float, http.client.HTTPResponse, bytes]:
    started = time.monotonic()
    connection = http.client.HTTPSConnection(HOST, port, timeout=30, context=_tls())
    connection.request("GET", path, headers={"X-Forwarded-Proto": "http"})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return time.monotonic() - started, response, body


async def _dribble(port: int, source: str, opened: asyncio.Queue[None]) -> bytes:
    """A TLS client that sends a request line, then one header line a second for 6 s, never
    the end of its headers; the answer it gets."""
    reader, writer = await asyncio.open_connection(HOST, port, ssl=_tls(), local_addr=(source, 0))
    writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    await writer.drain()
    opened.put_nowait(None)
    for n in range(6):
        await asyncio.sleep(1)
        writer.write(f"X-Slow-{n}: 1\r\n".encode())
        await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=30)
    writer.close()
    return answer


def test_serve_answers_while_200_connections_dribble_their_headers(
    served: tuple[int, Path],
) -> None:
    port, _ = served

    async def main() -> tuple[list[bytes], list[float]]:
        # From 8 loopback addresses, 25 each (the front also caps sockets per address), opened
        # 25 at a time so the TLS handshakes of this one test process do not queue for long.
        opened: asyncio.Queue[None] = asyncio.Queue()
        slow: list[asyncio.Task[bytes]] = []
        for start in range(0, 200, 25):
            for n in range(start, start + 25):
                slow.append(asyncio.create_task(_dribble(port, f"127.0.1.{n % 8 + 1}", opened)))
            while opened.qsize() < len(slow):
                await asyncio.sleep(0.01)
        assert not any(task.done() for task in slow)  # all 200 open and dribbling
        times = []
        for _ in range(3):
            seconds, response, _ = await asyncio.to_thread(_get, port, "/accounts/login/")
            assert response.status == 200
            times.append(seconds)
            await asyncio.sleep(0.5)
        return list(await asyncio.gather(*slow)), times

    answers, times = asyncio.run(main())
    assert max(times) < 2.0, times
    # Cut off at the header deadline (10 s) with a 408, none of them ever reaching a worker.
    assert all(a.startswith(b"HTTP/1.1 408 ") for a in answers), {a[:20] for a in answers}


def test_serve_over_https_sends_hsts_and_secure_cookies_and_logs_the_client(
    served: tuple[int, Path],
) -> None:
    port, log = served
    _, response, body = _get(port, "/accounts/login/")
    assert response.status == 200 and b"<form" in body
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookies = response.headers.get_all("Set-Cookie") or []
    assert cookies and all("; Secure" in c for c in cookies), cookies
    # The PROXY line gave gunicorn the client's address (a Unix socket peer has none).
    time.sleep(0.5)
    logged = [line for line in log.read_text().splitlines() if "/accounts/login/" in line]
    assert logged and all(line.startswith("127.0.0.1 ") for line in logged), logged
