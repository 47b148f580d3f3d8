"""AuthX on FastAPI with its implicit-refresh middleware: the peer of refreshgate's ASGI shell.

AuthX refreshes implicitly only for tokens in cookies, and only in a `BaseHTTPMiddleware`-style
`@app.middleware("http")`; the route itself is protected by `auth.access_token_required`. Keys
are ES256 (as refreshgate's default), read from `$BENCH_AUTHX_KEYS/{private,public}.pem`.

    python -m bench.peers.authx_app keys DIR       # write an ES256 key pair and two tokens:
                                                   # DIR/token-fresh (1 h) and DIR/token-near (5 min,
                                                   # inside AuthX's 10 min refresh window)
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from authx import AuthX, AuthXConfig

COOKIE = "access_token_cookie"


def make_auth(key_dir: Path) -> AuthX[Any]:
    config = AuthXConfig(
        JWT_ALGORITHM="ES256",
        JWT_DECODE_ALGORITHMS=["ES256"],
        JWT_PRIVATE_KEY=(key_dir / "private.pem").read_text(),
        JWT_PUBLIC_KEY=(key_dir / "public.pem").read_text(),
        JWT_TOKEN_LOCATION=["cookies"],
        JWT_ACCESS_COOKIE_NAME=COOKIE,
        JWT_COOKIE_CSRF_PROTECT=False,  # GET only here; CSRF applies to unsafe methods
        JWT_IMPLICIT_REFRESH_DELTATIME=timedelta(minutes=10),
    )
    return AuthX(config=config)


def make_app(key_dir: Path) -> Any:
    from fastapi import Depends, FastAPI
    from fastapi.responses import PlainTextResponse

    auth = make_auth(key_dir)
    app = FastAPI()
    auth.handle_errors(app)
    app.middleware("http")(auth.implicit_refresh_middleware)

    # `dependencies=` rather than a parameter: `auth` is local, and postponed annotations
    # would make FastAPI read an `Annotated[..., Depends(auth...)]` parameter as a query field.
    protected = [Depends(auth.access_token_required)]

    @app.get("/{path:path}", response_class=PlainTextResponse, dependencies=protected)
    async def hello(path: str) -> Any:
        return PlainTextResponse(b"Hello, world!")

    return app


def write_keys(key_dir: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key_dir.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    (key_dir / "private.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (key_dir / "public.pem").write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    auth = make_auth(key_dir)
    for name, ttl in (("token-fresh", timedelta(hours=1)), ("token-near", timedelta(minutes=5))):
        token = auth.create_access_token(uid="bench-user", expiry=ttl, data={"roles": ["user"]})
        (key_dir / name).write_text(token)


def __getattr__(name: str) -> Any:
    if name == "app":
        app = make_app(Path(os.environ["BENCH_AUTHX_KEYS"]))
        globals()["app"] = app
        return app
    raise AttributeError(name)


if __name__ == "__main__":
    if sys.argv[1:2] == ["keys"] and len(sys.argv) == 3:
        write_keys(Path(sys.argv[2]))
    else:
        sys.exit(__doc__)
