"""Thin shells over the core: ASGI helpers, the token-service ASGI app, the server runner."""
