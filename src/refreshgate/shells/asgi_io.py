"""ASGI plumbing shared by the shells: read a bounded body, send a core response, view a scope."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from refreshgate.core.api import ApiRequest, ApiResponse
from refreshgate.core.request import RequestView
from refreshgate.errors import InvalidRequest, RequestTooLarge

__all__ = [
    "Receive",
    "Scope",
    "Send",
    "api_request",
    "header",
    "remote_of",
    "send_api_response",
    "view_of_scope",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header (``name`` lower-case bytes)."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def remote_of(scope: Scope) -> str | None:
    """The client address as the server saw it."""
    client = scope.get("client")
    return str(client[0]) if client else None


def view_of_scope(scope: Scope) -> RequestView:
    """The core's view of an ASGI HTTP request."""
    authorization = cookie = accept = None
    for key, value in scope["headers"]:
        if key == b"authorization" and authorization is None:
            authorization = value.decode("latin-1")
        elif key == b"cookie":
            cookie = value.decode("latin-1") if cookie is None else f"{cookie}; {value.decode('latin-1')}"
        elif key == b"accept" and accept is None:
            accept = value.decode("latin-1")
    return RequestView(
        method=scope["method"],
        path=scope["path"],
        query=scope.get("query_string", b"").decode("latin-1"),
        authorization=authorization,
        cookie=cookie,
        accept=accept,
        remote=remote_of(scope),
    )


async def api_request(scope: Scope, receive: Receive, limit: int) -> ApiRequest:
    """Read the request body (at most ``limit`` bytes, else :class:`RequestTooLarge`)."""
    headers: dict[str, str] = {}
    for key, value in scope["headers"]:
        name = key.decode("latin-1")
        text = value.decode("latin-1")
        headers[name] = (
            f"{headers[name]}; {text}" if name == "cookie" and name in headers else headers.get(name, text)
        )
    declared = headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise InvalidRequest("malformed Content-Length")
        if int(declared) > limit:
            raise RequestTooLarge(f"request body over {limit} bytes")
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise RequestTooLarge(f"request body over {limit} bytes")
        chunks.append(chunk)
        more = message.get("more_body", False)
    return ApiRequest(
        method=scope["method"],
        path=scope["path"],
        headers=headers,
        body=b"".join(chunks),
        remote=remote_of(scope),
        query=scope.get("query_string", b"").decode("latin-1"),
    )


async def send_api_response(
    send: Send, response: ApiResponse, extra: list[tuple[str, str]] | None = None
) -> None:
    """Send a core response over ASGI."""
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in [*response.headers, *(extra or [])]]
    headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
