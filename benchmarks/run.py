"""Benchmarks: csec-ld's pipeline side by side with the naive rdflib + pyshacl one.

    python benchmarks/run.py --records 1000,10000,100000

For each size, a seeded synthetic catalogue (``synth.py``: realistic field sizes,
~1 % injected errors of every kind) is generated; then, each in its own process
so that peak memory (RSS) is its own:

* **ours**: validation (``csec_ld.validation.validate``, the compiled shapes), then
  the streaming build (load + map + write Turtle, N-Triples, JSON-LD), then the
  same again in one pass as ``csec-ld build`` runs it (validation inside the
  pipeline), then the named queries on an embedded (on-disk) pyoxigraph store and on
  an in-memory one (what ``csec-ld query`` on record files uses, as rdflib's is);
* **naive**: the records mapped into one rdflib ``Graph``, pySHACL on that graph,
  rdflib's Turtle, N-Triples and JSON-LD serialisers, and the same named queries
  (same bound SPARQL) on rdflib.

Both run in the same invocation, one after the other, so the ratios compare like
with like on a noisy machine. The validation results are compared too (focus
node, path, constraint component, severity): the table says whether they match.
Nothing here is asserted: speed is measured, never tested.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

QUERY_CASES: dict[str, dict[str, Any]] = {
    "by-country": {"country": ["PHL", "PRY"]},
    "by-type": {"type": "report"},
    "by-subject": {"subject": "child-labour"},
    "by-year": {"since": 2000, "until": 2010},
    "by-language": {"language": "en"},
    "search": {"text": "tourism"},
    "count-by-country": {},
    "count-by-year": {},
    "count-by-type": {},
    "count-by-subject": {},
    "resource": {"resource": "https://w3id.org/csec-ld/resource/resource-0000042"},
    "modified-since": {"since": "2010-01-01"},
    "missing-description": {},
    "missing-subject": {},
    "missing-country": {},
    "concepts": {},
}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child_peak_mb() -> float:
    """The largest peak RSS of this process's children that ended (the pipeline's
    workers, Pagefind): each is a process of its own, beside the main one."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


CPU: dict[str, float] = {}  # CPU time of this process per stage (workers not included)


def _timed(stages: dict[str, float], name: str, fn: Callable[[], Any]) -> Any:
    """Run ``fn``, keeping its wall and CPU time (also when it is stopped by an alarm)."""
    start, cpu = time.perf_counter(), time.process_time()
    try:
        return fn()
    finally:
        stages[name] = time.perf_counter() - start
        CPU[name] = time.process_time() - cpu
        print(
            f"  {name}: {stages[name]:.2f} s wall, {CPU[name]:.2f} s CPU",
            file=sys.stderr,
            flush=True,
        )


@contextlib.contextmanager
def _alarm(seconds: int) -> Iterator[None]:
    """Raise TimeoutError in the block after ``seconds`` (0: never). rdflib's and pySHACL's
    evaluators are Python, so the signal interrupts them."""

    def too_long(signum: int, frame: Any) -> None:
        raise TimeoutError(f"over {seconds} s")

    previous = signal.signal(signal.SIGALRM, too_long)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _result_key(focus: str, path: str | None, component: str, severity: str) -> list[str]:
    return [focus, path or "", component, severity]


# --------------------------------------------------------------------------- steps (child)


def step_ours(catalogue: Path, work: Path) -> dict[str, Any]:
    from csec_ld.build import build
    from csec_ld.validation import validate

    stages: dict[str, float] = {}
    report = _timed(stages, "validate", lambda: validate([catalogue]))
    keys = sorted(
        _result_key(r.focus, r.path, r.component, str(r.severity))
        for r in report.results
        if r.source == "shacl" and r.focus and r.component
    )
    loads = sum(1 for r in report.results if r.source == "load")

    def write() -> None:
        try:
            build([catalogue], work / "ours", validate=False)
        except Exception as exc:  # the injected errors stop the build at its end
            if type(exc).__name__ != "DataError":
                raise

    _timed(stages, "load+map+write", write)

    def single_pass() -> None:  # what `csec-ld build` runs: validation inside the pipeline
        try:
            build([catalogue], work / "ours-single")
        except Exception as exc:  # the injected errors stop the build at its end
            if type(exc).__name__ != "DataError":
                raise

    _timed(stages, "build", single_pass)
    return {"stages": stages, "shacl": keys, "load_errors": loads, "rss": _peak_mb()}


