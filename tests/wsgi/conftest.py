"""Fixtures of the WSGI middleware tests: a real Flask app behind WSGIRefreshMiddleware."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# the config, forged tokens and probes are shared with the ASGI tests
sys.path.insert(0, str(Path(__file__).parents[1] / "asgi"))

from flask import Flask
from flask_kit import flask_app
from middleware_kit import middleware_config

from refreshgate.clock import ManualClock
from refreshgate.core.engine import Engine
from refreshgate.core.keys import KeySet
from refreshgate.store import create_store
from refreshgate.wsgi import WSGIRefreshMiddleware


@pytest.fixture
def wrapped(keys: KeySet, clock: ManualClock) -> Iterator[tuple[Flask, WSGIRefreshMiddleware]]:
    """The Flask echo app with ``app.wsgi_app`` wrapped (memory store, ManualClock)."""
    app = flask_app()
    engine = Engine(middleware_config(), keys=keys, store=create_store("memory://"), clock=clock)
    middleware = WSGIRefreshMiddleware(app.wsgi_app, engine=engine)
    app.wsgi_app = middleware  # type: ignore[method-assign]
    yield app, middleware
    middleware.close()
