#!/usr/bin/env bash
# Make .venv and install refreshgate with the given extras (default: none); used by demo.sh and
# test.sh so both README commands work on a fresh Debian machine.
# Usage: bash scripts/venv.sh [EXTRAS]      e.g. bash scripts/venv.sh test
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=.venv
EXTRAS="${1:-}"
SPEC="."
[ -n "$EXTRAS" ] && SPEC=".[$EXTRAS]"

if [ ! -x "$VENV/bin/python" ]; then
    echo "venv.sh: creating $VENV" >&2
    if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
        # Debian ships venv separately
        if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
            rm -rf "$VENV"
            "$PYTHON" -m venv "$VENV"
        else
            echo "venv.sh: cannot create a virtualenv (install python3-venv)" >&2
            exit 1
        fi
    fi
fi

# Reinstall only when the project metadata changed since the last install of these extras.
stamp="$VENV/.refreshgate-installed-${EXTRAS:-base}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || ! "$VENV/bin/python" -c "import refreshgate" 2>/dev/null; then
    echo "venv.sh: installing refreshgate${EXTRAS:+[$EXTRAS]}" >&2
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e "$SPEC"
    touch "$stamp" "$VENV/.refreshgate-installed-base"   # any extras include the base install
fi
