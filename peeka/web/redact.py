"""Database and cache URLs as they may appear in an error message: with any password
replaced by ***. Plain Python, so the settings module can use it too."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit


def without_password(url: str) -> str:
    """`url` with any password (before the host, or a `password=` parameter, which redis-py
    also reads) replaced by ***."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "<unparsable URL>"
    shown = url
    if password is not None:
        user, _, host = parts.netloc.rpartition("@")
        shown = shown.replace(parts.netloc, f"{user.partition(':')[0]}:***@{host}", 1)
    if parts.query:
        query = [(k, "***" if k.lower() == "password" else v) for k, v in parse_qsl(parts.query)]
        shown = shown.replace(f"?{parts.query}", f"?{urlencode(query, safe='*')}", 1)
    return shown
