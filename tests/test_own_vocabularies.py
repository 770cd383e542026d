"""A catalogue's own vocabularies (catalog.yaml's ``vocabularies:``) reach every output
and every query path, not only the checks: the site's ``ontology.ttl`` and concept data,
``query`` on the catalogue and on a store, ``serve``'s API, OpenAPI document and query
forms, ``push`` and the store-backed server, and ``import-listing``'s type guesses."""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph
import pytest
from click.testing import CliRunner
from lxml import html as lxml_html
from pyoxigraph import NamedNode, RdfFormat
from starlette.testclient import TestClient

from csec_ld.cli import main
from csec_ld.push import push
from csec_ld.query import run_query
from csec_ld.server import create_app
from csec_ld.site.publish import publish
from csec_ld.store import EmbeddedEngine, load_store
from tests.servers import OxigraphServer
from tests.test_sources import _own_vocabulary

OWN_TOPIC = "https://w3id.org/csec-ld/topic/online-grooming"
RECORD = "https://w3id.org/csec-ld/resource/grooming-report-2020"


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _own_vocabulary(tmp_path_factory.mktemp("own") / "data", "online-grooming")


@pytest.fixture(scope="module")
def site(catalogue: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish([catalogue], tmp_path_factory.mktemp("own-site") / "site").out_dir


def _subjects(result: object) -> set[str]:
    return {row["resource"].value for row in result}  # type: ignore[attr-defined]


def test_the_sites_ontology_holds_the_catalogues_concepts(site: Path) -> None:
    store = pyoxigraph.Store()
    store.load(path=str(site / "ontology.ttl"), format=RdfFormat.TURTLE)
    label = list(store.quads_for_pattern(NamedNode(OWN_TOPIC), None, None))
    assert any(q.object.value == "Online grooming" for q in label)
    # the shipped concepts are still there, beside the catalogue's
    shipped = "https://w3id.org/csec-ld/topic/child-labour"
    assert list(store.quads_for_pattern(NamedNode(shipped), None, None))


def test_the_concepts_page_data_describes_the_own_topic(site: Path) -> None:
    data = (site / "topic" / "online-grooming.nt").read_text(encoding="utf-8")
    assert '"Online grooming"@en' in data
    assert "<http://www.w3.org/2004/02/skos/core#broader>" in data


def test_query_on_the_catalogue_accepts_its_own_topic(catalogue: Path) -> None:
    by_id = run_query("by-subject", subject="online-grooming", source=[catalogue])
    by_label = run_query("by-subject", subject="Online grooming", source=[catalogue])
    assert _subjects(by_id) == _subjects(by_label) == {RECORD}


def test_the_query_command_and_show(runner: CliRunner, catalogue: Path) -> None:
    shown = runner.invoke(
        main,
        [
            "query",
            "by-subject",
            "-p",
            "subject=online-grooming",
            "--show",
            "--data",
            str(catalogue),
        ],
    )
    assert shown.exit_code == 0, shown.output
    assert f"<{OWN_TOPIC}>" in shown.output
    ran = runner.invoke(
        main,
        [
            "query",
            "by-subject",
            "-p",
            "subject=online-grooming",
            "-f",
            "csv",
            "--data",
            str(catalogue),
        ],
    )
    assert ran.exit_code == 0, ran.output
    assert RECORD in ran.output
    # a topic nobody has is still refused, naming the catalogue's own ids too
    bad = runner.invoke(
        main, ["query", "by-subject", "-p", "subject=nope", "--data", str(catalogue)]
    )
    assert bad.exit_code != 0 and "online-grooming" in bad.output


def test_a_loaded_store_holds_the_own_concepts(catalogue: Path, tmp_path: Path) -> None:
    load_store(tmp_path / "store", [catalogue])
    with EmbeddedEngine(tmp_path / "store") as engine:
        assert "online-grooming" in engine.vocabulary().topics
        result = run_query("by-subject", subject="Online grooming", source=engine)
        assert _subjects(result) == {RECORD}


def _offers_the_own_topic(client: TestClient) -> None:
    answer = client.get(
        "/api/queries/by-subject", params={"subject": "online-grooming", "format": "json"}
    )
    assert answer.status_code == 200, answer.text
    assert RECORD in answer.text
    openapi = client.get("/api/openapi.json").json()
    params = openapi["paths"]["/api/queries/by-subject"]["get"]["parameters"]
    (subject,) = [p for p in params if p["name"] == "subject"]
    assert "online-grooming" in json.dumps(subject["schema"])
    page = lxml_html.fromstring(client.get("/queries/by-subject").content)
    options = {o.get("value") for o in page.xpath("//select[@name='subject']//option")}
    assert "online-grooming" in options and "child-labour" in options
    chosen = lxml_html.fromstring(
        client.get("/queries/by-subject", params={"subject": "online-grooming"}).content
    )
    assert chosen.xpath("//option[@value='online-grooming' and @selected]")


def test_serve_api_openapi_and_forms_offer_the_own_topic(site: Path) -> None:
    app = create_app(site, timeout=10.0)
    try:
        _offers_the_own_topic(TestClient(app))
    finally:
        app.state.pool.close()


def test_push_sends_the_own_concepts_and_the_store_backed_pages_use_them(
    catalogue: Path, tmp_path: Path
) -> None:
    server = OxigraphServer(tmp_path / "oxigraph")
    try:
        push([catalogue], server.store_url)
        client = TestClient(create_app(endpoint=server.query_url))
        page = client.get("/resource/grooming-report-2020/")
        assert page.status_code == 200, page.text
        assert "Online grooming" in page.text
        _offers_the_own_topic(client)  # the API and the forms read the store's concepts
        ran = run_query("by-subject", subject="Online grooming", source=server.query_url)
        assert _subjects(ran) == {RECORD}
    finally:
        server.stop()


def test_import_listing_guesses_the_catalogues_own_types(
    runner: CliRunner, catalogue: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "data"
    _own_vocabulary(folder, "online-grooming")
    (folder / "vocab" / "types.ttl").write_text(
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "<https://w3id.org/csec-ld/type/terminology-guidelines> a skos:Concept ;\n"
        "    skos:inScheme <https://w3id.org/csec-ld/type> ;\n"
        '    skos:prefLabel "terminology guidelines"@en ;\n'
        "    skos:broader <https://w3id.org/csec-ld/type/guidelines> .\n",
        encoding="utf-8",
    )
    config = folder / "catalog.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "vocabularies: [vocab/topics.ttl]", "vocabularies: [vocab/topics.ttl, vocab/types.ttl]"
        ),
        encoding="utf-8",
    )
    listing = tmp_path / "listing.txt"
    listing.write_text(
        "  1. Terminology Guidelines for the protection of children\n\n    14 June 2016\n",
        encoding="utf-8",
    )
    out = tmp_path / "imported"
    result = runner.invoke(
        main, ["import-listing", str(listing), "-o", str(out), "--catalog", str(config)]
    )
    assert result.exit_code == 0, result.output
    (written,) = sorted(out.glob("*.yaml"))
    assert "type: terminology-guidelines" in written.read_text(encoding="utf-8")
