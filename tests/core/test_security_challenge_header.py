"""``WWW-Authenticate`` carries error descriptions that may quote a provider's error code.

A GovSSO ``error`` such as ``"bad\\r\\nSet-Cookie: x=1"`` or one with characters outside
Latin-1 reached the challenge verbatim: the server refused the header (500) or, with a lax
server, a header line could be injected.
"""

from __future__ import annotations

from refreshgate.errors import InvalidToken


def test_challenge_values_are_printable_ascii() -> None:
    error = InvalidToken("provider refused: bad\r\nSet-Cookie: x=1 Šš", login_url="/lo\ngin")
    challenge = dict(error.headers())["www-authenticate"]
    assert challenge.isascii() and challenge.isprintable()
    assert "\r" not in challenge and "\n" not in challenge
    assert 'error_description="provider refused: bad' in challenge
