"""Two checkouts of csec-ld side by side: the same commands on the same catalogue.

    git worktree add /tmp/before <commit>
    python benchmarks/compare.py --before /tmp/before --after . --records 100000

A refactoring must not slow anything down. This runs each command (``build``,
``validate``, ``publish`` by default) for both checkouts in turn, *repeat* times,
alternating which goes first, on one seeded synthetic catalogue (``synth.py``), and
prints the median wall time, CPU time (user + system, the command's processes together:
steadier than wall time on a shared machine) and the peak RSS of each, with the ratios
after / before.
Each run is its own process (``PYTHONPATH`` points at the checkout), so its RSS is its
own. Nothing is asserted: speed is measured, never tested.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synth

#: The commands, with their arguments; ``{out}`` is a scratch folder of the run.
COMMANDS = {
    "build": ["build", ".", "-o", "{out}"],
    "validate": ["validate", ".", "-f", "json", "--show", "violation"],
    "publish": ["publish", ".", "-q", "-o", "{out}"],
}
_CLI = "import sys; from csec_ld.cli import main; main(prog_name='csec-ld')"


def run(checkout: Path, args: list[str], cwd: Path, scratch: Path) -> tuple[float, float, int, int]:
    """Wall seconds, CPU seconds (with the processes it waited for: workers, Pagefind),
    peak RSS (KiB, its largest process) and exit code of one command run from *checkout*."""
    out = tempfile.mkdtemp(dir=scratch)
    argv = [sys.executable, "-c", _CLI, *(a.replace("{out}", f"{out}/o") for a in args)]
    env = dict(os.environ, PYTHONPATH=str(checkout.resolve()), PYTHONHASHSEED="0")
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    subprocess.run(["rm", "-rf", out], check=False)
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, cpu, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, default=Path("."))
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--commands", default=",".join(COMMANDS))
    args = parser.parse_args()
    checkouts = {"before": args.before, "after": args.after}
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        catalogue = scratch / "catalogue"
        synth.generate(args.records, catalogue)
        print(f"{args.records:,} records, {args.repeat} runs each, alternating\n")
        print(
            f"{'command':<10} {'before s':>9} {'after s':>9} {'ratio':>6}  "
            f"{'before CPU s':>12} {'after CPU s':>11} {'ratio':>6}  "
            f"{'before MB':>9} {'after MB':>9}  exit"
        )
        for name in args.commands.split(","):
            times: dict[str, list[float]] = {"before": [], "after": []}
            cpus: dict[str, list[float]] = {"before": [], "after": []}
            peaks: dict[str, list[int]] = {"before": [], "after": []}
            codes: set[int] = set()
            for i in range(args.repeat):
                order = ["before", "after"] if i % 2 == 0 else ["after", "before"]
                for which in order:
                    t, cpu, rss, code = run(checkouts[which], COMMANDS[name], catalogue, scratch)
                    times[which].append(t)
                    cpus[which].append(cpu)
                    peaks[which].append(rss)
                    codes.add(code)
            b, a = statistics.median(times["before"]), statistics.median(times["after"])
            cb, ca = statistics.median(cpus["before"]), statistics.median(cpus["after"])
            print(
                f"{name:<10} {b:>9.2f} {a:>9.2f} {a / b:>6.2f}  "
                f"{cb:>12.2f} {ca:>11.2f} {ca / cb:>6.2f}  "
                f"{max(peaks['before']) / 1024:>9.0f} {max(peaks['after']) / 1024:>9.0f}  "
                f"{','.join(map(str, sorted(codes)))}"
            )


if __name__ == "__main__":
    main()
