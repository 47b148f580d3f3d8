"""The engine: one object that issues, refreshes, decides and revokes. Shells call only this."""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from refreshgate.clock import Clock, SystemClock
from refreshgate.config.model import Config
from refreshgate.core.context import EngineContext, TokenResponse
from refreshgate.core.issuance import Issuer
from refreshgate.core.keys import KeySet
from refreshgate.core.provider_session import ProviderSessions
from refreshgate.core.refresh import Refresher
from refreshgate.core.request import Decision, RequestView
from refreshgate.core.revocation import Revoker
from refreshgate.core.transparent import TransparentRefresher
from refreshgate.errors import AccessDenied, InvalidClient
from refreshgate.providers import OIDCProvider
from refreshgate.secret import Secret
from refreshgate.store import create_store
from refreshgate.store.base import Store

__all__ = ["Client", "Engine"]

log = logging.getLogger("refreshgate")


@dataclass(frozen=True)
class Client:
    """An authenticated client."""

    name: str
    admin: bool
    profiles: frozenset[str] | None


class Engine:
    """The framework-free refresh engine (see STYLE.md: inspect → policy → engine → store)."""

    def __init__(
        self,
        config: Config,
        *,
        keys: KeySet | None = None,
        store: Store | None = None,
        clock: Clock | None = None,
    ) -> None:
        if keys is None:
            keys = KeySet.from_config(config.keys)
        if store is None:
            store = create_store(
                config.store.url, prefix=config.store.key_prefix, timeout=config.store.timeout
            )
        self.config = config
        self.ctx = EngineContext.build(config, keys, store, clock or SystemClock())
        self._issuer = Issuer(self.ctx)
        self._refresher = Refresher(self.ctx)
        self._revoker = Revoker(self.ctx)
        self.transparent = TransparentRefresher(self.ctx, self._revoker)
        #: the login provider of the ``tara:`` block, and its sessions when it refreshes (GovSSO)
        self.provider: OIDCProvider | None = None
        self.provider_sessions: ProviderSessions | None = None
        if config.tara is not None:
            self.provider = OIDCProvider(config.tara, clock=self.ctx.clock.now)
            if config.tara.provider_refresh:
                self.provider_sessions = ProviderSessions(
                    self.ctx, self.provider, backoff=config.tara.refresh_retry_backoff
                )
                self.transparent.provider_hook = self.provider_sessions.hook
                self._refresher.provider_hook = self.provider_sessions.hook
        self._clients = {
            name: (
                Secret(c.secret.get_secret_value()),
                Client(name, c.admin, frozenset(c.profiles) if c.profiles is not None else None),
            )
            for name, c in config.clients.items()
        }

    @classmethod
    def development(cls, config: Config, *, store: Store | None = None, clock: Clock | None = None) -> Engine:
        """An engine with ephemeral keys (``--dev``): tokens die with the process."""
        log.warning("refreshgate: DEVELOPMENT MODE - ephemeral keys, every token dies with this process")
        return cls(config, keys=KeySet.ephemeral(), store=store, clock=clock)

    def __repr__(self) -> str:
        return f"Engine(store={self.ctx.store!r}, keys={len(self.ctx.keys.access)} access)"

    @property
    def store(self) -> Store:
        return self.ctx.store

    @property
    def clock(self) -> Clock:
        return self.ctx.clock

    # -- issuing --------------------------------------------------------------------------------

    async def issue(
        self,
        sub: str,
        *,
        profile: str = "custom",
        claims: Mapping[str, Any] | None = None,
        client: Client | None = None,
        refresh: bool = True,
        access_ttl: float | None = None,
        auth_time: float | None = None,
        remote: str | None = None,
        provider: str | None = None,
        provider_exp: float | None = None,
    ) -> TokenResponse:
        """Start a session for ``sub`` (an app's own login calls this) and return its tokens."""
        chosen = self.ctx.profile(profile)
        if client is not None and client.profiles is not None and profile not in client.profiles:
            raise AccessDenied(f"client may not issue tokens of profile {profile!r}")
        return await self._issuer.start_session(
            sub=sub, profile=chosen, claims=claims, client=client.name if client else None, refresh=refresh,
            access_ttl=access_ttl, auth_time=auth_time, provider=provider, provider_exp=provider_exp, remote=remote,
        )  # fmt: skip

    # -- refreshing -----------------------------------------------------------------------------

    async def refresh(
        self,
        refresh_token: str,
        *,
        client: Client | None = None,
        access_token: str | None = None,
        remote: str | None = None,
    ) -> TokenResponse:
        """Explicit refresh (SPEC §5 rules 1-7)."""
        return await self._refresher.refresh(
            refresh_token,
            client=client.name if client else None,
            access_token=access_token,
            remote=remote,
        )

    def decide_cached(self, request: RequestView) -> Decision | None:
        """The decision if it needs no I/O (a known-good token, a route without auth), else
        ``None``: then call :meth:`decide`. Thread-safe; lets sync shells skip the event loop."""
        return self.transparent.decide_cached(request)

    async def decide(self, request: RequestView) -> Decision:
        """Transparent refresh: what to do with this request (SPEC §5, second part)."""
        return await self.transparent.decide(request)

    # -- revoking -------------------------------------------------------------------------------

    async def revoke(
        self,
        token: str,
        *,
        token_type_hint: str | None = None,
        client: Client | None = None,
        remote: str | None = None,
    ) -> None:
        """RFC 7009 revocation of a refresh token (ends the session) or an access token."""
        await self._revoker.revoke_token(
            token, token_type_hint, client=client.name if client else None, remote=remote
        )

    async def revoke_subject(self, sub: str, *, client: Client, remote: str | None = None) -> None:
        """Admin: end every session of ``sub``."""
        await self._revoker.revoke_subject(sub, client=client.name, admin=client.admin, remote=remote)

    async def end_session(
        self, sid: str, *, profile: str, reason: str = "logout", sub: str | None = None
    ) -> None:
        """End one session (logout, back-channel logout)."""
        await self._revoker.end_session(sid, sub, profile, reason)

    async def end_subject_sessions(self, sub: str, *, profile: str, reason: str = "logout") -> None:
        """End every session of ``sub`` in ``profile``'s namespace only (back-channel logout)."""
        await self._revoker.deny_subject_in(sub, profile, reason)

    # -- clients, keys, health ------------------------------------------------------------------

    def authenticate_client(self, authorization: str | None) -> Client | None:
        """The client named by an HTTP Basic ``Authorization`` header; ``None`` if none is sent.

        Wrong credentials are :class:`InvalidClient`.
        """
        if authorization is None:
            return None
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            name, sep, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise InvalidClient("malformed client credentials") from exc
        name, secret = unquote(name), unquote(secret)
        known = self._clients.get(name)
        if not sep or known is None or not known[0].matches(secret):
            raise InvalidClient("client authentication failed")
        return known[1]

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The public access-token keys as a JWKS."""
        return self.ctx.keys.jwks()

    async def ready(self) -> bool:
        """Whether the store answers (readiness)."""
        return await self.ctx.store.ping()

    async def aclose(self) -> None:
        """Release the store's and the provider's connections."""
        if self.provider is not None:
            await self.provider.aclose()
        await self.ctx.store.close()
