#!/usr/bin/env bash
# The one test command: install (if needed), make sure Redis answers, then lint, type-check, test.
# Usage: bash scripts/test.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
bash scripts/venv.sh test

bash scripts/ensure-redis.sh

echo "test.sh: ruff check" >&2
"$VENV/bin/ruff" check
echo "test.sh: ruff format --check" >&2
"$VENV/bin/ruff" format --check
echo "test.sh: mypy" >&2
"$VENV/bin/mypy"
echo "test.sh: pytest" >&2
# exit status 5 (no tests collected) is a failure too: set -e stops on any non-zero status
"$VENV/bin/pytest" -q -p no:cacheprovider "$@"
