"""Every named query gives the same rows on all three engines; injections are only data.

A real SPARQL server (``oxigraph serve`` from the ``oxigraph`` package) runs on a
free port of 127.0.0.1 for this module, filled over the Graph Store Protocol; the
embedded store is filled by ``load_store``; the in-process engine maps the
records itself. Runs on ``data/`` and on a generated catalogue of 300 records.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph
import pytest

from csec_ld.errors import ParameterError
from csec_ld.query import named_queries, run_query
from csec_ld.store import (
    EmbeddedEngine,
    Engine,
    MemoryEngine,
    RemoteEngine,
    load_store,
    upload_catalogue,
)
from csec_ld.vocab import load_vocabulary
from tests.conftest import DATA
from tests.servers import OxigraphServer

# --------------------------------------------------------------------------- a bigger catalogue


def generate_catalogue(target: Path, n: int = 300, seed: int = 20261128) -> Path:
    """*n* seeded random records (JSON) beside a copy of data/'s catalogue and registry."""
    rng = random.Random(seed)
    vocab = load_vocabulary()
    types = [c.id for c in vocab.types]
    topics = [c.id for c in vocab.topics]
    countries = ["PHL", "PRY", "FJI", "PNG", "MNG", "CRI", "TH", "KH", "BR", "IN", "CIV", "NG"]
    languages = ["en", "fr", "es", "pt", "th"]
    words = [
        "child",
        "labour",
        "exploitation",
        "survey",
        "tourism",
        "trafficking",
        "report",
        "Côte d'Ivoire",
        "protección",
        "niños",
        "São Paulo",
        "enfants",
        "ΑΘΗΝΑ",
        "Straße",
        "assessment",
        "streets",
        "domestic",
        "victims",
        "CSEC",
        "law",
    ]
    target.mkdir(parents=True)
    shutil.copy(DATA / "catalog.yaml", target / "catalog.yaml")
    shutil.copy(DATA / "agents.yaml", target / "agents.yaml")
    records: list[dict[str, Any]] = []
    for i in range(n):
        year = rng.randint(1998, 2024)
        issued = rng.choice(
            [
                f"{year}",
                f"{year}-{rng.randint(1, 12):02d}",
                f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            ]
        )
        title = " ".join(rng.choice(words) for _ in range(rng.randint(2, 7))).capitalize()
        rec: dict[str, Any] = {
            "id": f"generated-{i:04d}",
            "title": title if rng.random() < 0.8 else {"en": title, "fr": title + " (fr)"},
            "issued": issued,
            "type": rng.choice(types),
        }
        if rng.random() < 0.7:
            rec["description"] = " ".join(rng.choice(words) for _ in range(rng.randint(5, 20)))
        if rng.random() < 0.85:
            rec["countries"] = rng.sample(countries, rng.randint(1, 3))
        if rng.random() < 0.9:
            rec["subjects"] = rng.sample(topics, rng.randint(1, 4))
        if rng.random() < 0.6:
            rec["languages"] = rng.sample(languages, rng.randint(1, 2))
        if rng.random() < 0.5:
            rec["publishers"] = [rng.choice(["ilo", "ecpat-international", "nso-philippines"])]
        if rng.random() < 0.3:
            rec["modified"] = f"{rng.randint(year + 1, 2026)}-{rng.randint(1, 12):02d}-01"
        records.append(rec)
    records_dir = target / "records"
    records_dir.mkdir()
    (records_dir / "generated.json").write_text(
        json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return target


# --------------------------------------------------------------------------- fixtures


CATALOGUES = ["data", "generated"]


@pytest.fixture(scope="module")
def catalogues(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {"data": DATA, "generated": generate_catalogue(tmp_path_factory.mktemp("gen") / "data")}


@pytest.fixture(scope="module")
def engines(
    catalogues: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, dict[str, Engine]]]:
    """For each catalogue the three engines, holding the same triples; one server each."""
    out: dict[str, dict[str, Engine]] = {}
    servers: list[OxigraphServer] = []
    try:
        for name, path in catalogues.items():
            server = OxigraphServer(tmp_path_factory.mktemp(f"oxigraph-{name}"))
            servers.append(server)
            upload_catalogue(server.store_url, [path])
            store_dir = tmp_path_factory.mktemp(f"store-{name}")
            load_store(store_dir, [path])
            out[name] = {
                "in-process": MemoryEngine.from_sources([path]),
                "embedded": EmbeddedEngine(store_dir),
                "endpoint": RemoteEngine(server.query_url, timeout=30),
            }
        yield out
    finally:
        for group in out.values():
            for engine in group.values():
                engine.close()
        for server in servers:
            server.stop()


# Parameter sets for every named query (at least one each; optional ones both ways).
CASES: dict[str, list[dict[str, Any]]] = {
    "by-country": [{"country": "PHL"}, {"country": ["PH", "PRY", "Thailand"], "since": 2011}],
    "by-type": [{"type": "report"}, {"type": ["guidelines", "survey report"], "since": "2005"}],
    "by-subject": [
        {"subject": "child-labour"},
        {"subject": ["child trafficking", "terminology"], "since": 2010},
    ],
    "by-year": [{"since": 2010, "until": 2011}, {"until": 2003}, {}],
    "by-language": [{"language": "en"}, {"language": ["fre", "spa"]}],
    "search": [
        {"text": "TOURISM"},
        {"text": "cote d'ivoire"},
        {"text": "PROTECCION  NINOS"},
        {"text": "sao"},
        {"text": "αθηνα"},
    ],
    "count-by-country": [{}, {"min": 2}],
    "count-by-year": [{}, {"min": 3}],
    "count-by-type": [{}],
    "count-by-subject": [{}, {"min": 5}],
    "resource": [
        {"resource": "resource:tracer-study-paraguay-2012"},
        {"resource": "https://w3id.org/csec-ld/resource/generated-0007"},
    ],
    "modified-since": [{"since": "2000-01-01"}, {"since": "2020-06-15"}],
    "missing-description": [{}],
    "missing-subject": [{}],
    "missing-country": [{}],
    "concepts": [{}, {"scheme": "https://w3id.org/csec-ld/topic"}],
}


def _comparable(result: Any) -> Any:
    if result.kind == "graph":
        return sorted(str(t) for t in result.triples)
    if result.kind == "ask":
        return result.boolean
    return result.variables, [
        [str(row[v]) if row[v] is not None else None for v in result.variables]
        for row in result.rows
    ]


def test_every_named_query_has_cases() -> None:
    assert set(CASES) == set(named_queries())


@pytest.mark.parametrize("catalogue", CATALOGUES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_same_rows_on_every_engine(
    name: str, catalogue: str, engines: dict[str, dict[str, Engine]]
) -> None:
    group = engines[catalogue]
    for params in CASES[name]:
        answers = {
            label: _comparable(run_query(name, params, source=engine))
            for label, engine in group.items()
        }
        reference = answers["in-process"]
        for label, answer in answers.items():
            assert answer == reference, (name, params, label)


def test_the_generated_catalogue_exercises_the_queries(
    engines: dict[str, dict[str, Engine]],
) -> None:
    engine = engines["generated"]["in-process"]
    for name, params in [
        ("by-country", CASES["by-country"][1]),
        ("search", CASES["search"][1]),
        ("search", CASES["search"][2]),
        ("modified-since", CASES["modified-since"][0]),
        ("missing-description", {}),
        ("missing-country", {}),
        ("by-language", CASES["by-language"][1]),
    ]:
        assert len(run_query(name, params, source=engine)) > 0, (name, params)
    years = [int(r["year"].value) for r in run_query("count-by-year", source=engine)]
    assert years == sorted(years) and len(years) > 20
    # "including narrower": a broader subject finds at least what its narrower one finds
    broad = {r["resource"] for r in run_query("by-subject", subject="child-labour", source=engine)}
    narrow = {
        r["resource"] for r in run_query("by-subject", subject="child-trafficking", source=engine)
    }
    assert narrow and narrow < broad


# --------------------------------------------------------------------------- injection

INJECTIONS = [
    'PHL" } UNION { ?s ?p ?o } #',
    "> } ; DROP ALL ; <",
    "a \"quoted\" 'value'",
    "back\\slash \\u0022 } UNION { ?s ?p ?o } \\",
    "new\nline } UNION { ?s ?p ?o }\n#",
    "nul\u0000byte",
    "x" * 20_000,
    "y" * 5_000,
    "児童の性的搾取 } UNION { ?s ?p ?o }",
    "استغلال الأطفال",
    '""" } UNION { ?s ?p ?o } #',
    "}}}}} ; INSERT DATA { <urn:x> <urn:y> <urn:z> } #",
]
INJECTABLE = [  # (query, parameter) pairs: every parameter type
    ("by-country", "country"),
    ("by-type", "type"),
    ("by-subject", "subject"),
    ("by-year", "since"),
    ("by-language", "language"),
    ("search", "text"),
    ("resource", "resource"),
    ("modified-since", "since"),
    ("count-by-country", "min"),
    ("concepts", "scheme"),
]


def _dump(engine: Engine) -> list[str]:
    result = engine.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    return sorted(str(t) for t in result.triples)


@pytest.mark.parametrize("label", ["in-process", "embedded", "endpoint"])
def test_injections_are_data_or_rejected_on_every_engine(
    label: str, engines: dict[str, dict[str, Engine]]
) -> None:
    engine = engines["data"][label]
    before = _dump(engine)
    outcomes = {"rows": 0, "rejected": 0}
    for name, param in INJECTABLE:
        for value in INJECTIONS:
            try:
                result = run_query(name, {param: value}, source=engine)
            except ParameterError as exc:
                assert repr(param) in str(exc)
                outcomes["rejected"] += 1
                continue
            outcomes["rows"] += 1
            # Only strings get through; as data they match nothing.
            assert (name, param) == ("search", "text"), (name, value)
            assert result.rows == [], value
    assert _dump(engine) == before
    assert outcomes["rows"] >= 8 and outcomes["rejected"] > 50


@pytest.mark.parametrize("label", ["in-process", "embedded", "endpoint"])
def test_strings_reach_every_engine_unchanged(
    label: str, engines: dict[str, dict[str, Engine]]
) -> None:
    """Bound through VALUES, each odd string comes back exactly as it went in."""
    from csec_ld.query import parse_query_text

    engine = engines["data"][label]
    echo = parse_query_text("# param v: string, required\nSELECT ?v WHERE { }", "echo")
    for value in [*INJECTIONS, "\\u0041 \\U00000041 \\\\u0022", "tab\there", "cr\rlf"]:
        try:
            result = run_query(echo, v=value, source=engine)
        except ParameterError:
            assert "\u0000" in value or len(value) > 10_000
            continue
        assert [r["v"] for r in result.rows] == [pyoxigraph.Literal(value)], value


def test_the_cli_prints_the_same_on_every_engine(tmp_path: Path) -> None:
    """`csec-ld load` into a store and a server, then `csec-ld query` on each engine."""
    from click.testing import CliRunner

    from csec_ld.cli import main

    runner = CliRunner()
    server = OxigraphServer(tmp_path / "oxigraph")
    try:
        loaded = runner.invoke(main, ["load", "--graph-store", server.store_url, str(DATA)])
        assert loaded.exit_code == 0, loaded.output
        loaded = runner.invoke(main, ["load", "--store", str(tmp_path / "store"), str(DATA)])
        assert loaded.exit_code == 0, loaded.output
        engines = [
            ["--data", str(DATA)],
            ["--store", str(tmp_path / "store")],
            ["--endpoint", server.query_url],
        ]
        for args in (
            ["by-country", "-p", "country=PHL"],
            ["count-by-subject", "-f", "md"],
            ["search", "-p", "text=Côte", "-f", "json"],
        ):
            outputs = []
            for engine in engines:
                result = runner.invoke(main, ["query", *args, *engine])
                assert result.exit_code == 0, result.output
                outputs.append(result.stdout)
            assert outputs[0] == outputs[1] == outputs[2], args
            assert outputs[0].strip()
    finally:
        server.stop()
