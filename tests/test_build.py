"""`build` on the bundled catalogue: the golden graph, determinism, and every dump the same graph.

The golden graph is ``tests/golden/catalog.ttl``, compared as an isomorphic graph.
After an intended change of the mapping, rewrite it with::

    CSEC_LD_UPDATE_GOLDEN=1 pytest tests/test_build.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest
import rdflib
from click.testing import CliRunner
from pyld import jsonld
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from csec_ld.cli import main
from csec_ld.namespaces import CONTEXT_IRI
from csec_ld.serialize import jsonld_context
from tests.conftest import DATA, ROOT

GOLDEN = Path(__file__).resolve().parent / "golden" / "catalog.ttl"
UPDATE_GOLDEN = os.environ.get("CSEC_LD_UPDATE_GOLDEN") == "1"
RECORD_IDS = sorted(p.stem for p in (DATA / "records").glob("*.yaml"))
FILES = ["catalog.jsonld", "catalog.nt", "catalog.ttl", "context.jsonld"]


def run_build(out: Path, *args: str) -> None:
    result = CliRunner().invoke(main, ["build", str(DATA), "-o", str(out), *args])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's main job on data/, run once for this module."""
    out = tmp_path_factory.mktemp("build") / "dist"
    run_build(out)
    return out


def turtle(path: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(path, format="turtle")


def assert_isomorphic(got: rdflib.Graph, expected: rdflib.Graph) -> None:
    if isomorphic(got, expected):
        return
    _, only_got, only_expected = graph_diff(to_isomorphic(got), to_isomorphic(expected))
    pytest.fail(
        f"graphs differ: {len(only_got)} triples only in the output, "
        f"{len(only_expected)} only in the expected graph\n"
        f"only in output:\n{only_got.serialize(format='nt')[:3000]}\n"
        f"only expected:\n{only_expected.serialize(format='nt')[:3000]}"
    )


def offline_loader(context_file: Path) -> Callable[..., dict[str, Any]]:
    """A pyld document loader: our versioned context from the shipped file, nothing else."""

    def load(url: str, options: Any = None) -> dict[str, Any]:
        if url != CONTEXT_IRI:
            raise AssertionError(f"the test would fetch {url}")
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": json.loads(context_file.read_text()),
        }

    return load


# --------------------------------------------------------------------------- the golden graph


def test_golden_graph(dist: Path) -> None:
    if UPDATE_GOLDEN:
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_bytes((dist / "catalog.ttl").read_bytes())
        pytest.skip(f"rewrote {GOLDEN.relative_to(ROOT)}")
    assert GOLDEN.is_file(), "no golden graph: run with CSEC_LD_UPDATE_GOLDEN=1"
    assert_isomorphic(turtle(dist / "catalog.ttl"), turtle(GOLDEN))


def test_dist_has_the_ten_records(dist: Path) -> None:
    assert sorted(p.name for p in dist.iterdir()) == FILES
    graph = turtle(dist / "catalog.ttl")
    dcterms = rdflib.Namespace("http://purl.org/dc/terms/")
    catalog = rdflib.URIRef("https://w3id.org/csec-ld/catalog")
    parts = sorted(str(o) for o in graph.objects(catalog, dcterms.hasPart))
    assert parts == [f"https://w3id.org/csec-ld/resource/{rid}" for rid in RECORD_IDS]
    for part in parts:
        assert graph.value(rdflib.URIRef(part), dcterms.title) is not None
    assert not any(isinstance(term, rdflib.BNode) for triple in graph for term in triple)


# --------------------------------------------------------------------------- determinism


def test_two_builds_are_byte_identical(dist: Path, tmp_path: Path) -> None:
    run_build(tmp_path / "again")
    for name in FILES:
        assert (tmp_path / "again" / name).read_bytes() == (dist / name).read_bytes(), name


