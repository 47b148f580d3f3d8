"""Paths the upstream may resolve to another route than the one the decision matched.

With ``/api/** auth: required`` and ``/** auth: none``, ``//api/me`` or ``/api;x/me`` match only
the open route, while slash-merging upstreams (nginx ``merge_slashes``, Apache, Tomcat) and
path-parameter-stripping ones (Tomcat, Jetty, Spring) serve ``/api/me`` - without a token.
"""

from __future__ import annotations

from refreshgate.core.rewrite import unsafe_path


def test_empty_segments_are_unsafe() -> None:
    assert unsafe_path("//api/me")
    assert unsafe_path("/api//me")


def test_path_parameters_are_unsafe() -> None:
    assert unsafe_path("/api;jsessionid=x/me")
    assert unsafe_path("/api;x")


def test_ordinary_paths_stay_safe() -> None:
    assert not unsafe_path("/")
    assert not unsafe_path("/api/me/")
    assert not unsafe_path("/api/v1.2/file.txt")
