"""The provider's signing keys: fetched, parsed once per fetch, cached by ``kid``.

An unknown ``kid`` triggers one refetch (key rotation publishes the new key before using it), but
never more than once per :data:`REFETCH_INTERVAL` seconds, so forged ``kid`` values cannot make us
hammer the provider.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from jose import jwk
from jose.backends.base import Key
from jose.exceptions import JOSEError

from refreshgate.providers.errors import IdTokenInvalid
from refreshgate.providers.http import ProviderHTTP

__all__ = ["REFETCH_INTERVAL", "JWKSCache", "parse_jwks"]

logger = logging.getLogger("refreshgate.providers")

REFETCH_INTERVAL = 10.0
ALGORITHM = "RS256"


def parse_jwks(document: dict[str, Any]) -> dict[str, Key]:
    """RS256 signing keys of a JWKS by ``kid``; keys of other kinds or uses are skipped."""
    keys: dict[str, Key] = {}
    entries = document.get("keys")
    if not isinstance(entries, list):
        return keys
    for entry in entries:
        if not _usable(entry):
            continue
        try:
            keys[entry["kid"]] = jwk.construct(entry, ALGORITHM)
        except (JOSEError, ValueError, TypeError):
            logger.warning("skipping unparsable JWKS key kid=%s", entry["kid"])
    return keys


def _usable(entry: object) -> bool:
    return (
        isinstance(entry, dict)
        and entry.get("kty") == "RSA"
        and isinstance(entry.get("kid"), str)
        and entry.get("use", "sig") == "sig"
        and entry.get("alg", ALGORITHM) == ALGORITHM
    )


class JWKSCache:
    """Verification keys of one provider, refreshed after ``ttl`` or on an unknown ``kid``."""

    def __init__(
        self,
        http: ProviderHTTP,
        jwks_uri: Callable[[], Awaitable[str]],
        *,
        ttl: float,
        clock: Callable[[], float],
    ) -> None:
        self._http = http
        self._jwks_uri = jwks_uri
        self._ttl = ttl
        self._clock = clock
        self._keys: dict[str, Key] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> Key:
        """The key for ``kid``; :class:`IdTokenInvalid` ``"kid"`` when the provider has none."""
        if self._stale():
            await self._fetch(self._fetched_at)
        found = self._keys.get(kid)
        if found is None and self._may_refetch():
            await self._fetch(self._fetched_at)
            found = self._keys.get(kid)
        if found is None:
            raise IdTokenInvalid("kid")
        return found

    def _stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self._ttl

    def _may_refetch(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= REFETCH_INTERVAL

    async def _fetch(self, seen: float | None) -> None:
        async with self._lock:
            if self._fetched_at != seen:
                return  # another task fetched while this one waited
            document = await self._http.get_json(await self._jwks_uri())
            self._keys = parse_jwks(document)
            self._fetched_at = self._clock()
            logger.info("fetched provider JWKS: %d usable keys", len(self._keys))