def test_build_under_another_hash_seed_is_byte_identical(dist: Path, tmp_path: Path) -> None:
    """Set and dict order depend on PYTHONHASHSEED; only a new process can change it."""
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = tmp_path / "seeded"
    proc = subprocess.run(
        [sys.executable, "-m", "csec_ld", "build", str(DATA), "-o", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    for name in FILES:
        assert (out / name).read_bytes() == (dist / name).read_bytes(), name


# --------------------------------------------------------------------------- one graph, every dump


def test_ntriples_dump_is_the_same_graph(dist: Path) -> None:
    nt = rdflib.Graph().parse(dist / "catalog.nt", format="nt")
    assert_isomorphic(nt, turtle(dist / "catalog.ttl"))


def test_shipped_context_is_our_context(dist: Path) -> None:
    assert json.loads((dist / "context.jsonld").read_text()) == jsonld_context()
    doc = json.loads((dist / "catalog.jsonld").read_text())
    assert doc["@context"] == CONTEXT_IRI


def test_jsonld_expanded_offline_with_pyld_is_the_turtle_graph(dist: Path) -> None:
    doc = json.loads((dist / "catalog.jsonld").read_text())
    nquads = jsonld.to_rdf(
        doc,
        {
            "format": "application/n-quads",
            "documentLoader": offline_loader(dist / "context.jsonld"),
        },
    )
    graph = rdflib.Graph().parse(data=nquads, format="nt")
    assert len(graph) > 400
    assert_isomorphic(graph, turtle(dist / "catalog.ttl"))


def test_jsonld_read_by_pyoxigraph_is_the_turtle_graph(dist: Path) -> None:
    """pyoxigraph 0.5 exposes no document loader to Python and fails on a remote
    context ("No LoadDocumentCallback has been set"), so the shipped context is
    inlined into a copy of the document: the same context, read by another processor.
    """
    doc = json.loads((dist / "catalog.jsonld").read_text())
    assert doc["@context"] == CONTEXT_IRI
    doc["@context"] = json.loads((dist / "context.jsonld").read_text())["@context"]
    quads = pyoxigraph.parse(json.dumps(doc).encode(), format=pyoxigraph.RdfFormat.JSON_LD)
    nt = pyoxigraph.serialize([q.triple for q in quads], format=pyoxigraph.RdfFormat.N_TRIPLES)
    graph = rdflib.Graph().parse(data=nt.decode(), format="nt")
    assert len(graph) > 400
    assert_isomorphic(graph, turtle(dist / "catalog.ttl"))


def test_jsonld_is_record_centred(dist: Path) -> None:
    doc = json.loads((dist / "catalog.jsonld").read_text())
    nodes = doc["@graph"]
    ids = [n["@id"] for n in nodes]
    assert len(ids) == len(set(ids)), "one node object per subject"
    records = [n for n in nodes if n["@id"].startswith("https://w3id.org/csec-ld/resource/")]
    assert sorted(n["@id"].rsplit("/", 1)[1] for n in records) == RECORD_IDS
    for node in records:
        assert "dcterms:title" in node and "schema:name" in node and "@type" in node
    assert "_:" not in (dist / "catalog.jsonld").read_text()


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize(
    ("formats", "files"),
    [
        ("ttl", ["catalog.ttl"]),
        ("nt", ["catalog.nt"]),
        ("jsonld", ["catalog.jsonld", "context.jsonld"]),
        ("jsonld,nt", ["catalog.jsonld", "catalog.nt", "context.jsonld"]),
        ("ttl,ttl", ["catalog.ttl"]),
    ],
)
def test_format_option(formats: str, files: list[str], dist: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_build(out, "--format", formats)
    assert sorted(p.name for p in out.iterdir()) == files
    for name in files:  # the same bytes as in a full build
        assert (out / name).read_bytes() == (dist / name).read_bytes()


@pytest.mark.parametrize(
    ("profile", "present", "absent"),
    [
        ("dcterms", "http://purl.org/dc/terms/", "http://schema.org/"),
        ("schemaorg", "http://schema.org/", "http://purl.org/dc/terms/"),
    ],
)
def test_profile_option(
    profile: str, present: str, absent: str, dist: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    run_build(out, "--profile", profile, "--format", "ttl")
    graph = turtle(out / "catalog.ttl")
    predicates = {str(p) for p in graph.predicates()}
    assert any(p.startswith(present) for p in predicates)
    assert not any(p.startswith(absent) for p in predicates)
    # The profile's triples are exactly the full build's triples in its vocabulary
    # (for the records; rdf:type is split by the class's namespace).
    full = turtle(dist / "catalog.ttl")
    resource = "https://w3id.org/csec-ld/resource/"

    def own(g: rdflib.Graph) -> set[tuple[Any, Any, Any]]:
        return {
            (s, p, o)
            for s, p, o in g
            if str(s).startswith(resource)
            and not str(p).startswith(absent)
            and not str(o).startswith(absent)
            and not (profile == "schemaorg" and str(o).startswith("http://purl.org/dc/"))
        }

    assert own(graph) == own(full)


def test_base_option_changes_record_iris(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_build(out, "--base", "https://example.org/catalogue/")
    graph = turtle(out / "catalog.ttl")
    subjects = {str(s) for s in graph.subjects()}
    assert {f"https://example.org/catalogue/resource/{rid}" for rid in RECORD_IDS} <= subjects
    assert "https://example.org/catalogue/catalog" in subjects
    assert not any(s.startswith("https://w3id.org/csec-ld/resource/") for s in subjects)
    doc = json.loads((out / "catalog.jsonld").read_text())
    assert "https://example.org/catalogue/resource/tracer-study-paraguay-2012" in {
        n["@id"] for n in doc["@graph"]
    }


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--format", "xml"], "unknown format 'xml'"),
        (["--format", ""], "no output format given"),
        (["--profile", "dcat"], "unknown profile 'dcat'"),
        (["--base", "https://example.org/no-slash"], "must end with '/'"),
        (["--base", "not a url/"], "--base"),
    ],
)
def test_bad_options_are_usage_errors(args: list[str], needle: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(DATA), "-o", str(out), *args])
    assert result.exit_code == 2, result.output
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_large_catalogues_stream_the_catalogue_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past PART_BLOCK records, hasPart comes in blocks: the same graph, bounded memory."""
    import csec_ld.mapping
    from csec_ld.build import build

    whole = build([DATA], tmp_path / "whole")
    monkeypatch.setattr(csec_ld.mapping, "PART_BLOCK", 3)
    parts = build([DATA], tmp_path / "parts")
    for fmt in ("ttl", "nt"):
        a, b = rdflib.Graph(), rdflib.Graph()
        a.parse(whole.files[fmt], format="turtle" if fmt == "ttl" else "nt")
        b.parse(parts.files[fmt], format="turtle" if fmt == "ttl" else "nt")
        assert rdflib.compare.isomorphic(a, b), fmt
    text = parts.files["ttl"].read_text()
    assert text.count("<https://w3id.org/csec-ld/catalog> dcterms:hasPart") == 4  # 10 = 3+3+3+1
