"""The streaming pipeline: the same bytes whatever the chunking and the number of workers;
every problem of a large source reported, with its place, and nothing written."""

from __future__ import annotations

import gc
import io
import json
import shutil
import sys
from pathlib import Path

import pytest

from csec_ld import pipeline
from csec_ld.build import build
from csec_ld.errors import DataError
from csec_ld.memory import COLLECT_EVERY
from csec_ld.pipeline import PipelineSpec, run_chunks
from csec_ld.serialize import FORMATS
from csec_ld.sources import open_catalog
from csec_ld.validation import ChunkChecker
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import synth


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pipeline") / "cat"
    synth.generate(500, folder, seed=11)
    return folder


def _written(
    catalogue: Path, workers: int, chunk_size: int, spool: Path | None = None
) -> tuple[dict[str, bytes], int]:
    """What the writers write of the records' chunks, and how many chunks there were."""
    spec = PipelineSpec(
        (str(catalogue),), None, None, ("ttl", "nt", "jsonld"), checker=ChunkChecker
    )
    cat = open_catalog([catalogue])
    buffers = {fmt: io.BytesIO() for fmt in spec.formats}
    writers = {fmt: FORMATS[fmt](buf) for fmt, buf in buffers.items()}
    for w in writers.values():
        w.begin()
    chunks = 0
    for chunk in run_chunks(cat, spec, workers=workers, chunk_size=chunk_size, spool=spool):
        chunks += 1
        assert chunk.validation is not None
        if spool is not None and workers > 1:  # the bytes wait in a file, not in the chunk
            assert chunk.spooled is not None and not chunk.pieces
            assert Path(chunk.spooled[0]).parent == spool
        chunk.write_to(writers)
    for w in writers.values():
        w.end()
    assert not cat.errors
    assert cat.count == 500
    return {fmt: buf.getvalue() for fmt, buf in buffers.items()}, chunks


@pytest.mark.parametrize(
    ("workers", "chunk_size", "spooled"),
    [(2, 37, False), (2, 500, False), (1, 37, False), (2, 37, True), (1, 37, True)],
)
def test_chunks_and_workers_do_not_change_the_bytes(
    catalogue: Path, tmp_path: Path, workers: int, chunk_size: int, spooled: bool
) -> None:
    reference, one = _written(catalogue, workers=1, chunk_size=10_000)
    spool = tmp_path / "spool" if spooled else None
    if spool is not None:
        spool.mkdir()
    got, chunks = _written(catalogue, workers=workers, chunk_size=chunk_size, spool=spool)
    assert one == 1 and chunks == -(-500 // chunk_size)
    assert got == reference
    if spool is not None:
        assert list(spool.iterdir()) == []  # each file went once copied


def test_build_is_byte_identical_with_one_or_two_workers(catalogue: Path, tmp_path: Path) -> None:
    one = build([catalogue], tmp_path / "one", workers=1)
    two = build([catalogue], tmp_path / "two", workers=2)
    assert one.records == two.records == 500
    for fmt, path in one.files.items():
        assert path.read_bytes() == two.files[fmt].read_bytes(), fmt
    # The workers' spool folder went with the temporary folder.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one", "two"]
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == sorted(
        p.name for p in two.files.values()
    )


def test_broken_records_in_the_middle_of_a_large_source(catalogue: Path, tmp_path: Path) -> None:
    """Every problem named with file:line, record and field, whatever chunk it is in;
    nothing written; the records around them still checked."""
    folder = tmp_path / "cat"
    shutil.copytree(catalogue, folder)
    path = folder / "records.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[249] = json.dumps(
        {"id": "broken-one", "title": "T", "issued": "2010-02-30", "type": "report"}
    )
    lines[250] = "{not json"
    lines[401] = json.dumps(
        {"id": "resource-0000003", "title": "T", "issued": "2010", "type": "report"}
    )  # an id used on line 4
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "dist"
    with pytest.raises(DataError) as info:
        build([folder], out, workers=2)
    messages = [str(e) for e in info.value.errors]
    rel = str(path)
    assert any(m.startswith(f"{rel}:250: broken-one: issued:") for m in messages), messages
    assert any(m.startswith(f"{rel}:251:") and "JSON" in m for m in messages), messages
    assert any(
        m.startswith(f"{rel}:402: resource-0000003: id:") and ":4)" in m for m in messages
    ), messages
    assert len(messages) == 3
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cat"]  # no temporary files left
    assert gc.isenabled()  # paused during the build, back on after its error


