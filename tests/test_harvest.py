"""A real OAI-PMH harvester (sickle) harvests ``csec-ld serve``'s /oai on 127.0.0.1.

The catalogue (with a withdrawn and a modified record) is published, and the
site is served by the real application (uvicorn in a thread), as
``csec-ld publish && csec-ld serve site/`` would.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from csec_ld.server import create_app
from csec_ld.site.publish import publish
from tests.site.test_oai import ALL, FULL, TRACER, WITHDRAWN, make_catalogue

sickle = pytest.importorskip("sickle")
from sickle import oaiexceptions  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The /oai endpoint (3 records a page) on a free port; its URL. Stopped afterwards."""
    folder = tmp_path_factory.mktemp("harvest")
    data = make_catalogue(folder / "data")
    publish([data], folder / "site", validate=False)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/oai"
    app = create_app(folder / "site", oai_page_size=3, public_url=url.removesuffix("/oai"))
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield url
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def harvester(server: str) -> sickle.Sickle:
    return sickle.Sickle(server, timeout=10)


def test_identify(harvester: sickle.Sickle, server: str) -> None:
    identify = harvester.Identify()
    assert identify.baseURL == server
    assert identify.deletedRecord == "persistent"
    assert identify.granularity == "YYYY-MM-DD"
    assert identify.earliestDatestamp == "2010-05-01"


def test_harvest_everything_across_resumption_tokens(harvester: sickle.Sickle) -> None:
    records = list(harvester.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False))
    assert len(records) == ALL  # four pages of 3
    by_id = {r.header.identifier: r for r in records}
    assert len(by_id) == ALL
    full = by_id[FULL]
    assert not full.header.deleted
    assert full.metadata["title"] == [
        "Child protection in tourism",
        "La protection des enfants dans le tourisme",
    ]
    assert full.metadata["coverage"] == ["Philippines", "Thailand"]
    assert full.metadata["rights"] == ["https://creativecommons.org/licenses/by/4.0/"]
    assert "https://w3id.org/csec-ld/resource/full-record-2013" in full.metadata["identifier"]
    withdrawn = by_id[WITHDRAWN]
    assert withdrawn.header.deleted
    assert withdrawn.header.datestamp == "2025-01-10"
    live = list(harvester.ListRecords(metadataPrefix="oai_dc", ignore_deleted=True))
    assert len(live) == ALL - 1


def test_incremental_harvest_with_from(harvester: sickle.Sickle) -> None:
    headers = list(
        harvester.ListIdentifiers(
            metadataPrefix="oai_dc", ignore_deleted=False, **{"from": "2023-01-01"}
        )
    )
    assert [(h.identifier, h.datestamp, h.deleted) for h in headers] == [
        (TRACER, "2023-09-30", False),
        (FULL, "2024-03-05", False),
        (WITHDRAWN, "2025-01-10", True),
    ]
    with pytest.raises(oaiexceptions.NoRecordsMatch):
        list(harvester.ListIdentifiers(metadataPrefix="oai_dc", **{"from": "2025-01-11"}))


def test_harvest_by_set(harvester: sickle.Sickle) -> None:
    specs = {s.setSpec for s in harvester.ListSets()}
    assert {"type", "type:report", "country:PRY", "topic:child-labour"} <= specs
    records = list(
        harvester.ListRecords(metadataPrefix="oai_dc", set="country:PRY", ignore_deleted=False)
    )
    assert sorted(r.header.identifier for r in records) == sorted(
        ["oai:w3id.org:scream-mobilizing-public-action-2010", TRACER, WITHDRAWN]
    )
    assert all("country:PRY" in r.header.setSpecs for r in records)
    reports = list(
        harvester.ListIdentifiers(metadataPrefix="oai_dc", set="type:report", ignore_deleted=False)
    )
    assert FULL in {h.identifier for h in reports}


def test_get_record_and_errors(harvester: sickle.Sickle) -> None:
    record = harvester.GetRecord(identifier=TRACER, metadataPrefix="rdf")
    assert record.header.identifier == TRACER
    assert "Tracer Study - PARAGUAY" in record.raw
    formats = {f.metadataPrefix for f in harvester.ListMetadataFormats()}
    assert formats == {"oai_dc", "rdf"}
    with pytest.raises(oaiexceptions.IdDoesNotExist):
        harvester.GetRecord(identifier="oai:w3id.org:nope", metadataPrefix="oai_dc")
    with pytest.raises(oaiexceptions.CannotDisseminateFormat):
        harvester.GetRecord(identifier=TRACER, metadataPrefix="marc21")
    with pytest.raises(oaiexceptions.BadResumptionToken):
        list(harvester.ListRecords(resumptionToken="forged.token"))


def test_post_and_bad_requests(server: str, tmp_path: Path) -> None:
    args = {"verb": "GetRecord", "identifier": TRACER, "metadataPrefix": "oai_dc"}
    with httpx.Client(timeout=10) as client:
        get = client.get(server, params=args)
        post = client.post(server, data=args)
        assert get.status_code == post.status_code == 200
        assert get.headers["content-type"] == "text/xml; charset=utf-8"
        assert get.text.split("</oai:responseDate>")[1] == post.text.split("</oai:responseDate>")[1]
        bad = client.get(server + "?verb=ListRecords&metadataPrefix=oai_dc&from=%FF%FE")
        assert bad.status_code == 200 and 'code="badArgument"' in bad.text
        big = client.post(
            server,
            content=b"verb=Identify&" + b"x" * 20_000,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert big.status_code == 413
        assert client.get(server, params={"verb": "Identify"}).status_code == 200
