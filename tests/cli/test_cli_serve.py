"""``refreshgate serve`` as a real process: standard OAuth2 and JWKS clients work against it."""

from __future__ import annotations

from pathlib import Path

import httpx
import jwt
import pytest
import requests
import yaml
from cli_helpers import AUDIENCE, PORTAL, Server, run_cli, write_config
from requests_oauthlib import OAuth2Session

pytestmark = pytest.mark.e2e


def _issue(server: Server, sub: str = "alice") -> dict[str, object]:
    response = httpx.post(f"{server.url}/jwt/token", json={"sub": sub}, auth=PORTAL, timeout=5)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def assert_clean_shutdown(server: Server, status: int) -> None:
    """SIGTERM drained and shut down the app (lifespan ran), with no traceback, and exit 0."""
    assert status == 0
    assert "Application shutdown complete" in server.stderr
    assert "Traceback" not in server.stderr


def test_serve_dev_warns_about_ephemeral_keys_on_start(dev_server: Server) -> None:
    assert "--dev" in dev_server.stderr
    assert "EPHEMERAL KEYS" in dev_server.stderr


def test_unmodified_oauth2_client_refreshes_with_client_secret_basic(
    dev_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # plain HTTP on loopback only
    first = _issue(dev_server)
    session = OAuth2Session(PORTAL[0], token={**first, "token_type": "Bearer"})
    refreshed = session.refresh_token(
        f"{dev_server.url}/jwt/refresh",
        refresh_token=first["refresh_token"],
        auth=requests.auth.HTTPBasicAuth(*PORTAL),
    )
    assert refreshed["token_type"] == "Bearer"
    assert refreshed["access_token"] != first["access_token"]
    assert refreshed["refresh_token"] != first["refresh_token"]
    assert session.token["access_token"] == refreshed["access_token"]


def test_pyjwt_jwks_client_verifies_the_access_tokens(dev_server: Server) -> None:
    tokens = _issue(dev_server)
    access_token = str(tokens["access_token"])
    for path in ("/.well-known/jwks.json", "/jwt/keys/public"):
        client = jwt.PyJWKClient(f"{dev_server.url}{path}")
        key = client.get_signing_key_from_jwt(access_token)
        claims = jwt.decode(
            access_token,
            key.key,
            algorithms=["ES256"],
            audience=AUDIENCE,
            issuer="https://auth.example.ee",
            options={"require": ["exp", "iat", "sub", "jti"]},
        )
        assert claims["sub"] == "alice"


def test_served_errors_are_rfc6749_json_with_no_store(dev_server: Server) -> None:
    response = httpx.post(
        f"{dev_server.url}/jwt/refresh", content=b"x", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["error"] == "invalid_request"
    unauthorized = httpx.post(f"{dev_server.url}/jwt/token", json={"sub": "alice"})
    assert unauthorized.status_code == 401
    assert unauthorized.json()["error"] == "invalid_client"
    assert "www-authenticate" in unauthorized.headers


def test_serve_answers_readyz_and_metrics(dev_server: Server) -> None:
    assert httpx.get(f"{dev_server.url}/readyz").status_code == 200
    metrics = httpx.get(f"{dev_server.url}/metrics")
    assert metrics.status_code == 200
    assert "refreshgate_refreshes_total" in metrics.text


def test_serve_dev_without_config_uses_defaults_and_stops_on_sigterm(tmp_path: Path) -> None:
    server = Server(["--dev"], tmp_path)
    try:
        server.wait_healthy()
        assert httpx.get(f"{server.url}/.well-known/jwks.json").json()["keys"]
        assert httpx.get(f"{server.url}/readyz").status_code == 200
    finally:
        status = server.terminate()
    assert_clean_shutdown(server, status)


def test_serve_without_keys_and_without_dev_exits_with_a_clear_message(tmp_path: Path) -> None:
    config = write_config(tmp_path / "sidecar.yaml")
    result = run_cli("serve", "--config", str(config), "--port", "0", cwd=tmp_path, timeout=20)
    assert result.returncode != 0
    assert "keys.access" in result.stderr
    assert "Traceback" not in result.stderr


def test_keys_generate_writes_a_key_set_that_serve_starts_with(tmp_path: Path) -> None:
    generated = run_cli("keys", "generate", "--out", "keys", cwd=tmp_path)
    assert generated.returncode == 0, generated.stderr
    block = yaml.safe_load(generated.stdout)
    assert block["keys"]["access"] and block["keys"]["refresh"]
    for key_file in (tmp_path / "keys").iterdir():
        assert key_file.stat().st_mode & 0o077 == 0, f"{key_file} is readable by others"
    config = write_config(tmp_path / "sidecar.yaml", keys=block["keys"])

    server = Server(["--config", str(config)], tmp_path)
    try:
        server.wait_healthy()
        tokens = _issue(server)
        kid = jwt.get_unverified_header(str(tokens["access_token"]))["kid"]
        assert kid == block["keys"]["access"][0]["kid"]
        refreshed = httpx.post(f"{server.url}/jwt/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert refreshed.status_code == 200
    finally:
        status = server.terminate()
    assert_clean_shutdown(server, status)
    assert "EPHEMERAL" not in server.stderr