def clean_copy(catalogue: Path, out: Path) -> Path:
    """The catalogue without the records our loader refuses (the naive side cannot load them)."""
    from csec_ld.records import build_record
    from csec_ld.sources import open_catalog, read_raw

    cat = open_catalog([catalogue])
    out.mkdir(parents=True, exist_ok=True)
    for name in ("catalog.yaml", "agents.yaml"):
        (out / name).write_bytes((catalogue / name).read_bytes())
    seen: set[str] = set()
    with (out / "records.jsonl").open("w", encoding="utf-8") as fh:
        for path in cat.files:
            for raw in read_raw(path):
                if isinstance(raw, Exception):
                    continue
                record, _ = build_record(raw, cat.vocab, cat.registry)
                if record is None or record.id in seen:
                    continue
                seen.add(record.id)
                fh.write(json.dumps(raw.data, ensure_ascii=False) + "\n")
    return out


def step_naive(catalogue: Path, work: Path) -> dict[str, Any]:
    import pyshacl
    import rdflib
    from pyoxigraph import NamedNode

    from csec_ld.mapping import Mapper
    from csec_ld.sources import open_catalog
    from csec_ld.validation import load_shapes

    stages: dict[str, float] = {}
    clean = catalogue  # the driver passes the records our loader accepts

    def term(t: Any) -> Any:
        if isinstance(t, NamedNode):
            return rdflib.URIRef(t.value)
        if t.language:
            return rdflib.Literal(t.value, lang=t.language)
        return rdflib.Literal(t.value, datatype=rdflib.URIRef(t.datatype.value))

    def load_map() -> rdflib.Graph:
        g = rdflib.Graph()
        cat = open_catalog([clean])
        mapper = Mapper(cat)  # record by record, in one process: the naive side
        blocks = [mapper.record(r) for r in cat.records()]
        for block in [*blocks, *mapper.support()]:
            for t in block:
                g.add((term(t.subject), term(t.predicate), term(t.object)))
        return g

    graph = _timed(stages, "load+map", load_map)
    shapes = load_shapes()

    def shacl() -> Any:
        return pyshacl.validate(graph, shacl_graph=shapes, advanced=True, allow_warnings=True)

    # pySHACL takes about 0.1 s a record here: --naive-limit stops it, and the table then
    # gives its time (and the ratios) as lower bounds
    report_graph = None  # None: pySHACL was stopped
    limit = int(os.environ.get("CSEC_LD_BENCH_NAIVE_LIMIT", "0"))
    with contextlib.suppress(TimeoutError), _alarm(limit):
        _conforms, report_graph, _text = _timed(stages, "validate", shacl)
    keys = None if report_graph is None else _report_keys(report_graph)
    out = work / "naive"
    out.mkdir(exist_ok=True)
    _timed(stages, "write ttl", lambda: graph.serialize(out / "catalog.ttl", format="turtle"))
    _timed(
        stages,
        "write nt",
        lambda: graph.serialize(out / "catalog.nt", format="nt", encoding="utf-8"),
    )
    _timed(
        stages, "write jsonld", lambda: graph.serialize(out / "catalog.jsonld", format="json-ld")
    )
    return {"stages": stages, "cpu": CPU, "shacl": keys, "rss": _peak_mb()}


def _report_keys(report: Any) -> list[list[str]]:
    """The (focus, path, component, severity) of each result of a pySHACL report graph."""
    import rdflib

    from csec_ld.validation import compact

    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    keys = []
    for r in report.subjects(rdflib.RDF.type, sh.ValidationResult):
        path = report.value(r, sh.resultPath)
        keys.append(
            _result_key(
                str(report.value(r, sh.focusNode)),
                compact(str(path)) if isinstance(path, rdflib.URIRef) else None,
                compact(str(report.value(r, sh.sourceConstraintComponent))),
                str(report.value(r, sh.resultSeverity)).rsplit("#", 1)[-1].lower(),
            )
        )
    return sorted(keys)


