"""The data plane: forward one request the core let pass, stream both bodies, relay the answer."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from refreshgate.config.model import Config
from refreshgate.core.metrics import Metrics
from refreshgate.core.request import Decision
from refreshgate.core.rewrite import response_headers
from refreshgate.errors import RefreshgateError
from refreshgate.shells.asgi_io import Receive, Scope, Send, remote_of
from refreshgate.sidecar.headers import RequestHeaders, response_headers_of
from refreshgate.sidecar.upstream import Upstream, UpstreamError

__all__ = ["ClientGone", "Proxy"]

log = logging.getLogger("refreshgate")


class ClientGone(RefreshgateError):
    """The client disconnected while its request body was being forwarded."""


def _has_body(scope: Scope) -> bool:
    for key, value in scope["headers"]:
        if key == b"transfer-encoding" or (key == b"content-length" and value.strip() != b"0"):
            return True
    return False


async def _request_body(receive: Receive) -> AsyncIterator[bytes]:
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        more = message.get("more_body", False)
        chunk = message.get("body", b"")
        if chunk:
            yield chunk


def _target(scope: Scope) -> bytes:
    raw: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
    query: bytes = scope.get("query_string", b"")
    return raw + b"?" + query if query else raw


def _client_gone(exc: BaseException | None) -> bool:
    """Whether a failure was the client hanging up mid-upload (nobody is left to answer)."""
    while exc is not None:
        if isinstance(exc, ClientGone):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class Proxy:
    """Forwards requests to the upstream with the core's decision applied to both directions."""

    def __init__(self, config: Config, metrics: Metrics, extra: list[tuple[bytes, bytes]]) -> None:
        assert config.upstream is not None
        self.upstream = Upstream(config.upstream)
        self._headers = RequestHeaders(config.upstream)
        self._cookies = config.cookies
        self._metrics = metrics
        self._extra = extra

    async def forward(self, scope: Scope, receive: Receive, send: Send, decision: Decision) -> None:
        """Proxy one request; upstream failures become 502/504 JSON answers."""
        headers = self._headers.build(
            scope["headers"], decision, client=remote_of(scope), scheme=scope.get("scheme", "http")
        )
        body = _request_body(receive) if _has_body(scope) else None
        try:
            response = await self.upstream.request(scope["method"], _target(scope), headers, body)
        except UpstreamError as exc:
            if _client_gone(exc):
                return
            self._metrics.proxied.labels(str(exc.status_code)).inc()
            await self._send_error(send, exc, decision)
            return
        except ClientGone:
            return
        try:
            whole = await response.small_body()
        except UpstreamError as exc:
            response.release()
            self._metrics.proxied.labels(str(exc.status_code)).inc()
            await self._send_error(send, exc, decision)
            return
        try:
            self._metrics.proxied.labels(str(response.status)).inc()
            relayed = response_headers_of(response.headers) + self._refreshed(decision)
            await send(
                {"type": "http.response.start", "status": response.status, "headers": relayed + self._extra}
            )
            if whole is not None:  # the usual small answer: one body message, no stream
                await send({"type": "http.response.body", "body": whole})
                return
            async for chunk in response.body():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        except UpstreamError:
            # the head is already out: closing the connection is the only honest signal left
            log.warning("refreshgate: upstream response to %s broke off", scope["method"])
        finally:
            response.release()

    def _refreshed(self, decision: Decision) -> list[tuple[bytes, bytes]]:
        pairs = response_headers(decision, self._cookies)
        return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in pairs]

    async def _send_error(self, send: Send, error: UpstreamError, decision: Decision) -> None:
        # a token minted for this request still reaches the client, or the mint would be wasted
        body = error.body()
        headers = [(k.encode(), v.encode()) for k, v in error.headers()] + self._refreshed(decision)
        headers += [(b"content-length", str(len(body)).encode()), *self._extra]
        await send({"type": "http.response.start", "status": error.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": body})
