"""The sidecar: a reverse proxy with transparent refresh, and forward-auth for proxies in front."""

from __future__ import annotations

from typing import Any

from refreshgate.core.engine import Engine

__all__ = ["SidecarApp"]


class SidecarApp:
    """Placeholder until the proxy lands: serves nothing but says so."""

    def __init__(self, engine: Engine, *, hsts: bool = False) -> None:
        raise NotImplementedError("the sidecar proxy is not built yet")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover
        raise NotImplementedError
