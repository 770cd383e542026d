"""The streaming pipeline: sources → raw records → checked records → triples → bytes.

The main process reads raw records (file order, then order within a file) and cuts
them into chunks; each chunk is checked, mapped, validated against the SHACL shapes
(when the spec asks for it: the compiled shapes of :mod:`csec_ld.shacl`) and
rendered in every output format by a worker — a process of a pool, or the main
process itself for small catalogues. Chunks come back in order, so the output is
byte-identical whatever the number of workers. Memory holds a few chunks, the set
of ids (for the uniqueness rule), the cross-record keys (hashes) and the vocabulary
entries in use, never the whole graph.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import OutputError, RecordError
from .mapping import Mapper, writes_every_profile
from .mapping.base import Used
from .memory import collect_now_and_then, paused_gc
from .records import RawRecord, Salvage, build_record, salvage
from .serialize import Writer, render_chunk
from .sources import (
    JSONL_SUFFIXES,
    Catalogue,
    duplicate_id,
    jsonl_batches,
    open_catalog,
    read_jsonl_batch,
    read_raw,
)
from .tempfiles import deferred_signals

__all__ = [
    "Chunk",
    "ChunkWorker",
    "PipelineSpec",
    "end_with_parent",
    "raw_chunks",
    "run_chunks",
    "worker_pool",
]

CHUNK_SIZE = 2000
_NT = ("nt",)
#: Below this many bytes of sources, a pool costs more than it saves.
PARALLEL_THRESHOLD = 4 * 1024 * 1024


@dataclass(frozen=True)
class PipelineSpec:
    """What a worker needs to rebuild the catalogue context in its own process."""

    sources: tuple[str, ...]
    base: str | None
    profiles: tuple[str, ...] | None
    formats: tuple[str, ...]
    #: What checks each chunk against the SHACL shapes (``validation.ChunkChecker``,
    #: built in each worker from *shapes* and *threshold*); None: no validation.
    #: The callers name the stages they want, so that the pipeline imports none of them.
    checker: type[Any] | None = None
    shapes: str | None = None  # shapes file or folder (default: the shipped shapes)
    threshold: str = "violation"  # the lowest severity the validation keeps
    #: A site being published (its temporary folder), and what writes each record's
    #: page and data files there in the workers (``publish.SiteWorker``, built from the
    #: catalogue, the folder and *listing_size*), giving what the site's listings need
    #: (``publish.SiteChunk``, in :attr:`Chunk.site`).
    site: str | None = None
    site_worker: type[Any] | None = None
    listing_size: int = 100
    catalog: str | None = None  # the catalog.yaml given (default: found next to the sources)
    #: Send each record back with its N-Triples (every profile's), in :attr:`Chunk.mapped`:
    #: for the engines that check the whole graph in the main process (``validate``'s
    #: reference engine, records validated with RDF files).
    keep_mapped: bool = False


@dataclass
class Chunk:
    """One chunk's output: rendered bytes per format, ids, vocabulary use, problems."""

    pieces: dict[str, bytes] = field(default_factory=dict)
    ids: list[tuple[str, str, int | None, bool]] = field(
        default_factory=list
    )  # id, file, line, active
    used: Used = field(default_factory=Used)
    errors: list[RecordError] = field(default_factory=list)
    records: int = 0
    triples: int = 0
    validation: Any = None  # validation.ChunkValidation when the spec validates
    duplicates: list[int] = field(default_factory=list)  # numbers in ids of reused ids
    #: Records that failed to load, as far as they read: (number of the next entry of
    #: ids, what was read), for the cross-record checks (``Catalogue.broken``).
    broken: list[tuple[int, Salvage]] = field(default_factory=list)
    #: Where a pool worker left the pieces instead of returning them: a file holding
    #: each format's bytes in turn, and their lengths by format (see :func:`run_chunks`).
    spooled: tuple[str, dict[str, int]] | None = None
    site: Any = None  # publish.SiteChunk when the spec publishes a site
    #: (record, its N-Triples) for each entry of :attr:`ids`, when the spec keeps them
    mapped: list[tuple[Any, bytes]] = field(default_factory=list)

    def write_to(self, writers: dict[str, Writer]) -> None:
        """Give each writer its format's bytes (from the spool file, which goes)."""
        if self.spooled is None:
            for fmt, writer in writers.items():
                writer.write_piece(self.pieces[fmt])
            return
        path, lengths = self.spooled
        try:
            with open(path, "rb") as src:
                offset = 0
                for fmt, length in lengths.items():
                    writers[fmt].copy_piece(src, offset, length)
                    offset += length
        except OSError as exc:
            raise OutputError(f"{path}: cannot read a chunk back ({exc.strerror})") from exc
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)

    def kept(self) -> Iterator[tuple[str, str, int | None, bool]]:
        """The ids entries of the records kept (not those reusing an earlier id)."""
        reused = set(self.duplicates)
        return (entry for n, entry in enumerate(self.ids) if n not in reused)

    def merge_into(self, mapper: Mapper) -> None:
        """Tell *mapper* what this chunk's records used and which are in the catalogue,
        for the support blocks it gives after the records."""
        mapper.used.merge(self.used)
        mapper.record_ids.extend(rid for rid, _, _, active in self.kept() if active)


