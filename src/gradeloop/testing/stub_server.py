"""An OpenAI-compatible chat-completions server on 127.0.0.1 that injects faults, for tests and benches.

A small asyncio HTTP/1.1 server (keep-alive, Content-Length bodies) in a background thread: each
connection is an asyncio Protocol and a delayed answer is a timer, so hundreds of slow requests
cost neither threads nor tasks. Answers are deterministic: `responder(messages)`, by
default an echo of the last user message. Faults are configured per prompt marker or per server
request count: latency, HTTP statuses with Retry-After, dropped connections, hangs, malformed JSON,
empty choices, missing content, a huge body (`huge`: `size` bytes of content with a Content-Length)
and an endless chunked body (`endless`: chunks until the client hangs up, at most 4 GiB). It records every request, listens only on 127.0.0.1 and stops
by itself after `lifetime` seconds.

    with StubServer(faults=[Fault("status", status=429, retry_after="1", times=1)]) as url:
        ...  # url == "http://127.0.0.1:PORT/v1"

Run standalone (e.g. in another process for a benchmark):
``python -m gradeloop.testing.stub_server --latency 0.1`` prints the base URL, serves until killed.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Callable, Literal, Sequence, cast

FaultKind = Literal["status", "drop", "hang", "malformed", "empty_choices", "no_content", "slow", "huge", "endless"]
FAULT_KINDS: tuple[str, ...] = ("status", "drop", "hang", "malformed", "empty_choices", "no_content", "slow",
                                "huge", "endless")
_ENDLESS_CHUNK = b"x" * 65536
_ENDLESS_LIMIT = 4 * 1024 ** 3  # an endless body still ends: the server stops by itself
# A responder returns the answer text, or {"content": str | None, "tool_calls": [{name, arguments}]}
# to answer with tool calls (arguments given as a string are sent as written, to test bad JSON).
Responder = Callable[[list[dict[str, Any]]], "str | dict[str, Any]"]
_MAX_HEAD = 64 * 1024


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected misbehaviour, for requests whose last user message contains `match` (None: all).

    `times` limits how many requests it hits (None: every one), counted per distinct prompt
    (`scope="prompt"`, so "each prompt fails twice then succeeds") or over the whole server.
    `delay` seconds pass before the fault is delivered (for `slow`: before the normal answer).
    """

    kind: FaultKind
    match: str | None = None
    times: int | None = None
    scope: Literal["prompt", "server"] = "prompt"
    status: int = 500
    retry_after: str | None = None  # Retry-After header value sent with a `status` fault
    delay: float = 0.0
    size: int = 16 * 1024 * 1024  # bytes of content in a `huge` answer

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        if self.scope not in ("prompt", "server"):
            raise ValueError(f"scope must be 'prompt' or 'server', got {self.scope!r}")
        if not 100 <= self.status <= 599:
            raise ValueError(f"status must be an HTTP status code, got {self.status}")


@dataclass(frozen=True, slots=True)
class Received:
    """One chat request as the server saw it, and which fault (if any) it got."""

    prompt: str
    body: dict[str, Any]
    headers: dict[str, str]
    fault: str | None
    at: float = field(default_factory=time.monotonic)


def echo(messages: list[dict[str, Any]]) -> str:
    """The default answer: the last user message, prefixed so tests can tell it from the input."""
    return f"echo: {last_user_text(messages)}"


def last_user_text(messages: Sequence[Any]) -> str:
    """The text of the last user message (content parts joined), or '' when there is none."""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return "".join(p.get("text", "") for p in content if isinstance(p, dict))
            return str(content) if content is not None else ""
    return ""


