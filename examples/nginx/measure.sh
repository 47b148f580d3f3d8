#!/usr/bin/env bash
# Forward-auth speed (issue 4): nginx + auth_request -> refreshgate `GET /jwt/auth`, vs direct.
#
#   bash examples/nginx/measure.sh [ROUNDS] [DURATION]       # defaults: 3 rounds of 5s
#
# Starts, on free loopback ports: a raw ASGI hello app (uvicorn, the "legacy app"), refreshgate
# (`serve --dev` with sidecar-forward-auth.yaml, audit off) and one nginx running this directory's
# refreshgate.conf as it is (ports replaced), plus a plain `proxy_pass` server as the reference
# for what the nginx hop alone costs. Then, interleaved per round (so noise on a shared machine
# hits every variant alike), with one valid repeated header token:
#
#   wrk -t2 -c50 -d5s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:PORT/api/hello
#
#   direct        the hello app itself
#   proxy         nginx proxy_pass only, no auth
#   auth          nginx auth_request -> refreshgate (refreshgate.conf as shipped: with the
#                 1 s decision micro-cache)
#   auth-nocache  the same with the micro-cache lines removed
#   auth-nokeepalive  the same without the cache and without keep-alive to both upstreams
#
# Prints req/s per round and the median ratio to direct. Needs wrk, nginx (nginx-light) and the
# project venv. Everything started here is stopped on exit.
set -euo pipefail

ROUNDS=${1:-3}
DURATION=${2:-5s}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
    for _ in $(seq 200); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "nothing listens on $1" >&2; exit 1
}

APP=$(free_port); RG=$(free_port); AUTH=$(free_port); NOCACHE=$(free_port); PROXY=$(free_port)
NOKA=$(free_port); RG_ALT=$(free_port); ALT=$(free_port)

cd "$ROOT"
"$PY" -m uvicorn bench.apps.hello:raw --host 127.0.0.1 --port "$APP" --log-level warning \
    --no-access-log >"$WORK/app.log" 2>&1 &
PIDS+=($!)

sed -e 's/^audit:.*/audit: {sink: "off"}/' -e 's#rate_limit: [0-9]*/minute#rate_limit: 100000/minute#' \
    "$HERE/sidecar-forward-auth.yaml" >"$WORK/refreshgate.yaml"
"$PY" -m refreshgate serve --dev --config "$WORK/refreshgate.yaml" --port "$RG" --log-level warning \
    >"$WORK/refreshgate.log" 2>&1 &
PIDS+=($!)
if [ -n "${ALT_SRC:-}" ]; then  # A/B: a second refreshgate from another source tree
    PYTHONPATH="$ALT_SRC" "$PY" -m refreshgate serve --dev --config "$WORK/refreshgate.yaml" --port "$RG_ALT" \
        --log-level warning >"$WORK/refreshgate-alt.log" 2>&1 &
    PIDS+=($!)
fi

# refreshgate.conf as shipped, and copies without the cache or keep-alive; one nginx each
start_nginx() {  # $1 listen port, $2 server config (auth | nocache | nokeepalive | proxy), $3 refreshgate port
    local dir="$WORK/nginx-$1"
    mkdir -p "$dir"/{client_body,proxy,fastcgi,uwsgi,scgi}
    if [ "$2" = proxy ]; then
        cat >"$dir/site.conf" <<EOF
upstream plain_app { server 127.0.0.1:$APP; keepalive 32; }
server {
    listen 127.0.0.1:$1;
    location / { proxy_pass http://plain_app; proxy_http_version 1.1; proxy_set_header Connection ""; }
}
EOF
    else
        sed -e "s/127.0.0.1:8000/127.0.0.1:$1/" -e "s/127.0.0.1:8080/127.0.0.1:${3:-$RG}/" \
            -e "s/127.0.0.1:9000/127.0.0.1:$APP/" -e "s#/var/cache/nginx/refreshgate#$dir/cache#" \
            "$HERE/refreshgate.conf" >"$dir/site.conf"
        if [ "$2" != auth ]; then
            sed -i -e '/^[[:space:]]*proxy_cache/d' -e '/max_size=64m inactive=/d' "$dir/site.conf"
        fi
        if [ "$2" = nokeepalive ]; then
            sed -i -e '/keepalive 32;/d' -e '/proxy_set_header Connection "";/d' "$dir/site.conf"
        fi
    fi
    cat >"$dir/nginx.conf" <<EOF
$( [ "$(id -u)" = 0 ] && echo "user root;" )
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/client_body; proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi; uwsgi_temp_path $dir/uwsgi; scgi_temp_path $dir/scgi;
    include $dir/site.conf;
}
EOF
    "$NGINX" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >"$dir/out.log" 2>&1 &
    PIDS+=($!)
}
start_nginx "$PROXY" proxy
start_nginx "$AUTH" auth
start_nginx "$NOCACHE" nocache
start_nginx "$NOKA" nokeepalive
PORTS=("$APP" "$RG" "$AUTH" "$NOCACHE" "$PROXY" "$NOKA")
if [ -n "${ALT_SRC:-}" ]; then start_nginx "$ALT" nocache "$RG_ALT"; PORTS+=("$RG_ALT" "$ALT"); fi
for port in "${PORTS[@]}"; do wait_port "$port"; done

