# ruff: noqa: RUF001 - the canned Chinese answers use Chinese punctuation
"""A fake OpenAI-compatible server for tests: a real HTTP server (stdlib `ThreadingHTTPServer`)
on 127.0.0.1 answering `POST /v1/chat/completions`, `POST /v1/audio/transcriptions` (multipart,
as vLLM serving Whisper does: a canned sentence of TRANSCRIPTS for the `language` field) and
`GET /v1/models` in OpenAI's format.

In a test, as a context manager, with a queue of scripted behaviours (one per request; an empty
queue answers valid canned JSON for the operation and language asked):

    with FakeOpenAI() as fake:
        fake.script(Malformed(), Canned(json.dumps(...)))
        provider = OpenAIProvider(Settings(base_url=fake.url, model="fake"))
        ...
        fake.requests  # the parsed JSON bodies received, in order
        fake.transcriptions  # each transcription request's fields and its audio's byte count

Standalone, for browser tests (prints "listening on <url>" once ready, runs until killed):

    python -m tests.llm.fake_openai --port 8765 --script questions
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

MODEL = "fake-model"

# --- Canned answers, valid for peeka.llm.types ------------------------------------------------

QUESTIONS: dict[str, dict[str, list[str]]] = {
    "ko": {
        "job": [
            "지원하신 백엔드 직무에서 가장 먼저 개선하고 싶은 시스템은 무엇이며,"
            " 그 이유는 무엇입니까?",
            "대규모 트래픽을 처리했던 경험이 있다면 어떤 병목을 어떻게"
            " 해결하셨는지 말씀해 주십시오.",
            "저희 회사의 서비스를 사용해 보시고 느낀 기술적인 개선점을 하나 설명해 주십시오.",
        ],
        "personality": [
            "자기소개서에 쓰신 팀 프로젝트에서 의견이 갈렸을 때 어떻게 조율하셨습니까?",
            "가장 크게 실패했던 경험과 그 경험에서 배운 점을 말씀해 주십시오.",
            "저희 회사의 인재상 중 본인과 가장 잘 맞는 것은 무엇이라고 생각하십니까?",
        ],
    },
    "en": {
        "job": [
            "Which part of our backend would you improve first in this role, and why?",
            "Tell us about a time you handled heavy traffic: what was the bottleneck and how did"
            " you remove it?",
            "Having used our product, what technical improvement would you suggest?",
        ],
        "personality": [
            "In the team project from your cover letter, how did you settle a disagreement?",
            "What was your biggest failure, and what did you learn from it?",
            "Which of our values fits you best, and can you give an example?",
        ],
    },
    "zh-hans": {
        "job": [
            "在这个岗位上，你最想先改进我们后端的哪一部分？为什么？",
            "请讲一次你处理高并发流量的经历：瓶颈在哪里，你是如何解决的？",
            "使用过我们的产品后，你会提出什么技术改进建议？",
        ],
        "personality": [
            "在你求职信中提到的团队项目里，出现分歧时你是如何协调的？",
            "你最大的一次失败是什么？你从中学到了什么？",
            "我们公司的人才观中，哪一点与你最相符？请举例说明。",
        ],
    },
}

FEEDBACK: dict[str, dict[str, Any]] = {
    "ko": {
        "strengths": ["질문의 핵심에 바로 답하셨습니다.", "맡으신 역할이 분명하게 드러납니다."],
        "improvements": ["결과를 수치로 보여 주시면 설득력이 커집니다."],
        "suggestion": "상황, 과제, 행동, 결과 순서로 다시 정리하고 결과에 수치를 넣어 보십시오.",
        "example": "지난 프로젝트에서 응답 시간이 [수치]초까지 늘어나는 문제가 있었습니다. "
        "저는 캐시 계층을 설계해 응답 시간을 [수치]% 줄였습니다.",
        "scores": {"star": 3, "relevance": 4, "specificity": 2, "fit": 3, "tone": 4},
        "follow_up": ["캐시를 도입하면서 겪은 가장 큰 어려움은 무엇이었습니까?"],
    },
    "en": {
        "strengths": ["You answer the question directly.", "Your own role is clear."],
        "improvements": ["Show the result with a number to make it convincing."],
        "suggestion": "Retell it as Situation, Task, Action, Result and put a number on the"
        " result.",
        "example": "In my last project response times grew to [number] seconds. I designed a"
        " cache layer that cut them by [number]%.",
        "scores": {"star": 3, "relevance": 4, "specificity": 2, "fit": 3, "tone": 4},
        "follow_up": ["What was the hardest part of introducing the cache?"],
    },
    "zh-hans": {
        "strengths": ["直接回答了问题的核心。", "清楚地说明了自己的角色。"],
        "improvements": ["用数字展示结果会更有说服力。"],
        "suggestion": "按照情境、任务、行动、结果的顺序重新组织，并给结果加上具体数字。",
        "example": "在上一个项目中，响应时间增加到了[数字]秒。"
        "我设计了缓存层，把响应时间缩短了[数字]%。",
        "scores": {"star": 3, "relevance": 4, "specificity": 2, "fit": 3, "tone": 4},
        "follow_up": ["引入缓存时遇到的最大困难是什么？"],
    },
}

TRANSCRIPTS: dict[str, str] = {
    "ko": "저는 인턴십에서 주문 API의 응답 시간을 40% 줄였습니다.",
    "en": "In my internship I cut the order API's response time by 40%.",
    "zh": "我在实习期间把订单接口的响应时间缩短了百分之四十。",
}
"""What the fake hears in any recording, by the request's `language` (English without one)."""

