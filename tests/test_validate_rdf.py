"""Harvested RDF on the compiled shapes: dumps streamed in chunks of whole subjects give
pySHACL's results on the whole graph (focus node, path, component, severity, value,
message, shape, file and line), whatever the format, the order of the triples, the chunk
size and the number of workers; cross-record rules and targets span chunks; what does not
compile still runs on pySHACL."""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest
from click.testing import CliRunner

from csec_ld import validation
from csec_ld.build import build
from csec_ld.cli import main
from csec_ld.serialize import writer_for
from csec_ld.shacl import compile_shapes
from csec_ld.validation import ValidationReport, ValidationResult, load_shapes, validate
from tests.conftest import DATA, ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import synth

INVALID = Path(__file__).resolve().parent / "fixtures" / "invalid"
NT = pyoxigraph.RdfFormat.N_TRIPLES
DCT = "http://purl.org/dc/terms/"
#: The injected errors of records that load (and build), each breaking a rule of the shapes.
BUILT_ERRORS = [
    "future-date",
    "future-modified",
    "markup-title",
    "only-markup-title",
    "reused-identifier",
    "probable-duplicate",
    "no-description",
    "huge-description",
    "sparse",
]
#: Records that only the catalogue's dcterms:hasPart targets (their triples come first).
ORPHANS = ("resource-0000011", "resource-0000012", "resource-0000150")
#: Lines per chunk in these tests: about 15 records, so every rule spans chunks.
CHUNK_LINES = 300


def _keys(results: list[ValidationResult], *, located: bool = True) -> list[tuple[Any, ...]]:
    """Everything a result says (its file and line too, when *located*)."""
    return [
        (
            r.focus,
            r.path,
            r.component,
            r.severity,
            r.value,
            r.term,
            r.shape,
            r.message,
            r.record,
            r.field,
            r.source,
            *((r.file, r.line, r.column) if located else ()),
        )
        for r in sorted(results, key=ValidationResult.sort_key)
    ]


def _unlocated(results: list[ValidationResult]) -> list[tuple[Any, ...]]:
    return sorted(_keys(results, located=False), key=repr)


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validation, "STREAM_CHUNK_LINES", CHUNK_LINES)


def _blocks(nt: bytes) -> list[list[Any]]:
    """The triples of an N-Triples document, one list per subject, in order."""
    blocks: dict[Any, list[Any]] = {}
    for q in pyoxigraph.parse(nt, format=NT):
        blocks.setdefault(q.subject, []).append(q.triple)
    return list(blocks.values())


def _write(blocks: list[list[Any]], path: Path) -> Path:
    """The blocks as our build writes a dump of that format."""
    with path.open("wb") as fh:
        writer_for(path.suffix.lstrip("."))(fh).write_all(blocks)
    return path


