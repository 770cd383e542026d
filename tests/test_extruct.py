"""A real aggregator extractor (extruct) reads each record page's JSON-LD; expanded
offline with the official schema.org context (pyld), it is the record's schema.org graph."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest

from csec_ld.mapping import Mapper
from csec_ld.publish import publish
from csec_ld.sources import open_catalog
from tests.conftest import DATA, VENDOR

extruct = pytest.importorskip("extruct")
jsonld = pytest.importorskip("pyld.jsonld")

SCHEMA_CONTEXT = VENDOR / "schemaorg" / "schemaorgcontext.jsonld"


def _offline_loader() -> Any:
    if not SCHEMA_CONTEXT.is_file():
        pytest.skip("the vendored schema.org context (../shared/vendor) is not here")
    document = json.loads(SCHEMA_CONTEXT.read_text(encoding="utf-8"))

    def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        if url.rstrip("/") in ("https://schema.org", "http://schema.org") or url.startswith(
            ("https://schema.org/", "http://schema.org/")
        ):
            return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(document)}
        raise AssertionError(f"the test must stay offline; asked for {url}")

    return load


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish([DATA], tmp_path_factory.mktemp("ex") / "site", validate=False).out_dir


def _expected() -> dict[str, set[pyoxigraph.Triple]]:
    catalogue = open_catalog([DATA])
    mapper = Mapper(catalogue, ["schemaorg"])
    return {r.id: set(mapper.record(r)) for r in catalogue.records()}


def test_extruct_reads_every_record_page_as_its_schemaorg_triples(site: Path) -> None:
    loader = _offline_loader()
    expected = _expected()
    assert len(expected) == 10
    for rid, triples in sorted(expected.items()):
        html = (site / "resource" / rid / "index.html").read_text(encoding="utf-8")
        items = extruct.extract(
            html,
            base_url=f"https://w3id.org/csec-ld/resource/{rid}/",
            syntaxes=["json-ld"],
            uniform=False,
        )["json-ld"]
        assert len(items) == 1, rid
        assert items[0]["@context"] == "https://schema.org"
        nquads = jsonld.to_rdf(
            items[0], {"format": "application/n-quads", "documentLoader": loader}
        )
        quads = list(pyoxigraph.parse(nquads.encode(), format=pyoxigraph.RdfFormat.N_QUADS))
        assert all(isinstance(q.graph_name, pyoxigraph.DefaultGraph) for q in quads)
        got = {pyoxigraph.Triple(q.subject, q.predicate, q.object) for q in quads}
        assert got == triples, f"{rid}: missing {triples - got}, extra {got - triples}"
