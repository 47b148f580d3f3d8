"""Provider calls over httpx, with every httpx failure translated into a provider error."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from refreshgate.providers.errors import ProviderAuthError, ProviderUnavailable

__all__ = ["ProviderHTTP", "basic_auth_header"]

logger = logging.getLogger("refreshgate.providers")

_MAX_BODY = 256 * 1024


def basic_auth_header(client_id: str, client_secret: str) -> str:
    """``client_secret_basic``: RFC 6749 §2.3.1 form-encodes both parts before base64."""
    pair = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode()).decode("ascii")


class ProviderHTTP:
    """JSON GETs and form POSTs to one provider with bounded timeouts."""

    def __init__(self, client: httpx.AsyncClient | None, timeout: httpx.Timeout) -> None:
        self._timeout = timeout
        self._own = client is None
        self._client = client if client is not None else httpx.AsyncClient(timeout=timeout)

    async def aclose(self) -> None:
        """Close the client if this object created it."""
        if self._own:
            await self._client.aclose()

    async def get_json(self, url: str) -> dict[str, Any]:
        """GET a JSON object (discovery, JWKS); any failure is :class:`ProviderUnavailable`."""
        response = await self._send("GET", url)
        if response.status_code != 200:
            raise ProviderUnavailable(f"provider answered {response.status_code}")
        return _json_object(response)

    async def post_form(self, url: str, form: Mapping[str, str], authorization: str) -> dict[str, Any]:
        """POST a form to the token endpoint; OAuth2 errors become :class:`ProviderAuthError`."""
        response = await self._send("POST", url, data=dict(form), authorization=authorization)
        if response.status_code >= 500 or response.status_code == 429:
            raise ProviderUnavailable(f"provider answered {response.status_code}")
        if response.status_code >= 400:
            raise _oauth_error(response)
        if response.status_code != 200:
            raise ProviderUnavailable(f"provider answered {response.status_code}")
        return _json_object(response)

    async def _send(
        self,
        method: str,
        url: str,
        *,
        data: dict[str, str] | None = None,
        authorization: str | None = None,
    ) -> httpx.Response:
        headers = {"Accept": "application/json"}
        if authorization is not None:
            headers["Authorization"] = authorization
        try:
            return await self._client.request(method, url, data=data, headers=headers, timeout=self._timeout)
        except httpx.TimeoutException as exc:
            logger.warning("provider timeout: %s %s", method, _no_query(url))
            raise ProviderUnavailable("provider timed out") from exc
        except httpx.HTTPError as exc:
            logger.warning("provider unreachable: %s %s (%s)", method, _no_query(url), type(exc))
            raise ProviderUnavailable("provider unreachable") from exc


def _json_object(response: httpx.Response) -> dict[str, Any]:
    if len(response.content) > _MAX_BODY:
        raise ProviderUnavailable("provider answer too large")
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        raise ProviderUnavailable("provider answer is not JSON") from exc
    if not isinstance(body, dict):
        raise ProviderUnavailable("provider answer is not a JSON object")
    return body


def _oauth_error(response: httpx.Response) -> ProviderAuthError:
    """RFC 6749 §5.2 error body, or a generic refusal when the body is not one."""
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        description = body.get("error_description")
        return ProviderAuthError(body["error"], description if isinstance(description, str) else None)
    return ProviderAuthError(f"http_{response.status_code}")


def _no_query(url: str) -> str:
    return url.split("?", 1)[0]
