"""A Flask app behind WSGIRefreshMiddleware.  Run: ``.venv/bin/python examples/flask_app.py``

Then (http://127.0.0.1:8002)::

    curl -s -X POST localhost:8002/login -H 'content-type: application/json' \\
         -d '{"username": "alice", "access_ttl": 60}'
    curl -si localhost:8002/api/me -H "authorization: Bearer <access_token>"

``access_ttl: 60`` is inside the 5-minute refresh window, so the next request is refreshed: the
response carries ``X-Refreshed-Access-Token`` and ``/api/me`` says ``"refreshed": true``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, jsonify, request

from refreshgate import AuthInfo, WSGIRefreshMiddleware, load_config
from refreshgate.core.rewrite import set_cookie
from refreshgate.server import build_engine

CONFIG = load_config(Path(__file__).with_name("middleware.yaml"))

app = Flask(__name__)
middleware = WSGIRefreshMiddleware(app.wsgi_app, engine=build_engine(CONFIG, dev=True))  # examples only
app.wsgi_app = middleware  # type: ignore[method-assign]


@app.post("/login")
def login() -> Any:
    """Your own credential check goes here; then start a refreshgate session."""
    body = request.get_json(silent=True) or {}
    username, access_ttl = body.get("username"), body.get("access_ttl")
    if not isinstance(username, str) or not username:
        return jsonify(error="invalid_request", error_description="username required"), 400
    if access_ttl is not None and not (isinstance(access_ttl, int) and 1 <= access_ttl <= 900):
        return jsonify(error="invalid_request", error_description="access_ttl: 1..900 seconds"), 400
    tokens = middleware.issue(username, claims={"name": username}, access_ttl=access_ttl)
    response = jsonify(tokens.to_json())
    response.headers["Cache-Control"] = "no-store"
    response.headers.add(
        "Set-Cookie", set_cookie("EXAMPLE_AT", tokens.access_token, tokens.expires_in, CONFIG.cookies)
    )
    return response


def _me() -> Any:
    info: AuthInfo = request.environ["refreshgate"]
    return jsonify(sub=info.subject, session_id=info.session_id, refreshed=info.refreshed,
                   claims=dict(info.claims))  # fmt: skip


app.add_url_rule("/api/me", "api_me", _me)  # header token
app.add_url_rule("/app/me", "app_me", _me)  # cookie token EXAMPLE_AT


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=8002, threaded=True)
