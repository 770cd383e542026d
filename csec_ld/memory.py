"""Memory helpers for the streaming pipeline."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["COLLECT_EVERY", "collect_now_and_then", "paused_gc"]


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside the block.

    A chunk of records makes hundreds of thousands of small objects (terms, tuples,
    index dicts) and no cycles: reference counting frees them all. The collector
    would still scan every live object — the compiled shapes, the caches — once per
    few hundred allocations, which cost a quarter of a worker's time. It runs again
    after the block, as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


#: While the collector is paused for a long run, the run collects itself before every
#: so many chunks (see :func:`collect_now_and_then`).
COLLECT_EVERY = 16


def collect_now_and_then(number: int, generation: int = 2) -> None:
    """Collect *generation* (and the younger ones) before the *number*-th chunk (from 0),
    every :data:`COLLECT_EVERY` chunks: cyclic garbage stays bounded while the automatic
    collector is off."""
    if number % COLLECT_EVERY == COLLECT_EVERY - 1:
        gc.collect(generation)
