"""The login's return address ends up in a ``Location`` header: it must be a valid header value.

A path with non-ASCII characters (``/tööd``, what the 302 to the login sends for such a page)
or a space came back verbatim: the header could not be encoded, the callback failed with a 500
after the session was created, and the person's cookies were lost.
"""

from __future__ import annotations

from tara_flow import TaraEnv, header

from oidc_fakes import MOBILE_ID_CLAIMS
from refreshgate.providers import safe_return_to


async def test_a_non_ascii_return_to_comes_back_percent_encoded(env: TaraEnv) -> None:
    logged = await env.login(MOBILE_ID_CLAIMS, "/portal/tööd/€ x?q=1")
    location = header(logged.response, "location") or ""
    assert location == "/portal/t%C3%B6%C3%B6d/%E2%82%AC%20x?q=1"
    location.encode("ascii")


def test_control_characters_never_survive() -> None:
    for value in ("/a\x0bb", "/a\x7fb", "/a\u2028b", "/a b"):
        result = safe_return_to(value)
        assert result.isascii() and result.isprintable() and " " not in result
    assert safe_return_to("/portal/home?x=1&y=%2F") == "/portal/home?x=1&y=%2F"