MALFORMED = 'Sure! Here are your questions: {"job": ["What do you'
"""A reply that is not JSON (an unterminated object after prose)."""


def canned(operation: str, language: str) -> str:
    """Valid JSON for "questions" or "feedback" in "ko", "en" or "zh-hans"."""
    table = QUESTIONS if operation == "questions" else FEEDBACK
    return json.dumps(table[language], ensure_ascii=False)


def operation_of(body: dict[str, Any]) -> str:
    """ "questions" or "feedback", from the JSON schema in the system prompt."""
    return "questions" if '"personality"' in _system(body) else "feedback"


def language_of(body: dict[str, Any]) -> str:
    """The language the prompt is written in: Hangul means ko, Han without Hangul zh-hans."""
    system = _system(body)
    hangul = len(re.findall(r"[\uac00-\ud7a3]", system))
    han = len(re.findall(r"[\u4e00-\u9fff]", system))
    if hangul > 20:
        return "ko"
    return "zh-hans" if han > 20 else "en"


def _system(body: dict[str, Any]) -> str:
    for message in body.get("messages", []):
        if message.get("role") == "system" and isinstance(message.get("content"), str):
            return str(message["content"])
    return ""


# --- Behaviours --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Canned:
    """Reply with this content (None: valid canned JSON for the operation and language asked,
    or for `language` when given — a wrong-language reply). To a transcription: this text
    (None: the TRANSCRIPTS sentence for the language asked, or for `language`)."""

    content: str | None = None
    language: str | None = None
    usage: bool = True


@dataclass(frozen=True)
class Malformed:
    """Reply with content that is not JSON."""


@dataclass(frozen=True)
class Slow:
    """Sleep this long before replying normally (interrupted when the server stops)."""

    seconds: float


@dataclass(frozen=True)
class Status:
    """Reply with an HTTP error in OpenAI's error format. The message quotes the request's last
    user message, as some servers do, so tests can check it never reaches an LLMError."""

    code: int


@dataclass(frozen=True)
class Streamed:
    """Stream the reply as server-sent events in `chunks` pieces (content as for `Canned`)."""

    content: str | None = None
    chunks: int = 4
    language: str | None = None


