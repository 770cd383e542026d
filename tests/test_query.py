"""Named queries, typed parameters, safe binding and result formats (in-process engine)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pyoxigraph
import pytest
from pyoxigraph import Literal, NamedNode

from csec_ld.errors import ParameterError, QueryError, UsageError
from csec_ld.query import (
    PARAMETER_TYPES,
    Parameter,
    bind,
    format_result,
    get_query,
    load_query_file,
    named_queries,
    parse_query_text,
    run_query,
    sparql_term,
    to_term,
)
from csec_ld.store import MemoryEngine, Result
from tests.conftest import DATA

COUNTRY = "http://publications.europa.eu/resource/authority/country/"
RESOURCE = "https://w3id.org/csec-ld/resource/"
XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture(scope="module")
def engine() -> MemoryEngine:
    return MemoryEngine.from_sources([DATA])


# --------------------------------------------------------------------------- headers

REQUIRED_QUERIES = {
    "by-country",
    "by-type",
    "by-subject",
    "by-year",
    "search",
    "count-by-country",
    "count-by-year",
    "count-by-type",
    "count-by-subject",
    "resource",
    "modified-since",
    "missing-description",
    "missing-subject",
    "missing-country",
    "concepts",
}


def test_the_issue_s_queries_are_shipped() -> None:
    assert set(named_queries()) >= REQUIRED_QUERIES


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_every_named_query_is_documented(name: str) -> None:
    q = get_query(name)
    assert q.summary and q.description and q.examples, name
    assert all(ex.startswith(f"csec-ld query {name}") for ex in q.examples)
    for p in q.parameters:
        assert p.type in PARAMETER_TYPES and p.help, (name, p)
        assert f"?{p.name}" in q.text, (name, p.name)
    # the text parses once bound with each parameter's first example value, or left out
    required = {p.name: _sample(p) for p in q.parameters if p.required}
    assert bind(q, required).count("VALUES ?") == len(q.parameters)


def _sample(p: Parameter) -> str:
    return {
        "country": "PHL",
        "concept": "report" if p.scheme == "type" else "education",
        "language": "en",
        "iri": "resource:x",
        "string": "x",
        "integer": "1",
        "year": "2010",
        "date": "2010-01-01",
    }[p.type]


def test_header_parsing() -> None:
    q = parse_query_text(
        "# summary: Things\n# description:\n#   First line\n#   second line.\n"
        "# param who: country, required, multi-valued — where\n"
        "# param n: integer, optional, default=3 -- how many\n"
        "# param t: concept:topic, optional\n"
        "# example: csec-ld query things -p who=PH\nSELECT ?who WHERE { }\n",
        "things",
    )
    assert q.summary == "Things"
    assert q.description == "First line second line."
    assert [p.describe() for p in q.parameters] == [
        "who (country, required, multi-valued)",
        "n (integer, optional, default 3)",
        "t (concept:topic, optional)",
    ]
    assert q.parameters[0].help == "where" and q.parameters[1].help == "how many"
    assert q.examples == ("csec-ld query things -p who=PH",)


@pytest.mark.parametrize(
    "header",
    [
        "# param x: colour, required",
        "# param x: concept:animal",
        "# param x: string, sometimes",
        "# param x:",
    ],
)
def test_bad_headers_are_query_errors(header: str) -> None:
    with pytest.raises(QueryError, match="'x'"):
        parse_query_text(header + "\nSELECT * WHERE { }", "bad")


def test_unknown_query_lists_the_names() -> None:
    with pytest.raises(QueryError) as exc:
        get_query("by-planet")
    assert "by-planet" in str(exc.value) and "by-country" in str(exc.value)


def test_query_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.rq"
    path.write_text(
        "# summary: Mine\n# param c: country, required\nSELECT ?c WHERE { }\n", encoding="utf-8"
    )
    q = load_query_file(path)
    assert q.name == "mine" and q.summary == "Mine"
    assert str(run_query(str(path), c="PH").rows[0]["c"]) == f"<{COUNTRY}PHL>"


# --------------------------------------------------------------------------- parameter types

GOOD = [
    ("iri", "https://example.org/a?b=c#d", NamedNode("https://example.org/a?b=c#d")),
    ("iri", "<urn:isbn:978-92-2-125081-1>", NamedNode("urn:isbn:978-92-2-125081-1")),
    (
        "iri",
        "resource:tracer-study-paraguay-2012",
        NamedNode(RESOURCE + "tracer-study-paraguay-2012"),
    ),
    ("iri", "topic:education", NamedNode("https://w3id.org/csec-ld/topic/education")),
    ("string", "Côte d'Ivoire", Literal("Côte d'Ivoire")),
    ("integer", " 42 ", Literal("42", datatype=NamedNode(XSD + "integer"))),
    ("integer", "-007", Literal("-7", datatype=NamedNode(XSD + "integer"))),
    ("date", "2010-02-28", Literal("2010-02-28", datatype=NamedNode(XSD + "date"))),
    ("year", "2010", Literal("2010", datatype=NamedNode(XSD + "integer"))),
    ("country", "ph", NamedNode(COUNTRY + "PHL")),
    ("country", "PHL", NamedNode(COUNTRY + "PHL")),
    ("country", "Philippines", NamedNode(COUNTRY + "PHL")),
    ("country", COUNTRY + "PRY", NamedNode(COUNTRY + "PRY")),
    ("country", "country:PRY", NamedNode(COUNTRY + "PRY")),
    ("language", "fre", NamedNode("http://publications.europa.eu/resource/authority/language/FRA")),
    ("language", "en", NamedNode("http://publications.europa.eu/resource/authority/language/ENG")),
    ("concept", "child trafficking", NamedNode("https://w3id.org/csec-ld/topic/child-trafficking")),
    ("concept", "Survey Report", NamedNode("https://w3id.org/csec-ld/type/survey-report")),
    (
        "concept",
        "https://w3id.org/csec-ld/type/report",
        NamedNode("https://w3id.org/csec-ld/type/report"),
    ),
]


@pytest.mark.parametrize(("kind", "value", "term"), GOOD)
def test_values_become_terms(kind: str, value: str, term: object) -> None:
    assert to_term(Parameter("p", kind), value) == term


def test_python_values() -> None:
    assert to_term(Parameter("y", "year"), 2010) == Literal(
        "2010", datatype=NamedNode(XSD + "integer")
    )
    assert to_term(Parameter("d", "date"), dt.date(2011, 5, 1)).value == "2011-05-01"
    with pytest.raises(ParameterError, match="'b'"):
        to_term(Parameter("b", "integer"), True)
    with pytest.raises(ParameterError, match="'f'"):
        to_term(Parameter("f", "integer"), 1.5)


BAD = [
    ("iri", "not an iri", "an absolute IRI"),
    ("iri", "relative/path", "an absolute IRI"),
    ("iri", "http://x/> } UNION { ?s ?p ?o", "an absolute IRI"),
    ("iri", 'http://x/"', "an absolute IRI"),
    ("iri", "http://x/\\u003E", "an absolute IRI"),
    ("string", "", "empty"),
    ("string", "nul\u0000", "control characters"),
    ("string", "x" * 10_001, "at most 10000"),
    ("integer", "4.2", "an integer"),
    ("integer", "1e3", "an integer"),
    ("integer", "12345678901234567890", "an integer"),
    ("date", "2010-13-01", "a date (YYYY-MM-DD)"),
    ("date", "2010", "a date (YYYY-MM-DD)"),
    ("year", "10", "a year (YYYY)"),
    ("year", "2010-01", "a year (YYYY)"),
    ("country", "ZZZ", "ISO 3166-1 country code"),
    ("country", 'PHL" } UNION { ?s ?p ?o } #', "ISO 3166-1 country code"),
    ("language", "elvish", "ISO 639 language code"),
    ("concept", "cooking", "of our vocabularies"),
]


@pytest.mark.parametrize(("kind", "value", "message"), BAD)
def test_values_that_do_not_fit_are_rejected(kind: str, value: str, message: str) -> None:
    with pytest.raises(ParameterError) as exc:
        to_term(Parameter("thing", kind), value)
    assert "'thing'" in str(exc.value) and message in str(exc.value)
    assert len(str(exc.value)) < 1000  # long values are shortened in messages


def test_concept_scheme_is_enforced() -> None:
    with pytest.raises(ParameterError, match="a resource type"):
        to_term(Parameter("t", "concept", scheme="type"), "child-trafficking")
    with pytest.raises(ParameterError, match="a topic"):
        to_term(Parameter("t", "concept", scheme="topic"), "https://w3id.org/csec-ld/type/report")


# --------------------------------------------------------------------------- binding


def test_bind_generates_values_blocks() -> None:
    q = get_query("by-country")
    text = bind(q, {"country": ["PH", "PRY", "PHL"]})
    assert f"VALUES ?country {{ <{COUNTRY}PHL> <{COUNTRY}PRY> }} VALUES ?since {{ UNDEF }}" in text
    assert text.replace(text[text.index(" VALUES") : text.index("UNDEF }") + 8], "") == q.text


def test_bind_checks_names_and_counts() -> None:
    q = get_query("by-country")
    with pytest.raises(ParameterError, match=r"unknown parameter 'nation' \(allowed: country"):
        bind(q, {"nation": "PH"})
    with pytest.raises(ParameterError, match="missing required parameter 'country'"):
        bind(q, {})
    with pytest.raises(ParameterError, match="'since' takes one value, got 2"):
        bind(q, {"country": "PH", "since": [2010, 2011]})
    with pytest.raises(ParameterError, match="'country'"):
        bind(q, {"country": ["PH", "nowhere"]})


def test_defaults_are_bound() -> None:
    assert 'VALUES ?min { "1"^^<' in bind(get_query("count-by-country"), {})


def test_values_go_after_the_outer_where_not_into_strings_or_comments() -> None:
    q = parse_query_text(
        "# param x: integer, optional\n# WHERE { in a comment\n"
        'SELECT ?x ("WHERE {" AS ?s) WHERE { <urn:where{> <urn:p> ?o }',
        "q",
    )
    text = bind(q, {"x": 1})
    assert text.index("VALUES ?x") > text.index('"WHERE {" AS ?s) WHERE {')
    assert "VALUES" not in text[: text.rindex("WHERE {")]


def test_a_parameterised_query_needs_a_where() -> None:
    q = parse_query_text("# param x: integer\nSELECT ?x { }", "q")
    with pytest.raises(QueryError, match="WHERE"):
        bind(q, {"x": 1})


@pytest.mark.parametrize(
    "value",
    [
        'PHL" } UNION { ?s ?p ?o } #',
        "back\\slash",
        "\\u0022 } #",
        "a\"b'c",
        "line\nbreak",
        "tab\t",
        "\\\\u0022",
        "\\U00000022",
        "日本語",
        "עברית",
        "x" * 3000,
    ],
)
def test_sparql_term_round_trips(value: str, engine: MemoryEngine) -> None:
    term = sparql_term(Literal(value))
    assert "\n" not in term
    result = engine.query(f"SELECT ?v WHERE {{ VALUES ?v {{ {term} }} }}")
    assert [r["v"] for r in result] == [Literal(value)]


def test_sparql_term_keeps_language_and_datatype() -> None:
    assert sparql_term(Literal("x", language="en-GB")).lower() == '"x"@en-gb'
    assert sparql_term(Literal("1", datatype=NamedNode(XSD + "integer"))) == f'"1"^^<{XSD}integer>'
    assert sparql_term(NamedNode("urn:a")) == "<urn:a>"
    with pytest.raises(ParameterError):
        sparql_term(pyoxigraph.BlankNode("b"))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- running


def _ids(result: Result) -> list[str]:
    return [r["resource"].value.removeprefix(RESOURCE) for r in result]  # type: ignore[union-attr]


def test_by_country(engine: MemoryEngine) -> None:
    result = run_query("by-country", country="PHL", source=engine)
    assert result.variables == ["resource", "issued", "title", "resourceType"]
    assert _ids(result) == [
        "2009-pilot-survey-children-youth-scy-2010",
        "final-report-pilot-survey-commercial-sexual-2011",
    ]
    assert _ids(run_query("by-country", country=["PHL"], since=2011, source=engine)) == [
        "final-report-pilot-survey-commercial-sexual-2011"
    ]


def test_listings_hold_only_the_catalogue_s_resources() -> None:
    # a copy of a catalogued resource that no dcmitype:Collection has as a part: the
    # catalogue membership (a sub-query in the listings) keeps it out of every one
    engine = MemoryEngine.from_sources([DATA])
    original = NamedNode(RESOURCE + "2009-pilot-survey-children-youth-scy-2010")
    stray = NamedNode(RESOURCE + "not-in-the-catalogue")
    for quad in list(engine.store.quads_for_pattern(original, None, None)):
        engine.store.add(pyoxigraph.Quad(stray, quad.predicate, quad.object, quad.graph_name))
    assert len(list(engine.store.quads_for_pattern(stray, None, None))) > 5
    listings = {
        "by-country": {"country": "PHL"},
        "by-type": {"type": "report"},
        "by-subject": {"subject": "worst-forms-of-child-labour"},
        "by-year": {"since": 2000, "until": 2030},
        "by-language": {"language": "en"},
    }
    for name, params in listings.items():
        found = _ids(run_query(name, params, source=engine))
        assert "2009-pilot-survey-children-youth-scy-2010" in found, name
        assert "not-in-the-catalogue" not in found, name
    counts = run_query("count-by-country", source=engine).values()
    assert {"country": COUNTRY + "PHL", "resources": "2"} in counts
    assert (
        sum(int(r["resources"]) for r in run_query("count-by-year", source=engine).values()) == 10
    )
    for name in ("count-by-type", "count-by-subject"):
        plain = run_query(name, source=MemoryEngine.from_sources([DATA])).values()
        assert run_query(name, source=engine).values() == plain, name


def test_the_title_shown_is_english_if_there_is_one() -> None:
    # the least English title; without one, the least title of any language (or none)
    engine = MemoryEngine.from_sources([DATA])
    title = NamedNode("http://purl.org/dc/terms/title")
    phl = [
        NamedNode(RESOURCE + r)
        for r in (
            "2009-pilot-survey-children-youth-scy-2010",
            "final-report-pilot-survey-commercial-sexual-2011",
        )
    ]
    english = {q.object.value for q in engine.store.quads_for_pattern(phl[0], title, None)}
    engine.store.add(pyoxigraph.Quad(phl[0], title, Literal("Aaa, avant tout", language="fr")))
    engine.store.add(pyoxigraph.Quad(phl[0], title, Literal("Zzz, last", language="en-GB")))
    for quad in list(engine.store.quads_for_pattern(phl[1], title, None)):
        engine.store.remove(quad)
    engine.store.add(pyoxigraph.Quad(phl[1], title, Literal("Título", language="es")))
    engine.store.add(pyoxigraph.Quad(phl[1], title, Literal("Bericht", language="de")))

    def shown() -> dict[str, str | None]:
        rows = run_query("by-country", country="PHL", source=engine).values()
        return {r["resource"]: r.get("title") for r in rows}

    assert shown()[phl[0].value] == min(english)
    assert shown()[phl[1].value] == "Bericht"
    for quad in list(engine.store.quads_for_pattern(phl[1], title, None)):
        engine.store.remove(quad)
    assert shown()[phl[1].value] is None


def test_default_source_is_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA.parent)
    assert len(run_query("by-country", {"country": "PRY"})) == 2
    assert len(run_query("by-country", country="PRY", source=DATA)) == 2
    assert len(run_query("by-country", country="PRY", source=[DATA])) == 2


def test_by_subject_includes_narrower(engine: MemoryEngine) -> None:
    direct = _ids(run_query("by-subject", subject="worst-forms-of-child-labour", source=engine))
    assert "survey-report-sex-workers-sexually-exploited-2010" in direct  # child trafficking
    assert "code-conduct-contribution-tourism-industry-fight-2010" in direct  # via CSEC
    assert len(direct) == len(set(direct)) == 7


def test_by_type_includes_narrower(engine: MemoryEngine) -> None:
    assert len(run_query("by-type", type="report", source=engine)) == 8
    assert len(run_query("by-type", type="survey report", source=engine)) == 4


def test_search_ignores_case_and_accents(engine: MemoryEngine) -> None:
    for text in ["PARAGUAY", "parágüay", "Paraguay"]:
        assert "tracer-study-paraguay-2012" in _ids(run_query("search", text=text, source=engine))
    assert _ids(run_query("search", text="zzz-nothing", source=engine)) == []


def test_counts_and_quality(engine: MemoryEngine) -> None:
    rows = run_query("count-by-year", source=engine).values()
    assert rows[0] == {"year": "2010", "resources": "6"}
    assert sum(int(r["resources"]) for r in rows) == 10
    assert run_query("count-by-country", min=2, source=engine).values() == [
        {"country": COUNTRY + "PHL", "resources": "2"},
        {"country": COUNTRY + "PRY", "resources": "2"},
    ]
    assert _ids(run_query("missing-country", source=engine)) == [
        "survey-report-sex-workers-sexually-exploited-2010",
        "terminology-guidelines-protection-children-sexual-exploitation-2016",
    ]


def test_concepts_count_narrower(engine: MemoryEngine) -> None:
    rows = {
        r["concept"].rsplit("/", 1)[1]: r for r in run_query("concepts", source=engine).values()
    }
    assert rows["child-labour"]["resources"] == "1"
    assert rows["child-labour"]["withNarrower"] == "8"
    assert rows["policy-brief"]["resources"] == "0"


def test_resource_in_full(engine: MemoryEngine) -> None:
    result = run_query("resource", resource="resource:tracer-study-paraguay-2012", source=engine)
    assert result.kind == "graph"
    subjects = {t.subject.value for t in result.triples}
    assert RESOURCE + "tracer-study-paraguay-2012" in subjects
    assert any(t.object == Literal("Paraguay", language="en") for t in result.triples)


def test_sparql_text_takes_no_parameters(engine: MemoryEngine) -> None:
    assert run_query("ASK { ?s ?p ?o }", source=engine).boolean is True
    with pytest.raises(ParameterError, match="takes no parameters"):
        run_query("SELECT * WHERE { ?s ?p ?o }", x=1, source=engine)


def test_syntax_errors_give_line_and_column(engine: MemoryEngine) -> None:
    with pytest.raises(
        QueryError, match=r"^SPARQL syntax error at line [45], column \d+: expected"
    ):
        run_query("SELECT *\nWHERE {\n  ?s ?p ?o .\n  FILTER(?s = )\n}", source=engine)


def test_updates_are_refused(engine: MemoryEngine) -> None:
    size = len(engine)
    for update in ["DROP ALL", "PREFIX x: <urn:x>\nINSERT DATA { x:a x:b x:c }", "CLEAR DEFAULT"]:
        with pytest.raises(QueryError, match="not SPARQL updates"):
            run_query(update, source=engine)
    assert len(engine) == size


# --------------------------------------------------------------------------- formats


def _select() -> Result:
    return Result(
        "select",
        variables=["a", "b", "c"],
        rows=[
            {"a": NamedNode(COUNTRY + "PHL"), "b": Literal('say "hi", ok\nbye'), "c": None},
            {
                "a": pyoxigraph.BlankNode("b0"),
                "b": Literal("x", language="fr"),
                "c": Literal("3", datatype=NamedNode(XSD + "integer")),
            },
        ],
    )


def test_csv_follows_the_sparql_results_csv_spec() -> None:
    text = format_result(_select(), "csv")
    assert text.startswith("a,b,c\r\n")
    assert list(csv.reader(io.StringIO(text))) == [
        ["a", "b", "c"],
        [COUNTRY + "PHL", 'say "hi", ok\nbye', ""],
        ["_:b0", "x", "3"],
    ]


def test_tsv_follows_the_sparql_results_tsv_spec() -> None:
    lines = format_result(_select(), "tsv").split("\n")
    assert lines[0] == "?a\t?b\t?c"
    assert lines[1] == f'<{COUNTRY}PHL>\t"say \\"hi\\", ok\\nbye"\t'
    assert lines[2] == f'_:b0\t"x"@fr\t"3"^^<{XSD}integer>'


def test_json_is_sparql_results_json() -> None:
    doc = json.loads(format_result(_select(), "json"))
    assert doc["head"] == {"vars": ["a", "b", "c"]}
    first, second = doc["results"]["bindings"]
    assert first == {
        "a": {"type": "uri", "value": COUNTRY + "PHL"},
        "b": {"type": "literal", "value": 'say "hi", ok\nbye'},
    }
    assert second["b"] == {"type": "literal", "value": "x", "xml:lang": "fr"}
    assert second["c"]["datatype"] == XSD + "integer"
    assert second["a"] == {"type": "bnode", "value": "b0"}
    parsed = pyoxigraph.parse_query_results(
        format_result(_select(), "json").encode(), format=pyoxigraph.QueryResultsFormat.JSON
    )
    assert len(list(parsed)) == 2
    assert json.loads(format_result(Result("ask", boolean=False), "json")) == {
        "head": {},
        "boolean": False,
    }


def test_table_shows_labels_and_fits(engine: MemoryEngine) -> None:
    result = run_query("count-by-country", source=engine)
    text = format_result(result, "table", engine=engine, width=60)
    assert "Philippines" in text and "country:PHL" not in text
    assert text.rstrip().endswith("(6 rows)")
    wide = run_query("by-country", country="PHL", source=engine)
    for width in (50, 80, 200):
        lines = format_result(wide, "table", engine=engine, width=width).splitlines()
        assert max(len(line) for line in lines) <= width
    assert "survey report" in format_result(wide, "table", engine=engine, width=120)


def test_markdown(engine: MemoryEngine) -> None:
    text = format_result(run_query("count-by-type", source=engine), "md", engine=engine)
    assert text.splitlines()[:3] == ["| type | resources |", "|---|---|", "| survey report | 4 |"]
    pipes = Result("select", variables=["x"], rows=[{"x": Literal("a|b")}])
    assert "| a\\|b |" in format_result(pipes, "md")


def test_graph_formats(engine: MemoryEngine) -> None:
    result = run_query("resource", resource="resource:tracer-study-paraguay-2012", source=engine)
    ttl = format_result(result, "ttl")
    assert ttl == format_result(result)  # ttl is the default for graphs
    graph = pyoxigraph.Store()
    graph.load(ttl, format=pyoxigraph.RdfFormat.TURTLE)
    assert len(graph) == len(set(result.triples))
    assert format_result(result, "nt").count(" .\n") == len(graph)
    assert json.loads(format_result(result, "jsonld"))["@graph"]
    with pytest.raises(UsageError, match="graph"):
        format_result(result, "csv")
    with pytest.raises(UsageError, match="table"):
        format_result(_select(), "ttl")
