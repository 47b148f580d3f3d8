"""SPEC §7: ``serve --dev`` says so on every start, also when keys are configured (it still relaxes
the cookies' Secure flag)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from refreshgate.config import parse_config
from refreshgate.core.keys import generate_key_files
from refreshgate.server import build_engine


def test_dev_warns_even_when_keys_are_configured(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = parse_config(generate_key_files(tmp_path, stamp="d"), env={})
    with caplog.at_level(logging.WARNING, logger="refreshgate"):
        engine = build_engine(config, dev=True)
    assert engine.ctx.keys.ephemeral_keys is False
    assert any("--dev" in record.getMessage() for record in caplog.records)


def test_no_dev_warning_without_dev(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="refreshgate"):
        build_engine(parse_config(generate_key_files(tmp_path, stamp="n"), env={}))
    assert not any("--dev" in record.getMessage() for record in caplog.records)
