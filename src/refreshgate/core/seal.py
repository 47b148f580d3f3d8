"""Seal results kept for the grace period so the store never holds a usable raw token.

The sealing key is derived from the server's refresh key and the *presented* token, so reading a
kept result needs both the server's key and the token that earned it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from refreshgate.core.keys import KeySet

__all__ = ["Sealer"]


class Sealer:
    """AES-GCM sealing of small JSON results, keyed per presented token."""

    def __init__(self, keys: KeySet) -> None:
        self._root = hashlib.sha256(b"refreshgate/seal/v1" + keys.encryption_key.secret.reveal()).digest()

    def _key(self, context: str) -> bytes:
        return hmac.new(self._root, context.encode(), hashlib.sha256).digest()

    def seal(self, context: str, value: dict[str, Any]) -> str:
        """Encrypt ``value`` for whoever presents ``context`` again."""
        nonce = os.urandom(12)
        sealed = AESGCM(self._key(context)).encrypt(nonce, json.dumps(value).encode(), None)
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def unseal(self, context: str, sealed: str) -> dict[str, Any] | None:
        """The sealed value, or ``None`` if ``context`` is not the token that sealed it."""
        try:
            raw = base64.urlsafe_b64decode(sealed)
            plain = AESGCM(self._key(context)).decrypt(raw[:12], raw[12:], None)
        except (InvalidTag, ValueError):
            return None
        value = json.loads(plain)
        return value if isinstance(value, dict) else None
