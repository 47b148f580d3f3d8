"""One test per malformed request: each gets its named 4xx error and changes no state.

"No change of state" is checked the strict way: afterwards the original refresh token still
refreshes (it was not rotated, revoked or counted as reuse).
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from http_helpers import Issue, assert_oauth_error

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def _still_refreshes(http: httpx.AsyncClient, rt: str) -> None:
    response = await http.post("/jwt/refresh", json={"refresh_token": rt})
    assert response.status_code == 200, response.text


@pytest.fixture
async def rt(issue: Issue) -> str:
    token: str = (await issue())["refresh_token"]
    return token


async def test_garbage_json_body_is_invalid_request(http: httpx.AsyncClient, rt: str) -> None:
    response = await http.post("/jwt/refresh", content=b"\x00\xff{garbage", headers=JSON)
    assert_oauth_error(response, 400, "invalid_request")
    await _still_refreshes(http, rt)


async def test_garbage_form_body_is_invalid_request(http: httpx.AsyncClient, rt: str) -> None:
    response = await http.post("/jwt/refresh", content=b"&&==\xff", headers=FORM)
    assert_oauth_error(response, 400, "invalid_request")
    await _still_refreshes(http, rt)


async def test_empty_json_body_is_invalid_request(http: httpx.AsyncClient, rt: str) -> None:
    response = await http.post("/jwt/refresh", content=b"", headers=JSON)
    assert_oauth_error(response, 400, "invalid_request")
    await _still_refreshes(http, rt)


async def test_empty_request_without_cookie_is_invalid_request(http: httpx.AsyncClient, rt: str) -> None:
    response = await http.post("/jwt/refresh")
    assert_oauth_error(response, 400, "invalid_request")
    await _still_refreshes(http, rt)


async def test_text_plain_body_is_415_invalid_request(http: httpx.AsyncClient, rt: str) -> None:
    response = await http.post(
        "/jwt/refresh", content=f"refresh_token={rt}".encode(), headers={"Content-Type": "text/plain"}
    )
    assert_oauth_error(response, 415, "invalid_request")
    await _still_refreshes(http, rt)


async def test_wrong_grant_type_is_unsupported_grant_type(http: httpx.AsyncClient, rt: str) -> None:
    response = await http.post("/jwt/refresh", data={"grant_type": "password", "refresh_token": rt})
    assert_oauth_error(response, 400, "unsupported_grant_type")
    await _still_refreshes(http, rt)


async def test_form_without_grant_type_is_invalid_request(http: httpx.AsyncClient, rt: str) -> None:
    response = await http.post("/jwt/refresh", data={"refresh_token": rt})
    assert_oauth_error(response, 400, "invalid_request")
    await _still_refreshes(http, rt)


async def test_oversize_body_is_413(http: httpx.AsyncClient, rt: str) -> None:
    body = json.dumps({"refresh_token": rt, "padding": "x" * 20_000}).encode()
    response = await http.post("/jwt/refresh", content=body, headers=JSON)
    assert_oauth_error(response, 413, "invalid_request")
    await _still_refreshes(http, rt)


async def test_oversize_body_without_content_length_is_413(http: httpx.AsyncClient, rt: str) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"x" * 1024

    response = await http.post("/jwt/refresh", content=chunks(), headers=JSON)
    assert "content-length" not in response.request.headers
    assert_oauth_error(response, 413, "invalid_request")
    await _still_refreshes(http, rt)


async def test_duplicated_form_parameter_is_invalid_request(http: httpx.AsyncClient, rt: str) -> None:
    body = f"grant_type=refresh_token&refresh_token={rt}&refresh_token={rt}".encode()
    response = await http.post("/jwt/refresh", content=body, headers=FORM)
    assert_oauth_error(response, 400, "invalid_request")
    assert "more than once" in response.json()["error_description"]
    await _still_refreshes(http, rt)


async def test_refresh_token_of_wrong_json_type_is_invalid_request(http: httpx.AsyncClient, rt: str) -> None:
    response = await http.post("/jwt/refresh", json={"refresh_token": ["x"]})
    assert_oauth_error(response, 400, "invalid_request")
    await _still_refreshes(http, rt)


async def test_access_token_in_place_of_refresh_token_is_invalid_grant(
    http: httpx.AsyncClient, issue: Issue
) -> None:
    tokens = await issue()
    response = await http.post("/jwt/refresh", json={"refresh_token": tokens["access_token"]})
    assert_oauth_error(response, 400, "invalid_grant")
    await _still_refreshes(http, tokens["refresh_token"])


async def test_refresh_token_in_place_of_bearer_access_token_is_invalid_grant(
    http: httpx.AsyncClient, rt: str
) -> None:
    response = await http.post(
        "/jwt/refresh", json={"refresh_token": rt}, headers={"Authorization": f"Bearer {rt}"}
    )
    assert_oauth_error(response, 400, "invalid_grant")
    await _still_refreshes(http, rt)


async def test_tampered_refresh_token_is_invalid_grant(http: httpx.AsyncClient, rt: str) -> None:
    header, key, iv, ciphertext, tag = rt.split(".")
    flipped = ("A" if ciphertext[0] != "A" else "B") + ciphertext[1:]
    response = await http.post(
        "/jwt/refresh", json={"refresh_token": ".".join([header, key, iv, flipped, tag])}
    )
    assert_oauth_error(response, 400, "invalid_grant")
    await _still_refreshes(http, rt)


async def test_refresh_token_with_tampered_header_is_invalid_grant(http: httpx.AsyncClient, rt: str) -> None:
    _, *rest = rt.split(".")
    header = _b64({"alg": "dir", "enc": "A256GCM", "typ": "rt+jwt", "kid": "attacker"})
    response = await http.post("/jwt/refresh", json={"refresh_token": ".".join([header, *rest])})
    assert_oauth_error(response, 400, "invalid_grant")
    await _still_refreshes(http, rt)


async def test_alg_none_token_is_invalid_grant(http: httpx.AsyncClient, rt: str) -> None:
    payload = {"sub": "alice", "sid": "x", "gen": 0, "prf": "custom", "exp": 4_000_000_000}
    forged = f"{_b64({'alg': 'none', 'typ': 'rt+jwt'})}.{_b64(payload)}."
    response = await http.post("/jwt/refresh", json={"refresh_token": forged})
    assert_oauth_error(response, 400, "invalid_grant")
    await _still_refreshes(http, rt)


async def test_alg_none_bearer_token_is_invalid_grant(http: httpx.AsyncClient, issue: Issue) -> None:
    tokens = await issue()
    _, payload, _ = tokens["access_token"].split(".")
    forged = f"{_b64({'alg': 'none', 'typ': 'at+jwt'})}.{payload}."
    response = await http.post(
        "/jwt/refresh",
        json={"refresh_token": tokens["refresh_token"]},
        headers={"Authorization": f"Bearer {forged}"},
    )
    assert_oauth_error(response, 400, "invalid_grant")
    await _still_refreshes(http, tokens["refresh_token"])


async def test_refresh_token_with_zip_header_is_invalid_grant(http: httpx.AsyncClient, rt: str) -> None:
    _, *rest = rt.split(".")
    header = _b64({"alg": "dir", "enc": "A256GCM", "typ": "rt+jwt", "zip": "DEF"})
    response = await http.post("/jwt/refresh", json={"refresh_token": ".".join([header, *rest])})
    assert_oauth_error(response, 400, "invalid_grant")
    await _still_refreshes(http, rt)


async def test_refresh_token_over_8_kib_is_invalid_grant(http: httpx.AsyncClient, rt: str) -> None:
    response = await http.post("/jwt/refresh", json={"refresh_token": rt + "A" * 9000})
    assert_oauth_error(response, 400, "invalid_grant")
    await _still_refreshes(http, rt)


async def test_malformed_content_length_is_invalid_request(http: httpx.AsyncClient, rt: str) -> None:
    response = await http.post("/jwt/refresh", headers={"Content-Length": "abc", **JSON})
    assert_oauth_error(response, 400, "invalid_request")
    await _still_refreshes(http, rt)


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/jwt/refresh"), ("PUT", "/jwt/token"), ("DELETE", "/jwt/revoke"), ("POST", "/healthz")],
)
async def test_wrong_method_is_405_with_allow(http: httpx.AsyncClient, method: str, path: str) -> None:
    response = await http.request(method, path)
    assert_oauth_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] in ("GET", "POST")


async def test_unknown_path_is_404_json(http: httpx.AsyncClient) -> None:
    assert_oauth_error(await http.get("/jwt/nothing"), 404, "not_found")
    assert_oauth_error(await http.get("/elsewhere"), 404, "not_found")
