"""The ``tara:`` configuration block: one OpenID Connect provider (TARA or GovSSO).

TARA (``https://tara.ria.ee``, issuer without a trailing slash) only authenticates; GovSSO
(``https://govsso.ria.ee/``, issuer with one) also refreshes sessions, which is what
``provider_refresh: true`` turns on. The issuer is kept exactly as written: OpenID Connect compares
it byte for byte with the ``iss`` claim.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator

from refreshgate.config.durations import Duration

__all__ = ["AcrLevel", "TaraConfig"]

AcrLevel = Literal["low", "substantial", "high"]

PositiveDuration = Annotated[Duration, Field(gt=0)]


def _check_url(value: str, *, allow_http: bool) -> str:
    parts = urlsplit(value)
    if parts.scheme == "http" and not allow_http:
        raise ValueError("http:// is only allowed with allow_insecure_issuer: true")
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError(f"not an absolute https:// URL: {value!r}")
    if parts.fragment:
        raise ValueError("must not carry a fragment")
    return value


class TaraConfig(BaseModel):
    """Settings for the TARA/GovSSO login, code exchange, ID-token checks and provider refresh.

    ``client_secret_file`` is resolved by the configuration loader, so only ``client_secret`` is
    seen here. Durations accept ``"2s"``, ``"500ms"`` or seconds as numbers.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Declared first so the URL validators below can read it.
    allow_insecure_issuer: bool = False
    issuer: str
    client_id: str = Field(min_length=1)
    client_secret: SecretStr | None = Field(default=None, validate_default=True)
    redirect_uri: str
    scope: str = "openid"
    acr_values: AcrLevel | None = None
    ui_locales: str | None = None
    provider_refresh: bool = False
    discovery: bool = True
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    jwks_uri: str | None = None
    end_session_endpoint: str | None = None
    connect_timeout: PositiveDuration = 2.0
    read_timeout: PositiveDuration = 5.0
    clock_skew: Duration = 30.0
    jwks_cache_ttl: PositiveDuration = 300.0
    login_state_ttl: PositiveDuration = 600.0
    refresh_retry_backoff: Duration = 1.0
    cookie_name: str = "TIM_TARA_JWT"
    state_cookie_name: str = "refreshgate_tara_state"
    login_path: str = "/tara/login"
    callback_path: str = "/tara/callback"
    backchannel_logout_path: str = "/tara/backchannel-logout"

    @field_validator("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "end_session_endpoint")
    @classmethod
    def _provider_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        return _check_url(value, allow_http=bool(info.data.get("allow_insecure_issuer", False)))

    @field_validator("redirect_uri")
    @classmethod
    def _redirect_uri(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ValueError(f"not an absolute URL: {value!r}")
        if "#" in value:
            raise ValueError("must not carry a fragment")
        return value

    @field_validator("client_secret")
    @classmethod
    def _secret_present(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            raise ValueError("client_secret (or client_secret_file) is required")
        return value

    @field_validator("scope")
    @classmethod
    def _scope_has_openid(cls, value: str) -> str:
        if "openid" not in value.split():
            raise ValueError("scope must include 'openid'")
        return value

    @field_validator("login_path", "callback_path", "backchannel_logout_path")
    @classmethod
    def _absolute_path(cls, value: str) -> str:
        if not value.startswith("/") or value.startswith("//"):
            raise ValueError("must be a path starting with a single '/'")
        return value

    @property
    def scopes(self) -> tuple[str, ...]:
        """The configured scope split into its values."""
        return tuple(self.scope.split())