def _bound_queries() -> dict[str, str]:
    from csec_ld.query import get_query

    return {name: get_query(name).bind(params) for name, params in QUERY_CASES.items()}


# Our queries take catalogue membership as a sub-query, which Oxigraph hash-joins. rdflib
# joins a sub-query to the rest by testing every pair of solutions (100,000 by 15,000 for
# by-country): the naive side gets membership back as a plain pattern, the form rdflib
# handles best, with the same results (the table compares the row counts).
_MEMBERSHIP = re.compile(
    r"\{\s*SELECT \?resource \{\s*(\?catalog a dcmitype:Collection ; "
    r"dcterms:hasPart \?resource)\s*\}\s*\}"
)


def for_rdflib(sparql: str) -> str:
    """The same query with catalogue membership as a plain pattern (see ``_MEMBERSHIP``)."""
    return _MEMBERSHIP.sub(r"\1 .", sparql)


def _run_queries(engine: Any, label: str, stages: dict[str, float]) -> dict[str, Any]:
    """Each bound named query on *engine*: its row count and time (progress as ``label``)."""
    rows: dict[str, int] = {}
    times: dict[str, float] = {}
    for name, sparql in _bound_queries().items():
        start = time.perf_counter()
        result = engine.query(sparql)
        rows[name] = len(result.rows) if result.kind == "select" else len(result.triples)
        times[name] = time.perf_counter() - start
        print(f"{label} {name}: {times[name]:.2f} s", file=sys.stderr, flush=True)
    return {"stages": stages, "rows": rows, "times": times, "rss": _peak_mb()}


def step_queries_ours(catalogue: Path, work: Path) -> dict[str, Any]:
    from csec_ld.store import EmbeddedEngine, load_store

    stages: dict[str, float] = {}
    store_dir = work / "store"
    _timed(stages, "load store", lambda: load_store(store_dir, [catalogue]))
    with EmbeddedEngine(store_dir) as engine:
        return _run_queries(engine, "ours", stages)


def step_queries_memory(catalogue: Path, work: Path) -> dict[str, Any]:
    """The named queries on an in-memory pyoxigraph store, as ``csec-ld query`` on record
    files runs them (like rdflib's, the store lives in the process)."""
    from csec_ld.store import MemoryEngine

    stages: dict[str, float] = {}
    engine = _timed(stages, "load store", lambda: MemoryEngine.from_sources([catalogue]))
    return _run_queries(engine, "in memory", stages)


def step_queries_naive(catalogue: Path, work: Path) -> dict[str, Any]:
    import rdflib

    from csec_ld.resources import ontology_dir

    stages: dict[str, float] = {}
    nt = work / "ours-nt" / "catalog.nt"
    if not nt.exists():
        from csec_ld.build import build

        build([catalogue], nt.parent, formats=["nt"], validate=False)
    graph = rdflib.Graph()

    def load() -> None:
        graph.parse(nt, format="nt")
        for ttl in sorted(ontology_dir().glob("*.ttl")):
            graph.parse(ttl, format="turtle")

    _timed(stages, "load store", load)
    rows: dict[str, int] = {}
    times: dict[str, float] = {}
    failed: dict[str, str] = {}
    limit = int(os.environ.get("CSEC_LD_BENCH_QUERY_LIMIT", "900"))
    for name, sparql in _bound_queries().items():
        start = time.perf_counter()
        try:
            with _alarm(limit):
                rows[name] = len(list(graph.query(for_rdflib(sparql))))
        except TimeoutError as exc:
            failed[name] = str(exc)
            continue
        except Exception as exc:  # rdflib cannot run every SPARQL 1.1 query
            failed[name] = f"{type(exc).__name__}: {exc}"[:200]
            continue
        times[name] = time.perf_counter() - start
        print(f"rdflib {name}: {times[name]:.2f} s", file=sys.stderr, flush=True)
    return {"stages": stages, "rows": rows, "times": times, "failed": failed, "rss": _peak_mb()}


