"""A keep-alive HTTP/1.1 client pool on `asyncio.Protocol` + httptools (no StreamReader).

Same contract as `bench.apps.rawpool`, fewer hops per request: the parser runs inside
`data_received`, and the waiting coroutine is woken once for the head and once per body batch.
Response bodies are streamed with back-pressure (reading pauses above `_HIGH` buffered bytes);
request bodies are written with Content-Length or chunked framing and wait for the transport
to drain. `Response.complete_body` tells the caller when the whole body came with the head, so
a small response can be relayed in one piece.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import cast
from urllib.parse import urlsplit

import httptools

_HIGH = 256 * 1024
_NO_BODY_STATUS = frozenset({204, 304})


class UpstreamClosed(ConnectionError):
    """The upstream closed the connection before the response was complete."""


class _Conn(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.lost = False
        self.reused = False
        self._waiter: asyncio.Future[None] | None = None
        self._drain: asyncio.Future[None] | None = None
        self.reset()

    def reset(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.buffered = 0
        self.head_done = self.complete = False

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.lost = True
            assert self.transport is not None
            self.transport.close()
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self._wake()
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    def pause_writing(self) -> None:
        self._drain = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)
        self._drain = None

    # -- httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.head_done = True

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > _HIGH and self.transport is not None:
            self.transport.pause_reading()

    def on_message_complete(self) -> None:
        self.complete = True

    # -- used by the pool
    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def wait(self) -> None:
        self._waiter = asyncio.get_running_loop().create_future()
        await self._waiter
        self._waiter = None

    async def drain(self) -> None:
        if self._drain is not None:
            await self._drain

    def take(self) -> list[bytes]:
        chunks, self.chunks, self.buffered = self.chunks, [], 0
        if self.transport is not None and not self.lost:
            self.transport.resume_reading()
        return chunks


class Response:
    """Status and headers are in; `body()` streams the rest, then frees the connection."""

    def __init__(self, pool: Pool, conn: _Conn, bodiless: bool) -> None:
        self.pool, self._conn = pool, conn
        self.status = conn.parser.get_status_code()
        self.headers = conn.headers
        names = {k.lower() for k, _ in conn.headers}
        self._framed = b"content-length" in names or b"transfer-encoding" in names
        if bodiless or self.status < 200 or self.status in _NO_BODY_STATUS:
            conn.complete, conn.chunks = True, []

    @property
    def complete_body(self) -> bytes | None:
        """The whole body if it already arrived with the head (and free the connection)."""
        if not self._conn.complete:
            return None
        body = b"".join(self._conn.take())
        self._release()
        return body

    def _release(self) -> None:
        conn = self._conn
        self.pool.release(conn, conn.complete and self._framed and conn.parser.should_keep_alive())

    async def body(self) -> AsyncIterator[bytes]:
        conn = self._conn
        try:
            while True:
                if conn.chunks:  # check again after every yield: data may arrive meanwhile
                    for chunk in conn.take():
                        yield chunk
                    continue
                if conn.complete:
                    return
                if conn.lost:
                    if self._framed:
                        raise UpstreamClosed("upstream closed in the middle of the body")
                    return  # body delimited by connection close
                await conn.wait()
        finally:
            self._release()


class Pool:
    """Keep-alive connections to one `http://host:port` upstream."""

    def __init__(self, base_url: str, max_idle: int = 100) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"only http:// upstreams are supported, not {base_url!r}")
        self.host, self.port = parts.hostname, parts.port or 80
        self.host_line = b"host: " + parts.netloc.encode()
        self.max_idle = max_idle
        self._idle: deque[_Conn] = deque()

    async def _acquire(self) -> _Conn:
        while self._idle:
            conn = self._idle.pop()
            if not conn.lost:
                conn.reused = True
                return conn
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(_Conn, self.host, self.port)
        return conn

    def release(self, conn: _Conn, reuse: bool) -> None:
        if reuse and not conn.lost and len(self._idle) < self.max_idle:
            conn.reset()
            self._idle.append(conn)
        elif conn.transport is not None:
            conn.transport.close()

    async def close(self) -> None:
        while self._idle:
            conn = self._idle.pop()
            if conn.transport is not None:
                conn.transport.close()

    async def request(
        self,
        method: str,
        target: str,
        headers: list[tuple[bytes, bytes]],
        body: AsyncIterator[bytes] | None = None,
    ) -> Response:
        """Send the request; return once the response head is in. A stale pooled connection
        is retried once, only for requests without a body."""
        for attempt in (1, 2):
            conn = await self._acquire()
            try:
                return await self._exchange(conn, method, target, headers, body)
            except UpstreamClosed:
                if conn.transport is not None:
                    conn.transport.close()
                if attempt == 2 or not conn.reused or body is not None:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(
        self,
        conn: _Conn,
        method: str,
        target: str,
        headers: list[tuple[bytes, bytes]],
        body: AsyncIterator[bytes] | None,
    ) -> Response:
        assert conn.transport is not None
        chunked = body is not None and not any(k.lower() == b"content-length" for k, _ in headers)
        lines = [f"{method} {target} HTTP/1.1".encode(), self.host_line]
        lines += [k + b": " + v for k, v in headers]
        if chunked:
            lines.append(b"transfer-encoding: chunked")
        conn.transport.write(b"\r\n".join(lines) + b"\r\n\r\n")
        if body is not None:
            async for chunk in body:
                if chunk and not conn.lost:
                    conn.transport.write(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
                    await conn.drain()
            if chunked:
                conn.transport.write(b"0\r\n\r\n")
        while not conn.head_done:
            if conn.lost:
                raise UpstreamClosed("upstream closed before the response head")
            await conn.wait()
        return Response(self, conn, bodiless=method == "HEAD")