token() {  # a valid access token (1 h) from the refreshgate on port $1
    curl -sf -u demo:demo-secret -H 'content-type: application/json' -d '{"sub": "bench"}' \
        "http://127.0.0.1:$1/jwt/token" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
TOKEN=$(token "$RG")
declare -A URL=([direct]=$APP [proxy]=$PROXY [auth]=$AUTH [auth-nocache]=$NOCACHE [auth-nokeepalive]=$NOKA)
declare -A TOK=([direct]=$TOKEN [proxy]=$TOKEN [auth]=$TOKEN [auth-nocache]=$TOKEN [auth-nokeepalive]=$TOKEN)
DEFAULT="direct proxy auth-nocache auth"
if [ -n "${ALT_SRC:-}" ]; then URL[auth-alt]=$ALT; TOK[auth-alt]=$(token "$RG_ALT"); DEFAULT="$DEFAULT auth-alt"; fi
# VARIANTS="direct auth auth-nokeepalive" picks; auth-alt exists with ALT_SRC=dir (its refreshgate
# runs with PYTHONPATH=dir, behind the auth-nocache config: an A/B of two source trees, e.g.
# `mkdir old && git archive OLD_COMMIT src | tar -x -C old` then ALT_SRC=old/src)
read -r -a VARIANTS <<<"${VARIANTS:-$DEFAULT}"
for v in "${VARIANTS[@]}"; do  # correctness first: the token passes, a bad one does not
    [ "$v" = direct ] || [ "$v" = proxy ] && continue
    test "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${TOK[$v]}" "http://127.0.0.1:${URL[$v]}/api/hello")" = 200
    test "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer nope' "http://127.0.0.1:${URL[$v]}/api/hello")" = 401
done
declare -A RESULTS
run() {  # $1 variant, $2 duration -> req/s
    local out
    out=$(wrk -t2 -c50 -d"$2" -H "Authorization: Bearer ${TOK[$1]}" "http://127.0.0.1:${URL[$1]}/api/hello")
    if grep -q 'Non-2xx' <<<"$out"; then echo "$1: non-2xx answers: $(grep Non-2xx <<<"$out")" >&2; fi
    awk '/Requests\/sec/ {print int($2)}' <<<"$out"
}
for v in "${VARIANTS[@]}"; do run "$v" 1s >/dev/null; done  # warm-up
echo "wrk -t2 -c50 -d$DURATION -H 'Authorization: Bearer <valid token>' http://127.0.0.1:PORT/api/hello"
for round in $(seq "$ROUNDS"); do
    line="round $round:"
    for v in "${VARIANTS[@]}"; do
        rps=$(run "$v" "$DURATION")
        RESULTS[$v]="${RESULTS[$v]:-} $rps"
        line="$line  $v=$rps"
    done
    echo "$line"
done
median() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
DIRECT=$(median "${RESULTS[direct]}")
printf '%-12s %10s %8s\n' variant "req/s" "x direct"
for v in "${VARIANTS[@]}"; do
    m=$(median "${RESULTS[$v]}")
    printf '%-12s %10s %8s\n' "$v" "$m" "$(awk -v a="$m" -v b="$DIRECT" 'BEGIN {printf "%.2f", a/b}')"
done
