"""Header translation of the proxy, without processes."""

from __future__ import annotations

from refreshgate.config.model import UpstreamConfig
from refreshgate.core.request import Decision
from refreshgate.core.rewrite import header_value, unsafe_path
from refreshgate.sidecar.headers import RequestHeaders, response_headers_of


def test_a_custom_identity_header_name_is_stripped_from_clients_too() -> None:
    builder = RequestHeaders(UpstreamConfig(url="http://app", subject_header="X-User"))
    out = builder.build(
        [(b"x-user", b"mallory"), (b"accept", b"*/*")], Decision("pass"), client=None, scheme="http"
    )
    assert (b"x-user", b"mallory") not in out and (b"accept", b"*/*") in out


def test_identity_values_cannot_inject_header_lines() -> None:
    assert header_value("alice\r\nX-Admin: 1") == b"alice%0D%0AX-Admin: 1"
    assert header_value("Jüri") == b"J%C3%BCri"
    assert header_value("EE38001085718") == b"EE38001085718"


def test_response_keeps_repeated_set_cookie_and_drops_hop_by_hop() -> None:
    raw = [
        (b"Set-Cookie", b"a=1"),
        (b"Set-Cookie", b"b=2"),
        (b"Connection", b"x-hop"),
        (b"X-Hop", b"1"),
        (b"Transfer-Encoding", b"chunked"),
    ]
    assert response_headers_of(raw) == [(b"Set-Cookie", b"a=1"), (b"Set-Cookie", b"b=2")]


def test_dot_segments_are_unsafe_and_ordinary_paths_are_not() -> None:
    assert unsafe_path("/public/../api/me") and unsafe_path("/a/./b") and unsafe_path("/a\\b")
    assert not unsafe_path("/api/v1.2/..x/file.txt")
