"""The front of `peeka serve`: one asyncio server that reads every request whole before a
worker sees it, so a slow client costs a socket, never a worker.

Gunicorn's sync workers run one request at a time each, which is right for face checks (they
are CPU-bound: a process per core, no greedy event loop taking more work than it can do), but
a sync worker also waits for a client's headers and body: two sockets sending a header line
every few seconds stopped a 2-worker server. Here the headers must arrive within
`header_seconds` and the body within `body_seconds`; only then is the request written, whole,
to gunicorn over a private Unix socket, with a PROXY protocol line that gives it the client's
address. Gunicorn's answer is read whole too (a worker is freed as soon as it has written it)
and sent on at the client's pace. One request per connection (`Connection: close`): the
framing the front checked is the only framing gunicorn sees, so a request cannot be smuggled.

What the front refuses, it refuses before any byte reaches a worker: headers over
`max_header_bytes` (431), a body over `max_body_bytes` (413, the same 40 MB budget as the
app's), a body without Content-Length (411), more than `max_connections` open sockets or more
than `buffer_bytes` of bodies held at once, or more than `max_per_address` open sockets from one
address that is not a trusted proxy (503), and anything that is not HTTP/1.x (400).
Under /api/ and /face/ the refusal is JSON `{"code", "message"}` like the app's own errors.
Client-sent forwarding headers (X-Forwarded-Proto and its kin, names with underscores) are
dropped unless the client is a trusted proxy; with TLS the front says `X-Forwarded-Proto:
https` itself.

nginx in front (README) stays the production set-up: it does all this and HTTP/2 besides.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ipaddress
import json
import re
import signal
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

JSON_PREFIXES = ("/api/", "/face/")
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TARGET = re.compile(rb"[\x21-\x7e]+")
_HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-connection", b"te", b"upgrade", b"expect"}
_FORWARDING = {b"x-forwarded-proto", b"x-forwarded-protocol", b"x-forwarded-ssl", b"forwarded"}
_REASONS = {
    400: "Bad Request",
    408: "Request Timeout",
    411: "Length Required",
    413: "Content Too Large",
    431: "Request Header Fields Too Large",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class FrontConfig:
    """The front's limits; `peeka serve` fills the body budget and the trusted proxies from
    the settings (PEEKA_MAX_REQUEST_BYTES, PEEKA_TRUSTED_PROXIES)."""

    max_body_bytes: int = 40 * 1024 * 1024
    trusted_proxies: tuple[str, ...] = ()
    header_seconds: float = 10.0
    body_seconds: float = 60.0
    backend_seconds: float = 150.0  # gunicorn's own --timeout is 120 s
    write_seconds: float = 60.0
    max_header_bytes: int = 32 * 1024
    max_connections: int = 1000
    max_per_address: int = 100  # trusted proxies exempt; an office behind one NAT stays well under
    buffer_bytes: int = 512 * 1024 * 1024
    tls: ssl.SSLContext | None = None
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = field(
        init=False, default=()
    )

    def __post_init__(self) -> None:
        nets = tuple(ipaddress.ip_network(p, strict=False) for p in self.trusted_proxies)
        object.__setattr__(self, "networks", nets)


class RefusedError(Exception):
    """A request the front answers itself."""

    def __init__(self, status: int, code: str, message: str, retry_after: int = 0) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after


@dataclass(frozen=True)
class Request:
    method: bytes
    target: bytes
    version: bytes
    headers: list[tuple[bytes, bytes]]
    length: int
    expects_continue: bool

    @property
    def path(self) -> str:
        return self.target.decode("ascii", "replace")


def parse_head(head: bytes) -> Request:
    """The request line and headers (ending in an empty line), checked strictly enough that
    gunicorn cannot read them differently: CRLF lines, token names, no folded lines, one
    Content-Length of digits, no Transfer-Encoding."""
    lines = head.removesuffix(b"\r\n\r\n").split(b"\r\n")
    parts = lines[0].split(b" ")
    if (
        len(parts) != 3
        or not _TOKEN.fullmatch(parts[0])
        or not _TARGET.fullmatch(parts[1])
        or parts[2] not in (b"HTTP/1.1", b"HTTP/1.0")
    ):
        raise RefusedError(400, "malformed_request", "The request line is not HTTP/1.x.")
    headers: list[tuple[bytes, bytes]] = []
    lengths: set[bytes] = set()
    expects_continue = False
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.fullmatch(name) or b"\r" in value or b"\n" in value:
            raise RefusedError(400, "malformed_request", "A request header could not be read.")
        lowered, value = name.lower(), value.strip(b" \t")
        if lowered == b"transfer-encoding":
            raise RefusedError(411, "length_required", "Send the body with a Content-Length.")
        if lowered == b"content-length":
            lengths.add(value)
        if lowered == b"expect" and value.lower() == b"100-continue":
            expects_continue = True
        headers.append((name, value))
    if len(lengths) > 1 or any(not v.isdigit() or len(v) > 12 for v in lengths):
        raise RefusedError(400, "malformed_request", "The Content-Length could not be read.")
    length = int(lengths.pop()) if lengths else 0
    return Request(parts[0], parts[1], parts[2], headers, length, expects_continue)


def forwarded_head(request: Request, *, trusted: bool, tls: bool) -> bytes:
    """The head gunicorn gets: hop-by-hop headers and the ones Connection names dropped,
    forwarding headers kept only from a trusted proxy, `Connection: close`."""
    named = {
        token.strip().lower()
        for name, value in request.headers
        if name.lower() == b"connection"
        for token in value.split(b",")
    }
    lines = [b" ".join((request.method, request.target, request.version))]
    for name, value in request.headers:
        lowered = name.lower()
        if lowered in _HOP_BY_HOP or lowered in named:
            continue
        if not trusted and (lowered in _FORWARDING or b"_" in lowered):
            continue
        if tls and lowered in _FORWARDING:
            continue
        lines.append(name + b": " + value)
    if tls:
        lines.append(b"X-Forwarded-Proto: https")
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n"


def proxy_line(peer: tuple[str, int], local: tuple[str, int]) -> bytes:
    """A PROXY protocol v1 line: how gunicorn learns the client's address (REMOTE_ADDR)."""
    client, server = _plain(peer[0]), _plain(local[0])
    family = "TCP4" if client.version == 4 and server.version == 4 else "TCP6"
    if family == "TCP6":
        client, server = (
            ipaddress.IPv6Address(f"::ffff:{a}") if a.version == 4 else a for a in (client, server)
        )
    return f"PROXY {family} {client} {server} {peer[1]} {local[1]}\r\n".encode()


