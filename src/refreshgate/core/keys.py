"""Key material, parsed once at start-up: access-token signing keys and refresh-token keys.

Keys come as PEM or JWK (JSON), from files or inline values (``${VAR}`` reads the environment).

The first access key signs, all verify; the first refresh key encrypts, all decrypt. Each access
key is tied to exactly one algorithm, and a token is only ever checked with that algorithm.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk
from jose.backends.base import Key

from refreshgate.config.model import AccessKeyConfig, KeysConfig, RefreshKeyConfig
from refreshgate.errors import ConfigError, ConfigProblem
from refreshgate.secret import Secret

__all__ = ["AccessKey", "KeySet", "RefreshKey", "generate_key_files"]

log = logging.getLogger("refreshgate")

_CURVES = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}


@dataclass(frozen=True, repr=False)
class AccessKey:
    """One access-token key: its ``kid``, its single algorithm, and parsed key objects."""

    kid: str
    alg: str
    verifier: Key
    signer: Key | None = None
    public_jwk: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"AccessKey(kid={self.kid!r}, alg={self.alg!r}, private={self.signer is not None})"


@dataclass(frozen=True, repr=False)
class RefreshKey:
    """One refresh-token key: 32 bytes for ``dir`` + ``A256GCM``."""

    kid: str
    secret: Secret = field(repr=False)

    def __repr__(self) -> str:
        return f"RefreshKey(kid={self.kid!r})"


@dataclass(frozen=True)
class KeySet:
    """All keys, by purpose. Build with :meth:`from_config` or :meth:`ephemeral`."""

    access: tuple[AccessKey, ...]
    refresh: tuple[RefreshKey, ...]
    ephemeral_keys: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "_access_by_kid", {key.kid: key for key in self.access})
        object.__setattr__(self, "_refresh_by_kid", {key.kid: key for key in self.refresh})

    @property
    def signing_key(self) -> AccessKey:
        """The access key that signs new tokens."""
        return self.access[0]

    @property
    def encryption_key(self) -> RefreshKey:
        """The refresh key that encrypts new refresh tokens."""
        return self.refresh[0]

    def access_key(self, kid: object) -> AccessKey | None:
        """The access key with this ``kid``, if any."""
        found: AccessKey | None = self._access_by_kid.get(kid) if isinstance(kid, str) else None  # type: ignore[attr-defined]
        return found

    def refresh_key(self, kid: object) -> RefreshKey | None:
        """The refresh key with this ``kid``, if any."""
        found: RefreshKey | None = self._refresh_by_kid.get(kid) if isinstance(kid, str) else None  # type: ignore[attr-defined]
        return found

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The public verification keys as a JWKS (symmetric keys are never published)."""
        return {"keys": [dict(key.public_jwk) for key in self.access if key.public_jwk]}

    @classmethod
    def from_config(cls, config: KeysConfig) -> KeySet:
        """Parse every configured key once; every problem is reported with its key path."""
        problems: list[ConfigProblem] = []
        access = [_load_access(k, f"keys.access.{i}", problems) for i, k in enumerate(config.access)]
        refresh = [_load_refresh(k, f"keys.refresh.{i}", problems) for i, k in enumerate(config.refresh)]
        if not config.access:
            problems.append(ConfigProblem("keys.access", "at least one access-token key is needed"))
        elif access[0] is not None and access[0].signer is None:
            problems.append(
                ConfigProblem("keys.access.0", "the first access key signs: it needs a private key")
            )
        if not config.refresh:
            problems.append(ConfigProblem("keys.refresh", "at least one refresh-token key is needed"))
        _no_duplicate_kids(config, problems)
        if problems:
            raise ConfigError(problems)
        return cls(tuple(k for k in access if k), tuple(k for k in refresh if k))

    @classmethod
    def ephemeral(cls) -> KeySet:
        """Fresh in-memory keys for ``--dev`` and tests: lost at exit, never for production."""
        private = ec.generate_private_key(ec.SECP256R1())
        access = _access_from_private("dev-" + secrets.token_hex(4), "ES256", _pem(private))
        refresh = RefreshKey("dev-rt-" + secrets.token_hex(4), Secret(secrets.token_bytes(32)))
        return cls((access,), (refresh,), ephemeral_keys=True)


