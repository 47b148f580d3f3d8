"""A minimal single-file Django project: djangorestframework-simplejwt's `TokenRefreshView` with
ROTATE_REFRESH_TOKENS and BLACKLIST_AFTER_ROTATION (its secure set-up), plus a bare hello view.

Served as WSGI (`bench.peers.simplejwt_site:application`) under the suite's WSGI server. The
database is SQLite in WAL mode at `$BENCH_DJANGO_DB`. Signing is simplejwt's default, HS256.

    python -m bench.peers.simplejwt_site migrate            # create the schema and the user
    python -m bench.peers.simplejwt_site mint N OUT.jsonl   # N fresh refresh tokens, as bodies

Minted tokens are registered as outstanding (as `RefreshToken.for_user` would, in bulk), so the
refresh request does the same database work as in production.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import django
from django.conf import settings

DB = os.environ.get("BENCH_DJANGO_DB", "/tmp/bench-simplejwt.sqlite3")
USERNAME = "bench"

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-only-not-a-secret-0123456789abcdef0123456789abcdef",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        USE_TZ=True,
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "rest_framework",
            "rest_framework_simplejwt.token_blacklist",
        ],
        MIDDLEWARE=[],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": DB,
                "OPTIONS": {
                    # WAL without an fsync per commit: like Redis (appendfsync everysec) and
                    # the memory store, so the comparison is about CPU, not this disk.
                    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                    "timeout": 20,
                },
            }
        },
        REST_FRAMEWORK={
            "DEFAULT_AUTHENTICATION_CLASSES": [],
            "DEFAULT_PERMISSION_CLASSES": [],
            "UNAUTHENTICATED_USER": None,
        },
        SIMPLE_JWT={"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True},
    )
    django.setup()

from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework_simplejwt.views import TokenRefreshView  # noqa: E402


def hello(request: HttpRequest, rest: str = "") -> HttpResponse:
    return HttpResponse(b"Hello, world!", content_type="text/plain")


urlpatterns = [
    path("api/token/refresh/", TokenRefreshView.as_view()),
    path("", hello),
    path("<path:rest>", hello),
]


def _migrate() -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    get_user_model().objects.get_or_create(username=USERNAME)


def _mint(count: int, out: Path) -> None:
    from django.contrib.auth import get_user_model
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
    from rest_framework_simplejwt.tokens import RefreshToken, Token

    user = get_user_model().objects.get(username=USERNAME)
    rows, lines = [], []
    for _ in range(count):
        # Token.for_user skips the per-token INSERT of the blacklist mixin; rows go in bulk below.
        token: Any = Token.for_user.__func__(RefreshToken, user)  # type: ignore[attr-defined]
        text = str(token)
        rows.append(
            OutstandingToken(
                user=user,
                jti=token["jti"],
                token=text,
                created_at=token.current_time,
                expires_at=_dt(token["exp"]),
            )
        )
        lines.append(json.dumps({"refresh": text}))
    OutstandingToken.objects.bulk_create(rows, batch_size=2000)
    out.write_text("\n".join(lines) + "\n")


def _dt(ts: int) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, tz=UTC)


from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()

if __name__ == "__main__":
    if sys.argv[1:2] == ["migrate"]:
        _migrate()
    elif sys.argv[1:2] == ["mint"]:
        _mint(int(sys.argv[2]), Path(sys.argv[3]))
    else:
        sys.exit(__doc__)