class ChunkWorker:
    """Checks, maps and renders chunks of raw records (one instance per process)."""

    def __init__(
        self, spec: PipelineSpec, catalogue: Catalogue | None = None, spool: str | None = None
    ) -> None:
        self.spec = spec
        self.spool = spool  # a folder: leave each chunk's bytes in a file there
        self.spool_files = 0
        self.catalogue = catalogue or open_catalog(
            list(spec.sources), base=spec.base, catalog=spec.catalog
        )
        self.checker: Any = None
        if spec.checker is not None:
            self.checker = spec.checker(spec.shapes, spec.threshold)
        self.site: Any = None
        if spec.site is not None and spec.site_worker is not None:
            self.site = spec.site_worker(self.catalogue, Path(spec.site), spec.listing_size)

    def __call__(self, work: Work) -> Chunk:
        with paused_gc():
            return self._chunk(work)

    def _chunk(self, work: Work) -> Chunk:
        cat = self.catalogue
        mapper = Mapper(cat, self.spec.profiles)
        chunk = Chunk(used=mapper.used)
        blocks: list[list[Any]] = []  # rendered at the end, the chunk at once
        mapped: list[tuple[Any, str, list[Any], int]] = []  # for validation
        ids_here: set[str] = set()
        # Validation sees every profile's triples (the shapes check both vocabularies),
        # whatever profiles the output has.
        every = self.checker is not None or self.spec.keep_mapped
        own = every and not writes_every_profile(self.spec.profiles)
        checked = Mapper(cat) if own else None
        for raw in _raws(work):
            if isinstance(raw, RecordError):
                chunk.errors.append(raw)
                continue
            record, problems = build_record(raw, cat.vocab, cat.registry)
            if record is None:
                chunk.errors.extend(problems)
                chunk.broken.append((len(chunk.ids), salvage(raw)))
                continue
            triples = mapper.terms(record)
            number = len(chunk.ids)
            chunk.ids.append(
                (record.id, raw.location.path, raw.line_of("id"), not record.is_withdrawn)
            )
            chunk.records += 1
            chunk.triples += len(triples)
            if triples and self.spec.formats and self.site is None:
                blocks.append(triples)
            if self.spec.keep_mapped:
                full = checked.terms(record) if checked is not None else triples
                chunk.mapped.append((record, render_chunk(_NT, [full])["nt"] if full else b""))
            if self.checker is not None and record.id not in ids_here:
                # A reused id is a load error; its record is not validated (nor merged
                # with the first one), as in `validate`.
                full = checked.terms(record) if checked is not None else triples
                if full:
                    mapped.append((record, cat.catalog.record_iri(record.id), full, number))
            ids_here.add(record.id)
            if self.site is not None:
                self.site.add_noted(record, triples)
        if self.checker is not None:
            chunk.validation = self.checker.check(mapped)
        if self.site is not None:  # it rendered each record for its own files too
            chunk.site, pieces = self.site.finish()
            chunk.pieces = {fmt: pieces[fmt] for fmt in self.spec.formats}
        else:
            chunk.pieces = render_chunk(self.spec.formats, blocks)
        if self.spool is not None and chunk.pieces:
            self._spool(chunk)
        return chunk

    def _spool(self, chunk: Chunk) -> None:
        """Move the chunk's bytes to a file of the spool folder."""
        self.spool_files += 1
        path = os.path.join(self.spool or "", f"{os.getpid()}-{self.spool_files}.chunk")
        try:
            with open(path, "wb") as out:
                for piece in chunk.pieces.values():
                    out.write(piece)
        except OSError as exc:
            raise OutputError(f"{path}: cannot write ({exc.strerror})") from exc
        chunk.spooled = (path, {fmt: len(piece) for fmt, piece in chunk.pieces.items()})
        chunk.pieces = {}


@dataclass(frozen=True)
class JsonlBatch:
    """A batch of lines of a JSON Lines file, by place: the worker reads and parses it."""

    path: Path
    first: int  # number of the first line
    start: int  # byte offset
    length: int  # bytes


