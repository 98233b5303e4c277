"""An OpenAI-compatible chat-completions server on 127.0.0.1 that injects faults, for tests and benches.

A small asyncio HTTP/1.1 server (keep-alive, Content-Length bodies) in a background thread, so
hundreds of slow requests cost no threads. Answers are deterministic: `responder(messages)`, by
default an echo of the last user message. Faults are configured per prompt marker or per server
request count: latency, HTTP statuses with Retry-After, dropped connections, hangs, malformed JSON,
empty choices, missing content. It records every request, listens only on 127.0.0.1 and stops
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
from typing import Any, Callable, Literal, Sequence

FaultKind = Literal["status", "drop", "hang", "malformed", "empty_choices", "no_content", "slow"]
FAULT_KINDS: tuple[str, ...] = ("status", "drop", "hang", "malformed", "empty_choices", "no_content", "slow")
Responder = Callable[[list[dict[str, Any]]], str]


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

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {FAULT_KINDS}")
        if self.scope not in ("prompt", "server"):
            raise ValueError(f"scope must be 'prompt' or 'server', got {self.scope!r}")


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
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}/v1"

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
        self._ready.wait(10)
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
            server = await asyncio.start_server(self._connection, "127.0.0.1", self._port, backlog=2048)
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
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            while await self._exchange(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.CancelledError):
            pass
        finally:
            self._handlers.discard(task)
            writer.close()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; False when the connection must close."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False  # the client closed an idle keep-alive connection
        lines = head.decode("latin-1").split("\r\n")
        method, path, *_ = (lines[0].split(" ") + ["", ""])[:3]
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            await _send(writer, 411, {"error": {"message": "send a Content-Length body"}}, keep=False)
            return False
        length = headers.get("content-length") or "0"
        if not length.isdigit():
            await _send(writer, 400, {"error": {"message": "bad Content-Length"}}, keep=False)
            return False
        body = await reader.readexactly(int(length))
        keep = headers.get("connection", "").lower() != "close"
        path = path.split("?", 1)[0]
        if method == "POST" and path.endswith("/chat/completions"):
            return await self._chat(body, headers, reader, writer) and keep
        if method == "GET" and path.endswith("/models"):
            await _send(writer, 200, {"object": "list", "data": [{"id": self.model, "object": "model"}]}, keep)
            return keep
        await _send(writer, 404, {"error": {"message": f"no route {method} {path}"}}, keep)
        return keep

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

    async def _chat(self, raw: bytes, headers: dict[str, str], reader: asyncio.StreamReader,
                    writer: asyncio.StreamWriter) -> bool:
        try:
            body = json.loads(raw)
        except ValueError:
            await _send(writer, 400, {"error": {"message": "body is not JSON"}}, keep=True)
            return True
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list) or not messages:
            await _send(writer, 400, {"error": {"message": "messages must be a non-empty list"}}, keep=True)
            return True
        prompt = last_user_text(messages)
        fault = self._pick_fault(prompt)
        self.total += 1
        self.counts[prompt] += 1
        if self.record:
            self.received.append(Received(prompt, body, headers, fault.kind if fault else None))
        delay = fault.delay if fault is not None else self.latency
        if fault is not None and fault.kind == "hang":
            await reader.read()  # until the client gives up and closes, or the server stops
            return False
        if delay > 0:
            await asyncio.sleep(delay)
        kind = fault.kind if fault is not None else None
        if kind == "drop":
            return False  # close the socket without a response
        if kind == "status":
            assert fault is not None
            extra = {"retry-after": fault.retry_after} if fault.retry_after is not None else {}
            code = fault.status
            payload = {"error": {"message": f"injected {code}", "type": "stub_fault", "code": code}}
            await _send(writer, code, payload, keep=True, extra=extra)
            return True
        if kind == "malformed":
            await _send_raw(writer, 200, b'{"id": "stub", "choices": [{"message": {"content": "trunc', keep=True)
            return True
        try:
            content = self.responder(messages)
        except Exception as exc:  # the user's responder failing is the server's 500, not a crash
            await _send(writer, 500, {"error": {"message": f"responder raised {type(exc).__name__}"}}, keep=True)
            return True
        await _send(writer, 200, self._completion(body, messages, content, kind), keep=True)
        return True

    def _completion(self, body: dict[str, Any], messages: list[Any], content: str, kind: str | None) -> dict:
        """An OpenAI chat.completion object; usage counts whitespace tokens, logprobs only if asked."""
        words = content.split()
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in messages if isinstance(m, dict))
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if kind == "no_content":
            message = {"role": "assistant"}
        choice: dict[str, Any] = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
        if body.get("logprobs"):
            choice["logprobs"] = {"content": [
                {"token": w, "logprob": -0.1 * (len(w) % 7 + 1), "bytes": list(w.encode()), "top_logprobs": []}
                for w in words]}
        return {"id": f"chatcmpl-stub-{self.total}", "object": "chat.completion", "created": int(time.time()),
                "model": str(body.get("model", self.model)),
                "choices": [] if kind == "empty_choices" else [choice],
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(words),
                          "total_tokens": prompt_tokens + len(words)}}


async def _send(writer: asyncio.StreamWriter, status: int, payload: Any, keep: bool,
                extra: dict[str, str] | None = None) -> None:
    await _send_raw(writer, status, json.dumps(payload).encode(), keep, extra)


async def _send_raw(writer: asyncio.StreamWriter, status: int, payload: bytes, keep: bool,
                    extra: dict[str, str] | None = None) -> None:
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}", "content-type: application/json",
             f"content-length: {len(payload)}", f"connection: {'keep-alive' if keep else 'close'}"]
    lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
    await writer.drain()


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
