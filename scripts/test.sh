#!/usr/bin/env bash
# The one test command: install (if needed), make sure Redis answers, then lint, type-check, test.
# Usage: bash scripts/test.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=.venv

if [ ! -x "$VENV/bin/python" ]; then
    echo "test.sh: creating $VENV" >&2
    if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
        # Debian ships venv separately
        if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
            rm -rf "$VENV"
            "$PYTHON" -m venv "$VENV"
        else
            echo "test.sh: cannot create a virtualenv (install python3-venv)" >&2
            exit 1
        fi
    fi
fi

# Reinstall only when the project metadata changed since the last install.
stamp="$VENV/.refreshgate-test-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || ! "$VENV/bin/python" -c "import refreshgate, pytest" 2>/dev/null; then
    echo "test.sh: installing refreshgate[test]" >&2
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e '.[test]'
    touch "$stamp"
fi

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