class StubServer:
    """Context manager serving /v1/chat/completions; `counts[prompt]` says how often each was asked."""

    def __init__(self, responder: Responder | None = None, *, latency: float = 0.0,
                 faults: Sequence[Fault] = (), model: str = "stub-model", lifetime: float = 600.0,
                 port: int = 0, record: bool = True) -> None:
        self.responder = responder or echo
        self.latency = latency
        self.faults = tuple(faults)
        self.model = model
        self.lifetime = lifetime
        self.record = record
        self.counts: Counter[str] = Counter()
        self.received: list[Received] = []
        self.total = 0
        self._port = port
        self._fault_hits: list[Counter[str]] = [Counter() for _ in self.faults]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._connections: set[_Connection] = set()
        self._in_flight = 0
        self._max_in_flight = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}/v1"

    @property
    def in_flight(self) -> int:
        """Requests received and not yet answered right now."""
        return self._in_flight

    @property
    def max_in_flight(self) -> int:
        """The most requests ever in flight at once: a client's concurrency, counted, not timed."""
        return self._max_in_flight

    def _request_started(self) -> None:
        self._in_flight += 1
        self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def _request_ended(self) -> None:
        self._in_flight -= 1

    @property
    def open_connections(self) -> int:
        """Client connections open right now (to check a client does not leak them)."""
        return len(self._connections)

    def count(self, marker: str) -> int:
        """Requests received whose prompt contains `marker`."""
        return sum(n for prompt, n in list(self.counts.items()) if marker in prompt)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> str:
        """Listen on a free port of 127.0.0.1 in a background thread; returns the base URL."""
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="stub-server", daemon=True)
        self._thread.start()
        self._ready.wait(120)  # a hang guard: a failed start sets it at once, with the error
        if self._error is not None or not self._ready.is_set():
            raise RuntimeError(f"stub server failed to start: {self._error}")
        return self.url

    def stop(self) -> None:
        """Close the listener and every open connection (hung requests included); idempotent."""
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            try:
                self._loop.call_soon_threadsafe(self._stop.set)
            except RuntimeError:  # the loop ended on its own (lifetime) in the meantime
                pass
        if self._thread is not None:
            self._thread.join(10)

    def wait(self, timeout: float | None = None) -> None:
        """Block until the server stops (by `stop()` or at the end of its lifetime)."""
        if self._thread is not None:
            self._thread.join(timeout)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            server = await self._loop.create_server(lambda: _Connection(self), "127.0.0.1", self._port, backlog=2048)
        except OSError as exc:
            self._error = exc
            self._ready.set()
            return
        self._port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            await asyncio.wait_for(self._stop.wait(), self.lifetime)
        except TimeoutError:
            pass
        server.close()
        for conn in list(self._connections):
            conn.close()
        await server.wait_closed()

    def _route(self, method: str, path: str, headers: dict[str, str], body: bytes) -> _Reply:
        """What to answer one request with, and after how long."""
        path = path.split("?", 1)[0]
        if method == "POST" and path.endswith("/chat/completions"):
            return self._chat(body, headers)
        if method == "GET" and path.endswith("/models"):
            return _Reply(_http(200, {"object": "list", "data": [{"id": self.model, "object": "model"}]}))
        return _Reply(_http(404, {"error": {"message": f"no route {method} {path}"}}))

    def _pick_fault(self, prompt: str) -> Fault | None:
        for fault, hits in zip(self.faults, self._fault_hits):
            if fault.match is not None and fault.match not in prompt:
                continue
            key = prompt if fault.scope == "prompt" else ""
            if fault.times is not None and hits[key] >= fault.times:
                continue
            hits[key] += 1
            return fault
        return None

    def _chat(self, raw: bytes, headers: dict[str, str]) -> _Reply:
        try:
            body = json.loads(raw)
        except ValueError:
            return _Reply(_http(400, {"error": {"message": "body is not JSON"}}))
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list) or not messages:
            return _Reply(_http(400, {"error": {"message": "messages must be a non-empty list"}}))
        prompt = last_user_text(messages)
        fault = self._pick_fault(prompt)
        self.total += 1
        self.counts[prompt] += 1
        if self.record:
            self.received.append(Received(prompt, body, headers, fault.kind if fault else None))
        if fault is None:
            return self._answer(body, messages, None, self.latency)
        kind, delay = fault.kind, fault.delay
        if kind == "hang":
            return _Reply(None, hang=True)  # until the client gives up and closes, or the server stops
        if kind == "drop":
            return _Reply(None, delay, close=True)  # close the socket without a response
        if kind == "status":
            extra = {"retry-after": fault.retry_after} if fault.retry_after is not None else {}
            payload = {"error": {"message": f"injected {fault.status}", "type": "stub_fault", "code": fault.status}}
            return _Reply(_http(fault.status, payload, extra), delay)
        if kind == "malformed":
            return _Reply(_http_raw(200, b'{"id": "stub", "choices": [{"message": {"content": "trunc'), delay)
        if kind == "endless":
            head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
            return _Reply(head, delay, endless=True)
        if kind == "huge":
            return _Reply(_http(200, self._completion(body, messages, "x" * fault.size, None)), delay)
        return self._answer(body, messages, kind, delay)

    def _answer(self, body: dict[str, Any], messages: list[Any], kind: str | None, delay: float) -> _Reply:
        try:
            content = self.responder(messages)
        except Exception as exc:  # the user's responder failing is the server's 500, not a crash
            return _Reply(_http(500, {"error": {"message": f"responder raised {type(exc).__name__}"}}), delay)
        calls: list[dict[str, Any]] = []
        if isinstance(content, dict):  # an answer with tool calls; content may be None beside them
            calls = [_wire_call(c, i) for i, c in enumerate(content.get("tool_calls") or [])]
            content = content.get("content")
        if not (isinstance(content, str) or (content is None and calls)):
            return _Reply(_http(500, {"error": {"message": f"responder returned {type(content).__name__}"}}), delay)
        return _Reply(_http(200, self._completion(body, messages, content, kind, calls)), delay)

    def _completion(self, body: dict[str, Any], messages: list[Any], content: str | None, kind: str | None,
                    calls: list[dict[str, Any]] | None = None) -> dict:
        """An OpenAI chat.completion object; usage counts whitespace tokens, logprobs only if asked."""
        words = (content or "").split()
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in messages if isinstance(m, dict))
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if calls:
            message["tool_calls"] = calls
        if kind == "no_content":
            message = {"role": "assistant"}
        choice: dict[str, Any] = {"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop",
                                  "logprobs": None}
        if body.get("logprobs"):
            choice["logprobs"] = {"content": [
                {"token": w, "logprob": -0.1 * (len(w) % 7 + 1), "bytes": list(w.encode()), "top_logprobs": []}
                for w in words]}
        return {"id": f"chatcmpl-stub-{self.total}", "object": "chat.completion", "created": int(time.time()),
                "model": str(body.get("model", self.model)),
                "choices": [] if kind == "empty_choices" else [choice],
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(words),
                          "total_tokens": prompt_tokens + len(words)}}


