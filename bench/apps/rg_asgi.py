"""The Starlette hello of `hello.py` behind `RefreshMiddleware`, one app per store.

- `app_memory`: config `$BENCH_RG_ASGI_MEMORY`; `app_redis`: config `$BENCH_RG_ASGI_REDIS`.

Bench-only routes, outside the middleware (never part of the measured path):

- `POST /__bench/populate?n=N[&out=PATH]` starts N sessions through the engine in-process (far
  faster than N `POST /jwt/token`); with `out`, their refresh tokens go there, one JSON body per
  line; answers `{"sessions": <live sessions so far>}`.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import parse_qs

_started = 0


def _hello() -> Any:
    from bench.apps import hello

    return hello.starlette_app


def _wrap(config_env: str) -> Any:
    from refreshgate import RefreshMiddleware

    middleware = RefreshMiddleware(_hello(), os.environ[config_env])

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/__bench/"):
            await _bench(middleware, scope, send)
            return
        await middleware(scope, receive, send)

    return app


async def _bench(middleware: Any, scope: dict[str, Any], send: Any) -> None:
    global _started
    query = parse_qs(scope["query_string"].decode())
    count = int(query.get("n", ["0"])[0])
    out = query.get("out", [None])[0]
    lines = []
    for i in range(count):
        sub = f"pop{_started + i}"
        tokens = await middleware.engine.issue(sub, claims={"name": sub})
        if out:
            lines.append(json.dumps({"refresh_token": tokens.refresh_token}) + "\n")
    _started += count
    if out:
        with open(out, "w") as fh:
            fh.writelines(lines)
    body = json.dumps({"sessions": _started}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def __getattr__(name: str) -> Any:
    envs = {"app_memory": "BENCH_RG_ASGI_MEMORY", "app_redis": "BENCH_RG_ASGI_REDIS"}
    if name in envs:
        app = _wrap(envs[name])
        globals()[name] = app
        return app
    raise AttributeError(name)
