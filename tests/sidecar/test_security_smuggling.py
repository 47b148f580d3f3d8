"""Request smuggling: the upstream must frame the body exactly as the proxy sends it.

h11 (uvicorn ``--http h11``, hypercorn) accepts a request with both ``Content-Length`` and
``Transfer-Encoding: chunked`` and de-chunks the body by ``Transfer-Encoding``. If the proxy then
forwarded the client's ``Content-Length`` with the de-chunked body, the upstream would read only
``Content-Length`` bytes and take the rest as a second request that never passed the decision.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import h11

from refreshgate.config.model import UpstreamConfig
from refreshgate.core.request import Decision
from refreshgate.sidecar.headers import RequestHeaders
from refreshgate.sidecar.pool import Pool

SMUGGLED = b"GET /admin HTTP/1.1\r\nhost: app\r\n\r\n"


async def _upstream(received: list[bytes]) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = b""
        while True:
            try:
                chunk = await asyncio.wait_for(reader.read(65536), 0.3)
            except TimeoutError:
                break
            if not chunk:
                break
            data += chunk
        received.append(data)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


def _requests_in(data: bytes) -> list[tuple[bytes, bytes]]:
    """(target, body) of every request an HTTP/1.1 server would read from ``data``."""
    conn, out, body, target = h11.Connection(h11.SERVER), [], b"", b""
    conn.receive_data(data)
    while True:
        event = conn.next_event()
        if isinstance(event, h11.Request):
            target, body = event.target, b""
        elif isinstance(event, h11.Data):
            body += bytes(event.data)
        elif isinstance(event, h11.EndOfMessage):
            out.append((target, body))
            rest = bytes(conn.trailing_data[0])
            conn = h11.Connection(h11.SERVER)
            conn.receive_data(rest)
        else:
            return out


def test_client_content_length_is_not_forwarded_with_a_chunked_body() -> None:
    async def run() -> list[bytes]:
        received: list[bytes] = []
        server = await _upstream(received)
        port = server.sockets[0].getsockname()[1]
        pool = Pool(f"http://127.0.0.1:{port}", limit=4, connect_timeout=2, read_timeout=2)
        body = b"x=1" + SMUGGLED  # what the ASGI server de-chunked from the client's request
        raw = [
            (b"host", b"gate"),
            (b"content-length", b"3"),
            (b"transfer-encoding", b"chunked"),
        ]
        headers = RequestHeaders(UpstreamConfig(url="http://app")).build(
            raw, Decision("pass"), client="203.0.113.9", scheme="http"
        )

        async def chunks() -> AsyncIterator[bytes]:
            yield body

        response = await pool.request("POST", b"/public", headers, chunks())
        await response.small_body()
        response.release()
        await pool.close()
        server.close()
        await server.wait_closed()
        return received

    received = asyncio.run(run())
    requests = _requests_in(b"".join(received))
    assert requests == [(b"/public", b"x=1" + SMUGGLED)]
