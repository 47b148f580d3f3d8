"""Store footprint: bytes per live session (memory and Redis), and back to baseline after expiry.

Goal (issue 6): <= 1 KiB per live session. Not a wrk load: the product's hook measures it.
"""

from __future__ import annotations

from bench.comparisons import refreshgate_missing
from bench.harness import Comparison, Variant


def comparison() -> Comparison:
    missing = refreshgate_missing("refreshgate.store", "create_store", "store")
    if missing is None:
        # TODO(product): a non-wrk measurement: create 1k/10k/100k sessions through the store,
        # read tracemalloc (memory://) or `INFO memory` used_memory (redis://) before, after and
        # after expiry; report bytes/session. Needs a `kind="measure"` hook in the harness.
        missing = "refreshgate store footprint measurement not written yet"
    return Comparison(
        name="footprint",
        title="store footprint per live session",
        baseline=Variant("live sessions", None, target="none"),
        goal="<= 1 KiB per session",
        skip=missing,
        baseline_alone=False,
    )
