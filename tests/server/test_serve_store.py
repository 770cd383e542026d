"""``serve --store``: /sparql and the query API answer from an embedded store."""

from __future__ import annotations

from pathlib import Path

import httpx

from csec_ld.server import create_app
from csec_ld.site.publish import publish
from csec_ld.store import load_store
from tests.conftest import DATA
from tests.servers import Server

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _count(client: httpx.Client) -> int:
    answer = client.get(
        "/sparql", params={"query": COUNT}, headers={"Accept": "application/sparql-results+json"}
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def test_serve_from_an_embedded_store(tmp_path: Path) -> None:
    site = publish([DATA], tmp_path / "site", validate=False).out_dir
    load_store(tmp_path / "store", [DATA])
    with (
        Server(create_app(site)) as mem,
        Server(create_app(site, store=tmp_path / "store")) as disk,
    ):
        in_memory = httpx.Client(base_url=mem.url, timeout=10)
        on_disk = httpx.Client(base_url=disk.url, timeout=10)
        _compare(in_memory, on_disk)


def _compare(in_memory: httpx.Client, on_disk: httpx.Client) -> None:
    assert _count(on_disk) == _count(in_memory) > 400
    rows = [
        c.get(
            "/api/queries/by-country", params={"country": "PHL"}, headers={"Accept": "text/csv"}
        ).text
        for c in (in_memory, on_disk)
    ]
    assert rows[0] == rows[1] and rows[0].count("resource/") == 2
    # read-only: an update is refused and the store is unchanged
    refused = on_disk.post("/sparql", data={"update": "DROP ALL"})
    assert refused.status_code in (400, 403, 405)
    assert _count(on_disk) == _count(in_memory)


def test_a_missing_store_is_a_usage_error(tmp_path: Path, runner) -> None:  # type: ignore[no-untyped-def]
    from csec_ld.cli import main

    result = runner.invoke(main, ["serve", str(DATA), "--store", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "nope" in result.output