@dataclass(frozen=True)
class Refused:
    """Decline, as OpenAI's models do: no content, a `refusal` message instead."""


Behaviour = Canned | Malformed | Slow | Status | Streamed | Refused
"""A transcription takes them too: Slow, Status and Canned as above, Malformed answers 200
with a body that is not JSON, and Streamed and Refused answer as Canned() does."""

SCRIPTS: dict[str, tuple[Behaviour, ...]] = {
    "questions": (),  # the default: valid JSON for whatever is asked, streamed when asked
    "malformed": (Malformed(),) * 1000,
    "error": (Status(500),) * 1000,
}
"""The standalone modes (`--script`)."""


class FakeOpenAI:
    """The server. `url` is the base URL a client takes ("http://127.0.0.1:PORT/v1")."""

    def __init__(self, port: int = 0, *, reject_json_mode: bool = False) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.transcriptions: list[dict[str, Any]] = []
        """Each transcription request's form fields (strings), with "filename",
        "content_type" and "audio_bytes" (the file's size) for the file: never its bytes."""
        self.reject_json_mode = reject_json_mode
        self.stopping = threading.Event()
        self._queue: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *behaviours: Behaviour) -> None:
        """Queue behaviours, one per request from now on."""
        with self._lock:
            self._queue.extend(behaviours)

    def next_behaviour(self, body: dict[str, Any]) -> Behaviour:
        with self._lock:
            self.requests.append(body)
            if self._queue:
                return self._queue.popleft()
        return Streamed() if body.get("stream") else Canned()

    def next_transcription(self, fields: dict[str, Any]) -> Behaviour:
        with self._lock:
            self.transcriptions.append(fields)
            if self._queue:
                return self._queue.popleft()
        return Canned()

    def start(self) -> FakeOpenAI:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _handler(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: a test's output is its assertions

        def do_GET(self) -> None:
            if self.path.rstrip("/") != "/v1/models":
                self._json(404, {"error": {"message": "not found", "type": "invalid_request"}})
                return
            self._json(200, {"object": "list", "data": [{"id": MODEL, "object": "model"}]})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path.rstrip("/") == "/v1/audio/transcriptions":
                self._transcription(raw)
                return
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._json(404, {"error": {"message": "not found", "type": "invalid_request"}})
                return
            try:
                body = json.loads(raw)
            except ValueError:
                self._json(400, {"error": {"message": "invalid JSON", "type": "invalid_request"}})
                return
            fake.headers.append({key.lower(): value for key, value in self.headers.items()})
            behaviour = fake.next_behaviour(body)
            # The client may have given up (a timeout test): then there is nobody to answer.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._answer(body, behaviour)

        def _answer(self, body: dict[str, Any], behaviour: Behaviour) -> None:
            if fake.reject_json_mode and "response_format" in body:
                message = "'response_format.type' must be 'json_schema' or 'text'"
                self._json(400, {"error": {"message": message, "type": "invalid_request"}})
                return
            if isinstance(behaviour, Slow):
                if fake.stopping.wait(behaviour.seconds):
                    return
                behaviour = Streamed() if body.get("stream") else Canned()
            if isinstance(behaviour, Status):
                quoted = _last_user(body)[:200]
                error = {"message": f"error {behaviour.code} for: {quoted}", "type": "server"}
                self._json(behaviour.code, {"error": error})
                return
            if isinstance(behaviour, Refused):
                declined = {"role": "assistant", "content": None, "refusal": "I can't help."}
                choice = {"index": 0, "message": declined, "finish_reason": "stop"}
                self._json(200, {**_completion_base(body), "choices": [choice]})
                return
            if isinstance(behaviour, Malformed):
                behaviour = Canned(MALFORMED)
            content = behaviour.content
            if content is None:
                content = canned(operation_of(body), behaviour.language or language_of(body))
            if isinstance(behaviour, Streamed):
                self._stream(body, content, behaviour.chunks)
                return
            completion: dict[str, Any] = {
                **_completion_base(body),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
            }
            if behaviour.usage:
                completion["usage"] = _usage(body, content)
            self._json(200, completion)

        def _transcription(self, raw: bytes) -> None:
            fields = _multipart(self.headers.get("Content-Type", ""), raw)
            if fields is None or "audio_bytes" not in fields:
                message = "expected multipart/form-data with a file"
                self._json(400, {"error": {"message": message, "type": "invalid_request"}})
                return
            fake.headers.append({key.lower(): value for key, value in self.headers.items()})
            behaviour = fake.next_transcription(fields)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                if isinstance(behaviour, Slow):
                    if fake.stopping.wait(behaviour.seconds):
                        return
                    behaviour = Canned()
                if isinstance(behaviour, Status):
                    quoted = str(fields.get("prompt", ""))[:200]
                    error = {"message": f"error {behaviour.code} for: {quoted}", "type": "server"}
                    self._json(behaviour.code, {"error": error})
                    return
                if isinstance(behaviour, Malformed):
                    self._raw(200, MALFORMED.encode(), "application/json")
                    return
                text = behaviour.content if isinstance(behaviour, Canned) else None
                if text is None:
                    language = getattr(behaviour, "language", None) or fields.get("language")
                    text = TRANSCRIPTS.get(str(language), TRANSCRIPTS["en"])
                self._json(200, {"text": text})

        def _stream(self, body: dict[str, Any], content: str, count: int) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            size = max(1, -(-len(content) // max(1, count)))
            base = {
                "id": f"chatcmpl-{len(fake.requests)}",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": body.get("model", MODEL),
            }
            first = {"index": 0, "delta": {"role": "assistant", "content": ""}}
            self._event({**base, "choices": [first]})
            for start in range(0, len(content), size):
                piece = {"index": 0, "delta": {"content": content[start : start + size]}}
                self._event({**base, "choices": [piece]})
                time.sleep(0.01)
            self._event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
            if (body.get("stream_options") or {}).get("include_usage"):
                self._event({**base, "choices": [], "usage": _usage(body, content)})
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

        def _event(self, data: dict[str, Any]) -> None:
            self.wfile.write(f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode())
            self.wfile.flush()

        def _json(self, status: int, data: dict[str, Any]) -> None:
            self._raw(status, json.dumps(data, ensure_ascii=False).encode(), "application/json")

        def _raw(self, status: int, payload: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()

    return Handler


def _completion_base(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", MODEL),
    }


def _multipart(content_type: str, raw: bytes) -> dict[str, Any] | None:
    """A multipart/form-data body's text fields, and its file's name, type and size (the
    bytes are dropped); None when the body is not multipart."""
    if not content_type.lower().startswith("multipart/form-data"):
        return None
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + raw)
    if not message.is_multipart():
        return None
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if not isinstance(name, str):
            continue
        filename = part.get_filename()
        if filename is not None:
            fields["filename"] = filename
            fields["content_type"] = part.get_content_type()
            fields["audio_bytes"] = len(data)
        else:
            fields[name] = data.decode("utf-8", "replace")
    return fields


def _last_user(body: dict[str, Any]) -> str:
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    content = users[-1].get("content", "") if users else ""
    return content if isinstance(content, str) else ""


def _usage(body: dict[str, Any], content: str) -> dict[str, int]:
    """Deterministic, roughly like a tokenizer: a token per four characters."""
    prompt = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
    prompt_tokens, completion_tokens = max(1, prompt // 4), max(1, len(content) // 4)
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--script", choices=sorted(SCRIPTS), default="questions")
    arguments = parser.parse_args(argv)
    fake = FakeOpenAI(arguments.port)
    fake.script(*SCRIPTS[arguments.script])
    print(f"listening on {fake.url}", flush=True)
    try:
        fake._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stopping.set()
        fake._server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
