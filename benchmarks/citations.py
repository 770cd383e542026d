"""CPU per record of the cite box (APA, Chicago): citeproc-py itself vs the fast path.

``python benchmarks/citations.py [RECORDS] [CITEPROC_RECORDS]`` generates a catalogue with
``benchmarks/synth.py`` (default 2,000 records), formats every record's entries with the
fast path (templates per item shape, filled in) and the first CITEPROC_RECORDS (default
200: citeproc-py costs about 30 ms a record) with citeproc-py, checks that the two agree
byte for byte, and prints a table of ``time.process_time`` per record.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.synth import generate
from csec_ld.site import citations
from csec_ld.site.citations import CITATION_STYLES, csl_item, formatted
from csec_ld.sources import open_catalog


def _per_record(items: list[dict[str, Any]], style: str, fast: bool) -> float:
    """ms of CPU per record to format *items* in *style*."""
    start = time.process_time()
    for item in items:
        formatted(item, style, fast=fast)
    return (time.process_time() - start) * 1000 / len(items)


def main(records: int = 2000, citeproc_records: int = 200) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        generate(records, Path(tmp))
        catalogue = open_catalog([tmp])
        items = [csl_item(record, catalogue) for record in catalogue.records()]
    sample = items[:citeproc_records]
    for item in sample:  # the styles parsed (once per process) before timing
        for s in CITATION_STYLES:
            assert formatted(item, s.style) == formatted(item, s.style, fast=False), item["id"]
    citations._TEMPLATES.clear()
    citations._PROFILES.clear()
    citations._REFUSED.clear()
    citations._STATS.update(dict.fromkeys(citations._STATS, 0))
    rows = []
    for s in CITATION_STYLES:
        slow = _per_record(sample, s.style, fast=False)
        cold = _per_record(items, s.style, fast=True)  # the templates made on the way
        citations._slot.cache_clear()
        warm = _per_record(items, s.style, fast=True)
        rows.append((s.label, slow, cold, warm))
    rows.append(("both", *(sum(r[i] for r in rows) for i in (1, 2, 3))))
    print(
        f"{len(items)} records (citeproc-py: the first {len(sample)}), "
        f"CPU ms per record (time.process_time)"
    )
    print(f"{'style':<8} {'citeproc-py':>12} {'fast, cold':>11} {'fast, warm':>11} {'ratio':>7}")
    for label, slow, cold, warm in rows:
        print(f"{label:<8} {slow:>12.3f} {cold:>11.3f} {warm:>11.4f} {slow / warm:>6.0f}x")
    stats = citations._STATS
    print(
        f"templates made {stats['templates']}, shapes left to citeproc-py "
        f"{stats['refused']}; cold = templates made during the run, warm = made already"
    )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
