"""Prometheus metrics: refreshes by profile and outcome, latency, store errors, proxied requests.

Each engine owns its own registry, so several engines (tests, replicas in one process) never
collide.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """The metric families refreshgate exports."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.refreshes = Counter(
            "refreshgate_refreshes",
            "Refresh attempts by kind (explicit/transparent), profile and outcome",
            ["kind", "profile", "outcome"],
            registry=self.registry,
        )
        self.refresh_latency = Histogram(
            "refreshgate_refresh_latency_seconds",
            "Time to answer a refresh",
            ["kind"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
        )
        self.store_errors = Counter(
            "refreshgate_store_errors",
            "Store operations that failed",
            ["operation"],
            registry=self.registry,
        )
        self.tokens_issued = Counter(
            "refreshgate_tokens_issued",
            "Sessions started by profile",
            ["profile"],
            registry=self.registry,
        )
        self.proxied = Counter(
            "refreshgate_proxied_requests",
            "Requests proxied upstream by status",
            ["status"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "refreshgate_rejected_requests",
            "Requests refused by reason",
            ["reason"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        """The Prometheus text exposition."""
        return generate_latest(self.registry)
