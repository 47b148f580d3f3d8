"""The registered comparisons: one module each, exposing `comparison() -> Comparison`.

To add one: write `bench/comparisons/<name>.py` with a `comparison()` function (see `asgi.py`
for a baseline + refreshgate candidates, `peer_authx.py` for set-up that mints keys and tokens)
and add its module name to `NAMES` below, in the order the table should show it.
"""

from __future__ import annotations

import importlib

from bench.harness import Comparison, have_module

NAMES = (
    "asgi",
    "wsgi",
    "peer_authx",
    "peer_simplejwt",
    "jwt_refresh",
    "storm",
    "sidecar",
    "forward_auth",
    "footprint",
    "scaling",
)


def load(name: str) -> Comparison:
    """The comparison registered under `name` (module name; `-` may stand for `_`)."""
    module = importlib.import_module(f"bench.comparisons.{name.replace('-', '_')}")
    comp: Comparison = module.comparison()
    return comp


def refreshgate_missing(module: str, attr: str | None = None, what: str = "") -> str | None:
    """Why the refreshgate part a comparison needs cannot run yet, or None when it can.

    Candidates are plugged in by the product engineers; until `module` (and `attr` in it)
    imports, the comparison runs its baseline only and prints this message.
    """
    label = what or module
    if not have_module("refreshgate") or not have_module(module):
        return f"refreshgate {label} not available yet ({module} does not import)"
    try:
        mod = importlib.import_module(module)
    except Exception as exc:  # a half-written module must not stop the suite
        return f"refreshgate {label} not available yet ({module}: {exc!r})"
    if attr is not None and not hasattr(mod, attr):
        return f"refreshgate {label} not available yet ({module}.{attr} missing)"
    return None
