"""A "legacy app" that knows nothing about refresh: it echoes what reached it, as JSON.

Plain Python (``http.server``), no framework, HTTP/1.1 keep-alive. Run it behind the sidecar:

    python demo/legacy_app.py --port 9000

Every path answers with the method, path, query, the ``Authorization`` header, the cookies, the
``X-Auth-*`` and ``X-Forwarded-*`` headers it saw, and how many body bytes it read. Knobs in the
query string, for trying the proxy out:

    ?bytes=N    answer with N bytes of body instead (streamed, 64 KiB at a time)
    ?delay=S    wait S seconds before answering
    ?cookies=N  set N cookies (one Set-Cookie header each)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

_CHUNK = 64 * 1024


class EchoHandler(BaseHTTPRequestHandler):
    """Answers every method on every path with what it saw."""

    protocol_version = "HTTP/1.1"
    server_version = "legacy-demo/1.0"

    def do_GET(self) -> None:
        self._answer()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:  # type: ignore[attr-defined]
            super().log_message(format, *args)

    def _read_body(self) -> tuple[int, str]:
        digest, size = hashlib.sha256(), 0
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                length = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if length == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                remaining = length
                while remaining:
                    data = self.rfile.read(min(remaining, _CHUNK))
                    digest.update(data)
                    remaining -= len(data)
                size += length
                self.rfile.readline()
        else:
            remaining = int(self.headers.get("content-length") or 0)
            while remaining:
                data = self.rfile.read(min(remaining, _CHUNK))
                if not data:
                    break
                digest.update(data)
                size += len(data)
                remaining -= len(data)
        return size, digest.hexdigest()

    def _answer(self, head: bool = False) -> None:
        size, sha = self._read_body()
        parts = urlsplit(self.path)
        knobs = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if "delay" in knobs:
            time.sleep(float(knobs["delay"]))
        if "bytes" in knobs:
            self._stream(int(knobs["bytes"]), head)
            return
        seen = {
            "method": self.command,
            "path": parts.path,
            "query": parts.query,
            "authorization": self.headers.get("authorization"),
            "cookie": self.headers.get_all("cookie", []),
            "auth_headers": {
                k.lower(): v for k, v in self.headers.items() if k.lower().startswith("x-auth-")
            },
            "forwarded": {
                k.lower(): v for k, v in self.headers.items() if k.lower().startswith("x-forwarded-")
            },
            "headers": [[k.lower(), v] for k, v in self.headers.items()],
            "body_bytes": size,
            "body_sha256": sha,
        }
        body = json.dumps(seen, indent=2).encode() + b"\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for n in range(int(knobs.get("cookies", 0))):
            self.send_header("Set-Cookie", f"demo{n}=v{n}; Path=/")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _stream(self, total: int, head: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(total))
        self.end_headers()
        block = b"x" * _CHUNK
        while total > 0 and not head:
            piece = block[: min(total, _CHUNK)]
            self.wfile.write(piece)
            total -= len(piece)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args()
    ThreadingHTTPServer.request_queue_size = 128  # the default 5 drops connections under load
    server = ThreadingHTTPServer((args.host, args.port), EchoHandler)
    server.daemon_threads = True
    server.verbose = args.verbose  # type: ignore[attr-defined]
    print(f"legacy demo app on http://{args.host}:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