def _plain(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def refusal_bytes(refusal: RefusedError, path: str) -> bytes:
    if path.startswith(JSON_PREFIXES):
        body = json.dumps({"code": refusal.code, "message": refusal.message}).encode()
        kind = b"application/json"
    else:
        body = refusal.message.encode() + b"\n"
        kind = b"text/plain; charset=utf-8"
    head = [
        f"HTTP/1.1 {refusal.status} {_REASONS[refusal.status]}".encode(),
        b"Content-Type: " + kind,
        b"Content-Length: " + str(len(body)).encode(),
        b"Cache-Control: no-store",
        b"Connection: close",
    ]
    if refusal.retry_after:
        head.append(b"Retry-After: " + str(refusal.retry_after).encode())
    return b"\r\n".join(head) + b"\r\n\r\n" + body


class Front:
    """Accepts clients, reads each request whole within the limits, relays it to `backend`
    (gunicorn's Unix socket) and its answer back."""

    def __init__(self, backend: str, config: FrontConfig) -> None:
        self.backend = backend
        self.config = config
        self.connections = 0
        self.by_address: collections.Counter[str] = collections.Counter()
        self.buffered = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        address = str(writer.get_extra_info("peername")[0])
        counted = not self._trusted(address)
        self.connections += 1
        self.by_address[address] += counted
        try:
            if (
                self.connections > self.config.max_connections
                or self.by_address[address] > self.config.max_per_address
            ):
                busy = RefusedError(503, "server_busy", "The server is busy; try again.", 5)
                await self._refuse(reader, writer, refusal_bytes(busy, ""))
            else:
                await self._serve(reader, writer)
        except (ConnectionError, TimeoutError, ssl.SSLError, asyncio.IncompleteReadError):
            writer.transport.abort()
        finally:
            self.connections -= 1
            self.by_address[address] -= counted
            if self.by_address[address] <= 0:
                del self.by_address[address]
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        config = self.config
        path = ""
        try:
            try:
                async with asyncio.timeout(config.header_seconds):
                    head = await reader.readuntil(b"\r\n\r\n")
            except TimeoutError:
                raise RefusedError(
                    408, "request_timeout", "The request headers came too slowly."
                ) from None
            except (asyncio.LimitOverrunError, ValueError):
                raise RefusedError(
                    431, "headers_too_large", "The request headers are too large."
                ) from None
            except asyncio.IncompleteReadError:
                return  # the client left before finishing its headers
            request = parse_head(head)
            path = request.path
            if request.length > config.max_body_bytes:
                raise RefusedError(
                    413,
                    "request_too_large",
                    "The request is too large; send fewer or smaller pictures "
                    f"({config.max_body_bytes // (1024 * 1024)} MB in all).",
                )
            if self.buffered + request.length > config.buffer_bytes:
                raise RefusedError(503, "server_busy", "The server is busy; try again.", 5)
        except RefusedError as refusal:
            await self._refuse(reader, writer, refusal_bytes(refusal, path))
            return
        self.buffered += request.length
        try:
            await self._relay(request, reader, writer)
        finally:
            self.buffered -= request.length

    async def _relay(
        self, request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        config = self.config
        if request.expects_continue:
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        try:
            async with asyncio.timeout(config.body_seconds):
                body = await reader.readexactly(request.length)
        except TimeoutError:
            slow = RefusedError(408, "request_timeout", "The request body came too slowly.")
            await self._refuse(reader, writer, refusal_bytes(slow, request.path))
            return
        peer = writer.get_extra_info("peername")
        trusted = self._trusted(peer[0])
        head = forwarded_head(request, trusted=trusted, tls=config.tls is not None)
        try:
            backend_reader, backend_writer = await asyncio.wait_for(
                asyncio.open_unix_connection(self.backend), timeout=5
            )
        except (OSError, TimeoutError):
            down = RefusedError(502, "server_unavailable", "The server is not answering.")
            await self._send(writer, refusal_bytes(down, request.path))
            return
        try:
            async with asyncio.timeout(config.backend_seconds):
                backend_writer.write(proxy_line(peer, writer.get_extra_info("sockname")))
                backend_writer.write(head)
                backend_writer.write(body)
                del body
                await backend_writer.drain()
                # Held in the client's transport until sent: the worker is free meanwhile.
                while chunk := await backend_reader.read(256 * 1024):
                    writer.write(chunk)
        finally:
            backend_writer.close()
        async with asyncio.timeout(config.write_seconds):
            await writer.drain()

    async def _send(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        writer.write(data)
        async with asyncio.timeout(self.config.write_seconds):
            await writer.drain()

    async def _refuse(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, answer: bytes
    ) -> None:
        """Send a refusal, then read (and drop) what the client is still sending for a moment
        before closing: closing on unread bytes resets the connection, and the client would
        see the reset instead of the answer."""
        await self._send(writer, answer)
        if writer.can_write_eof():
            writer.write_eof()
        with contextlib.suppress(TimeoutError, ConnectionError, ssl.SSLError):
            async with asyncio.timeout(1.0):
                while await reader.read(64 * 1024):
                    pass

    def _trusted(self, address: str) -> bool:
        try:
            ip = _plain(address)
        except ValueError:
            return False
        return any(ip in network for network in self.config.networks)

    async def start(self, host: str, port: int) -> asyncio.Server:
        return await asyncio.start_server(
            self.handle,
            host,
            port,
            limit=self.config.max_header_bytes,
            ssl=self.config.tls,
            ssl_handshake_timeout=self.config.header_seconds if self.config.tls else None,
            backlog=1024,
        )


def run(
    front: Front,
    host: str,
    port: int,
    *,
    keep_going: Callable[[], bool],
    ready: Callable[[], None],
) -> None:
    """Serve until SIGINT/SIGTERM or until `keep_going()` turns false (gunicorn has exited);
    `ready()` once the port is bound. OSError when it cannot be bound."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        server = await front.start(host, port)
        ready()
        async with server:
            while not stop.is_set() and keep_going():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=1.0)

    asyncio.run(main())
