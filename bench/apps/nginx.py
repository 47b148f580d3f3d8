"""Run nginx (Debian `nginx-light`) in the foreground as a reverse proxy, for the benches.

    python -m bench.apps.nginx --port P [--upstream http://127.0.0.1:U] [--auth-url URL]

`--upstream` defaults to `$BENCH_UPSTREAM`; `--auth-url-env NAME` reads the auth URL from `$NAME`.

Writes a throw-away config into a temp dir and execs nginx (so the bench's process-group
shutdown stops it). With `--auth-url`, every request first goes through `auth_request` to that
URL (the forward-auth set-up of SPEC §6 `/jwt/auth`); the refreshed token and identity headers
it returns are copied to the upstream request and to the client.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile

_AUTH_LOCATION = """
    location = /__auth {
      internal;
      proxy_pass http://rg_auth%(auth_path)s;
      proxy_method GET;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Original-URI $request_uri;
%(auth_cache)s    }
"""

# examples/nginx/refreshgate.conf's decision micro-cache: 200s only (refreshgate sends
# X-Accel-Expires: 1 on 200), 1 s, keyed by the token + method + URI
_AUTH_CACHE = """      proxy_cache rg_auth_cache;
      proxy_cache_key "$http_authorization|$http_cookie|$request_method|$request_uri";
      proxy_cache_valid 200 1s;
"""
_AUTH_CACHE_PATH = """  proxy_cache_path %(dir)s/auth-cache levels=1:2 keys_zone=rg_auth_cache:10m
                   max_size=64m inactive=10s use_temp_path=off;
"""

_AUTH_USE = """
      auth_request /__auth;
      auth_request_set $rg_token $upstream_http_x_refreshed_access_token;
      auth_request_set $rg_sub $upstream_http_x_auth_subject;
      proxy_set_header X-Auth-Subject $rg_sub;
      add_header X-Refreshed-Access-Token $rg_token always;
"""

_CONF = """
worker_processes 1;
daemon off;
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path %(dir)s/body;
  proxy_temp_path %(dir)s/proxy;
  fastcgi_temp_path %(dir)s/fastcgi;
  uwsgi_temp_path %(dir)s/uwsgi;
  scgi_temp_path %(dir)s/scgi;
  upstream app { server %(upstream)s; keepalive 128; }
%(auth_upstream)s  server {
    listen 127.0.0.1:%(port)d;
%(auth_location)s
    location / {
%(auth_use)s
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
"""


def render(port: int, upstream: str, auth_url: str | None, conf_dir: str, auth_cache: bool = False) -> str:
    """The nginx.conf text (the auth service behind a keep-alive upstream, as in
    examples/nginx/refreshgate.conf: a new connection per subrequest would be measured too)."""
    auth_host, auth_path = "", ""
    if auth_url:
        auth_host, _, rest = auth_url.removeprefix("http://").partition("/")
        auth_path = "/" + rest
    return _CONF % {
        "auth_upstream": (
            f"  upstream rg_auth {{ server {auth_host}; keepalive 128; }}\n" if auth_url else ""
        )
        + (_AUTH_CACHE_PATH % {"dir": conf_dir} if auth_url and auth_cache else ""),
        "dir": conf_dir,
        "upstream": upstream.removeprefix("http://").rstrip("/"),
        "port": port,
        "auth_location": _AUTH_LOCATION
        % {"auth_path": auth_path, "auth_cache": _AUTH_CACHE if auth_cache else ""}
        if auth_url
        else "",
        "auth_use": _AUTH_USE if auth_url else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", default=os.environ.get("BENCH_UPSTREAM"))
    parser.add_argument("--auth-url")
    parser.add_argument("--auth-url-env", help="take --auth-url from this environment variable")
    parser.add_argument("--auth-cache", action="store_true", help="the example's 1 s decision micro-cache")
    args = parser.parse_args()
    if args.auth_url_env:
        args.auth_url = os.environ[args.auth_url_env]
    if not args.upstream:
        parser.error("--upstream (or BENCH_UPSTREAM) is required")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    conf_dir = tempfile.mkdtemp(prefix="bench-nginx-")
    if args.auth_cache:
        # nginx workers drop root (user nobody): they must be able to write the cache
        os.chmod(conf_dir, 0o755)
        os.mkdir(os.path.join(conf_dir, "auth-cache"), 0o777)
        os.chmod(os.path.join(conf_dir, "auth-cache"), 0o777)
    conf = os.path.join(conf_dir, "nginx.conf")
    with open(conf, "w") as fh:
        fh.write(render(args.port, args.upstream, args.auth_url, conf_dir, args.auth_cache))
    os.execv(nginx, [nginx, "-c", conf, "-p", conf_dir])


if __name__ == "__main__":
    main()
