"""Tiny servers the benchmarks start as subprocesses (upstreams, bare baselines, proxies)."""
