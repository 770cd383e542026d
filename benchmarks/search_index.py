"""The search index at scale: Pagefind's index size and build time for a published site.

``python benchmarks/search_index.py 10000 100000`` publishes a seeded synthetic catalogue
(``synth.py``) of each size, without validation, and reports what ``publish``'s search
step took and wrote: records indexed, the seconds of the step (the ``file://`` index,
the search page, Pagefind, making its output deterministic), the Pagefind bundle's size
and number of files, the ``file://`` fallback index's size, and what a browser fetches
for one search (the entry, metadata, wasm and one index chunk: the largest of each).
Add ``--check-deterministic`` to run Pagefind's step twice and compare the bytes.
``--replicate SEED`` times Pagefind's step alone on record pages copied from a site of
SEED records (``python benchmarks/search_index.py 100000 --replicate 500``).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _mb(n: int) -> str:
    return f"{n / 1_000_000:,.1f} MB"


def measure(n: int, base: Path, workers: int | None, check: bool) -> dict[str, object]:
    import synth

    from csec_ld.site.publish import publish

    cat = base / f"cat-{n}"
    synth.generate(n, cat)
    started = time.perf_counter()
    result = publish([cat], base / f"site-{n}", validate=False, workers=workers)
    total = time.perf_counter() - started
    search = result.search
    assert search is not None
    bundle = result.out_dir / "pagefind"
    largest = {
        kind: max((p.stat().st_size for p in bundle.rglob(f"*{kind}")), default=0)
        for kind in (".pf_meta", ".pf_index", ".pf_fragment", "wasm.en.pagefind")
    }
    row: dict[str, object] = {
        "records": n,
        "indexed": search.pages,
        "words": search.words,
        "publish_s": round(total, 1),
        "search_step_s": round(search.seconds, 1),
        "pagefind_bytes": search.index_bytes,
        "pagefind_files": search.index_files,
        "fallback_bytes": search.fallback_bytes,
        "first_search_bytes": sum(largest.values()),
    }
    if check:
        from csec_ld.site.search import (
            PAGEFIND_FOLDER,
            _run_pagefind,
            canonicalize,
            pagefind_binary,
        )

        first = _tree_hash(bundle)
        import shutil

        shutil.rmtree(bundle)
        _run_pagefind(pagefind_binary(), result.out_dir)
        canonicalize(result.out_dir / PAGEFIND_FOLDER)
        row["deterministic"] = _tree_hash(bundle) == first
    return row


def replicated(n: int, base: Path, seed_records: int) -> dict[str, object]:
    """Pagefind alone on *n* record pages: a published site of *seed_records* records whose
    record pages are copied under new ids until there are *n* (each copy's title, text
    and filters are its original's: fewer distinct words than *n* real records)."""
    import shutil

    import synth

    from csec_ld.site.publish import publish
    from csec_ld.site.search import PAGEFIND_FOLDER, _run_pagefind, canonicalize, pagefind_binary

    cat = base / f"cat-{seed_records}"
    synth.generate(seed_records, cat)
    site = publish([cat], base / f"site-{seed_records}", validate=False).out_dir
    pages = sorted((site / "resource").glob("*/index.html"))
    copies = 0
    while len(pages) * (copies + 1) < n:
        copies += 1
        for i, page in enumerate(pages):
            if len(pages) * copies + i >= n:
                break
            folder = site / "resource" / f"{page.parent.name}-copy{copies}"
            folder.mkdir()
            shutil.copyfile(page, folder / "index.html")
    shutil.rmtree(site / PAGEFIND_FOLDER)
    started = time.perf_counter()
    indexed, words = _run_pagefind(pagefind_binary(), site)
    canonicalize(site / PAGEFIND_FOLDER)
    seconds = time.perf_counter() - started
    files = [p for p in (site / PAGEFIND_FOLDER).rglob("*") if p.is_file()]
    return {
        "pages": indexed,
        "words": words,
        "seconds": round(seconds, 1),
        "bytes": sum(p.stat().st_size for p in files),
        "files": len(files),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000])
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--check-deterministic", action="store_true")
    parser.add_argument("--keep", type=Path, help="Write the catalogues and sites here.")
    parser.add_argument(
        "--replicate",
        type=int,
        metavar="SEED",
        help="Index SIZES record pages copied from a site of SEED records "
        "(Pagefind's step alone, for sizes a full publish takes too long for).",
    )
    args = parser.parse_args()
    if args.replicate:
        with tempfile.TemporaryDirectory(prefix="csec-search-bench-") as tmp:
            print("| record pages | words | Pagefind + canonicalize | bundle | files |")
            print("|---:|---:|---:|---:|---:|")
            for n in args.sizes:
                r = replicated(n, Path(tmp) / str(n), args.replicate)
                print(
                    f"| {r['pages']:,} | {r['words']:,} | {r['seconds']} s "
                    f"| {_mb(int(r['bytes']))} | {r['files']:,} |",
                    flush=True,
                )  # type: ignore[call-overload]
        return
    with tempfile.TemporaryDirectory(prefix="csec-search-bench-") as tmp:
        base = args.keep or Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        print(
            "| records | indexed | words | publish | search step | Pagefind bundle "
            "| files | file:// index | one search fetches | deterministic |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|")
        for n in args.sizes:
            r = measure(n, base, args.workers, args.check_deterministic)
            print(
                f"| {r['records']:,} | {r['indexed']:,} | {r['words']:,} | {r['publish_s']} s "
                f"| {r['search_step_s']} s | {_mb(int(r['pagefind_bytes']))} "  # type: ignore[call-overload]
                f"| {r['pagefind_files']:,} | {_mb(int(r['fallback_bytes']))} "  # type: ignore[call-overload]
                f"| {_mb(int(r['first_search_bytes']))} "  # type: ignore[call-overload]
                f"| {r.get('deterministic', '–')} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