def step_build(catalogue: Path, work: Path) -> dict[str, Any]:
    """``build`` as ``csec-ld build`` runs it (validation in the same pass)."""
    from csec_ld.build import build

    stages: dict[str, float] = {}
    _timed(stages, "build", lambda: build([catalogue], work / "dist"))
    return {"stages": stages, "rss": _peak_mb(), "child_rss": _child_peak_mb()}


def step_publish(catalogue: Path, work: Path) -> dict[str, Any]:
    """``publish`` as ``csec-ld publish`` runs it (validation in the same pass), and
    what it wrote: files, bytes, and the largest file that is not a dump."""
    from csec_ld.site.publish import publish

    stages: dict[str, float] = {}
    site = work / "site"
    _timed(stages, "publish", lambda: publish([catalogue], site))
    files = 0
    size = disk = 0
    largest = ("", 0)
    dumps = {f"catalog.{f}{gz}" for f in ("ttl", "nt", "jsonld") for gz in ("", ".gz")}
    dumps.add("source/records.jsonl")
    for path in site.rglob("*"):
        if not path.is_file():
            continue
        st = path.stat()
        files += 1
        size += st.st_size
        disk += st.st_blocks * 512
        rel = path.relative_to(site).as_posix()
        if rel not in dumps and st.st_size > largest[1]:
            largest = (rel, st.st_size)
    return {
        "stages": stages,
        "rss": _peak_mb(),
        "child_rss": _child_peak_mb(),
        "files": files,
        "bytes": size,
        "disk": disk,
        "largest": largest,
    }


def _rdf_key(
    focus: Any, path: Any, component: Any, severity: Any, value: Any, message: Any, shape: Any
) -> list[Any]:
    return [focus, path, component, severity, value, message, shape]


def step_rdf_ours(dump: Path, work: Path) -> dict[str, Any]:
    """``validate`` of an RDF dump: the compiled shapes, streamed in chunks of subjects."""
    from csec_ld.validation import validate

    stages: dict[str, float] = {}
    report = _timed(stages, "validate", lambda: validate([dump]))
    keys = sorted(
        _rdf_key(r.focus, r.path, r.component, str(r.severity), r.value, r.message, r.shape)
        for r in report.results
        if r.source == "shacl"
    )
    return {"stages": stages, "shacl": keys, "records": report.records, "rss": _peak_mb()}


def step_rdf_naive(dump: Path, work: Path) -> dict[str, Any]:
    """The dump parsed into one rdflib ``Graph``, pySHACL on it (``--naive-limit`` applies)."""
    import pyshacl
    import rdflib

    from csec_ld.validation import load_shapes

    stages: dict[str, float] = {}
    graph = _timed(stages, "parse", lambda: rdflib.Graph().parse(dump, format="nt"))
    shapes = load_shapes()
    report_graph = None  # None: pySHACL was stopped
    limit = int(os.environ.get("CSEC_LD_BENCH_NAIVE_LIMIT", "0"))
    with contextlib.suppress(TimeoutError), _alarm(limit):
        _conforms, report_graph, _text = _timed(
            stages,
            "validate",
            lambda: pyshacl.validate(
                graph, shacl_graph=shapes, advanced=True, allow_warnings=True, allow_infos=True
            ),
        )
    keys = None if report_graph is None else _rdf_report_keys(report_graph)
    return {"stages": stages, "cpu": CPU, "shacl": keys, "rss": _peak_mb()}


def _rdf_report_keys(report: Any) -> list[list[Any]]:
    """What each result of a pySHACL report graph says, written as csec-ld reports it
    (compact IRIs, the English message, long values cut to a sample)."""
    import rdflib

    from csec_ld.validation import _sample, compact

    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")

    def iri(node: Any) -> str | None:
        return compact(str(node)) if isinstance(node, rdflib.URIRef) else None

    keys = []
    for r in report.subjects(rdflib.RDF.type, sh.ValidationResult):
        value = report.value(r, sh.value)
        messages = sorted(
            (m for m in report.objects(r, sh.resultMessage)),
            key=lambda m: (m.language not in (None, "en"), str(m)),
        )
        keys.append(
            _rdf_key(
                str(report.value(r, sh.focusNode)),
                iri(report.value(r, sh.resultPath)),
                iri(report.value(r, sh.sourceConstraintComponent)),
                str(report.value(r, sh.resultSeverity)).rsplit("#", 1)[-1].lower(),
                None if value is None else _sample(str(value)),
                str(messages[0]) if messages else None,
                iri(report.value(r, sh.sourceShape)),
            )
        )
    return sorted(keys)


