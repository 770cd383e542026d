"""The change feed as a Linked Data Event Stream: its documents, and an independent
client (npm ``ldes-client``, tests/ldes/) that follows it across a republish."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph
import pytest
from pyoxigraph import Literal, NamedNode, RdfFormat

from csec_ld.site.changes import record_changes
from csec_ld.site.ldes import EventStream, write_event_stream
from csec_ld.site.publish import publish
from csec_ld.sources import open_catalog
from tests.servers import free_port

from .test_oai import make_catalogue

HERE = Path(__file__).resolve().parents[1]
CLIENT = HERE / "ldes" / "node_modules" / "ldes-client" / "dist" / "bin" / "cli.js"
BASE = "https://example.org/site/"
RECORD = "https://w3id.org/csec-ld/resource/"
LDES = "https://w3id.org/ldes#"
TREE = "https://w3id.org/tree#"
AS = "https://www.w3.org/ns/activitystreams#"
DCT = "http://purl.org/dc/terms/"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


@pytest.fixture(scope="module")
def catalogue_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """data/ plus a full record, a modified seed record and a withdrawn record."""
    return make_catalogue(tmp_path_factory.mktemp("ldes") / "data")


def _graph(folder: Path) -> pyoxigraph.Store:
    store = pyoxigraph.Store()
    for path in sorted((folder / "ldes").glob("*.ttl")):
        store.load(path.read_bytes(), format=RdfFormat.TURTLE, base_iri=BASE)
    return store


def _one(store: pyoxigraph.Store, s: object, p: str) -> object:
    found = [q.object for q in store.quads_for_pattern(s, NamedNode(p), None)]  # type: ignore[arg-type]
    assert len(found) == 1, (s, p, found)
    return found[0]


def test_the_stream_its_view_its_pages_and_its_retention(
    tmp_path: Path, catalogue_dir: Path
) -> None:
    catalogue = open_catalog([catalogue_dir])
    changes = [c for r in catalogue.records() for c in record_changes(r)]
    files = write_event_stream(changes, catalogue.catalog, tmp_path, BASE, page_size=4)
    # 12 records (data/'s ten, of which one modified; a full record; one withdrawn)
    # → 12 members, the latest version of each: 4 + 4 + 4.
    assert [p.name for p in files] == ["index.ttl", *(f"page-{n}.ttl" for n in (1, 2, 3))]
    store = _graph(tmp_path)
    stream = NamedNode(BASE + "ldes/index.ttl#stream")
    assert store.quads_for_pattern(stream, RDF_TYPE, NamedNode(LDES + "EventStream")) is not None
    assert _one(store, stream, LDES + "versionOfPath") == NamedNode(DCT + "isVersionOf")
    assert _one(store, stream, LDES + "timestampPath") == NamedNode(DCT + "modified")
    root = _one(store, stream, TREE + "view")
    assert root == NamedNode(BASE + "ldes/index.ttl")
    policy = _one(store, root, LDES + "retentionPolicy")
    assert _one(store, policy, str(RDF_TYPE.value)) == NamedNode(LDES + "LatestVersionSubset")
    assert _one(store, policy, LDES + "amount") == Literal(
        "1", datatype=NamedNode("http://www.w3.org/2001/XMLSchema#integer")
    )
    relations = [
        q.object for q in store.quads_for_pattern(root, NamedNode(TREE + "relation"), None)
    ]
    assert len(relations) == 3
    members = [q.object for q in store.quads_for_pattern(stream, NamedNode(TREE + "member"), None)]
    assert len(members) == len(set(members)) == 12
    by_record = {_one(store, m, DCT + "isVersionOf"): m for m in members}
    assert len(by_record) == 12  # one version of each record
    kinds = {}
    for record, member in by_record.items():
        types = {q.object for q in store.quads_for_pattern(member, RDF_TYPE, None)}
        kinds[str(record.value)] = types  # type: ignore[attr-defined]
        assert re.fullmatch(
            re.escape(str(record.value)) + r"#\d{4}-\d\d-\d\d-[0-9a-f]{16}",  # type: ignore[attr-defined]
            str(member.value),
        )  # type: ignore[attr-defined]
    assert kinds[RECORD + "withdrawn-report-2011"] == {
        NamedNode(AS + "Delete"),
        NamedNode(AS + "Tombstone"),
    }
    assert kinds[RECORD + "tracer-study-paraguay-2012"] == {NamedNode(AS + "Update")}
    assert kinds[RECORD + "full-record-2013"] == {NamedNode(AS + "Update")}
    assert sum(t == {NamedNode(AS + "Create")} for t in kinds.values()) == 9
    tracer = by_record[NamedNode(RECORD + "tracer-study-paraguay-2012")]
    assert _one(store, tracer, DCT + "modified") == Literal(
        "2023-09-30T00:00:00Z", datatype=NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
    )
    # Each page holds the members at or after its relation's value, oldest first.
    for relation in relations:
        node = _one(store, relation, TREE + "node")
        value = _one(store, relation, TREE + "value")
        assert _one(store, relation, TREE + "path") == NamedNode(DCT + "modified")
        name = str(node.value).rsplit("/", 1)[1]  # type: ignore[attr-defined]
        page = pyoxigraph.Store()
        page.load((tmp_path / "ldes" / name).read_bytes(), format=RdfFormat.TURTLE)
        stamps = [
            str(_one(store, q.object, DCT + "modified").value)  # type: ignore[attr-defined]
            for q in page.quads_for_pattern(stream, NamedNode(TREE + "member"), None)
        ]
        assert stamps and min(stamps) == str(value.value)  # type: ignore[attr-defined]


def test_deterministic_stable_members_and_stale_pages_removed(
    tmp_path: Path, catalogue_dir: Path
) -> None:
    catalogue = open_catalog([catalogue_dir])
    changes = [c for r in catalogue.records() for c in record_changes(r)]
    one, two = tmp_path / "one", tmp_path / "two"
    write_event_stream(changes, catalogue.catalog, one, BASE, page_size=2)
    write_event_stream(list(reversed(changes)), catalogue.catalog, two, BASE, page_size=2)
    names = sorted(p.name for p in (one / "ldes").iterdir())
    assert len(names) == 7 and names == sorted(p.name for p in (two / "ldes").iterdir())
    for name in names:
        assert (one / "ldes" / name).read_bytes() == (two / "ldes" / name).read_bytes()
    files = write_event_stream(changes, catalogue.catalog, one, BASE, page_size=100)
    assert sorted(p.name for p in (one / "ldes").iterdir()) == ["index.ttl", "page-1.ttl"]
    assert len(files) == 2
    # The member IRIs depend on the records only, not on the paging.
    stream = EventStream(catalogue.catalog, BASE, page_size=3)
    stream.add_changes(changes)
    big = EventStream(catalogue.catalog, BASE, page_size=100)
    big.add_changes(changes)
    assert [stream.member_iri(c) for c in stream.members()] == [
        big.member_iri(c) for c in big.members()
    ]


def test_publish_writes_the_stream(tmp_path: Path, catalogue_dir: Path) -> None:
    site = publish([catalogue_dir], tmp_path / "site", validate=False).out_dir
    text = (site / "ldes" / "index.ttl").read_text(encoding="utf-8")
    assert "ldes:EventStream" in text and "ldes:LatestVersionSubset" in text
    assert "https://w3id.org/csec-ld/ldes/page-1.ttl" in text
    assert (site / "ldes" / "page-1.ttl").is_file()


# --------------------------------------------------------------------------- ldes-client


def _client_command() -> list[str]:
    node = shutil.which("node")
    if node is None or not CLIENT.is_file():
        pytest.skip("ldes-client is not installed (cd tests/ldes && npm ci; .ci/run does)")
    return [node, str(CLIENT)]


@pytest.fixture
def static_site(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A folder served by Python's http.server on 127.0.0.1 (as a static host would)."""
    folder = tmp_path / "site"
    folder.mkdir()
    port = free_port()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield folder, port
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _members(command: list[str], url: str, state: Path) -> dict[str, set[str]]:
    """The members the client emits (N-Triples on stdout), by IRI, with their types."""
    done = subprocess.run(
        [*command, url, "--save", str(state)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=HERE / "ldes",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found: dict[str, set[str]] = {}
    for quad in pyoxigraph.parse(done.stdout.encode(), format=RdfFormat.N_TRIPLES):
        if quad.predicate == RDF_TYPE:
            found.setdefault(str(quad.subject.value), set()).add(  # type: ignore[union-attr]
                str(quad.object.value).removeprefix(AS)
            )  # type: ignore[union-attr]
    return found


def test_an_independent_client_sees_exactly_an_update_a_withdrawal_and_an_addition(
    static_site: tuple[Path, int], tmp_path: Path, catalog_copy: Path
) -> None:
    command = _client_command()
    folder, port = static_site
    base = f"http://127.0.0.1:{port}/"
    url = base + "ldes/index.ttl"
    state = tmp_path / "client-state"
    publish([catalog_copy], folder, base=base, validate=False)
    first = _members(command, url, state)
    assert len(first) == 10 and all(t == {"Create"} for t in first.values())
    assert _members(command, url, state) == {}  # nothing new
    records = catalog_copy / "records"
    updated = records / "child-labour-fiji-survey-working-children-2010.yaml"
    updated.write_text(
        updated.read_text(encoding="utf-8") + "modified: '2026-11-30'\n", encoding="utf-8"
    )
    withdrawn = records / "child-labour-papua-new-guinea-report-2011.yaml"
    withdrawn.write_text(
        withdrawn.read_text(encoding="utf-8") + "status: withdrawn\nwithdrawn: '2026-12-01'\n",
        encoding="utf-8",
    )
    (records / "extra-report-2026.yaml").write_text(
        "id: extra-report-2026\ntitle: An extra report\nissued: '2026-12-02'\ntype: report\n",
        encoding="utf-8",
    )
    publish([catalog_copy], folder, base=base, validate=False)
    second = _members(command, url, state)
    resource = base + "resource/"
    assert {iri.split("#")[0]: types for iri, types in second.items()} == {
        resource + "child-labour-fiji-survey-working-children-2010": {"Update"},
        resource + "child-labour-papua-new-guinea-report-2011": {"Delete", "Tombstone"},
        resource + "extra-report-2026": {"Create"},
    }
    assert not set(second) & set(first)
