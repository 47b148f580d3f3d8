"""A lean HTTP/1.1 keep-alive client pool: ``asyncio.Protocol`` + the ``httptools`` parser.

Chosen over aiohttp by measurement (see the sidecar bench): per request it costs one write, one
parse in ``data_received`` and one or two wake-ups. Bodies stream both ways with back-pressure:
request chunks wait for the transport to drain, and reading pauses above ``_HIGH`` buffered
response bytes. Only the proxy uses it, so it does only what the proxy needs.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import Any, cast
from urllib.parse import urlsplit

import httptools

__all__ = ["ConnectFailed", "Pool", "PoolResponse", "ProtocolError", "ReadTimeout"]

_HIGH = 256 * 1024
_SMALL = 64 * 1024
#: a kept-alive connection found closed before any answer is retried once for these methods only
_RETRYABLE = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class ProtocolError(ConnectionError):
    """The upstream closed the connection early or sent something that is not HTTP/1.1."""


class ConnectFailed(ConnectionError):
    """No connection could be opened (refused, unreachable)."""


class ReadTimeout(TimeoutError):
    """The upstream did not connect or send anything for longer than the timeout."""


class _Connection(asyncio.Protocol):
    """One upstream connection; parses responses as bytes arrive."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.used = False
        self._waiter: asyncio.Future[None] | None = None
        self._drain: asyncio.Future[None] | None = None
        self._paused = False
        self._new_message()

    def _new_message(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.head = self.done = self.until_close = self.keep_alive = False
        self.length: int | None = None
        self.error: Exception | None = None

    # -- asyncio.Protocol ---------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.error = ProtocolError("malformed response from upstream")
            self.error.__cause__ = exc
            self.close()
        self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.until_close:
            self.done = True
        if not self.done and self.error is None:
            self.error = ProtocolError("upstream closed the connection")
        self._wake()
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    def pause_writing(self) -> None:
        self._drain = self.loop.create_future()

    def resume_writing(self) -> None:
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)
        self._drain = None

    # -- httptools callbacks ------------------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self.head = True
        framed = False
        for key, value in self.headers:
            lower = key.lower()
            if lower == b"content-length" and value.strip().isdigit():
                self.length, framed = int(value), True
            elif lower == b"transfer-encoding":
                framed = True
        # httptools has no end-of-input call: a body delimited by close ends in connection_lost
        self.until_close = not framed and self.parser.get_status_code() not in (204, 304)

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > _HIGH and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()

    def on_message_complete(self) -> None:
        # read now: the parser forgets it once the message is complete
        self.keep_alive = self.parser.should_keep_alive()
        self.done = True

    # -- used by the pool ---------------------------------------------------------------------
    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def wait(self, timeout: float) -> None:
        """Until more has arrived (or the connection ended); ReadTimeout after ``timeout``."""
        if self.error is not None:
            raise self.error
        self._waiter = waiter = self.loop.create_future()
        timer = self.loop.call_later(timeout, _expire, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None
        if self.error is not None and not self.chunks:
            raise self.error

    def take(self) -> bytes:
        """Every buffered body byte (resumes reading when it was paused)."""
        data = b"".join(self.chunks) if len(self.chunks) != 1 else self.chunks[0]
        self.chunks.clear()
        self.buffered = 0
        if self._paused and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        return data

    async def write(self, data: bytes) -> None:
        """Write and wait while the transport's buffer is full."""
        if self.closed or self.transport is None:
            raise self.error or ProtocolError("upstream closed the connection")
        self.transport.write(data)
        if self._drain is not None:
            await self._drain

    def close(self) -> None:
        """Close the transport (the connection is not returned to the pool)."""
        self.closed = True
        if self.transport is not None:
            self.transport.close()


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(ReadTimeout("upstream read timed out"))


class PoolResponse:
    """An upstream response: status and raw headers now, the body as it arrives."""

    def __init__(self, pool: Pool, conn: _Connection, head_only: bool) -> None:
        self._pool, self._conn = pool, conn
        self.status: int = conn.parser.get_status_code()
        self.headers = conn.headers
        self._head_only = head_only
        self._released = False

    async def small_body(self) -> bytes | None:
        """The whole body when it is at most ``_SMALL`` bytes (relay it in one piece), else ``None``."""
        conn = self._conn
        if self._head_only:
            return b""
        if not conn.done:
            if conn.length is None or conn.length > _SMALL:
                return None
            while not conn.done:
                await conn.wait(self._pool.read_timeout)
        return conn.take()

    async def body(self) -> AsyncIterator[bytes]:
        """The body chunk by chunk until the message is complete."""
        conn = self._conn
        while not self._head_only:
            if conn.chunks:
                yield conn.take()
            elif conn.done:
                return
            else:
                await conn.wait(self._pool.read_timeout)

    def release(self) -> None:
        """Hand the connection back for reuse when the exchange completed cleanly."""
        if self._released:
            return
        self._released = True
        conn = self._conn
        reusable = conn.done and not conn.closed and not self._head_only and conn.keep_alive
        self._pool.put_back(conn, reusable)


class Pool:
    """Keep-alive connections to one ``http://host:port`` origin, at most ``limit`` at once."""

    def __init__(self, url: str, *, limit: int, connect_timeout: float, read_timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError("the built-in pool speaks plain http:// only")
        self.host, self.port = parts.hostname, parts.port or 80
        self.prefix = parts.path.rstrip("/").encode()
        self.host_header = parts.netloc.encode("idna")
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(limit)
        self._all: set[_Connection] = set()

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, conn = await loop.create_connection(lambda: _Connection(loop), self.host, self.port)
        except TimeoutError as exc:
            raise ReadTimeout("upstream connect timed out") from exc
        except OSError as exc:
            raise ConnectFailed(f"cannot connect to upstream ({exc.strerror or type(exc).__name__})") from exc
        self._all.add(conn)
        return conn

    def _checkout(self) -> _Connection | None:
        while self._idle:
            conn = self._idle.pop()
            if not conn.closed:
                conn._new_message()
                return conn
        return None

    def put_back(self, conn: _Connection, reusable: bool) -> None:
        """Return a connection (or close it) and free its slot."""
        if reusable:
            conn.used = True
            self._idle.append(conn)
        else:
            conn.close()
            self._all.discard(conn)
        self._slots.release()

    async def request(
        self,
        method: str,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        body: AsyncIterator[bytes] | None,
    ) -> PoolResponse:
        """Send one request; returns once the response head is in. Release the response after."""
        chunked = body is not None and not any(key == b"content-length" for key, _ in headers)
        head = _head(method, self.prefix + target, self.host_header, headers, chunked=chunked)
        await self._slots.acquire()
        try:
            conn = self._checkout()
            if conn is not None and body is None and method in _RETRYABLE:
                try:
                    return await self._exchange(conn, method, head, None, chunked=False)
                except ProtocolError:
                    # a kept-alive connection the upstream had closed meanwhile: one fresh try
                    if conn.head:
                        raise
                    conn.close()
                    conn = None
            if conn is None:
                conn = await self._connect()
            return await self._exchange(conn, method, head, body, chunked=chunked)
        except BaseException:
            self._slots.release()
            raise

    async def _exchange(
        self,
        conn: _Connection,
        method: str,
        head: bytes,
        body: AsyncIterator[bytes] | None,
        *,
        chunked: bool,
    ) -> PoolResponse:
        try:
            await conn.write(head)
            if body is not None:
                await _send_body(conn, body, chunked=chunked)
            while not conn.head:
                await conn.wait(self.read_timeout)
            while 100 <= conn.parser.get_status_code() < 200:  # interim (103): skip to the final answer
                conn._new_message()
                while not conn.head:
                    await conn.wait(self.read_timeout)
        except BaseException:
            conn.close()
            self._all.discard(conn)
            raise
        return PoolResponse(self, conn, head_only=method == "HEAD")

    async def close(self) -> None:
        """Close every connection."""
        for conn in list(self._all):
            conn.close()
        self._all.clear()
        self._idle.clear()


def _head(
    method: str, target: bytes, host: bytes, headers: list[tuple[bytes, bytes]], *, chunked: bool
) -> bytes:
    lines: list[Any] = [method.encode("ascii"), b" ", target, b" HTTP/1.1\r\nhost: ", host, b"\r\n"]
    for key, value in headers:
        lines += [key, b": ", value, b"\r\n"]
    lines.append(b"transfer-encoding: chunked\r\n\r\n" if chunked else b"\r\n")
    return b"".join(lines)


async def _send_body(conn: _Connection, body: AsyncIterator[bytes], *, chunked: bool) -> None:
    async for chunk in body:
        if chunked:
            await conn.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        else:
            await conn.write(chunk)
    if chunked:
        await conn.write(b"0\r\n\r\n")
