"""Minimal pure-ASGI reverse proxies, one per candidate data-plane client.

Each forwards method, path, query and headers (hop-by-hop removed), streams the request body up
and the response body back, and keeps one shared keep-alive pool to the upstream
(`BENCH_UPSTREAM`, e.g. http://127.0.0.1:9000). They do exactly the same work, so their
throughput differs only by the client underneath:

- `httpx_app`          shared `httpx.AsyncClient`, pool limits raised
- `aiohttp_app`        shared `aiohttp.ClientSession`, TCPConnector(limit=100)
- `httpx_aiohttp_app`  httpx API over the `httpx-aiohttp` transport
- `raw_app`            `bench.apps.rawpool`: asyncio streams + httptools parser
- `proto_app`          `bench.apps.protopool`: asyncio.Protocol + httptools parser, and a
                       small body that arrived with the head is relayed in one message
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

UPSTREAM = os.environ.get("BENCH_UPSTREAM", "http://127.0.0.1:9000").rstrip("/")
POOL = 100
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
    }
)
# `host` is dropped too: each client sets it from the upstream URL. Content-Length stays, so a
# streamed body keeps its framing (clients only fall back to chunked when it is absent).


def forward_headers(raw: Any) -> list[tuple[bytes, bytes]]:
    """Request or response headers minus hop-by-hop ones."""
    return [(k, v) for k, v in raw if k.lower() not in HOP_BY_HOP]


async def request_body(receive: Receive) -> AsyncIterator[bytes]:
    """The client's request body, streamed chunk by chunk."""
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
        if message.get("body"):
            yield message["body"]


def has_body(scope: Scope) -> bool:
    return any(k in (b"content-length", b"transfer-encoding") for k, _ in scope["headers"])


def target(scope: Scope) -> str:
    qs = scope.get("query_string", b"")
    path = scope.get("raw_path") or scope["path"].encode()
    return path.decode("latin-1") + (f"?{qs.decode('latin-1')}" if qs else "")


class ProxyApp:
    """Lifespan-managed client + per-request `forward`; subclasses only implement the client."""

    async def startup(self) -> None:
        raise NotImplementedError

    async def shutdown(self) -> None:
        raise NotImplementedError

    async def forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await self.startup()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self.shutdown()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await self.forward(scope, receive, send)


async def _relay(send: Send, status: int, headers: Any, chunks: AsyncIterator[bytes]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    async for chunk in chunks:
        if chunk:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


class HttpxProxy(ProxyApp):
    def __init__(self, aiohttp_transport: bool = False) -> None:
        self.aiohttp_transport = aiohttp_transport

    async def startup(self) -> None:
        import httpx

        limits = httpx.Limits(max_connections=POOL, max_keepalive_connections=POOL)
        transport: httpx.AsyncBaseTransport | None = None
        if self.aiohttp_transport:
            from httpx_aiohttp import AiohttpTransport

            transport = AiohttpTransport(limits=limits)
        self.client = httpx.AsyncClient(base_url=UPSTREAM, limits=limits, transport=transport, timeout=30.0)

    async def shutdown(self) -> None:
        await self.client.aclose()

    async def forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        req = self.client.build_request(
            scope["method"],
            target(scope),
            headers=forward_headers(scope["headers"]),
            content=request_body(receive) if has_body(scope) else None,
        )
        resp = await self.client.send(req, stream=True)
        try:
            headers = forward_headers(resp.headers.raw)
            await _relay(send, resp.status_code, headers, resp.aiter_raw())
        finally:
            await resp.aclose()


class AiohttpProxy(ProxyApp):
    async def startup(self) -> None:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=POOL, keepalive_timeout=30)
        self.session = aiohttp.ClientSession(
            connector=connector, auto_decompress=False, timeout=aiohttp.ClientTimeout(total=30)
        )

    async def shutdown(self) -> None:
        await self.session.close()

    async def forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        from multidict import CIMultiDict

        headers = CIMultiDict(
            (k.decode("latin-1"), v.decode("latin-1")) for k, v in forward_headers(scope["headers"])
        )
        async with self.session.request(
            scope["method"],
            UPSTREAM + target(scope),
            headers=headers,
            data=request_body(receive) if has_body(scope) else None,
            allow_redirects=False,
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
        ) as resp:
            relayed = forward_headers(resp.raw_headers)
            await _relay(send, resp.status, relayed, resp.content.iter_any())


class RawProxy(ProxyApp):
    async def startup(self) -> None:
        from bench.apps.rawpool import Pool

        self.pool = Pool(UPSTREAM, max_idle=POOL)

    async def shutdown(self) -> None:
        await self.pool.close()

    async def forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = request_body(receive) if has_body(scope) else None
        headers = forward_headers(scope["headers"])
        resp = await self.pool.request(scope["method"], target(scope), headers, body)
        await _relay(send, resp.status, forward_headers(resp.headers), resp.body())


class ProtoProxy(ProxyApp):
    async def startup(self) -> None:
        from bench.apps.protopool import Pool

        self.pool = Pool(UPSTREAM, max_idle=POOL)

    async def shutdown(self) -> None:
        await self.pool.close()

    async def forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = request_body(receive) if has_body(scope) else None
        headers = forward_headers(scope["headers"])
        resp = await self.pool.request(scope["method"], target(scope), headers, body)
        relayed = forward_headers(resp.headers)
        whole = resp.complete_body
        if whole is None:
            await _relay(send, resp.status, relayed, resp.body())
            return
        # The body came with the head: one body message instead of a stream.
        await send({"type": "http.response.start", "status": resp.status, "headers": relayed})
        await send({"type": "http.response.body", "body": whole})


httpx_app = HttpxProxy()
aiohttp_app = AiohttpProxy()
httpx_aiohttp_app = HttpxProxy(aiohttp_transport=True)
raw_app = RawProxy()
proto_app = ProtoProxy()
