"""`python -m bench.apps.rg_serve CONFIG_ENV PORT`: exec `refreshgate serve` with the config
whose path the environment variable CONFIG_ENV holds (written by a comparison's set-up)."""

from __future__ import annotations

import os
import sys


def main() -> None:
    config_env, port = sys.argv[1], sys.argv[2]
    argv = [sys.executable, "-m", "refreshgate", "serve", "--config", os.environ[config_env]]
    argv += ["--port", port, "--log-level", "warning"]
    os.execv(sys.executable, argv)


if __name__ == "__main__":
    main()