def _wire_call(call: dict[str, Any], index: int) -> dict[str, Any]:
    """A responder's `{name, arguments}` in OpenAI's wire form (arguments as a JSON string)."""
    args = call.get("arguments", {})
    return {"id": call.get("id", f"call_{index}"), "type": "function",
            "function": {"name": call["name"], "arguments": args if isinstance(args, str) else json.dumps(args)}}


@dataclass(frozen=True, slots=True)
class _Reply:
    """Bytes to write after `delay` seconds (None: nothing), then close, or hang until the client leaves."""

    payload: bytes | None
    delay: float = 0.0
    close: bool = False
    hang: bool = False
    endless: bool = False  # after `payload` (a chunked head), send chunks until the client leaves


def _http(status: int, payload: Any, extra: dict[str, str] | None = None) -> bytes:
    return _http_raw(status, json.dumps(payload).encode(), extra)


def _http_raw(status: int, payload: bytes, extra: dict[str, str] | None = None) -> bytes:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Status"
    lines = [f"HTTP/1.1 {status} {reason}", "content-type: application/json",
             f"content-length: {len(payload)}"]
    lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload


class _Connection(asyncio.Protocol):
    """One client connection: parses requests one at a time and answers each on a timer."""

    def __init__(self, server: StubServer) -> None:
        self.server = server
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.busy = False
        self.timer: asyncio.TimerHandle | None = None
        self.in_flight = False  # a request of this connection is received and not answered

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.server._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server._connections.discard(self)
        self._answered()
        if self.timer is not None:
            self.timer.cancel()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.busy:
            self._next()

    def _next(self) -> None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > _MAX_HEAD:
                self._finish(_Reply(_http(431, {"error": {"message": "request head too large"}}), close=True))
            return
        lines = self.buffer[:end].decode("latin-1").split("\r\n")
        method, path, *_ = (lines[0].split(" ") + ["", ""])[:3]
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        length = headers.get("content-length") or "0"
        if "chunked" in headers.get("transfer-encoding", "").lower() or not length.isdigit():
            self._finish(_Reply(_http(411, {"error": {"message": "send a Content-Length body"}}), close=True))
            return
        stop = end + 4 + int(length)
        if len(self.buffer) < stop:
            return  # the body is still arriving
        body = bytes(self.buffer[end + 4:stop])
        del self.buffer[:stop]
        self.busy = True
        self.in_flight = True
        self.server._request_started()
        reply = self.server._route(method, path, headers, body)
        if headers.get("connection", "").lower() == "close":
            reply = _Reply(reply.payload, reply.delay, close=True, hang=reply.hang)
        if reply.hang:
            return
        if reply.delay > 0:
            self.timer = asyncio.get_running_loop().call_later(reply.delay, self._finish, reply)
        else:
            self._finish(reply)

    def _answered(self) -> None:
        if self.in_flight:
            self.in_flight = False
            self.server._request_ended()

    def _finish(self, reply: _Reply) -> None:
        self.timer = None
        self._answered()
        if self.transport is None or self.transport.is_closing():
            return
        if reply.payload is not None:
            self.transport.write(reply.payload)
        if reply.endless:
            self._pump(0)
            return
        if reply.close:
            self.transport.close()
            return
        self.busy = False
        if self.buffer:
            self._next()


    def _pump(self, sent: int) -> None:
        """One chunk of an endless body now, the next soon; stops when the client closes (or at 4 GiB)."""
        if self.transport is None or self.transport.is_closing() or sent >= _ENDLESS_LIMIT:
            if self.transport is not None:
                self.transport.close()
            return
        loop = asyncio.get_running_loop()
        if self.transport.get_write_buffer_size() > (1 << 20):  # the client reads slower: wait for it
            self.timer = loop.call_later(0.005, self._pump, sent)
            return
        self.transport.write(b"%x\r\n%s\r\n" % (len(_ENDLESS_CHUNK), _ENDLESS_CHUNK))
        self.timer = loop.call_later(0, self._pump, sent + len(_ENDLESS_CHUNK))


def main(argv: Sequence[str] | None = None) -> None:
    """Serve in the foreground: prints the base URL on one line, then serves until killed or `lifetime`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--lifetime", type=float, default=600.0, help="stop after this many seconds")
    args = parser.parse_args(argv)
    server = StubServer(latency=args.latency, port=args.port, lifetime=args.lifetime, record=False)
    print(server.start(), flush=True)
    try:
        server.wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