#: A unit of work: raw records read by the main process, or a batch of JSON Lines.
Work = list[RawRecord] | JsonlBatch


def _raws(work: Work) -> Iterable[RawRecord | RecordError]:
    if isinstance(work, JsonlBatch):
        return read_jsonl_batch(work.path, work.first, work.start, work.length)
    return work


_WORKER: ChunkWorker | None = None


#: Chunks handled by this worker process. It collects cyclic garbage itself, now and
#: then before a chunk (when the last one is gone). Left to itself, the collector ran
#: while the finished chunk was pickled to be sent back (pickling allocates), several
#: times per chunk, scanning all of the chunk's objects every time: 5 % of a worker's time.
_CHUNKS_DONE = 0


def worker_pool(
    n: int, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    """A pool of *n* worker processes, the one kind csec-ld starts (the pipeline's, and
    ``validate``'s for the engines that check chunks of N-Triples): each worker ends with
    this process and leaves Ctrl-C to it, then runs *initializer* (*initargs*)."""
    context = multiprocessing.get_context()
    # Under fork and spawn this process is the workers' parent; a fork server is theirs.
    parent = os.getpid() if context.get_start_method() in ("fork", "spawn") else None
    return ProcessPoolExecutor(
        max_workers=n,
        mp_context=context,
        initializer=_init_process,
        initargs=(parent, initializer, initargs),
    )


def _init_process(
    parent: int | None, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]
) -> None:
    """Set up a pool's worker: it ends with *parent* (the process that started it, when
    it is the one that forked it) and leaves Ctrl-C to it."""
    # Ctrl-C reaches every process of the terminal's group: the parent stops the pool,
    # rather than each worker printing a KeyboardInterrupt traceback. SIGTERM ends a
    # worker at once, whatever handler the parent had when it forked this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    end_with_parent(parent)
    if initializer is not None:
        initializer(*initargs)


def _build_worker(spec: PipelineSpec, spool: str | None) -> None:
    """Build the pool worker's :class:`ChunkWorker`."""
    global _WORKER
    _WORKER = ChunkWorker(spec, spool=spool)
    # The compiled shapes, vocabularies and modules live as long as the process: out
    # of the collector's sight, they cost nothing when it runs between chunks.
    gc.freeze()
    gc.disable()


#: prctl(2) option: the signal this process gets when its parent ends.
_PR_SET_PDEATHSIG = 1
#: How often a worker without prctl(2) looks whether its parent is still there, in seconds.
PARENT_CHECK_INTERVAL = 0.5


def end_with_parent(parent: int | None) -> None:
    """Make this process end when its parent does, even by ``kill -9``.

    On Linux the kernel sends SIGKILL (``prctl(PR_SET_PDEATHSIG)``); elsewhere, or if that
    fails, a thread looks every :data:`PARENT_CHECK_INTERVAL` seconds whether the parent
    changed (an orphan's parent is init or a subreaper). *parent* is the pid the parent
    should have: if it already ended before the signal was asked for, this process ends
    now. With no *parent* (a fork server started the process), the parent it has is taken.
    """
    if _ask_kernel_for_death_signal():
        if parent is not None and os.getppid() != parent:
            os._exit(1)
        return
    expected = os.getppid() if parent is None else parent
    threading.Thread(
        target=_watch_parent, args=(expected,), name="csec-ld-parent-watch", daemon=True
    ).start()


def _ask_kernel_for_death_signal() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return False
    prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
    prctl.restype = ctypes.c_int
    return bool(prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0)


