"""TARA-only fakes for the TARA integration tests; the shared ones live in tests/oidc_fakes.py.

ID-card and eIDAS fixture claims (TARA.md), and a store wrapper that records what was written.
"""

from __future__ import annotations

from typing import Any

from oidc_fakes import MOBILE_ID_CLAIMS, claims_like

ID_CARD_CLAIMS: dict[str, Any] = claims_like(
    MOBILE_ID_CLAIMS,
    amr=["idcard"],
    acr="high",
    email="60001019906@eesti.ee",
    email_verified=False,
    phone_number=None,
    phone_number_verified=None,
)

EIDAS_SUB = "DE" + "1234567890ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 6
EIDAS_CLAIMS: dict[str, Any] = claims_like(
    MOBILE_ID_CLAIMS,
    sub=EIDAS_SUB,
    amr=["eIDAS"],
    acr="substantial",
    profile_attributes={"date_of_birth": "1965-01-01", "family_name": "Müller", "given_name": "Jörg"},
    profile_attributes_translit={"family_name": "Mueller", "given_name": "Joerg"},
    phone_number=None,
    phone_number_verified=None,
)


class RecordingStore:
    """A store that delegates to a real one and remembers every key written."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.written: list[tuple[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def set(self, key: str, value: Any, ttl: float) -> None:
        self.written.append((key, value))
        await self.inner.set(key, value, ttl)

    async def set_many(self, items: Any, ttl: float) -> None:
        self.written.extend(items)
        await self.inner.set_many(items, ttl)

    async def add(self, key: str, value: Any, ttl: float) -> bool:
        won: bool = await self.inner.add(key, value, ttl)
        if won:
            self.written.append((key, value))
        return won

    def sessions(self) -> list[dict[str, Any]]:
        """Every session record written (``c:s:`` / ``t:s:``)."""
        return [v for k, v in self.written if k[1:4] == ":s:" and isinstance(v, dict)]

    def sessions_of(self, sub: str) -> list[dict[str, Any]]:
        """Session records written for ``sub``."""
        return [s for s in self.sessions() if s.get("sub") == sub]
