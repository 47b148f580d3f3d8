"""Provider endpoints: from OIDC discovery, TARA's documented paths, or explicit config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from refreshgate.config.tara import TaraConfig
from refreshgate.providers.errors import ProviderUnavailable
from refreshgate.providers.http import ProviderHTTP

__all__ = ["ProviderMetadata", "discovery_url", "load_metadata", "static_metadata"]

_TARA_PATHS = {
    "authorization_endpoint": "/oidc/authorize",
    "token_endpoint": "/oidc/token",
    "jwks_uri": "/oidc/jwks",
}


@dataclass(frozen=True)
class ProviderMetadata:
    """The endpoints and capabilities the provider needs."""

    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    end_session_endpoint: str | None = None
    pkce_s256: bool = False


def discovery_url(issuer: str) -> str:
    """``{issuer}/.well-known/openid-configuration`` (issuer with or without trailing slash)."""
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def static_metadata(config: TaraConfig) -> ProviderMetadata:
    """Endpoints without discovery: TARA's documented paths unless configured explicitly."""
    base = config.issuer.rstrip("/")
    return ProviderMetadata(
        authorization_endpoint=config.authorization_endpoint or base + _TARA_PATHS["authorization_endpoint"],
        token_endpoint=config.token_endpoint or base + _TARA_PATHS["token_endpoint"],
        jwks_uri=config.jwks_uri or base + _TARA_PATHS["jwks_uri"],
        end_session_endpoint=config.end_session_endpoint,
    )


async def load_metadata(config: TaraConfig, http: ProviderHTTP) -> ProviderMetadata:
    """Discovery document, checked against the configured issuer; explicit config wins."""
    if not config.discovery:
        return static_metadata(config)
    document = await http.get_json(discovery_url(config.issuer))
    if document.get("issuer") != config.issuer:
        # OIDC Discovery §4.3: a document for another issuer must not be used.
        raise ProviderUnavailable("discovery issuer does not match the configured issuer")
    methods = document.get("code_challenge_methods_supported")
    http_ok = config.allow_insecure_issuer
    return ProviderMetadata(
        authorization_endpoint=config.authorization_endpoint
        or _endpoint(document, "authorization_endpoint", http_ok),
        token_endpoint=config.token_endpoint or _endpoint(document, "token_endpoint", http_ok),
        jwks_uri=config.jwks_uri or _endpoint(document, "jwks_uri", http_ok),
        end_session_endpoint=config.end_session_endpoint
        or _optional(document, "end_session_endpoint", http_ok),
        pkce_s256=isinstance(methods, list) and "S256" in methods,
    )


def _endpoint(document: dict[str, Any], name: str, http_ok: bool) -> str:
    value = _optional(document, name, http_ok)
    if value is None:
        raise ProviderUnavailable(f"discovery document lacks {name}")
    return value


def _optional(document: dict[str, Any], name: str, http_ok: bool) -> str | None:
    value = document.get(name)
    if value is None:
        return None
    schemes = ("https://", "http://") if http_ok else ("https://",)
    if not isinstance(value, str) or not value.startswith(schemes):
        raise ProviderUnavailable(f"discovery document has a bad {name}")
    return value
