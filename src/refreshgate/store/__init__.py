"""The refresh store: one interface, backends chosen by URL."""

from refreshgate.store.aiocache_store import AiocacheStore, create_store
from refreshgate.store.base import Store

__all__ = ["AiocacheStore", "Store", "create_store"]
