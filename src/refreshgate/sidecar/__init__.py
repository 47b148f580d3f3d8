"""The sidecar: a reverse proxy with transparent refresh, and forward-auth for proxies in front."""

from __future__ import annotations

from refreshgate.sidecar.app import SidecarApp
from refreshgate.sidecar.upstream import UpstreamError, UpstreamTimeout

__all__ = ["SidecarApp", "UpstreamError", "UpstreamTimeout"]
