"""Who is asking: the client's address (read through trusted reverse proxies only) and user
agent, as the audit log and the per-address rate limits see them."""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest


@dataclass(frozen=True)
class ClientInfo:
    """The audit fields of a request."""

    ip: str | None
    user_agent: str


def client_info(request: HttpRequest) -> ClientInfo:
    return ClientInfo(
        ip=client_ip(request) or None,
        user_agent=str(request.META.get("HTTP_USER_AGENT", "")),
    )


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind reverse proxies listed in PEEKA_TRUSTED_PROXIES, the
    address the nearest untrusted hop gave (read from the right of X-Forwarded-For, so a
    client cannot choose it by sending the header itself); else the peer's address."""
    peer = str(request.META.get("REMOTE_ADDR") or "")
    if not _trusted(peer):
        return peer
    hops = [h.strip() for h in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    address = peer
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # garbage from the client's side of the chain: keep the last good hop
        address = hop
        if not _trusted(hop):
            break
    return address


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _proxies(tuple(settings.PEEKA_TRUSTED_PROXIES)))


@functools.cache
def _proxies(configured: tuple[str, ...]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(entry, strict=False) for entry in configured]
