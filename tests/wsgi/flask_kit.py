"""The real Flask app the WSGI middleware tests wrap."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request


def flask_app() -> Flask:
    """Every path answers with what the app saw: Authorization, Cookie and ``environ["refreshgate"]``."""
    app = Flask("echo")

    @app.route("/", defaults={"path": ""}, methods=["GET", "POST"])
    @app.route("/<path:path>", methods=["GET", "POST"])
    def echo(path: str) -> Any:
        info = request.environ.get("refreshgate", "absent")
        return jsonify(
            authorization=request.headers.get("authorization"),
            cookie=request.headers.get("cookie"),
            info=None if info is None or info == "absent" else {
                "sub": info.subject, "sid": info.session_id, "refreshed": info.refreshed,
                "claims": dict(info.claims), "token": info.access_token,
            },
            absent=info == "absent",
        )  # fmt: skip

    return app
