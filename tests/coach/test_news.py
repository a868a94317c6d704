"""Company news: RSS and Atom feeds served by a real HTTP server on loopback, read by
`peeka coach fetch-news`; a headline is kept once, a broken, huge, slow or non-http feed is
reported without stopping the others, and nothing but text is kept."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from peeka.cli import main
from peeka.coach.feeds import FeedError, FeedparserSource, parse
from peeka.coach.models import Company, NewsItem

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>테크 뉴스</title>
<item><title>네이버, 초거대 AI &lt;하이퍼클로바X&gt; 기업용 출시</title>
<link>https://news.example.com/naver-ai</link>
<description>&lt;p&gt;네이버가 &lt;b&gt;기업용&lt;/b&gt; 모델을 공개했다.&lt;/p&gt;\
&lt;script&gt;alert(1)&lt;/script&gt;</description>
<pubDate>Mon, 07 Dec 2026 09:00:00 +0900</pubDate></item>
<item><title>네이버 채용 설명회 개최</title><link>https://news.example.com/naver-jobs</link>
<pubDate>Sun, 06 Dec 2026 10:00:00 +0900</pubDate></item>
<item><title>A link Peeka would not follow</title><link>javascript:alert(1)</link></item>
</channel></rss>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>科技新闻</title>
<entry><title>字节跳动发布新一代推荐系统</title><link href="https://news.example.cn/bytedance"/>
<updated>2026-12-05T08:00:00Z</updated><summary>推荐系统升级。</summary></entry>
</feed>"""


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        routes = {
            "/rss": RSS.encode(),
            "/atom": ATOM.encode(),
            "/html": b"<html><body>not a feed</body></html>",
            "/huge": b"<rss>" + b" " * (3 * 1024 * 1024),
        }
        if self.path == "/slow":
            time.sleep(2)
        body = routes.get(self.path, b"")
        self.send_response(200 if body or self.path == "/slow" else 404)
        self.send_header("Content-Type", "application/xml")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def feeds() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_rss_and_atom_are_read_as_text() -> None:
    rss = parse(RSS.encode())
    assert [h.link for h in rss] == [
        "https://news.example.com/naver-ai",
        "https://news.example.com/naver-jobs",
    ]  # the javascript: link is dropped
    assert rss[0].title == "네이버, 초거대 AI <하이퍼클로바X> 기업용 출시"
    assert rss[0].summary == "네이버가 기업용 모델을 공개했다."  # markup and script gone
    assert rss[0].source == "테크 뉴스" and rss[0].published is not None
    assert rss[0].published.isoformat() == "2026-12-07T00:00:00+00:00"
    (atom,) = parse(ATOM.encode())
    assert atom.title == "字节跳动发布新一代推荐系统" and atom.link.endswith("/bytedance")
    with pytest.raises(FeedError):
        parse(b"<html><body>not a feed</body></html>")


@pytest.mark.django_db
def test_fetch_news_keeps_each_headline_once_and_reports_broken_feeds(
    feeds: str, capsys: pytest.CaptureFixture[str]
) -> None:
    naver = Company.objects.create(
        name="네이버",
        feeds=[f"{feeds}/rss", f"{feeds}/html", f"{feeds}/huge", "file:///etc/passwd"],
    )
    bytedance = Company.objects.create(name="字节跳动", feeds=[f"{feeds}/atom", f"{feeds}/gone"])
    Company.objects.create(name="No feeds")
    assert main(["coach", "fetch-news", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["companies"], out["feeds"], out["new"]) == (2, 6, 3)
    errors = {(f["company"], f["feed"].rsplit("/", 1)[-1]): f["error"] for f in out["failures"]}
    assert set(errors) == {("네이버", "html"), ("네이버", "huge"), ("네이버", "passwd"),
                           ("字节跳动", "gone")}  # fmt: skip
    assert "not an RSS or Atom feed" in errors[("네이버", "html")]
    assert "larger than 2 MB" in errors[("네이버", "huge")]
    assert "only http and https" in errors[("네이버", "passwd")]
    assert NewsItem.objects.filter(company=naver).count() == 2
    assert NewsItem.objects.filter(company=bytedance).count() == 1
    # Again: nothing new, nothing twice.
    assert main(["coach", "fetch-news", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["new"] == 0
    assert NewsItem.objects.count() == 3


def test_a_slow_feed_times_out(feeds: str) -> None:
    started = time.monotonic()
    with pytest.raises(FeedError, match="cannot fetch"):
        FeedparserSource(timeout=0.5).fetch(f"{feeds}/slow")
    assert time.monotonic() - started < 1.5


@pytest.mark.django_db
def test_every_feed_failing_is_an_error_exit(capsys: pytest.CaptureFixture[str]) -> None:
    Company.objects.create(name="Broken", feeds=["ftp://example.com/feed"])
    assert main(["coach", "fetch-news"]) == 2
    assert "only http and https" in capsys.readouterr().out
