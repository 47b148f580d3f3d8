"""What both middlewares derive once from their arguments: the config and the engine."""

from __future__ import annotations

import os

from refreshgate.config.loader import load_config
from refreshgate.config.model import Config
from refreshgate.core.audit import configure_audit_sink
from refreshgate.core.engine import Engine

__all__ = ["ConfigSource", "resolve_engine", "serves_endpoints"]

#: a loaded :class:`Config`, or the path of a ``sidecar.yaml``
ConfigSource = Config | str | os.PathLike[str]


def resolve_engine(config: ConfigSource | None, engine: Engine | None) -> tuple[Engine, bool]:
    """The engine to use and whether the middleware owns it (and so closes its store).

    With ``engine`` given, ``config`` may be omitted; if both are given they must agree.
    """
    if engine is not None:
        if isinstance(config, Config) and config is not engine.config and config != engine.config:
            raise ValueError("config differs from engine.config: pass one of them")
        return engine, False
    if config is None:
        raise ValueError("a config (a Config or the path of a sidecar.yaml) or an engine is needed")
    loaded = config if isinstance(config, Config) else load_config(config)
    configure_audit_sink(loaded.audit)
    return Engine(loaded), True


def serves_endpoints(engine: Engine, serve_endpoints: bool | None) -> bool:
    """Whether the middleware answers the HTTP API itself (``api.enabled`` unless overridden)."""
    return engine.config.api.enabled if serve_endpoints is None else serve_endpoints
