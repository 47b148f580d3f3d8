"""Identity headers spelled with underscores reach CGI/WSGI-style upstreams as the real ones.

``X_Auth_Subject`` and ``X-Auth-Subject`` both become ``HTTP_X_AUTH_SUBJECT`` in PHP, CGI and
many WSGI servers, so a client's underscore spelling must be stripped like the dash spelling.
"""

from __future__ import annotations

from refreshgate.config.model import UpstreamConfig
from refreshgate.core.request import Decision
from refreshgate.sidecar.headers import RequestHeaders


def test_underscore_spellings_of_identity_headers_are_stripped() -> None:
    builder = RequestHeaders(UpstreamConfig(url="http://app", subject_header="X-User"))
    raw = [
        (b"x_auth_subject", b"admin"),
        (b"x_auth_session", b"s"),
        (b"x_user", b"admin"),
        (b"x_refreshed_access_token", b"t"),
        (b"x_forwarded_access_token", b"t"),
        (b"accept", b"*/*"),
    ]
    out = builder.build(raw, Decision("pass"), client=None, scheme="http")
    assert out[0] == (b"accept", b"*/*")
    assert not any(b"_" in key for key, _ in out)
