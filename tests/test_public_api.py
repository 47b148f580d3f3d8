"""The public surface is deliberate: adding or removing a name is a visible change."""

from __future__ import annotations

import refreshgate

EXPECTED = {
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
}


def test_public_names_are_exactly_the_pinned_set() -> None:
    assert set(refreshgate.__all__) == EXPECTED


def test_every_public_name_resolves() -> None:
    for name in refreshgate.__all__:
        assert getattr(refreshgate, name) is not None


def test_every_public_error_is_a_refreshgate_error() -> None:
    for name in ("AccessDenied", "ConfigError", "InvalidGrant", "InvalidToken", "StoreUnavailable"):
        assert issubclass(getattr(refreshgate, name), refreshgate.RefreshgateError)
