"""A small OpenID Connect provider served for real on loopback (a thread), for the e2e test.

Discovery, an authorize endpoint that redirects straight back with ``code`` and ``state``, a token
endpoint (``client_secret_basic``) that answers a TARA-style ID token for the code's nonce, JWKS.
``offset`` shifts its time like the server under test's dev clock.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from oidc_fakes import MOBILE_ID_CLAIMS, SigningKey, claims_like


class FakeProvider:
    """Serves until :meth:`close`; ``issuer`` is ``http://127.0.0.1:<port>``."""

    def __init__(self, key: SigningKey, client_id: str, client_secret: str) -> None:
        self.key = key
        self.client_id = client_id
        self.client_secret = client_secret
        self.offset = 0.0
        self.codes: dict[str, str] = {}  # code -> nonce
        self.token_calls = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
        }

    def id_token(self, nonce: str) -> str:
        now = int(time.time() + self.offset)
        claims = claims_like(
            MOBILE_ID_CLAIMS, iss=self.issuer, aud=self.client_id, iat=now, nbf=now, exp=now + 40, nonce=nonce
        )
        return self.key.sign(claims)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path == "/.well-known/openid-configuration":
                    self._json(200, provider.discovery())
                elif parts.path == "/jwks":
                    self._json(200, {"keys": [provider.key.jwk]})
                elif parts.path == "/authorize":
                    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                    code = secrets.token_urlsafe(16)
                    provider.codes[code] = query["nonce"]
                    target = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
                    self.send_response(302)
                    self.send_header("location", target)
                    self.send_header("content-length", "0")
                    self.end_headers()
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                provider.token_calls += 1
                expected = base64.b64encode(
                    f"{provider.client_id}:{provider.client_secret}".encode()
                ).decode()
                if self.headers.get("authorization") != f"Basic {expected}":
                    self._json(401, {"error": "invalid_client"})
                    return
                nonce = provider.codes.pop(form.get("code", ""), None)
                if form.get("grant_type") != "authorization_code" or nonce is None:
                    self._json(400, {"error": "invalid_grant"})
                    return
                body = {"access_token": "x", "token_type": "bearer", "expires_in": 40}
                self._json(200, body | {"id_token": provider.id_token(nonce)})

        return Handler
