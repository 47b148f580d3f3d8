#!/usr/bin/env bash
# Set-up for `python -m bench`: wrk (and nginx-light for the forward-auth and data-plane
# references) from Debian, and the `bench` extra into the project's venv.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${need[@]}"
fi

python="${PYTHON:-.venv/bin/python}"
[ -x "$python" ] || { python3 -m venv .venv; python=.venv/bin/python; }
"$python" -m pip install -q -e '.[bench]'
echo "bench set up: run  $python -m bench --quick"
