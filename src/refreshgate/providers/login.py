"""Values of the login redirect: ``state`` from the cookie secret, PKCE, a safe return address."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import quote

__all__ = ["pkce_challenge", "safe_return_to", "state_for"]

#: printable ASCII but the space: kept as is in a return address (``%`` too: already encoded)
_HEADER_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))


def state_for(secret: str) -> str:
    """The ``state`` parameter for the cookie value R: ``base64(sha256(R))`` (TARA's advice)."""
    return base64.b64encode(hashlib.sha256(secret.encode()).digest()).decode("ascii")


def safe_return_to(value: str | None, default: str = "/") -> str:
    """``value`` if it is a local path (no scheme, host or ``//``), else ``default``."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if any(ch in value for ch in "\\\r\n\t\x00"):
        return default
    # it becomes a Location header: anything but printable ASCII is percent-encoded (UTF-8)
    return quote(value, safe=_HEADER_SAFE)


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 ``S256`` code challenge: unpadded base64url of ``sha256(verifier)``."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
