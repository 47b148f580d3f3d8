"""The typed configuration: what ``sidecar.yaml`` may say, with defaults (SPEC §7).

Every model forbids unknown keys, so a typo such as ``profiles.custom.acess_ttl`` is an error that
names its key path. Durations accept ``"30s" "15m" "12h" "7d"`` or integer seconds.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from refreshgate.config.durations import Duration, Rate, RateLimit
from refreshgate.config.tara import TaraConfig

__all__ = [
    "AccessKeyConfig",
    "ApiConfig",
    "AuditConfig",
    "ClientConfig",
    "Config",
    "CookieConfig",
    "ProfileConfig",
    "RefreshKeyConfig",
    "RouteConfig",
    "ServerConfig",
    "StoreConfig",
    "TlsConfig",
    "TokensConfig",
    "UpstreamConfig",
]

AccessAlg = Literal["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "HS256"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TlsConfig(_Model):
    """Serve HTTPS directly."""

    cert_file: str
    key_file: str


class ServerConfig(_Model):
    """Where ``refreshgate serve`` listens."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    tls: TlsConfig | None = None
    drain_timeout: Duration = 10.0


class UpstreamConfig(_Model):
    """The app the sidecar proxies to."""

    url: str
    connect_timeout: Duration = 2.0
    read_timeout: Duration = 30.0
    max_connections: int = Field(100, ge=1)
    identity_headers: bool = True
    subject_header: str = "X-Auth-Subject"
    session_header: str = "X-Auth-Session"

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")


class StoreConfig(_Model):
    """The refresh store: ``memory://`` or ``redis://host:port/db`` (``rediss://`` for TLS)."""

    url: str = "memory://"
    timeout: Duration = 1.0
    key_prefix: str = "rg:"
    #: how long a replica may trust a cached "not revoked" answer (revocations reach every
    #: replica within this time plus one round trip)
    revocation_cache: Duration = 0.5

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(("memory://", "redis://", "rediss://")):
            raise ValueError("must start with memory://, redis:// or rediss://")
        return value


class TokensConfig(_Model):
    """Claims every token carries and how strictly time is read."""

    issuer: str = "refreshgate"
    audience: str | list[str] | None = None
    clock_skew: Duration = 30.0
    verify_cache_size: int = Field(10_000, ge=0)


class AccessKeyConfig(_Model):
    """An access-token signing/verification key. The first configured key signs."""

    kid: str
    alg: AccessAlg = "ES256"
    private_key_file: str | None = None
    private_key: SecretStr | None = None
    public_key_file: str | None = None
    public_key: str | None = None
    secret: SecretStr | None = None
    allow_symmetric: bool = False

    @model_validator(mode="after")
    def _material(self) -> AccessKeyConfig:
        if self.alg == "HS256":
            if not self.allow_symmetric:
                raise ValueError("HS256 needs an explicit allow_symmetric: true")
            if self.secret is None:
                raise ValueError("HS256 needs secret (or secret_file)")
            return self
        given = [self.private_key_file, self.private_key, self.public_key_file, self.public_key]
        if sum(value is not None for value in given) != 1:
            raise ValueError("give exactly one of private_key_file, private_key, public_key_file, public_key")
        return self


class RefreshKeyConfig(_Model):
    """A refresh-token encryption key: 32 random bytes, base64url. The first encrypts."""

    kid: str
    key_file: str | None = None
    key: SecretStr | None = None

    @model_validator(mode="after")
    def _material(self) -> RefreshKeyConfig:
        if (self.key_file is None) == (self.key is None):
            raise ValueError("give exactly one of key_file, key")
        return self


class KeysConfig(_Model):
    """Signing keys for access tokens and encryption keys for refresh tokens."""

    access: list[AccessKeyConfig] = Field(default_factory=list)
    refresh: list[RefreshKeyConfig] = Field(default_factory=list)


class ClientConfig(_Model):
    """A client that authenticates with HTTP Basic at the token endpoints."""

    secret: SecretStr
    profiles: list[str] | None = None
    admin: bool = False


class ProfileConfig(_Model):
    """A named policy set; unset keys come from the profile it extends (``custom`` or ``tara``)."""

    extends: Literal["custom", "tara"] | None = None
    access_ttl: Duration | None = None
    refresh_ttl: Duration | None = None
    refresh_window: Duration | None = None
    grace_period: Duration | None = None
    grace_replays: int | None = Field(None, ge=0)
    rotate_refresh_tokens: bool | None = None
    reuse_detection: Literal["revoke_session", "reject"] | None = None
    max_refreshes: int | None = Field(None, ge=1)
    max_session_age: Duration | None = None
    idle_timeout: Duration | None = None
    rate_limit: Rate = None
    bind_client: bool | None = None
    require_access_token_binding: bool | None = None
    login_url: str | None = None


class RouteConfig(_Model):
    """One route rule; the first rule whose path and method match applies."""

    path: str
    methods: list[str] | None = None
    profile: str = "custom"
    auth: Literal["required", "optional", "none"] = "required"
    refresh: bool = True
    token_from: str = "header"

    @field_validator("token_from")
    @classmethod
    def _source(cls, value: str) -> str:
        if value == "header" or (value.startswith("cookie:") and len(value) > len("cookie:")):
            return value
        raise ValueError("must be 'header' or 'cookie:NAME'")

    @field_validator("methods")
    @classmethod
    def _upper(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [method.upper() for method in value]


class AuditConfig(_Model):
    """Where audit events go: ``stdout`` (JSON lines), ``logger`` only, or a ``file``."""

    sink: Literal["stdout", "stderr", "logger", "file", "off"] = "stdout"
    file: str | None = None


class CookieConfig(_Model):
    """Attributes of the cookies refreshgate sets."""

    secure: bool = True
    same_site: Literal["lax", "strict", "none"] = "lax"
    domain: str | None = None
    path: str = "/"
    refresh_token_name: str = "refreshgate_rt"


class ApiConfig(_Model):
    """The token endpoints (SPEC §6)."""

    enabled: bool = True
    prefix: str = "/jwt"
    max_body_bytes: int = Field(16_384, ge=256)
    address_rate_limit: Rate = Field(default_factory=lambda: RateLimit(120, 60))
    max_access_ttl: Duration | None = None

    @field_validator("prefix")
    @classmethod
    def _slash(cls, value: str) -> str:
        if not value.startswith("/") or value.endswith("/"):
            raise ValueError("must start with '/' and not end with '/'")
        return value


class Config(_Model):
    """The whole configuration of refreshgate (sidecar and middlewares alike)."""

    server: ServerConfig = Field(default_factory=ServerConfig)
    upstream: UpstreamConfig | None = None
    store: StoreConfig = Field(default_factory=StoreConfig)
    tokens: TokensConfig = Field(default_factory=TokensConfig)
    keys: KeysConfig = Field(default_factory=KeysConfig)
    clients: dict[str, ClientConfig] = Field(default_factory=dict)
    profiles: dict[str, ProfileConfig] = Field(default_factory=dict)
    routes: list[RouteConfig] = Field(default_factory=list)
    tara: TaraConfig | None = None
    audit: AuditConfig = Field(default_factory=AuditConfig)
    cookies: CookieConfig = Field(default_factory=CookieConfig)
    api: ApiConfig = Field(default_factory=ApiConfig)
