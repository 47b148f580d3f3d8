"""Run refreshgate as a server: the programmatic ``run()`` that the CLI and users call."""

from __future__ import annotations

import logging
import os
import signal
from typing import Any

import uvicorn

from refreshgate.clock import Clock, OffsetFileClock
from refreshgate.config.model import Config
from refreshgate.core.audit import configure_audit_sink
from refreshgate.core.engine import Engine
from refreshgate.core.keys import KeySet
from refreshgate.shells.token_service import TokenServiceApp

__all__ = ["build_app", "build_engine", "run"]

log = logging.getLogger("refreshgate")

DEV_WARNING = (
    "refreshgate: --dev: EPHEMERAL KEYS. Every token dies with this process and cookies may be "
    "sent without Secure. Never use --dev in production."
)
DEV_WARNING_WITH_KEYS = (
    "refreshgate: --dev: the configured keys are used, but cookies may be sent without Secure. "
    "Never use --dev in production."
)


def build_engine(config: Config, *, dev: bool = False, clock: Clock | None = None) -> Engine:
    """The engine for a config; ``dev`` makes ephemeral keys when none are configured."""
    configure_audit_sink(config.audit)
    if dev and not (config.keys.access or config.keys.refresh):
        log.warning(DEV_WARNING)  # one warning: Engine.development would log its own as well
        return Engine(config, keys=KeySet.ephemeral(), clock=clock)
    if dev:
        log.warning(DEV_WARNING_WITH_KEYS)
    return Engine(config, clock=clock)


def build_app(engine: Engine) -> Any:
    """The ASGI app: the sidecar proxy when an upstream is configured, else the token service."""
    config = engine.config
    hsts = config.server.tls is not None
    if config.upstream is not None:
        from refreshgate.sidecar import SidecarApp

        return SidecarApp(engine, hsts=hsts)
    return TokenServiceApp(engine, hsts=hsts)


def _dev_clock() -> Clock | None:
    """TEST-ONLY (``--dev``): ``REFRESHGATE_DEV_CLOCK_FILE`` shifts this server's time."""
    path = os.environ.get("REFRESHGATE_DEV_CLOCK_FILE")
    if not path:
        return None
    log.warning("refreshgate: --dev: the clock is shifted by the offset in %s (tests only)", path)
    return OffsetFileClock(path)


def run(
    config: Config,
    *,
    dev: bool = False,
    host: str | None = None,
    port: int | None = None,
    log_level: str = "info",
) -> None:
    """Serve until SIGINT/SIGTERM; in-flight requests are drained before exit."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    engine = build_engine(config, dev=dev, clock=_dev_clock() if dev else None)
    tls = config.server.tls
    server_config = uvicorn.Config(
        build_app(engine),
        host=host or config.server.host,
        port=config.server.port if port is None else port,
        log_level=log_level.lower(),
        access_log=False,
        lifespan="on",
        server_header=False,
        timeout_graceful_shutdown=int(config.server.drain_timeout),
        ssl_certfile=tls.cert_file if tls else None,
        ssl_keyfile=tls.key_file if tls else None,
        proxy_headers=False,
    )
    # uvicorn drains, then re-raises the signal it caught with the previous handler in place: make
    # that handler a clean exit, so a SIGTERM'd refreshgate exits 0 (not "killed by SIGTERM")
    signal.signal(signal.SIGTERM, _exit_cleanly)
    uvicorn.Server(server_config).run()


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)
