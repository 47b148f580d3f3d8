"""The ``refreshgate`` command: ``serve``, ``check-config``, ``keys generate``.

A thin shell: it builds a config and calls the same :func:`refreshgate.server.run` a library
user calls.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime

import yaml

from refreshgate.config import load_config, parse_config
from refreshgate.config.model import Config
from refreshgate.core.keys import KeySet, generate_key_files
from refreshgate.core.policy import RouteTable
from refreshgate.errors import ConfigError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="refreshgate", description="Transparent JWT session refresh.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve", help="run the token service, or the sidecar when an upstream is configured"
    )
    serve.add_argument("--config", "-c", help="path to sidecar.yaml (default: built-in defaults)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--dev", action="store_true", help="ephemeral keys and relaxed cookies: never in production"
    )
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    check = commands.add_parser("check-config", help="validate a config and print the effective policies")
    check.add_argument("file")
    check.add_argument("--dev", action="store_true", help="do not require keys")
    keys = commands.add_parser("keys", help="key management")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    generate = key_commands.add_parser("generate", help="write a new key set and print its keys: block")
    generate.add_argument("--out", required=True, help="folder for the key files")
    generate.add_argument("--alg", default="ES256", choices=["ES256", "ES384", "RS256"])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "check-config":
            return _check(args.file, dev=args.dev)
        return _generate(args.out, args.alg)
    except ConfigError as exc:
        print(f"refreshgate: {exc}", file=sys.stderr)
        return 2


def _load(path: str | None, *, dev: bool) -> Config:
    config = load_config(path) if path else parse_config({})
    if dev:
        config = config.model_copy(update={"cookies": config.cookies.model_copy(update={"secure": False})})
    return config


def _serve(args: argparse.Namespace) -> int:
    from refreshgate.server import run

    config = _load(args.config, dev=args.dev)
    if not args.dev:
        KeySet.from_config(config.keys)  # fail before binding a port
    run(config, dev=args.dev, host=args.host, port=args.port, log_level=args.log_level)
    return 0


def _check(path: str, *, dev: bool) -> int:
    config = load_config(path)
    if not dev:
        KeySet.from_config(config.keys)
    table = RouteTable(config)
    profiles = {name: _profile_view(asdict(p)) for name, p in table.profiles.items()}
    routes = [
        {
            "path": r.pattern,
            "methods": sorted(r.methods) if r.methods else "any",
            "auth": r.auth,
            **(
                {"profile": r.profile.name, "refresh": r.refresh, "token_from": r.token_from}
                if r.auth != "none"
                else {}
            ),
        }
        for r in table.routes
    ]
    print(f"{path}: OK")
    print(
        yaml.safe_dump({"profiles": profiles, "routes": routes}, sort_keys=False, allow_unicode=True), end=""
    )
    return 0


def _profile_view(profile: dict[str, object]) -> dict[str, object]:
    rate = profile.get("rate_limit")
    profile["rate_limit"] = f"{rate['count']}/{rate['period']}s" if isinstance(rate, dict) else None
    profile.pop("name", None)
    return profile


def _generate(out: str, alg: str) -> int:
    stamp = datetime.now(UTC).strftime("%Y-%m")
    block = generate_key_files(out, alg=alg, stamp=stamp)
    print(yaml.safe_dump(block, sort_keys=False), end="")
    return 0
