"""Secrets wrapped so that ``repr``, ``str`` and logs never show them."""

from __future__ import annotations

import hmac

__all__ = ["Secret"]


class Secret:
    """A secret string or bytes value; read it with :meth:`reveal`, compare in constant time."""

    __slots__ = ("_value",)

    def __init__(self, value: str | bytes) -> None:
        self._value = value.encode() if isinstance(value, str) else value

    def reveal(self) -> bytes:
        """The secret bytes. Never log the result."""
        return self._value

    def matches(self, candidate: str | bytes) -> bool:
        """Constant-time comparison with a candidate value."""
        other = candidate.encode() if isinstance(candidate, str) else candidate
        return hmac.compare_digest(self._value, other)

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and hmac.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(("Secret", len(self._value)))
