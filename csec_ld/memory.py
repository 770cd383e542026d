"""Memory helpers for the streaming pipeline."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["paused_gc"]


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
