"""The README's main job on the bundled data."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph
from click.testing import CliRunner

from csec_ld.cli import main
from tests.conftest import ROOT


def test_build_bundled_data(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    result = runner.invoke(main, ["build", str(ROOT / "data"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "10 records" in result.output
    store = pyoxigraph.Store()
    store.load(path=str(out / "catalog.ttl"), format=pyoxigraph.RdfFormat.TURTLE)
    rows = list(
        store.query("SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a <http://schema.org/Report> }")
    )
    assert int(rows[0]["n"].value) >= 7
