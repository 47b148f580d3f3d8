#!/usr/bin/env bash
# Make sure a Redis server answers on 127.0.0.1:6379 (the tests marked `redis` use it).
# Start it if it is installed but not running; install it (Debian/Ubuntu, as root) if missing.
set -euo pipefail

HOST=127.0.0.1
PORT=6379

answers() {
    command -v redis-cli >/dev/null 2>&1 && [ "$(redis-cli -h "$HOST" -p "$PORT" ping 2>/dev/null)" = "PONG" ]
}

if answers; then
    exit 0
fi

if ! command -v redis-server >/dev/null 2>&1; then
    echo "ensure-redis: redis-server not found, installing it" >&2
    if [ "$(id -u)" -ne 0 ]; then
        echo "ensure-redis: need root to apt-get install redis-server" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq redis-server >/dev/null
fi

mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$PORT" --save "" --appendonly no \
    --dir /tmp --logfile /tmp/refreshgate-redis-6379.log

for _ in $(seq 1 50); do
    if answers; then
        echo "ensure-redis: started redis-server on $HOST:$PORT" >&2
        exit 0
    fi
    sleep 0.1
done
echo "ensure-redis: redis-server did not answer on $HOST:$PORT (log: /tmp/refreshgate-redis-6379.log)" >&2
exit 1