def test_workers_collect_cyclic_garbage_between_chunks(
    catalogue: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pool's worker runs without the automatic collector (it would scan each finished
    chunk while it is pickled) and collects before every COLLECT_EVERY-th chunk."""
    spec = PipelineSpec((str(catalogue),), None, None, ("nt",))
    with pipeline.worker_pool(1, pipeline._build_worker, (spec, None)) as pool:
        assert pool.submit(gc.isenabled).result() is False
    collected: list[int] = []
    monkeypatch.setattr(gc, "collect", lambda *args: collected.append(1) or 0)
    monkeypatch.setattr(pipeline, "_WORKER", lambda work: pipeline.Chunk())
    monkeypatch.setattr(pipeline, "_CHUNKS_DONE", 0)
    for _ in range(3 * COLLECT_EVERY):
        pipeline._run_in_worker([])
    assert len(collected) == 3


def test_the_collector_is_paused_while_chunks_come_and_back_after(catalogue: Path) -> None:
    spec = PipelineSpec((str(catalogue),), None, None, ("nt",))
    assert gc.isenabled()
    for _ in run_chunks(open_catalog([catalogue]), spec, workers=1, chunk_size=100):
        assert not gc.isenabled()
    assert gc.isenabled()
    chunks = run_chunks(open_catalog([catalogue]), spec, workers=2, chunk_size=100)
    next(chunks)
    assert not gc.isenabled()
    chunks.close()  # a consumer that stops early (an error in the output, say)
    assert gc.isenabled()


def test_the_literal_texts_of_a_chunk_are_found_by_the_second_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker renders a chunk in N-Triples, then in Turtle: the Turtle writer finds every
    literal's text in the cache the N-Triples writer filled, however full it was before."""
    from csec_ld import serialize
    from csec_ld.sources import jsonl_batches

    synth.generate(pipeline.CHUNK_SIZE, tmp_path / "chunk")
    records = tmp_path / "chunk" / "records.jsonl"
    (batch,) = list(jsonl_batches(records, pipeline.CHUNK_SIZE))
    spec = PipelineSpec((str(tmp_path / "chunk"),), None, None, ("nt", "ttl"))
    worker = pipeline.ChunkWorker(spec)
    # the state a worker may be in: the cache nearly full from the chunks before
    keep = [serialize.Literal(str(n)) for n in range(60_000)]
    for lit in keep:
        serialize._literal_texts(lit)
    computed: list[object] = []
    in_turtle = [False]
    texts = serialize._literal_texts
    render = serialize.TurtleWriter.render_blocks.__func__  # type: ignore[attr-defined]

    def counted(t: object) -> object:
        if in_turtle[0]:
            computed.append(t)
        return texts(t)

    def turtle(cls: type, blocks: list) -> bytes:
        in_turtle[0] = True
        try:
            return render(cls, blocks)
        finally:
            in_turtle[0] = False

    monkeypatch.setattr(serialize, "_literal_texts", counted)
    monkeypatch.setattr(serialize.TurtleWriter, "render_blocks", classmethod(turtle))
    chunk = worker(pipeline.JsonlBatch(records, *batch))
    assert chunk.records == pipeline.CHUNK_SIZE and chunk.pieces["ttl"]
    assert computed == []


def _sigint_handler() -> object:
    import signal

    return signal.getsignal(signal.SIGINT)


def test_every_pool_is_the_pipelines_kind() -> None:
    """One kind of process pool: its workers leave Ctrl-C to the parent (and end with
    it); validate's engines use it too rather than a pool of their own."""
    import ast
    import signal

    import csec_ld

    with pipeline.worker_pool(1) as pool:
        assert pool.submit(_sigint_handler).result() == signal.SIG_IGN
    package = Path(csec_ld.__file__).parent
    for path in package.rglob("*.py"):
        if path.name == "pipeline.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        assert "ProcessPoolExecutor" not in names, path
