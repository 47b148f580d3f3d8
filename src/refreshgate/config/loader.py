"""Load ``sidecar.yaml``: environment interpolation, ``*_file`` secrets, one validation pass.

Every problem is collected with its key path before :class:`~refreshgate.errors.ConfigError` is
raised, so a user fixes a file in one round.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from refreshgate.config.model import Config
from refreshgate.config.profiles import BUILTIN_PROFILES
from refreshgate.errors import ConfigError, ConfigProblem

__all__ = ["load_config", "parse_config"]

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
#: ``*_file`` keys under these sections name key files read by the key loader, not secrets
_PATH_SECTIONS = ("keys", "server.tls", "audit")
#: ... except these, which are secrets everywhere (an HS256 key's ``secret_file``)
_SECRET_FILE_KEYS = ("secret_file",)


def load_config(path: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> Config:
    """Read, interpolate and validate a YAML config file; relative paths are taken from its folder."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigProblem("", f"cannot read {file}: {exc.strerror}")]) from exc
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigProblem("", f"not valid YAML: {exc}")]) from exc
    return parse_config(raw if raw is not None else {}, env=env, base_dir=file.parent)


def parse_config(
    raw: object, *, env: Mapping[str, str] | None = None, base_dir: str | os.PathLike[str] = "."
) -> Config:
    """Validate an already-parsed mapping (as from YAML) into a :class:`Config`."""
    problems: list[ConfigProblem] = []
    if not isinstance(raw, Mapping):
        raise ConfigError([ConfigProblem("", "the configuration must be a mapping")])
    environ = os.environ if env is None else env
    resolved = _resolve(raw, "", environ, Path(base_dir), problems)
    config: Config | None = None
    try:
        config = Config.model_validate(resolved)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(exc))
    if config is not None:
        problems.extend(_cross_checks(config))
    else:
        # validation failed elsewhere: still name routes that point at unknown profiles
        problems.extend(_raw_route_profile_checks(resolved))
    if problems:
        raise ConfigError(problems)
    assert config is not None
    return config


def _resolve(node: Any, path: str, env: Mapping[str, str], base: Path, problems: list[ConfigProblem]) -> Any:
    if isinstance(node, str):
        return _interpolate(node, path, env, problems)
    if isinstance(node, list):
        return [_resolve(v, f"{path}.{i}", env, base, problems) for i, v in enumerate(node)]
    if not isinstance(node, Mapping):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        child = f"{path}.{key}" if path else str(key)
        resolved = _resolve(value, child, env, base, problems)
        if isinstance(key, str) and key.endswith("_file") and isinstance(resolved, str):
            if key not in _SECRET_FILE_KEYS and any(
                path == s or path.startswith(s + ".") for s in _PATH_SECTIONS
            ):
                out[key] = str((base / resolved).resolve())
                continue
            target = key[: -len("_file")]
            if target in node:
                problems.append(ConfigProblem(child, f"give either {target} or {key}, not both"))
                continue
            out[target] = _read_secret(base / resolved, child, problems)
            continue
        out[str(key)] = resolved
    return out


def _interpolate(text: str, path: str, env: Mapping[str, str], problems: list[ConfigProblem]) -> str:
    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        problems.append(ConfigProblem(path, f"environment variable {name} is not set"))
        return ""

    return _VAR.sub(substitute, text)


def _read_secret(file: Path, path: str, problems: list[ConfigProblem]) -> str:
    try:
        return file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        problems.append(ConfigProblem(path, f"cannot read {file}: {exc.strerror}"))
        return ""


def _pydantic_problems(exc: ValidationError) -> list[ConfigProblem]:
    problems = []
    for error in exc.errors():
        path = ".".join(str(part) for part in error["loc"] if not _is_union_tag(part))
        message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        problems.append(ConfigProblem(path, message.removeprefix("Value error, ")))
    return problems


def _is_union_tag(part: object) -> bool:
    # pydantic names union branches in ``loc`` (e.g. "str", "list[str]"); they are not key paths
    return isinstance(part, str) and (part.startswith(("function-", "list[")) or part == "str")


def _raw_route_profile_checks(resolved: Any) -> list[ConfigProblem]:
    """Unknown route profiles, read from the unvalidated mapping (best effort, one round of fixes)."""
    profiles = resolved.get("profiles") if isinstance(resolved, Mapping) else None
    known = set(BUILTIN_PROFILES) | (set(profiles) if isinstance(profiles, Mapping) else set())
    routes = resolved.get("routes") if isinstance(resolved, Mapping) else None
    problems = []
    for index, route in enumerate(routes if isinstance(routes, list) else []):
        if not isinstance(route, Mapping) or route.get("auth", "required") == "none":
            continue
        name = route.get("profile", "custom")
        if isinstance(name, str) and name not in known:
            problems.append(ConfigProblem(f"routes.{index}.profile", f"unknown profile {name!r}"))
    return problems


def _cross_checks(config: Config) -> list[ConfigProblem]:
    problems = []
    known = set(BUILTIN_PROFILES) | set(config.profiles)
    for index, route in enumerate(config.routes):
        if route.auth != "none" and route.profile not in known:
            problems.append(ConfigProblem(f"routes.{index}.profile", f"unknown profile {route.profile!r}"))
    for name, client in config.clients.items():
        for position, profile in enumerate(client.profiles or []):
            if profile not in known:
                problems.append(
                    ConfigProblem(f"clients.{name}.profiles.{position}", f"unknown profile {profile!r}")
                )
    if config.audit.sink == "file" and not config.audit.file:
        problems.append(ConfigProblem("audit.file", "required when sink is 'file'"))
    return problems
