"""Peer implementations the benches compare refreshgate with (AuthX, simplejwt)."""
