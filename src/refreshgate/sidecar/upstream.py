"""The upstream client: one keep-alive pool (aiohttp) for the app behind the sidecar.

aiohttp's exceptions stop here; callers see only :class:`UpstreamError`::

    OAuthError
    └── UpstreamError            502  bad_gateway      refused, reset, malformed answer
        └── UpstreamTimeout      504  gateway_timeout  no connection or no answer in time
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from refreshgate.config.model import UpstreamConfig
from refreshgate.errors import OAuthError

__all__ = ["Upstream", "UpstreamError", "UpstreamResponse", "UpstreamTimeout"]

_CHUNK = 64 * 1024
_NO_AUTO_HEADERS = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")


class UpstreamError(OAuthError):
    """The upstream could not be reached or answered badly."""

    error = "bad_gateway"
    status_code = 502


class UpstreamTimeout(UpstreamError):
    """The upstream did not connect or answer within the configured timeouts."""

    error = "gateway_timeout"
    status_code = 504


@dataclass
class UpstreamResponse:
    """Status, raw headers and a streamed body of one upstream response."""

    status: int
    headers: list[tuple[bytes, bytes]]
    _response: aiohttp.ClientResponse

    async def body(self) -> AsyncIterator[bytes]:
        """The body in chunks as they arrive (bounded buffering: aiohttp pauses reading)."""
        try:
            async for chunk in self._response.content.iter_chunked(_CHUNK):
                yield chunk
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise UpstreamError("the upstream response broke off") from exc

    def release(self) -> None:
        """Return the connection to the pool (or close it when the body was not read to the end)."""
        self._response.release()


class Upstream:
    """A keep-alive connection pool to ``upstream.url``; ``start()``/``close()`` from lifespan."""

    def __init__(self, config: UpstreamConfig) -> None:
        self.url = config.url
        self._config = config
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the pool (inside the running loop)."""
        config = self._config
        connector = aiohttp.TCPConnector(
            limit=config.max_connections, limit_per_host=config.max_connections, keepalive_timeout=30
        )
        timeout = aiohttp.ClientTimeout(
            total=None, connect=config.connect_timeout, sock_read=config.read_timeout
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=timeout,
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            skip_auto_headers=_NO_AUTO_HEADERS,
        )

    async def close(self) -> None:
        """Close every pooled connection."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(
        self,
        method: str,
        target: str,
        headers: list[tuple[bytes, bytes]],
        body: AsyncIterator[bytes] | None,
    ) -> UpstreamResponse:
        """Send a request (body streamed) and return once the response head has arrived."""
        if self._session is None:
            raise UpstreamError("the upstream pool is not started")
        sent = CIMultiDict((k.decode("latin-1"), v.decode("latin-1")) for k, v in headers)
        try:
            response = await self._session.request(
                method,
                URL(self.url + target, encoded=True),  # the client's raw target, not re-encoded
                headers=sent,
                data=body,
                allow_redirects=False,
                compress=None,
            )
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise UpstreamTimeout("the upstream did not answer in time") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise UpstreamError("the upstream is unavailable") from exc
        return UpstreamResponse(response.status, list(response.raw_headers), response)