STEPS = {
    "build": step_build,
    "publish": step_publish,
    "ours": step_ours,
    "naive": step_naive,
    "rdf-ours": step_rdf_ours,
    "rdf-naive": step_rdf_naive,
    "queries-ours": step_queries_ours,
    "queries-memory": step_queries_memory,
    "queries-naive": step_queries_naive,
}


# --------------------------------------------------------------------------- driver


def run_step(step: str, catalogue: Path, work: Path) -> dict[str, Any]:
    """Run one step in a fresh process (its own peak RSS) and return what it printed."""
    print(f"{time.strftime('%H:%M:%S')} step {step}, {catalogue.name}", file=sys.stderr, flush=True)
    proc = subprocess.run(  # its progress goes to our stderr as it comes
        [sys.executable, __file__, "--step", step, str(catalogue), str(work)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if proc.returncode != 0:
        raise SystemExit(f"step {step} failed (exit {proc.returncode}): see its error above")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _fmt(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", default="1000,10000", help="comma-separated sizes")
    parser.add_argument(
        "--naive-max",
        type=int,
        default=100_000,
        help="skip the naive pipeline above this many records",
    )
    parser.add_argument(
        "--naive-limit",
        type=int,
        default=0,
        metavar="SECONDS",
        help="stop pySHACL after this long (the table then gives lower bounds)",
    )
    parser.add_argument("--error-rate", type=float, default=0.01)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument(
        "--only",
        choices=("pipeline", "queries", "publish", "rdf"),
        default=None,
        help="run only the pipeline stages, only the named queries, only "
        "publish beside build (on catalogues without errors), or only the "
        "validation of an N-Triples dump (rdf)",
    )
    parser.add_argument(
        "--step", nargs=3, metavar=("STEP", "CATALOGUE", "WORK"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.step:
        step, catalogue, work = args.step
        print(json.dumps(STEPS[step](Path(catalogue), Path(work))))
        return

    import synth

    from csec_ld import __version__

    os.environ["CSEC_LD_BENCH_NAIVE_LIMIT"] = str(args.naive_limit)  # the steps' environment

    print(f"csec-ld {__version__} · {os.cpu_count()} cores · Python {sys.version.split()[0]}")
    base = Path(tempfile.mkdtemp(prefix="csec-ld-bench-"))
    lines = [
        "| records | stage | ours (s) | naive (s) | ratio "
        "| ours peak RSS (MB) | naive peak RSS (MB) |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    if args.only in ("publish", "rdf"):
        sizes = [int(x) for x in args.records.split(",")]
        if args.only == "publish":
            _publish_table(sizes, base)
        else:
            _rdf_table(sizes, base, args)
        if not args.keep:
            import shutil

            shutil.rmtree(base, ignore_errors=True)
        return
    for n in (int(x) for x in args.records.split(",")):
        cat = base / f"catalogue-{n}"
        synth.generate(n, cat, error_rate=args.error_rate)
        clean = clean_copy(cat, base / f"clean-{n}")
        work_o, work_n = base / f"ours-{n}", base / f"naive-{n}"
        work_o.mkdir()
        work_n.mkdir()
        do_pipeline, do_queries = args.only in (None, "pipeline"), args.only in (None, "queries")
        naive_ok = n <= args.naive_max
        ours = run_step("ours", cat, work_o) if do_pipeline else None
        naive = run_step("naive", clean, work_n) if do_pipeline and naive_ok else None
        q_ours = run_step("queries-ours", clean, work_o) if do_queries else None
        q_mem = run_step("queries-memory", clean, work_o) if do_queries else None
        q_naive = run_step("queries-naive", clean, work_n) if do_queries and naive_ok else None
        # (stage, ours, naive, our step, its naive step, whether naive is a lower bound:
        # its pySHACL was stopped)
        Row = tuple[str, float, float | None, dict[str, Any], dict[str, Any] | None, bool]
        rows: list[Row] = []
        if ours:
            o, v = ours["stages"], naive["stages"] if naive else {}
            stopped = bool(naive and naive["shacl"] is None)
            rows += [
                ("validate", o["validate"], v.get("validate"), ours, naive, stopped),
                (
                    "load+map+write (ttl, nt, jsonld)",
                    o["load+map+write"],
                    (v["load+map"] + v["write ttl"] + v["write nt"] + v["write jsonld"])
                    if v
                    else None,
                    ours,
                    naive,
                    False,
                ),
                (
                    "full pipeline",
                    o["validate"] + o["load+map+write"],
                    sum(v.values()) if v else None,
                    ours,
                    naive,
                    stopped,
                ),
                (
                    "full pipeline, one pass (`build`: map+validate+write)",
                    o["build"],
                    sum(v.values()) if v else None,
                    ours,
                    naive,
                    stopped,
                ),
            ]
        for store, q in (("embedded store, on disk", q_ours), ("in-memory store", q_mem)):
            if not q:
                continue
            rows.append(
                (
                    f"load store ({store})",
                    q["stages"]["load store"],
                    q_naive["stages"]["load store"] if q_naive else None,
                    q,
                    q_naive,
                    False,
                )
            )
            common = sorted(q_naive["times"]) if q_naive else sorted(q["times"])
            label = f"{len(common)} named queries ({store})"
            if q_naive and q_naive["failed"]:
                label += f" (rdflib failed {', '.join(sorted(q_naive['failed']))})"
            rows.append(
                (
                    label,
                    sum(q["times"][name] for name in common),
                    sum(q_naive["times"][name] for name in common) if q_naive else None,
                    q,
                    q_naive,
                    False,
                )
            )
        before = len(lines)
        for stage, ours_s, naive_s, mine, theirs, lower in rows:
            more = "> " if lower else ""
            ratio = f"{more}{naive_s / ours_s:.1f}×" if naive_s and ours_s else "–"
            rss_n = f"{theirs['rss']:.0f}" if theirs else "–"
            lines.append(
                f"| {n:,} | {stage} | {_fmt(ours_s)} | {more}{_fmt(naive_s)} | {ratio} "
                f"| {mine['rss']:.0f} | {rss_n} |"
            )
        if ours and naive and naive["shacl"] is None:
            lines.append(
                f"| {n:,} | validation results identical | {len(ours['shacl'])} SHACL "
                f"+ {ours['load_errors']} load | pySHACL stopped after "
                f"{args.naive_limit} s | not compared | | |"
            )
        elif ours and naive:
            same = ours["shacl"] == naive["shacl"]
            lines.append(
                f"| {n:,} | validation results identical | {len(ours['shacl'])} SHACL "
                f"+ {ours['load_errors']} load | {len(naive['shacl'])} SHACL | "
                f"{'yes' if same else 'NO'} | | |"
            )
        if naive:  # one process, one thread: its CPU time is its wall time on an idle core
            c, more = naive["cpu"], "> " if naive["shacl"] is None else ""
            lines.append(
                f"| {n:,} | naive CPU time (validate; full pipeline) | | "
                f"{more}{_fmt(c['validate'])}; {more}{_fmt(sum(c.values()))} | | | |"
            )
        if q_ours and q_mem and q_naive:
            common = sorted(q_naive["times"])
            same_rows = all(
                q_ours["rows"][q] == q_mem["rows"][q] == q_naive["rows"][q] for q in common
            )
            lines.append(
                f"| {n:,} | query row counts identical | | | "
                f"{'yes' if same_rows else 'NO: ' + str(q_ours['rows'])} | | |"
            )
        print("\n".join(lines[before:]), flush=True)
    print()
    print("\n".join(lines))
    if not args.keep:
        import shutil

        shutil.rmtree(base, ignore_errors=True)


def _publish_table(sizes: list[int], base: Path) -> None:
    """``publish`` beside ``build`` on the same catalogue (no injected errors, so both
    write everything), each in its own process; the site's files and bytes on disk."""
    import synth

    lines = [
        "| records | build (s) | publish (s) | publish / build | build peak RSS (MB) "
        "| publish peak RSS (MB) | largest child's peak RSS, build / publish (MB) "
        "| files | bytes | on disk | largest file but the dumps |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for n in sizes:
        cat = base / f"publish-{n}"
        synth.generate(n, cat)
        work = base / f"publish-work-{n}"
        work.mkdir()
        built = run_step("build", cat, work)
        published = run_step("publish", cat, work)
        b, p = built["stages"]["build"], published["stages"]["publish"]
        name, size = published["largest"]
        lines.append(
            f"| {n:,} | {b:.2f} | {p:.2f} | {p / b:.2f}× | {built['rss']:.0f} "
            f"| {published['rss']:.0f} "
            f"| {built['child_rss']:.0f} / {published['child_rss']:.0f} "
            f"| {published['files']:,} | {published['bytes']:,} "
            f"| {published['disk']:,} | `{name}` ({size:,} bytes) |"
        )
        print(lines[-1], flush=True)
        import shutil

        shutil.rmtree(work, ignore_errors=True)  # a 100,000-record site is several GB
    print()
    print("\n".join(lines))


def _rdf_table(sizes: list[int], base: Path, args: argparse.Namespace) -> None:
    """``validate`` of an N-Triples dump (what ``csec-ld build --format nt`` writes of a
    synthetic catalogue with injected errors) beside pySHACL on the same dump, read into
    one rdflib graph; each in its own process. pySHACL's time counts its parsing."""
    import synth

    lines = [
        "| records | stage | ours (s) | naive (s) | ratio "
        "| ours peak RSS (MB) | naive peak RSS (MB) |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for n in sizes:
        cat = base / f"catalogue-{n}"
        synth.generate(n, cat, error_rate=args.error_rate)
        clean = clean_copy(cat, base / f"clean-{n}")  # build stops on records that do not load
        dist = base / f"nt-{n}"
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "csec_ld",
                "build",
                str(clean),
                "-o",
                str(dist),
                "--format",
                "nt",
                "--no-validate",
                "--quiet",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        built = time.perf_counter() - start
        dump = dist / "catalog.nt"
        size = dump.stat().st_size / 1e6
        print(f"  csec-ld build --format nt: {built:.2f} s, {size:.0f} MB", file=sys.stderr)
        work_o, work_n = base / f"rdf-ours-{n}", base / f"rdf-naive-{n}"
        work_o.mkdir()
        work_n.mkdir()
        ours = run_step("rdf-ours", dump, work_o)
        naive = run_step("rdf-naive", dump, work_n) if n <= args.naive_max else None
        o = ours["stages"]["validate"]
        stopped = bool(naive and naive["shacl"] is None)
        more = "> " if stopped else ""
        v = (naive["stages"]["parse"] + naive["stages"]["validate"]) if naive else None
        ratio = f"{more}{v / o:.1f}×" if v else "–"
        rss_n = f"{naive['rss']:.0f}" if naive else "–"
        rows = [
            f"| {n:,} | validate the N-Triples dump ({size:.0f} MB; naive: parse + pySHACL) "
            f"| {o:.2f} | {more}{_fmt(v)} | {ratio} | {ours['rss']:.0f} | {rss_n} |",
        ]
        if naive is None:
            pass
        elif stopped:
            rows.append(
                f"| {n:,} | validation results identical | {len(ours['shacl'])} SHACL "
                f"| pySHACL stopped after {args.naive_limit} s | not compared | | |"
            )
        else:
            same = ours["shacl"] == naive["shacl"]
            rows.append(
                f"| {n:,} | validation results identical (focus, path, component, "
                f"severity, value, message, shape) | {len(ours['shacl'])} SHACL "
                f"| {len(naive['shacl'])} SHACL | {'yes' if same else 'NO'} | | |"
            )
        if naive:
            c = naive["cpu"]
            rows.append(
                f"| {n:,} | naive CPU time (parse; pySHACL) | | {_fmt(c['parse'])}; "
                f"{more}{_fmt(c['validate'])} | | | |"
            )
        print("\n".join(rows), flush=True)
        lines += rows
        import shutil

        shutil.rmtree(dist, ignore_errors=True)
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
