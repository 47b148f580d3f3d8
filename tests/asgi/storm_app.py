"""A small Starlette app behind RefreshMiddleware, served by uvicorn in the two-replica storm test.

The config path comes from ``RG_STORM_CONFIG``; the clock is the real one.
"""

from __future__ import annotations

import os

from asgi_kit import starlette_app

from refreshgate.asgi import RefreshMiddleware

app = RefreshMiddleware(starlette_app(), os.environ["RG_STORM_CONFIG"])
