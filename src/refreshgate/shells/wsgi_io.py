"""WSGI plumbing: one background event loop for the async core, and environ ↔ core translation."""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import Coroutine, Iterable, MutableMapping
from concurrent.futures import Future
from http import HTTPStatus
from typing import Any, Protocol, TypeVar

from refreshgate.core.api import ApiRequest, ApiResponse
from refreshgate.core.request import RequestView
from refreshgate.errors import InvalidRequest, RequestTooLarge

__all__ = [
    "BackgroundLoop",
    "Environ",
    "StartResponse",
    "api_request_of",
    "path_of",
    "respond",
    "view_of_environ",
]

T = TypeVar("T")
Environ = MutableMapping[str, Any]


class StartResponse(Protocol):
    """The WSGI ``start_response`` callable."""

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None, /) -> Any: ...


class BackgroundLoop:
    """One event loop on a daemon thread, shared by every worker thread that calls :meth:`run`.

    Started on first use; stopped by :meth:`close` or at interpreter exit.
    """

    def __init__(self, name: str = "refreshgate-loop") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run ``coro`` on the loop and wait for its result from this (worker) thread."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self._started())
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def _started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name=self._name, daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
                atexit.register(self.close)
            return self._loop

    def close(self) -> None:
        """Stop the loop and its thread (idempotent); a later :meth:`run` starts a new one."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        atexit.unregister(self.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()


def path_of(environ: Environ) -> str:
    """The request path as the client sent it (``SCRIPT_NAME`` + ``PATH_INFO``, UTF-8)."""
    raw = f"{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}" or "/"
    return raw.encode("latin-1", "replace").decode("utf-8", "replace")


def view_of_environ(environ: Environ) -> RequestView:
    """The core's view of a WSGI request."""
    return RequestView(
        method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
        path=path_of(environ),
        query=str(environ.get("QUERY_STRING", "")),
        authorization=environ.get("HTTP_AUTHORIZATION"),
        cookie=environ.get("HTTP_COOKIE"),
        accept=environ.get("HTTP_ACCEPT"),
        remote=environ.get("REMOTE_ADDR"),
    )


def api_request_of(environ: Environ, limit: int) -> ApiRequest:
    """An endpoint request, reading ``wsgi.input`` up to ``limit`` bytes (else RequestTooLarge)."""
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = str(environ[key])
    declared = headers.get("content-length")
    if declared is not None and not declared.isdigit():
        raise InvalidRequest("malformed Content-Length")
    if declared is not None and int(declared) > limit:
        raise RequestTooLarge(f"request body over {limit} bytes")
    stream = environ.get("wsgi.input")
    if declared is not None and stream is not None:
        body = stream.read(int(declared))
    elif environ.get("wsgi.input_terminated") and stream is not None:
        body = stream.read(limit + 1)
    else:
        body = b""
    if len(body) > limit:
        raise RequestTooLarge(f"request body over {limit} bytes")
    view = view_of_environ(environ)
    return ApiRequest(view.method, view.path, headers, body, view.remote, view.query)


def respond(start_response: StartResponse, response: ApiResponse) -> Iterable[bytes]:
    """Send a core response over WSGI."""
    headers = [*response.headers, ("content-length", str(len(response.body)))]
    start_response(f"{response.status} {HTTPStatus(response.status).phrase}", headers)
    return [response.body]
