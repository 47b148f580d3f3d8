#!/usr/bin/env bash
# Run the demo: refreshgate (sidecar.yaml, in-memory store, --dev keys) in front of the bundled
# legacy app (demo/legacy_app.py), then print curl lines that show a silent refresh.
# Usage: bash scripts/demo.sh        (Ctrl-C stops both)
# Ports: DEMO_PORT (sidecar, default 8080), DEMO_APP_PORT (legacy app, default 9000).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
SIDECAR_PORT="${DEMO_PORT:-8080}"
APP_PORT="${DEMO_APP_PORT:-9000}"
BASE="http://127.0.0.1:${SIDECAR_PORT}"

bash scripts/venv.sh

pids=()
cleanup() {
    trap - INT TERM EXIT
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

wait_port() {
    for _ in $(seq 1 100); do
        if "$VENV/bin/python" -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 0.2)" "$1" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "demo.sh: nothing listens on port $1" >&2
    return 1
}

"$VENV/bin/python" demo/legacy_app.py --port "$APP_PORT" &
pids+=($!)
DEMO_UPSTREAM="http://127.0.0.1:${APP_PORT}" "$VENV/bin/refreshgate" serve --dev --config sidecar.yaml \
    --port "$SIDECAR_PORT" --log-level warning &
pids+=($!)
wait_port "$APP_PORT"
wait_port "$SIDECAR_PORT"

cat <<EOT

refreshgate is proxying ${BASE} -> legacy app on 127.0.0.1:${APP_PORT}. Try:

# 1. log in: a token that expires in 60 s (inside the 5 min refresh window, so "near expiry")
TOKEN=\$(curl -s -u demo:demo-secret -H 'content-type: application/json' \\
    -d '{"sub": "alice", "access_ttl": 60}' ${BASE}/jwt/token | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

# 2. call the legacy app with it: refreshgate refreshes silently. Watch the response header
#    X-Refreshed-Access-Token, and the app's echo: it saw the NEW token and X-Auth-Subject: alice
curl -si -H "Authorization: Bearer \$TOKEN" ${BASE}/api/hello

# 3. the cookie flavour: a Set-Cookie with the new token, the app saw the new cookie
curl -si --cookie "DEMO_JWT=\$TOKEN" ${BASE}/portal/home

# 4. no token: 401 in the RFC 6749 shape; metrics show the refreshes
curl -si ${BASE}/api/hello
curl -s ${BASE}/metrics | grep refreshgate_refreshes_total

Ctrl-C stops the demo.
EOT
wait
