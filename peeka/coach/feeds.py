"""Company news through a provider interface: `NewsSource.fetch(url)` gives headlines. The
default reads RSS and Atom with feedparser; another source (a news API) plugs in with the same
method. Peeka fetches the feed itself — http(s) only, a time limit, a size limit — and hands
feedparser the bytes, so a feed can never make it read a local file or wait forever."""

from __future__ import annotations

import calendar
import datetime as dt
import html
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

import feedparser

MAX_BYTES = 2 * 1024 * 1024
TIMEOUT_SECONDS = 10.0
MAX_ITEMS = 50
"""Headlines read from one feed per fetch."""
_TAG = re.compile(r"<[^>]+>")


class FeedError(Exception):
    """A feed could not be read; the message is safe to show an operator."""


@dataclass(frozen=True)
class Headline:
    title: str
    link: str
    summary: str
    published: dt.datetime | None
    source: str


class NewsSource(Protocol):
    def fetch(self, url: str) -> list[Headline]: ...


def text_of(markup: str, limit: int) -> str:
    """Plain text of a feed's HTML fragment (tags dropped, entities decoded), cut to `limit`."""
    plain = html.unescape(_TAG.sub(" ", markup or ""))
    return " ".join(plain.split())[:limit]


def _field(item: Any, key: str, limit: int) -> str:
    """A feed field as text: HTML made plain, plain text kept as it is ("<b>" in a plain
    title is the title's own text)."""
    value = str(item.get(key, ""))
    kind = str(item.get(f"{key}_detail", {}).get("type", "text/html"))
    if kind == "text/plain":
        return " ".join(value.split())[:limit]
    return text_of(value, limit)


class FeedparserSource:
    """RSS 0.9x/1.0/2.0 and Atom, read with feedparser from bytes Peeka fetched."""

    def __init__(self, timeout: float = TIMEOUT_SECONDS, max_bytes: int = MAX_BYTES) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes

    def fetch(self, url: str) -> list[Headline]:
        if not url.startswith(("http://", "https://")):
            raise FeedError("only http and https feeds are read")
        request = urllib.request.Request(url, headers={"User-Agent": "Peeka news reader"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read(self.max_bytes + 1)
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise FeedError(f"cannot fetch the feed: {reason}") from None
        if len(body) > self.max_bytes:
            raise FeedError(f"the feed is larger than {self.max_bytes // (1024 * 1024)} MB")
        return parse(body)


def parse(body: bytes) -> list[Headline]:
    """Headlines of a feed document; `FeedError` when it is not one."""
    parsed = feedparser.parse(body)
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        raise FeedError("this is not an RSS or Atom feed")
    source = _field(parsed.feed, "title", 200)
    headlines = []
    for entry in parsed.entries[:MAX_ITEMS]:
        link = str(entry.get("link", "")).strip()
        title = _field(entry, "title", 300)
        if not title or not link.startswith(("http://", "https://")):
            continue  # nothing to show, or a link Peeka would not send a reader to
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        published = dt.datetime.fromtimestamp(calendar.timegm(stamp), tz=dt.UTC) if stamp else None
        summary = _field(entry, "summary", 1000)
        headlines.append(Headline(title, link[:1000], summary, published, source))
    return headlines