def _load_access(config: AccessKeyConfig, path: str, problems: list[ConfigProblem]) -> AccessKey | None:
    try:
        if config.alg == "HS256":
            assert config.secret is not None
            key = jwk.construct(config.secret.get_secret_value().encode(), "HS256")
            return AccessKey(config.kid, "HS256", verifier=key, signer=key)
        if config.private_key_file or config.private_key:
            pem = (
                _read(config.private_key_file)
                if config.private_key_file
                else _secret_text(config.private_key)
            )
            return _access_from_private(config.kid, config.alg, _pem_of(pem, config.alg))
        pem = _read(config.public_key_file) if config.public_key_file else (config.public_key or "").encode()
        verifier = jwk.construct(_pem_of(pem, config.alg), config.alg)
        if not verifier.is_public():
            # a private key where a verification key belongs: keep only its public part, so the
            # private half can never reach the JWKS
            verifier = verifier.public_key()
        return AccessKey(
            config.kid, config.alg, verifier=verifier, public_jwk=_public_jwk(verifier, config.kid)
        )
    except OSError as exc:
        problems.append(ConfigProblem(path, f"cannot read key file: {exc.strerror}"))
    except Exception as exc:
        problems.append(ConfigProblem(path, f"not a usable {config.alg} key ({type(exc).__name__})"))
    return None


def _access_from_private(kid: str, alg: str, pem: bytes) -> AccessKey:
    _check_key_type(alg, serialization.load_pem_private_key(pem, password=None))
    signer = jwk.construct(pem, alg)
    verifier = signer.public_key()
    return AccessKey(kid, alg, verifier=verifier, signer=signer, public_jwk=_public_jwk(verifier, kid))


def _pem_of(material: bytes, alg: str) -> bytes:
    """PEM as given; an EC/RSA JWK (JSON) becomes PEM (its ``alg``, when set, must match)."""
    if not material.lstrip().startswith(b"{"):
        return material
    data = json.loads(material)
    if not isinstance(data, dict) or data.get("kty") not in ("EC", "RSA"):
        raise ValueError("not an EC or RSA JWK")
    if data.get("alg", alg) != alg:
        raise ValueError("the JWK's alg does not match the configured alg")
    return bytes(jwk.construct(data, alg).to_pem())


def _check_key_type(alg: str, key: object) -> None:
    if alg.startswith("ES") and not (
        isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == _CURVES[alg].name
    ):
        raise ValueError("key does not match alg")
    if alg.startswith("RS") and not (isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048):
        raise ValueError("key does not match alg (RSA, at least 2048 bits)")


def _public_jwk(verifier: Key, kid: str) -> dict[str, Any]:
    data: dict[str, Any] = dict(verifier.to_dict())
    data.update({"kid": kid, "use": "sig"})
    return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in data.items()}


def _load_refresh(config: RefreshKeyConfig, path: str, problems: list[ConfigProblem]) -> RefreshKey | None:
    try:
        text = (
            _read(config.key_file).decode().strip() if config.key_file else _secret_text(config.key).decode()
        )
        text = _oct_jwk_value(text)
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except OSError as exc:
        problems.append(ConfigProblem(path, f"cannot read key file: {exc.strerror}"))
        return None
    except ValueError:
        problems.append(ConfigProblem(path, "not base64url (or an oct JWK)"))
        return None
    if len(raw) != 32:
        problems.append(ConfigProblem(path, f"must be 32 bytes (base64url), got {len(raw)}"))
        return None
    return RefreshKey(config.kid, Secret(raw))


def _oct_jwk_value(text: str) -> str:
    """The base64url ``k`` of a ``{"kty": "oct"}`` JWK; any other text is returned as given."""
    if not text.startswith("{"):
        return text
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("kty") != "oct" or not isinstance(data.get("k"), str):
        raise ValueError("not an oct JWK")
    return str(data["k"]).strip()


def _no_duplicate_kids(config: KeysConfig, problems: list[ConfigProblem]) -> None:
    kids: dict[str, list[str]] = {
        "access": [key.kid for key in config.access],
        "refresh": [key.kid for key in config.refresh],
    }
    for purpose, names in kids.items():
        for index, kid in enumerate(names):
            if kid in names[:index]:
                problems.append(ConfigProblem(f"keys.{purpose}.{index}.kid", f"duplicate kid {kid!r}"))


def _read(path: str | None) -> bytes:
    assert path is not None
    return Path(path).read_bytes()


def _secret_text(value: Any) -> bytes:
    return str(value.get_secret_value()).encode()


def _pem(private: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def generate_key_files(out_dir: str | Path, *, alg: str = "ES256", stamp: str) -> dict[str, Any]:
    """Write a working key set into ``out_dir`` (mode 0600) and return the matching ``keys:`` block."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    private: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    if alg.startswith("RS"):
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        private = ec.generate_private_key(_CURVES[alg])
    at_file, rt_file = out / f"at-{stamp}.pem", out / f"rt-{stamp}.key"
    for file, data in (
        (at_file, _pem(private)),
        (rt_file, base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=")),
    ):
        file.write_bytes(data)
        file.chmod(0o600)
    block = {
        "keys": {
            "access": [{"kid": f"at-{stamp}", "alg": alg, "private_key_file": str(at_file.resolve())}],
            "refresh": [{"kid": f"rt-{stamp}", "key_file": str(rt_file.resolve())}],
        }
    }
    return block
