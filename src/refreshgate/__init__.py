"""refreshgate: keep JWT sessions alive without re-login and without weakening security."""

from __future__ import annotations

from refreshgate.asgi import RefreshMiddleware
from refreshgate.clock import Clock, ManualClock, SystemClock
from refreshgate.config import Config, load_config, parse_config
from refreshgate.core.api import ApiRequest, ApiResponse, TokenApi
from refreshgate.core.context import TokenResponse
from refreshgate.core.engine import Client, Engine
from refreshgate.core.identity import AuthInfo
from refreshgate.core.keys import KeySet
from refreshgate.core.request import Decision, RequestView
from refreshgate.errors import (
    AccessDenied,
    ConfigError,
    InvalidClient,
    InvalidGrant,
    InvalidRequest,
    InvalidToken,
    OAuthError,
    RateLimited,
    RefreshgateError,
    StoreUnavailable,
    TemporarilyUnavailable,
)
from refreshgate.store import Store, create_store
from refreshgate.wsgi import WSGIRefreshMiddleware

__version__ = "0.1.0"

__all__ = [
    "AccessDenied",
    "ApiRequest",
    "ApiResponse",
    "AuthInfo",
    "Client",
    "Clock",
    "Config",
    "ConfigError",
    "Decision",
    "Engine",
    "InvalidClient",
    "InvalidGrant",
    "InvalidRequest",
    "InvalidToken",
    "KeySet",
    "ManualClock",
    "OAuthError",
    "RateLimited",
    "RefreshMiddleware",
    "RefreshgateError",
    "RequestView",
    "Store",
    "StoreUnavailable",
    "SystemClock",
    "TemporarilyUnavailable",
    "TokenApi",
    "TokenResponse",
    "WSGIRefreshMiddleware",
    "__version__",
    "create_store",
    "load_config",
    "parse_config",
]