def _watch_parent(parent: int) -> None:
    """End this process as soon as *parent* is no longer its parent (the portable way)."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_INTERVAL)
    os._exit(1)


def _run_in_worker(work: Work) -> Chunk:
    global _CHUNKS_DONE
    assert _WORKER is not None
    collect_now_and_then(_CHUNKS_DONE)
    _CHUNKS_DONE += 1
    return _WORKER(work)


def raw_chunks(catalogue: Catalogue, size: int = CHUNK_SIZE) -> Iterator[Work]:
    """Work in source order; a file that cannot be read adds its problem to the catalogue."""
    chunk: list[RawRecord] = []
    for path in catalogue.files:
        try:
            if path.suffix.lower() in JSONL_SUFFIXES:
                if chunk:
                    yield chunk
                    chunk = []
                for first, start, length in jsonl_batches(path, size):
                    yield JsonlBatch(path, first, start, length)
                continue
            for raw in read_raw(path):
                if isinstance(raw, RecordError):
                    catalogue.errors.append(raw)
                    continue
                chunk.append(raw)
                if len(chunk) >= size:
                    yield chunk
                    chunk = []
        except RecordError as exc:
            catalogue.errors.append(exc)
    if chunk:
        yield chunk


def default_workers(files: Sequence[Path]) -> int:
    size = sum(p.stat().st_size for p in files if p.exists())
    return min(os.cpu_count() or 1, 8) if size >= PARALLEL_THRESHOLD else 1


def run_chunks(
    catalogue: Catalogue,
    spec: PipelineSpec,
    *,
    workers: int | None = None,
    on_chunk: Callable[[Chunk], None] | None = None,
    chunk_size: int = CHUNK_SIZE,
    spool: str | Path | None = None,
    work: Iterable[Work] | None = None,
) -> Generator[Chunk, None, None]:
    """Chunks of *chunk_size* records in source order; duplicate ids and file problems
    go to ``catalogue.errors``.

    With a *spool* folder, worker processes leave each chunk's bytes in a file there
    (:attr:`Chunk.spooled`; :meth:`Chunk.write_to` copies them on in the kernel)
    instead of sending them through a pipe: a million records make 9 GB of output,
    which the pipe copied four times (pickled, sent, received, unpickled) and the
    main process read in Python.
    """
    catalogue.errors.clear()
    catalogue.broken.clear()
    catalogue.count = 0
    n = workers if workers is not None else default_workers(catalogue.files)
    seen: dict[str, tuple[str, int | None]] = {}

    def check_broken(part: Salvage) -> None:  # as Catalogue.records does
        if part.id is None:
            return
        first = seen.get(part.id)
        if first is not None:
            where = f"{first[0]}:{first[1]}" if first[1] else first[0]
            catalogue.errors.append(duplicate_id(part.id, where, part))
        else:
            seen[part.id] = (part.location.path, part.line_of("id"))
            catalogue.broken.append(part)

    def check(chunk: Chunk) -> Chunk:
        catalogue.errors.extend(chunk.errors)
        broken = deque(chunk.broken)
        for number, (rid, path, line, _active) in enumerate(chunk.ids):
            while broken and broken[0][0] <= number:
                check_broken(broken.popleft()[1])
            first = seen.get(rid)
            if first is not None:
                chunk.duplicates.append(number)
                where = f"{first[0]}:{first[1]}" if first[1] else first[0]
                catalogue.errors.append(
                    RecordError(
                        f"duplicate id {rid!r} (first used at {where})",
                        path=path,
                        line=line,
                        record=rid,
                        field="id",
                        value=rid,
                    )
                )
            else:
                seen[rid] = (path, line)
        for _, part in broken:
            check_broken(part)
        catalogue.count += chunk.records
        if on_chunk:
            on_chunk(chunk)
        return chunk

    # *work* instead of the sources' records: those an incremental publish has to redo
    works = raw_chunks(catalogue, chunk_size) if work is None else iter(work)
    chunks = (
        _chunks_here(catalogue, spec, works)
        if n <= 1
        else _chunks_in_pool(catalogue, spec, n, works, spool)
    )
    # This process keeps what every chunk leaves (ids, cross-record keys): hundreds of
    # thousands of objects that the automatic collector scanned again and again (1.8 s
    # of a 100,000-record build, growing faster than the catalogue). It collects the
    # young ones itself; cyclic garbage that outlives them waits for the end of the run.
    with paused_gc():
        for number, chunk in enumerate(chunks):
            collect_now_and_then(number, generation=1)
            yield check(chunk)


def _chunks_here(
    catalogue: Catalogue, spec: PipelineSpec, works: Iterable[Work]
) -> Iterator[Chunk]:
    worker = ChunkWorker(spec, catalogue)
    for work in works:
        yield worker(work)


def _chunks_in_pool(
    catalogue: Catalogue,
    spec: PipelineSpec,
    n: int,
    works: Iterable[Work],
    spool: str | Path | None,
) -> Iterator[Chunk]:
    executor: Executor = worker_pool(
        n, _build_worker, (spec, None if spool is None else str(spool))
    )
    pending: deque[Future[Chunk]] = deque()
    try:
        for work in works:
            # The first submit starts the workers and the pool's manager thread: a signal
            # in between would leave a pool that cannot be shut down. It waits a moment.
            with deferred_signals():
                future = executor.submit(_run_in_worker, work)
            pending.append(future)
            if len(pending) > 2 * n:  # bounded: memory holds a few chunks, not the catalogue
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for f in pending:
            f.cancel()
        executor.shutdown(wait=True, cancel_futures=True)
