"""Interrupted runs: workers end with their parent (even on ``kill -9``), SIGTERM cleans up
as Ctrl-C does (exit 143), and the temporary folders a killed run leaves carry its pid and
go at the next run — never those of a run still going.

The tests about the process run ``csec-ld`` in a subprocess on a catalogue large enough to
be mid-run when the signal comes (they signal once the run is seen at work: its workers,
its first record pages or chunks); each is bounded in time and kills what it started.
The subprocess cuts the pipeline's chunks small (:data:`CHUNK`): a signalled run waits for
the chunks its workers hold, which at the 2,000 records of a real run took up to 40 s.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from click.testing import CliRunner

from csec_ld import pipeline, tempfiles
from csec_ld.build import atomic_output
from csec_ld.cli import main
from csec_ld.site.publish import SITE_MARKER, _swapped_folder
from tests.conftest import DATA, ROOT
from tests.processes import children, running

sys.path.insert(0, str(ROOT / "benchmarks"))
import synth

T = TypeVar("T")

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not Path("/proc/self/task").is_dir(),
    reason="finds worker processes in /proc (Linux)",
)

#: Seconds any one wait of these tests may take.
TIMEOUT = 60
#: Seconds in which the workers must be gone once their parent is.
GONE_WITHIN = 10
#: Records of the catalogue: about 24 MB of JSON Lines (publish starts its workers by itself
#: from 4 MB on); in chunks of CHUNK records a -j 2 build of them runs for about 10 s, 8 s
#: after the moment its tests signal, and a publish for minutes.
RECORDS = 30_000
#: Records a chunk of the pipeline in the subprocess (2,000 in a real run): a signalled run
#: waits for the chunks its workers hold, which takes seconds, not half a minute.
CHUNK = 100
CLI = (
    "from csec_ld import pipeline; "
    "assert 'chunk_size' in pipeline.run_chunks.__kwdefaults__; "
    f"pipeline.run_chunks.__kwdefaults__['chunk_size'] = {CHUNK}; "
    "from csec_ld.cli import main; main(prog_name='csec-ld')"
)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("interrupts") / "cat"
    synth.generate(RECORDS, folder, seed=5)
    # publish without -j: as large a catalogue as makes it start its workers by itself
    assert pipeline.default_workers([folder / "records.jsonl"]) == min(os.cpu_count() or 1, 8)
    return folder


# --------------------------------------------------------------------------- processes


def _wait_for(what: str, probe: Callable[[], T | None], timeout: float = TIMEOUT) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


class Run:
    """``csec-ld ARGS`` in a subprocess of its own session, killed with its workers at the end."""

    def __init__(self, cwd: Path, *args: str) -> None:
        self.workers: set[int] = set()
        # Files, not pipes: a worker that outlives its parent would hold a pipe open.
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CLI, *args],
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
            start_new_session=True,
        )

    def wait_for_workers(self, n: int = 2) -> set[int]:
        def probe() -> set[int] | None:
            if self.proc.poll() is not None:
                pytest.fail(f"ended before its workers started: {self.err()}")
            kids = children(self.proc.pid)
            return kids if len(kids) >= n else None

        self.workers = _wait_for("the workers", probe)
        return self.workers

    def signal(self, sig: int) -> tuple[int, str]:
        """Send *sig*; the exit code and stderr."""
        self.workers |= children(self.proc.pid)
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=TIMEOUT), self.err()

    def err(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")

    def assert_workers_gone(self) -> None:
        assert self.workers
        deadline = time.monotonic() + GONE_WITHIN
        while time.monotonic() < deadline and any(map(running, self.workers)):
            time.sleep(0.05)
        left = sorted(p for p in self.workers if running(p))
        assert not left, f"workers still running after their parent ended: {left}"

    def close(self) -> None:
        for pid in [self.proc.pid, *self.workers]:
            if running(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if self.proc.poll() is None:
            self.proc.wait(timeout=TIMEOUT)
        self.stderr.close()


@pytest.fixture
def run() -> Iterator[Callable[..., Run]]:
    started: list[Run] = []

    def start(cwd: Path, *args: str) -> Run:
        started.append(Run(cwd, *args))
        return started[-1]

    yield start
    for r in started:
        r.close()


def _hidden(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith("."))


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _has_files(folder: Path, pattern: str, size: int = 0) -> Callable[[], bool]:
    """A probe: whether a hidden folder of *folder* holds a file *pattern* of *size* bytes."""

    def probe() -> bool:
        for hidden in _hidden(folder):
            for path in hidden.rglob(pattern):
                try:
                    if path.stat().st_size >= size:
                        return True
                except OSError:
                    continue
        return False

    return probe


def _invoke(*args: str) -> None:
    result = CliRunner().invoke(main, [*args, "-q"])
    assert result.exit_code == 0, result.output


# --------------------------------------------------------------------------- kill -9


@pytest.mark.slow
def test_kill_9_of_a_build_leaves_no_worker_and_a_named_folder_the_next_build_removes(
    big: Path, tmp_path: Path, run: Callable[..., Run]
) -> None:
    out = tmp_path / "dist"
    build = run(tmp_path, "build", str(big), "-o", str(out), "-j", "2", "-q")
    build.wait_for_workers()
    _wait_for("the first chunks", _has_files(tmp_path, "catalog.nt", 1_000_000))
    build.signal(signal.SIGKILL)
    build.assert_workers_gone()
    (left,) = _hidden(tmp_path)
    assert re.fullmatch(rf"\.dist\.csec-ld-tmp-{build.proc.pid}-[a-z0-9_]+", left.name), left
    assert not out.exists()
    # A folder of a run still going (this process) stays; the killed run's goes.
    live = tmp_path / f".dist.csec-ld-tmp-{os.getpid()}-stillgoing"
    live.mkdir()
    _invoke("build", str(DATA), "-o", str(out))
    assert _hidden(tmp_path) == [live]
    _invoke("build", str(DATA), "-o", str(tmp_path / "reference"))
    assert _files(out) == _files(tmp_path / "reference")


@pytest.mark.slow
def test_kill_9_of_a_publish_while_it_validates_leaves_no_worker(
    big: Path, tmp_path: Path, run: Callable[..., Run]
) -> None:
    if (os.cpu_count() or 1) < 2:
        pytest.skip("publish validates in one process on one core")
    publish = run(tmp_path, "publish", str(big), "-o", str(tmp_path / "site"), "-q")
    publish.wait_for_workers()
    publish.signal(signal.SIGKILL)
    publish.assert_workers_gone()


@pytest.mark.slow
def test_kill_9_of_a_publish_leaves_a_named_folder_the_next_publish_removes(
    big: Path, tmp_path: Path, run: Callable[..., Run]
) -> None:
    site = tmp_path / "site"
    publish = run(tmp_path, "publish", str(big), "-o", str(site), "--no-validate", "-q")
    _wait_for("the first pages", _has_files(tmp_path, "index.html"))
    publish.signal(signal.SIGKILL)
    (left,) = _hidden(tmp_path)
    assert re.fullmatch(rf"\.site\.csec-ld-tmp-{publish.proc.pid}-[a-z0-9_]+", left.name), left
    _invoke("publish", str(DATA), "-o", str(site), "--no-validate")
    assert _hidden(tmp_path) == []
    assert (site / SITE_MARKER).is_file() and (site / "index.html").is_file()


# --------------------------------------------------------------------------- SIGTERM


def _assert_terminated(code: int, err: str) -> None:
    assert code == 143, err
    assert err.splitlines()[-1:] == ["interrupted; nothing written."], err
    assert "Traceback" not in err, err


@pytest.mark.slow
def test_sigterm_during_a_build_cleans_up_like_ctrl_c(
    big: Path, tmp_path: Path, run: Callable[..., Run]
) -> None:
    out = tmp_path / "dist"
    _invoke("build", str(DATA), "-o", str(out))
    before = _files(out)
    build = run(tmp_path, "build", str(big), "-o", str(out), "-j", "2", "-q")
    build.wait_for_workers()
    _wait_for("the first chunks", _has_files(tmp_path, "catalog.nt", 1_000_000))
    _assert_terminated(*build.signal(signal.SIGTERM))
    build.assert_workers_gone()
    assert _hidden(tmp_path) == []
    assert _files(out) == before


@pytest.mark.slow
def test_sigterm_while_a_publish_validates(
    big: Path, tmp_path: Path, run: Callable[..., Run]
) -> None:
    if (os.cpu_count() or 1) < 2:
        pytest.skip("publish validates in one process on one core")
    site = tmp_path / "site"
    _invoke("publish", str(DATA), "-o", str(site), "--no-validate")
    before = _files(site)
    publish = run(tmp_path, "publish", str(big), "-o", str(site), "-q")
    publish.wait_for_workers()
    _assert_terminated(*publish.signal(signal.SIGTERM))
    publish.assert_workers_gone()
    assert _hidden(tmp_path) == []
    assert _files(site) == before


@pytest.mark.slow
def test_sigterm_while_a_publish_writes(big: Path, tmp_path: Path, run: Callable[..., Run]) -> None:
    site = tmp_path / "site"
    _invoke("publish", str(DATA), "-o", str(site), "--no-validate")
    before = _files(site)
    publish = run(tmp_path, "publish", str(big), "-o", str(site), "--no-validate", "-q")
    _wait_for("the first pages", _has_files(tmp_path, "index.html"))
    _assert_terminated(*publish.signal(signal.SIGTERM))
    assert _hidden(tmp_path) == []
    assert _files(site) == before


# --------------------------------------------------------------------------- worker side

_ORPHAN = """
import os, sys, time
from csec_ld import pipeline
pipeline._ask_kernel_for_death_signal = lambda: False  # as where there is no prctl
pipeline.PARENT_CHECK_INTERVAL = 0.1
child = os.fork()
if child == 0:
    pipeline.end_with_parent(os.getppid())
    time.sleep(60)
    os._exit(0)
