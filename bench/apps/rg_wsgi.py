"""The Flask hello of `hello.py` behind `WSGIRefreshMiddleware` (config `$BENCH_RG_WSGI`)."""

from __future__ import annotations

import os

from bench.apps.hello import flask_app
from refreshgate import WSGIRefreshMiddleware

app = WSGIRefreshMiddleware(flask_app, os.environ["BENCH_RG_WSGI"])
