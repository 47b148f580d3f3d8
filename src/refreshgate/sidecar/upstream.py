"""The upstream client: one keep-alive pool for the app behind the sidecar.

The pool's exceptions stop here; callers see only :class:`UpstreamError`::

    OAuthError
    └── UpstreamError            502  bad_gateway      refused, reset, malformed answer
        └── UpstreamTimeout      504  gateway_timeout  no connection or no answer in time
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from refreshgate.config.model import UpstreamConfig
from refreshgate.errors import OAuthError
from refreshgate.sidecar.pool import Pool, PoolResponse, ReadTimeout

__all__ = ["Upstream", "UpstreamError", "UpstreamResponse", "UpstreamTimeout"]


class UpstreamError(OAuthError):
    """The upstream could not be reached or answered badly."""

    error = "bad_gateway"
    status_code = 502


class UpstreamTimeout(UpstreamError):
    """The upstream did not connect or answer within the configured timeouts."""

    error = "gateway_timeout"
    status_code = 504


def _translated(exc: Exception) -> UpstreamError:
    if isinstance(exc, ReadTimeout):
        return UpstreamTimeout("the upstream did not answer in time")
    return UpstreamError("the upstream is unavailable")


class UpstreamResponse:
    """Status, raw headers and a streamed body of one upstream response."""

    def __init__(self, response: PoolResponse) -> None:
        self._response = response
        self.status = response.status
        self.headers = response.headers

    async def small_body(self) -> bytes | None:
        """The whole body when it is small, else ``None`` (then stream ``body()``)."""
        try:
            return await self._response.small_body()
        except (OSError, TimeoutError) as exc:
            raise _translated(exc) from exc

    async def body(self) -> AsyncIterator[bytes]:
        """The body in chunks as they arrive (bounded buffering: reading pauses)."""
        try:
            async for chunk in self._response.body():
                yield chunk
        except (OSError, TimeoutError) as exc:
            raise _translated(exc) from exc

    def release(self) -> None:
        """Return the connection to the pool (or close it when the exchange did not complete)."""
        self._response.release()


class Upstream:
    """A keep-alive connection pool to ``upstream.url``; ``start()``/``close()`` from lifespan."""

    def __init__(self, config: UpstreamConfig) -> None:
        self.url = config.url
        self._config = config
        self._pool: Pool | None = None

    async def start(self) -> None:
        """Open the pool (inside the running loop)."""
        config = self._config
        self._pool = Pool(
            config.url,
            limit=config.max_connections,
            connect_timeout=config.connect_timeout,
            read_timeout=config.read_timeout,
        )

    async def close(self) -> None:
        """Close every pooled connection."""
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def request(
        self,
        method: str,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        body: AsyncIterator[bytes] | None,
    ) -> UpstreamResponse:
        """Send a request (body streamed) and return once the response head has arrived."""
        if self._pool is None:
            raise UpstreamError("the upstream pool is not started")
        try:
            return UpstreamResponse(await self._pool.request(method, target, headers, body))
        except (OSError, TimeoutError) as exc:
            raise _translated(exc) from exc