print(child, flush=True)
time.sleep(60)
"""


def test_without_prctl_a_worker_still_ends_with_its_parent(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", _ORPHAN], stdout=subprocess.PIPE, text=True, cwd=tmp_path
    )
    child = 0
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        time.sleep(0.5)
        assert running(child)  # the watch thread does not end a worker whose parent is there
        parent.kill()
        parent.wait(timeout=TIMEOUT)
        deadline = time.monotonic() + GONE_WITHIN
        while time.monotonic() < deadline and running(child):
            time.sleep(0.05)
        assert not running(child)
    finally:
        for pid in (parent.pid, child):
            if pid and running(pid):
                os.kill(pid, signal.SIGKILL)
        parent.wait(timeout=TIMEOUT)
        if parent.stdout is not None:
            parent.stdout.close()


def test_a_worker_whose_parent_ended_before_it_asked_for_the_signal_ends_at_once() -> None:
    child = os.fork()
    if child == 0:  # pragma: no cover (the child)
        try:
            pipeline.end_with_parent(parent=os.getppid() + 1_000_000)  # not its parent
        except BaseException:
            os._exit(3)
        os._exit(0)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 1


# --------------------------------------------------------------------------- temporary folders


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(timeout=TIMEOUT)
    return proc.pid


def test_leftovers_are_only_dead_runs_folders_for_that_output(tmp_path: Path) -> None:
    dead = _dead_pid()
    gone = tmp_path / f".dist.csec-ld-tmp-{dead}-abc_123"
    kept = [
        tmp_path / f".dist.csec-ld-tmp-{os.getpid()}-abc_123",  # alive
        tmp_path / f".other.csec-ld-tmp-{dead}-abc_123",  # another output
        tmp_path / f".dist.csec-ld-old-{dead}-abc_123",  # another purpose
        tmp_path / f".dist.csec-ld-tmp-{dead}",  # not a name made here
        tmp_path / ".dist.tmp-abc_123",
    ]
    for folder in [gone, *kept]:
        folder.mkdir()
    (tmp_path / f".dist.csec-ld-tmp-{dead}-link").symlink_to(kept[0])
    assert tempfiles.leftovers(tmp_path, "dist", "tmp") == [gone]
    assert tempfiles.remove_leftovers(tmp_path, "dist", "tmp") == [gone]
    assert not gone.exists() and all(p.is_dir() for p in kept)
    made = tempfiles.make_temp_folder(tmp_path, "dist", "tmp")
    assert re.fullmatch(rf"\.dist\.csec-ld-tmp-{os.getpid()}-[a-z0-9_]+", made.name)
    assert tempfiles.leftovers(tmp_path, "dist", "tmp") == []


def test_signals_wait_for_the_end_of_a_swap() -> None:
    with pytest.raises(KeyboardInterrupt), tempfiles.deferred_signals():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
        done = True  # not cut short
    assert done
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_ctrl_c_during_the_renames_of_a_publish_neither_loses_nor_halves_the_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / SITE_MARKER).write_text("old")
    replace = os.replace

    def interrupted(src: Path, dst: Path) -> None:
        replace(src, dst)
        os.kill(os.getpid(), signal.SIGINT)  # between the two renames
        time.sleep(0.05)

    with pytest.raises(KeyboardInterrupt), _swapped_folder(out) as root:
        (root / SITE_MARKER).write_text("new")
        monkeypatch.setattr(os, "replace", interrupted)
    monkeypatch.undo()
    assert (out / SITE_MARKER).read_text() == "new"
    assert _hidden(tmp_path) == []


def test_ctrl_c_during_the_renames_of_a_build_moves_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "dist"
    out.mkdir()
    for name in ("a", "b"):
        (out / name).write_text("old")
    replace = os.replace

    def interrupted(src: Path, dst: Path) -> None:
        replace(src, dst)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)

    with pytest.raises(KeyboardInterrupt), atomic_output(out) as tmp:
        for name in ("a", "b"):
            (tmp / name).write_text("new")
        monkeypatch.setattr(os, "replace", interrupted)
    monkeypatch.undo()
    assert {p.name: p.read_text() for p in out.iterdir()} == {"a": "new", "b": "new"}
    assert _hidden(tmp_path) == []


def test_a_previous_site_left_between_the_renames_is_put_back(tmp_path: Path) -> None:
    """A publish killed after it moved the previous site aside and before it moved the new
    one in: the next run puts the previous one back, whatever becomes of its own."""
    out = tmp_path / "site"
    old = tmp_path / f".site.csec-ld-old-{_dead_pid()}-abcdefgh"
    (old / "site").mkdir(parents=True)
    (old / "site" / SITE_MARKER).write_text("previous")
    with pytest.raises(RuntimeError), _swapped_folder(out):
        raise RuntimeError("this run fails too")
    assert (out / SITE_MARKER).read_text() == "previous"
    assert _hidden(tmp_path) == []


def test_the_next_build_removes_the_spool_of_a_killed_one(tmp_path: Path) -> None:
    """The workers' spool is inside the build's temporary folder, so it goes with it."""
    dead = _dead_pid()
    left = tmp_path / f".dist.csec-ld-tmp-{dead}-abcdefgh"
    spool = left / f".chunks.csec-ld-spool-{dead}-abcdefgh"
    spool.mkdir(parents=True)
    (spool / "1-1.chunk").write_bytes(b"<a> <b> <c> .\n")
    _invoke("build", str(DATA), "-o", str(tmp_path / "dist"))
    assert _hidden(tmp_path) == []
