"""A lean HTTP/1.1 keep-alive transport, for many concurrent calls to one plain-http endpoint.

httpx's default transport (httpcore over anyio) rescans its whole pool on every request; with the
client layer it cost 0.4-1 ms of CPU per call here (this path: ~0.1 ms), which caps a 2-core
machine far below what a local vLLM server takes at 256 concurrent requests. This transport
speaks just what a JSON API needs: one request per connection at a time, Content-Length or
chunked bodies, a LIFO stack of idle connections, httpx's exceptions. `exchange()` is the fast
path; as an httpx transport it also serves any AsyncClient. TLS and proxies stay with httpx's
default transport (see `OpenAITarget`).
"""
from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any, Sequence

import httpx

_MAX_HEAD = 64 * 1024
_UNBOUNDED = contextlib.nullcontext()  # the caller bounds the exchange (no timer per request)
_READ_PIECE = 64 * 1024


class ResponseTooLarge(httpx.TransportError):
    """The response body (declared, chunked or read to close) is longer than the caller's limit.

    Raised as soon as the limit is passed, so an endless body costs at most the limit in memory.
    """


async def read_capped(response: httpx.Response, max_bytes: int | None) -> bytes:
    """An httpx streaming response's body, refusing it past `max_bytes` (declared or received)."""
    declared = response.headers.get("content-length", "")
    if max_bytes is not None and declared.isdigit() and int(declared) > max_bytes:
        raise ResponseTooLarge(f"response body of {declared} bytes is over the limit of {max_bytes}")
    parts: list[bytes] = []
    total = 0
    async for part in response.aiter_bytes():
        total += len(part)
        if max_bytes is not None and total > max_bytes:
            raise ResponseTooLarge(f"response body over the limit of {max_bytes} bytes")
        parts.append(part)
    return b"".join(parts)


class _Conn:
    """One open socket and whether it may carry another request."""

    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def reusable(self) -> bool:
        # A server that closed an idle connection has already delivered EOF to the reader.
        return not (self.reader.at_eof() or self.writer.is_closing() or self.reader._buffer)  # type: ignore[attr-defined]

    def close(self) -> None:
        self.writer.close()


@dataclass(frozen=True, slots=True)
class RawResponse:
    """Status, headers (as sent, lower-cased names) and the whole body of one response."""

    status: int
    reason: bytes
    headers: list[tuple[bytes, bytes]]
    content: bytes

    def header_map(self) -> dict[str, str]:
        return {k.decode("latin-1"): v.decode("latin-1") for k, v in self.headers}


class LeanTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 over asyncio streams with up to `max_keepalive` idle connections per origin.

    `exchange()` is the fast path (no httpx Request/Response objects); `handle_async_request`
    makes it usable as any httpx client's transport.
    """

    def __init__(self, max_keepalive: int = 16) -> None:
        self.max_keepalive = max_keepalive
        self._idle: dict[tuple[str, int], list[_Conn]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts: dict[str, Any] = request.extensions.get("timeout", {})
        body = await request.aread()
        raw = await self.exchange(request.method, request.url, request.headers.raw, body,
                                  timeouts.get("connect"), timeouts.get("read"), request)
        return httpx.Response(raw.status, headers=raw.headers, stream=httpx.ByteStream(raw.content),
                              extensions={"http_version": b"HTTP/1.1", "reason_phrase": raw.reason})

    async def exchange(self, method: str, url: httpx.URL, headers: Sequence[tuple[bytes, bytes]], body: bytes,
                       connect_timeout: float | None = None, read_timeout: float | None = None,
                       request: httpx.Request | None = None, max_body: int | None = None) -> RawResponse:
        """Send one request and read the whole response; failures raise httpx's transport errors.

        A body longer than `max_body` raises ResponseTooLarge (and the connection is dropped).
        """
        if url.scheme != "http":
            raise httpx.UnsupportedProtocol(f"LeanTransport speaks plain http, not {url.scheme}", request=request)
        origin = (url.host, url.port or 80)
        conn = self._checkout(origin)
        if conn is None:
            conn = await self._connect(origin, connect_timeout, request)
        try:
            async with asyncio.timeout(read_timeout) if read_timeout is not None else _UNBOUNDED:
                _write(conn, method, url, headers, body)
                await conn.writer.drain()
                raw, keep = await _read(conn.reader, method, request, max_body)
        except TimeoutError:
            conn.close()
            raise httpx.ReadTimeout("timed out waiting for the response", request=request) from None
        except (ConnectionError, OSError) as exc:
            conn.close()
            raise httpx.ReadError(f"{type(exc).__name__}: {exc}", request=request) from None
        except BaseException:  # cancelled or protocol error: the socket state is unknown
            conn.close()
            raise
        if keep:
            self._checkin(origin, conn)
        else:
            conn.close()
        return raw

    async def aclose(self) -> None:
        for conns in self._idle.values():
            for conn in conns:
                conn.close()
        self._idle.clear()

    def _checkout(self, origin: tuple[str, int]) -> _Conn | None:
        stack = self._idle.get(origin)
        while stack:
            conn = stack.pop()
            if conn.reusable():
                return conn
            conn.close()
        return None

    def _checkin(self, origin: tuple[str, int], conn: _Conn) -> None:
        stack = self._idle.setdefault(origin, [])
        if len(stack) < self.max_keepalive:
            stack.append(conn)
        else:
            conn.close()

    async def _connect(self, origin: tuple[str, int], timeout: float | None,
                       request: httpx.Request | None) -> _Conn:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(*origin, limit=_MAX_HEAD)
        except TimeoutError:
            raise httpx.ConnectTimeout(f"connecting to {origin[0]}:{origin[1]} timed out", request=request) from None
        except OSError as exc:
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}", request=request) from None
        return _Conn(reader, writer)


def _write(conn: _Conn, method: str, url: httpx.URL, headers: Sequence[tuple[bytes, bytes]], body: bytes) -> None:
    """Request head and body in one write (one segment, no Nagle stall between them)."""
    parts = [method.encode("ascii"), b" ", url.raw_path, b" HTTP/1.1\r\nHost: ", url.netloc,
             b"\r\nContent-Length: ", str(len(body)).encode("ascii")]
    for name, value in headers:
        if name.lower() not in (b"host", b"content-length", b"transfer-encoding"):
            parts += (b"\r\n", name, b": ", value)
    parts += (b"\r\n\r\n", body)
    conn.writer.write(b"".join(parts))


async def _read(reader: asyncio.StreamReader, method: str,
                request: httpx.Request | None, max_body: int | None = None) -> tuple[RawResponse, bool]:
    """One response; `keep` says whether the connection may carry another request."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        what = "inside the response head" if exc.partial else "without sending a response"
        raise httpx.RemoteProtocolError(f"server disconnected {what}", request=request) from None
    except asyncio.LimitOverrunError:
        raise httpx.RemoteProtocolError("response head larger than 64 KiB", request=request) from None
    status_line, *header_lines = head[:-4].split(b"\r\n")
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise httpx.RemoteProtocolError(f"bad status line {status_line[:80]!r}", request=request)
    version, status, reason = parts[0], int(parts[1]), parts[2] if len(parts) > 2 else b""
    headers: list[tuple[bytes, bytes]] = []
    length: int | None = None
    chunked = False
    connection = b""
    for line in header_lines:
        name, sep, value = line.partition(b":")
        if not sep:
            raise httpx.RemoteProtocolError(f"bad header line {line[:80]!r}", request=request)
        name, value = name.strip().lower(), value.strip()
        if name == b"content-length":
            if not value.isdigit():
                raise httpx.RemoteProtocolError(f"bad Content-Length {value[:40]!r}", request=request)
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            connection = value.lower()
        headers.append((name, value))
    keep = connection != b"close" and (version != b"HTTP/1.0" or connection == b"keep-alive")
    try:
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            body = b""
        elif chunked:
            body = await _read_chunked(reader, max_body, request)
        elif length is not None:
            if max_body is not None and length > max_body:
                raise ResponseTooLarge(f"response body of {length} bytes is over the limit of {max_body}",
                                       request=request)
            body = await reader.readexactly(length)
        else:  # delimited by the server closing the connection
            body, keep = await _read_to_close(reader, max_body, request), False
    except asyncio.IncompleteReadError:
        raise httpx.RemoteProtocolError("server disconnected inside the response body", request=request) from None
    except (ValueError, asyncio.LimitOverrunError):
        raise httpx.RemoteProtocolError("bad chunked body", request=request) from None
    return RawResponse(status, reason, headers, body), keep


async def _read_to_close(reader: asyncio.StreamReader, max_body: int | None,
                         request: httpx.Request | None) -> bytes:
    parts: list[bytes] = []
    total = 0
    while part := await reader.read(_READ_PIECE):
        total += len(part)
        if max_body is not None and total > max_body:
            raise ResponseTooLarge(f"response body over the limit of {max_body} bytes", request=request)
        parts.append(part)
    return b"".join(parts)


async def _read_chunked(reader: asyncio.StreamReader, max_body: int | None = None,
                        request: httpx.Request | None = None) -> bytes:
    chunks = []
    total = 0
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
        total += size
        if max_body is not None and total > max_body:  # before reading: a chunk may claim any size
            raise ResponseTooLarge(f"response body over the limit of {max_body} bytes", request=request)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                pass
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
