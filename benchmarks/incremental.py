"""Benchmark: a full ``publish`` beside an incremental republish with one record changed.

    python benchmarks/incremental.py --records 10000,100000 [--check] [-j N]

For each size a seeded synthetic catalogue (``synth.py``, no injected errors) is
published into a new folder (the full publish); then one record in the middle of
``records.jsonl`` gets a new title, and it is published into that site again (the
incremental republish), and, for the comparison, into a new folder with ``--full``.
Each run is ``python -m csec_ld publish`` in its own process, timed from outside
(interpreter start included, as a user sees it). With ``--check`` the two sites of
the changed catalogue are compared file by file (they must be byte-identical).
Nothing here is asserted: speed is measured, never tested.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _publish(catalogue: Path, site: Path, *extra: str) -> tuple[float, str]:
    start = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}  # this checkout's csec_ld
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "csec_ld",
            "publish",
            str(catalogue),
            "-o",
            str(site),
            "--quiet",
            *extra,
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=site.parent,
        env=env,
    )
    return time.perf_counter() - start, done.stdout.strip()


def _change_one(records: Path) -> str:
    """A new title for the record in the middle of the file; its id."""
    lines = records.read_bytes().splitlines(keepends=True)
    n = len(lines) // 2
    rec = json.loads(lines[n])
    rec["title"] = rec["title"] + " (revised)"
    lines[n] = (json.dumps(rec, ensure_ascii=False) + "\n").encode()
    records.write_bytes(b"".join(lines))
    return str(rec["id"])


def _same(a: Path, b: Path) -> bool:
    names_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    names_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    return names_a == names_b and all((a / n).read_bytes() == (b / n).read_bytes() for n in names_a)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--records",
        default="2000,10000",
        help="comma-separated catalogue sizes (default: 2000,10000)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare the incremental site with a full one, file by file",
    )
    parser.add_argument(
        "-j",
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: publish's own choice)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the catalogues and sites")
    args = parser.parse_args()
    import synth

    extra = [] if args.workers is None else ["-j", str(args.workers)]
    base = Path(tempfile.mkdtemp(prefix="csec-ld-incremental-"))
    lines = [
        "| records | full publish (s) | incremental, 1 changed (s) | incremental / full "
        "| full again, --full (s) | unchanged records reused | identical |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    try:
        for n in (int(x) for x in args.records.split(",")):
            cat = base / f"catalogue-{n}"
            records = synth.generate(n, cat)
            site, again = base / f"site-{n}", base / f"full-{n}"
            full, _ = _publish(cat, site, *extra)
            print(f"  {n:,}: full publish {full:.2f} s", file=sys.stderr, flush=True)
            changed = _change_one(records)
            inc, summary = _publish(cat, site, *extra)
            print(
                f"  {n:,}: {changed} changed, incremental {inc:.2f} s ({summary})",
                file=sys.stderr,
                flush=True,
            )
            rebuilt, _ = _publish(cat, again, "--full", *extra)
            reused = next(
                (part.split()[0] for part in summary.split(", ") if part.endswith(" unchanged")),
                "0",
            )
            same = ("yes" if _same(site, again) else "NO") if args.check else "not checked"
            lines.append(
                f"| {n:,} | {full:.2f} | {inc:.2f} | {inc / full:.1%} "
                f"| {rebuilt:.2f} | {int(reused):,} | {same} |"
            )
            print(lines[-1], flush=True)
            if not args.keep:
                for folder in (site, again, cat):
                    shutil.rmtree(folder, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"kept in {base}", file=sys.stderr)
    print()
    print("\n".join(lines))
    print(f"\n(cores: {os.cpu_count()}; workers: {args.workers or 'default'})")


if __name__ == "__main__":
    main()
