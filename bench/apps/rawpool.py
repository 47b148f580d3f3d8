"""A hand-written HTTP/1.1 keep-alive client pool: asyncio streams + the httptools parser.

Just enough for a reverse proxy: one request per connection at a time, request bodies streamed
with their Content-Length (or chunked when the length is unknown), response bodies streamed as
they arrive, framed by Content-Length, chunked encoding or connection close; HEAD/1xx/204/304 have
no body. A connection returns to the pool only after its response was read to the end and the
upstream allows keep-alive; a pooled connection that turns out to be closed before any byte of
the answer is retried once on a new connection (only for requests without a body).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httptools

_NO_BODY_STATUS = frozenset({204, 304})
_CHUNK = 65536


class UpstreamClosed(ConnectionError):
    """The upstream closed the connection before the response was complete."""


class _Parse:
    """httptools callback target: collects the head, then body chunks as they are parsed."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.head_done = False
        self.complete = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.head_done = True

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer, self.reused = reader, writer, False

    def usable(self) -> bool:
        return not (self.writer.is_closing() or self.reader.at_eof())

    def close(self) -> None:
        self.writer.close()


class Response:
    """Status and headers are read; `body()` streams the rest and then releases the connection."""

    def __init__(self, pool: Pool, conn: _Conn, parse: _Parse, bodiless: bool) -> None:
        self.pool, self._conn, self._parse = pool, conn, parse
        self.status = parse.parser.get_status_code()
        self.headers = parse.headers
        names = {k.lower() for k, _ in parse.headers}
        self._framed = b"content-length" in names or b"transfer-encoding" in names
        if bodiless or self.status < 200 or self.status in _NO_BODY_STATUS:
            parse.complete, parse.chunks = True, []

    async def body(self) -> AsyncIterator[bytes]:
        parse, reuse = self._parse, False
        try:
            while True:
                chunks, parse.chunks = parse.chunks, []
                for chunk in chunks:
                    yield chunk
                if parse.complete:
                    reuse = self._framed and parse.parser.should_keep_alive()
                    return
                data = await self._conn.reader.read(_CHUNK)
                if not data:
                    if self._framed:
                        raise UpstreamClosed("upstream closed in the middle of the body")
                    return  # body delimited by connection close
                parse.parser.feed_data(data)
        finally:
            self.pool.release(self._conn, reuse)


class Pool:
    """Keep-alive connections to one `http://host:port` upstream."""

    def __init__(self, base_url: str, max_idle: int = 100) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"only http:// upstreams are supported, not {base_url!r}")
        self.host, self.port = parts.hostname, parts.port or 80
        self.host_header = parts.netloc.encode()
        self.max_idle = max_idle
        self._idle: deque[_Conn] = deque()

    async def _acquire(self) -> _Conn:
        while self._idle:
            conn = self._idle.pop()
            if conn.usable():
                conn.reused = True
                return conn
            conn.close()
        reader, writer = await asyncio.open_connection(self.host, self.port, limit=_CHUNK * 4)
        return _Conn(reader, writer)

    def release(self, conn: _Conn, reuse: bool) -> None:
        if reuse and conn.usable() and len(self._idle) < self.max_idle:
            self._idle.append(conn)
        else:
            conn.close()

    async def close(self) -> None:
        while self._idle:
            self._idle.pop().close()

    async def request(
        self,
        method: str,
        target: str,
        headers: list[tuple[bytes, bytes]],
        body: AsyncIterator[bytes] | None = None,
    ) -> Response:
        """Send the request; return once the response head is in. Retries a stale pooled
        connection once, and only when nothing of the request body was consumed."""
        for attempt in (1, 2):
            conn = await self._acquire()
            try:
                return await self._exchange(conn, method, target, headers, body)
            except (UpstreamClosed, ConnectionResetError, BrokenPipeError):
                conn.close()
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
        chunked = body is not None and not any(k.lower() == b"content-length" for k, _ in headers)
        lines = [f"{method} {target} HTTP/1.1".encode(), b"host: " + self.host_header]
        lines += [k + b": " + v for k, v in headers]
        if chunked:
            lines.append(b"transfer-encoding: chunked")
        conn.writer.write(b"\r\n".join(lines) + b"\r\n\r\n")
        if body is not None:
            async for chunk in body:
                if chunk:
                    conn.writer.write(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
                    await conn.writer.drain()
            if chunked:
                conn.writer.write(b"0\r\n\r\n")
        await conn.writer.drain()
        parse = _Parse()
        while not parse.head_done:
            data = await conn.reader.read(_CHUNK)
            if not data:
                raise UpstreamClosed("upstream closed before the response head")
            parse.parser.feed_data(data)
        return Response(self, conn, parse, bodiless=method == "HEAD")