def _orphaned(nt: bytes) -> bytes:
    """Without what makes :data:`ORPHANS` targets besides the catalogue's parts."""
    targets = ("issued", "type")
    dropped = [f"<{DCT}{p}>" for p in targets]
    dropped += ["<http://schema.org/datePublished>", "<http://schema.org/additionalType>"]
    lines = []
    for line in nt.decode().splitlines():
        s, p, _ = line.split(" ", 2)
        if any(s.endswith(f"/{o}>") for o in ORPHANS) and p in dropped:
            continue
        lines.append(line)
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def harvested(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A built catalogue of 300 records, a third with an injected error of every kind
    that builds, then as harvested: a third of the records mutated by every RDF error
    kind (synth.mutate_rdf), a few only targeted as parts of the catalogue; written by
    our writers as N-Triples, Turtle and JSON-LD."""
    folder = tmp_path_factory.mktemp("rdf")
    synth.generate(300, folder / "cat", seed=21, error_rate=0.35, kinds=BUILT_ERRORS)
    build([folder / "cat"], folder / "dist", formats=["nt"], validate=False)
    nt = synth.mutate_rdf((folder / "dist" / "catalog.nt").read_bytes(), seed=5, rate=0.35)
    blocks = _blocks(_orphaned(nt))
    return {fmt: _write(blocks, folder / f"harvested.{fmt}") for fmt in ("nt", "ttl", "jsonld")}


@pytest.fixture(scope="module")
def reference(harvested: dict[str, Path]) -> dict[str, ValidationReport]:
    """pySHACL on each dump, read whole into one graph."""
    return {fmt: validate([path], engine="pyshacl") for fmt, path in harvested.items()}


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The chunks the compiled shapes check (in this process: workers=1)."""
    chunks: list[bytes] = []
    run = validation._stream_run

    def spy(shapes: Any, ntriples: bytes, *args: Any) -> Any:
        chunks.append(ntriples)
        return run(shapes, ntriples, *args)

    monkeypatch.setattr(validation, "_stream_run", spy)
    return chunks


def test_every_kind_of_error_shows(reference: dict[str, ValidationReport]) -> None:
    results = reference["nt"].results
    shapes = {r.shape for r in results}
    assert len(shapes) > 35
    assert {
        "csh:IdentifierUnique",  # cross-record, across chunks
        "csh:ProbableDuplicate",
        "csh:RecordIdShape",  # a record renamed: the catalogue points at a node without triples
        "csh:IssuedRequired",  # the orphans, found by the catalogue's parts only
        "csh:IsbnCheckDigit",
        "csh:IssuedNotInFuture",
        "csh:TitleOnePerLanguage",
    } <= shapes
    orphans = {r.record for r in results if r.shape == "csh:IssuedRequired"}
    assert set(ORPHANS) <= orphans
    assert reference["nt"].records > 300  # and the renamed ones' old IRIs, parts of the catalogue


@pytest.mark.parametrize("fmt", ["nt", "ttl", "jsonld"])
@pytest.mark.parametrize("workers", [1, 2])
def test_dump_same_results_as_pyshacl(
    harvested: dict[str, Path],
    reference: dict[str, ValidationReport],
    small_chunks: None,
    fmt: str,
    workers: int,
) -> None:
    fast = validate([harvested[fmt]], workers=workers)
    assert _keys(fast.results) == _keys(reference[fmt].results)
    assert (fast.records, fast.checked) == (reference[fmt].records, reference[fmt].checked)
    assert all(r.line for r in fast.results if r.file)


def test_formats_agree(reference: dict[str, ValidationReport]) -> None:
    """One graph, three serialisations: the same results but for where they point."""
    expected = _unlocated(reference["nt"].results)
    assert _unlocated(reference["ttl"].results) == expected
    assert _unlocated(reference["jsonld"].results) == expected


def test_chunks_hold_whole_subjects_and_no_more(
    harvested: dict[str, Path], small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory holds a chunk: no rdflib graph of the dump, chunks of about CHUNK_LINES lines
    cut between subjects, the catalogue's hasPart lines (two per record) left out; the
    records a later triple points at are read again (not kept in case)."""
    chunks = _spy(monkeypatch)

    def whole(*args: Any) -> Any:
        raise AssertionError("the dump was read whole")

    monkeypatch.setattr(validation._RdfFile, "triples", whole)
    monkeypatch.setattr(validation, "_shacl_run", whole)
    validate([harvested["nt"]], workers=1)
    sent = [c for c in chunks if c]
    assert len(sent) > 20
    subjects = [[line.split(b" ", 1)[0] for line in c.splitlines()] for c in sent]
    seen: set[bytes] = set()
    again: set[bytes] = set()
    for chunk in subjects:
        again |= seen & set(chunk)
        seen |= set(chunk)
    # Each subject in one chunk; the orphans' lines are read again once the catalogue,
    # after them, says they are records.
    orphans = {f"<https://w3id.org/csec-ld/resource/{o}>".encode() for o in ORPHANS}
    assert again == orphans
    assert max(len(c) for c in subjects) <= CHUNK_LINES + 40  # a record is ~25 lines
    text = harvested["nt"].read_bytes()
    has_part = text.count(b"hasPart> ")  # dcterms: and schema:, for each record
    assert has_part == 600
    first_pass = [c for c in subjects if not set(c) <= orphans]
    assert sum(len(c) for c in first_pass) <= text.count(b"\n") - has_part + 1


def _shuffled(path: Path, out: Path, seed: int) -> Path:
    lines = path.read_bytes().splitlines(keepends=True)
    random.Random(seed).shuffle(lines)
    out.write_bytes(b"".join(lines))
    return out


def _catalogue_first(path: Path, out: Path) -> Path:
    """The catalogue's triples before the records' (its parts point ahead)."""
    lines = path.read_bytes().splitlines(keepends=True)
    first = [line for line in lines if line.startswith(b"<https://w3id.org/csec-ld/catalog>")]
    out.write_bytes(b"".join(first + [line for line in lines if line not in first]))
    return out


def _halves(path: Path, out: Path) -> Path:
    """Turtle with every subject described twice: half its triples, then, after all the
    others, the rest (a harvest that merged two sources)."""
    blocks = _blocks(path.read_bytes())
    firsts = [b[: len(b) // 2 or 1] for b in blocks]
    seconds = [b[len(b) // 2 or 1 :] for b in blocks]
    return _write(firsts + [b for b in seconds if b], out)


@pytest.mark.parametrize(
    ("variant", "partitioned"),
    [("shuffled", True), ("catalogue-first", False), ("halves", True)],
)
def test_order_of_triples_does_not_matter(
    harvested: dict[str, Path],
    reference: dict[str, ValidationReport],
    small_chunks: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    variant: str,
    partitioned: bool,
) -> None:
    """Ungrouped input is partitioned by subject (several partitions here); triples that
    point at records before their own triples come find them all the same."""
    monkeypatch.setattr(validation, "_PARTITION_BYTES", 100_000)
    parts: list[int] = []
    partition = validation._RdfStream._partition

    def spy(self: Any) -> None:
        partition(self)
        parts.append(len(self.parts))

    monkeypatch.setattr(validation._RdfStream, "_partition", spy)
    source = harvested["nt"]
    if variant == "shuffled":
        path = _shuffled(source, tmp_path / "shuffled.nt", seed=3)
    elif variant == "catalogue-first":
        path = _catalogue_first(source, tmp_path / "first.nt")
    else:
        path = _halves(source, tmp_path / "halves.ttl")
    chunks: list[bytes] = []
    for workers in (2, 1):
        if workers == 1:
            chunks = _spy(monkeypatch)  # in this process
        fast = validate([path], workers=workers)
        assert _unlocated(fast.results) == _unlocated(reference["nt"].results)
        assert fast.records == reference["nt"].records
    assert bool(parts) == partitioned
    if variant == "catalogue-first":  # the parts come first: nothing is read twice
        subjects = [line.split(b" ", 1)[0] for c in chunks for line in c.splitlines()]
        runs = [s for n, s in enumerate(subjects) if n == 0 or subjects[n - 1] != s]
        assert len(runs) == len(set(runs))
    if partitioned:
        assert min(parts) > 3
    if variant != "halves":  # the lines are N-Triples lines: each result's is exact
        _assert_nt_lines(path, fast.results)


def _assert_nt_lines(path: Path, results: list[ValidationResult]) -> None:
    """Each result points at the line giving its focus node that predicate, or at the
    node's first line when it has none."""
    first: dict[str, int] = {}
    pairs: dict[tuple[str, str], int] = {}
    for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        s, p, _ = text.split(" ", 2)
        first.setdefault(s[1:-1], n)
        pairs.setdefault((s[1:-1], p[1:-1]), n)
    expand = {f"{k}:": v for k, v in validation.REPORT_PREFIXES.items()}
    checked = 0
    for r in results:
        if r.file is None or r.focus is None:
            continue
        predicate = r.path or ""
        for prefix, ns in expand.items():
            if predicate.startswith(prefix):
                predicate = ns + predicate[len(prefix) :]
        assert r.line == pairs.get((r.focus, predicate), first[r.focus]), r
        checked += 1
    assert checked > 500


def test_results_point_at_their_lines(
    harvested: dict[str, Path], reference: dict[str, ValidationReport]
) -> None:
    """N-Triples: the line of the triple (or the node's first); Turtle: a line of the
    node's description that names the predicate (or the description's first)."""
    _assert_nt_lines(harvested["nt"], validate([harvested["nt"]]).results)
    ttl = harvested["ttl"].read_text(encoding="utf-8").splitlines()
    prefixes = dict(re.findall(r"^@prefix (\w*): <([^>]*)> \.$", "\n".join(ttl), re.M))
    spellings = {f"{k}:": v for k, v in prefixes.items()}
    checked = 0
    for r in reference["ttl"].results:
        if r.file is None or not r.path or r.focus is None:
            continue
        assert r.line is not None, r
        start = max(n for n in range(r.line) if ttl[n][:1] not in ("", "\t", " ", "@"))
        subject = ttl[start].split(" ", 1)[0]
        for prefix, ns in spellings.items():
            if subject.startswith(prefix):
                subject = f"<{ns}{subject[len(prefix) :]}>"
        assert subject == f"<{r.focus}>", r
        end = next(
            (n for n in range(start + 1, len(ttl)) if ttl[n][:1] not in ("\t", " ")), len(ttl)
        )
        naming = [n + 1 for n in range(start, end) if f" {r.path} " in f" {ttl[n].strip()} "]
        assert r.line == (naming[0] if naming else start + 1), r
        checked += 1
    assert checked > 500


def test_cross_record_rules_across_chunks(
    harvested: dict[str, Path], small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunks = _spy(monkeypatch)
    report = validate([harvested["nt"]], workers=1)
    pairs = [r for r in report.results if r.shape == "csh:IdentifierUnique"]
    records = {r.record for r in pairs}
    assert len(records) > 5
    holding = {
        rid: {n for n, c in enumerate(chunks) if f"/resource/{rid}> ".encode() in c}
        for rid in records
    }
    assert len(set().union(*holding.values())) > 2  # they came in different chunks
    assert all("also given by" in r.message for r in pairs)
    assert any(r.shape == "csh:ProbableDuplicate" for r in report.results)


# --------------------------------------------------------------------------- bad input


def _broken(path: Path, out: Path, line: int) -> Path:
    lines = path.read_bytes().splitlines(keepends=True)
    lines[line - 1] = lines[line - 1].replace(b'"', b"", 1)  # a literal never closed
    out.write_bytes(b"".join(lines))
    return out


@pytest.mark.parametrize("fmt", ["nt", "ttl", "jsonld"])
def test_a_dump_that_does_not_parse(
    harvested: dict[str, Path], small_chunks: None, tmp_path: Path, fmt: str
) -> None:
    """Found in a chunk late in the file, in a worker: the file's one result is its syntax
    error, where pySHACL's reading puts it; the other files are checked all the same."""
    text = harvested[fmt].read_bytes().splitlines()
    line = next(n for n, t in enumerate(text, 1) if n > len(text) // 2 and b'"' in t)
    broken = _broken(harvested[fmt], tmp_path / f"broken.{fmt}", line)
    sources = [broken, INVALID / "title-markup.ttl"]
    fast = validate(sources, workers=2)
    slow = validate(sources, engine="pyshacl")
    assert _keys(fast.results) == _keys(slow.results)
    (syntax,) = [r for r in fast.results if r.source == "syntax"]
    assert syntax.file == str(broken) and syntax.line in (line, line + 1)
    assert {r.file for r in fast.results if r.source == "shacl"} == {
        "tests/fixtures/invalid/title-markup.ttl"
    }


def test_jsonld_with_our_context_is_read_as_it_streams(tmp_path: Path) -> None:
    """Our context IRI is replaced by the context as the bytes go by, on the same line:
    a syntax error keeps its line."""
    build([DATA], tmp_path / "dist", formats=["jsonld"])
    dump = (tmp_path / "dist" / "catalog.jsonld").read_text(encoding="utf-8").splitlines()
    assert "context/" in dump[1]
    assert not validate([tmp_path / "dist" / "catalog.jsonld"]).failed()
    dump[5] = dump[5].replace('"@id":', '"@id"', 1)
    broken = tmp_path / "broken.jsonld"
    broken.write_text("\n".join(dump) + "\n", encoding="utf-8")
    (r,) = validate([broken]).results
    assert (r.source, r.line) == ("syntax", 6)


# --------------------------------------------------------------------------- other shapes

OTHER_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .

ex:Titled a sh:NodeShape ;
    sh:targetSubjectsOf dcterms:title ;
    sh:property ex:TitleShort , ex:IsAReport .

ex:TitleShort a sh:PropertyShape ;
    sh:path dcterms:title ;
    sh:maxLength 60 ;
    sh:severity sh:Info ;
    sh:message "Short titles read better." .

ex:IsAReport a sh:PropertyShape ;
    sh:path dcterms:type ;
    sh:hasValue <https://w3id.org/csec-ld/type/report> ;
    sh:message "Not a report." .

ex:PublisherKnown a sh:NodeShape ;
    sh:targetSubjectsOf dcterms:publisher ;
    sh:sparql [
        a sh:SPARQLConstraint ;
        sh:message "The publisher {?value} is described nowhere." ;
        sh:select \"\"\"
            SELECT $this ?value WHERE {
                $this <http://purl.org/dc/terms/publisher> ?value .
                FILTER NOT EXISTS { ?value a ?type }
            }\"\"\" ;
    ] .

ex:Organisations a sh:NodeShape ;
    sh:targetClass ex:Body ;
    sh:property [ sh:path foaf:mbox ; sh:minCount 1 ; sh:message "No mailbox." ] .
"""


def test_shapes_that_do_not_compile_or_cross_subjects(
    harvested: dict[str, Path], small_chunks: None, tmp_path: Path
) -> None:
    """sh:hasValue falls back to pySHACL; a SPARQL rule reading other subjects' triples
    (the publisher's type, in another chunk) too; a class target whose subclass is
    declared after its instances (the stream starts over, partitioned)."""
    shapes = tmp_path / "other.ttl"
    shapes.write_text(OTHER_SHAPES, encoding="utf-8")
    compiled = compile_shapes(load_shapes(shapes))
    assert set(compiled.fallback) == {"http://example.org/IsAReport"}
    assert compiled.stream_plan().nonlocal_shapes == {"http://example.org/PublisherKnown"}
    # An agent, first, typed with a subclass that the last line declares.
    agent = b"<https://w3id.org/csec-ld/agent/ilo> "
    lines = harvested["nt"].read_bytes().splitlines(keepends=True)
    ilo = [line for line in lines if line.startswith(agent)]
    rest = [line for line in lines if not line.startswith(agent)]
    typed = agent + b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://example.org/Sub>"
    typed += b" .\n"
    sub = (
        b"<http://example.org/Sub> <http://www.w3.org/2000/01/rdf-schema#subClassOf> "
        b"<http://example.org/Body> .\n"
    )
    first = rest[0].split(b" ", 1)[0]
    nobody = first + b" <http://purl.org/dc/terms/publisher> <https://example.org/nobody> .\n"
    data = tmp_path / "data.nt"
    data.write_bytes(b"".join([*ilo, typed, rest[0], nobody, *rest[1:], sub]))
    restarts: list[str] = []
    stream = validation._RdfStream.__init__

    def spy(self: Any, *args: Any, **kwargs: Any) -> None:
        restarts.append("partitioned" if kwargs.get("partitioned") else "grouped")
        stream(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(validation._RdfStream, "__init__", spy)
        fast = validate([data], shapes=shapes)
    assert restarts == ["grouped", "partitioned"]  # the subclass came too late
    slow = validate([data], shapes=shapes, engine="pyshacl")
    assert _keys(fast.results) == _keys(slow.results)
    messages = {r.message for r in fast.results}
    assert {"Not a report.", "No mailbox.", "Short titles read better."} <= messages
    # The agents are described in other chunks: only the one described nowhere shows.
    (publisher,) = [r for r in fast.results if r.message.startswith("The publisher")]
    assert publisher.value == "https://example.org/nobody"


@pytest.mark.parametrize("base", [None, "https://example.org/mirror/"])
def test_records_and_a_harvested_copy(tmp_path: Path, base: str | None) -> None:
    """Records and RDF files form one graph: a dump of the same records describes the
    same subjects (the stream is partitioned), a mirror's dump other subjects with the
    same titles and dates (cross-record results between the record files and the dump)."""
    build([DATA], tmp_path / "dist", formats=["nt"], base=base)
    dump = tmp_path / "dist" / "catalog.nt"
    sources = [DATA, dump]
    fast = validate(sources)
    slow = validate(sources, engine="pyshacl")
    assert _keys(fast.results) == _keys(slow.results)
    assert fast.records == slow.records == 20
    files = {r.file for r in fast.results}
    assert "data/records/tracer-study-paraguay-2012.yaml" in files
    twins = {r.file or "" for r in fast.results if r.shape == "csh:ProbableDuplicate"}
    if base is None:  # one node each: the same triples twice are the same triples
        assert twins == set()
    else:  # each record and its copy: same title, same date
        assert str(dump) in twins and sum(f.endswith(".yaml") for f in twins) == 10


def test_cli_reports_file_and_line(harvested: dict[str, Path]) -> None:
    result = CliRunner().invoke(main, ["validate", str(harvested["nt"])])
    assert result.exit_code == 1, result.output
    where = re.compile(re.escape(str(harvested["nt"])) + r":(\d+): (violation|warning|info): ")
    located = [m for m in map(where.search, result.stdout.splitlines()) if m]
    assert len(located) > 500
    assert result.stdout.splitlines()[-1].endswith(" records")
