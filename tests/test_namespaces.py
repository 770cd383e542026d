"""namespaces.compactor: one rule for writing IRIs compact, in Turtle, query results and
validation reports."""

from __future__ import annotations

import pytest

from csec_ld import query, serialize, validation
from csec_ld.namespaces import PREFIXES, SCHEMA, compactor


@pytest.mark.parametrize(
    ("iri", "written"),
    [
        (SCHEMA + "Report", "schema:Report"),
        (SCHEMA + "a/b", SCHEMA + "a/b"),  # a slash is not in a local name
        (SCHEMA + "Report.", SCHEMA + "Report."),  # nor a final dot (Turtle ends there)
        (SCHEMA + "-x", SCHEMA + "-x"),
        (SCHEMA + "é", SCHEMA + "é"),  # ASCII only: the same text in every output
        (SCHEMA + "", SCHEMA),
        ("http://example.org/x", "http://example.org/x"),
    ],
)
def test_the_writers_the_query_results_and_the_reports_share_one_rule(
    iri: str, written: str
) -> None:
    for compact in (serialize.compact, query.compact, validation.compact):
        assert compact(iri) == written


def test_each_use_has_its_own_table() -> None:
    resource = "https://w3id.org/csec-ld/resource/x"
    assert query.compact(resource) == "resource:x"  # query results name records short
    assert serialize.compact(resource) == resource
    assert validation.compact("http://www.w3.org/ns/shacl#MinCountConstraintComponent") == (
        "sh:MinCountConstraintComponent"
    )


def test_a_namespace_must_end_where_a_local_name_starts() -> None:
    with pytest.raises(ValueError, match="must end with / or #"):
        compactor({**PREFIXES, "bad": "urn:example:"})


def test_the_turtle_reports_write_prefixed_names_by_the_same_rule() -> None:
    from csec_ld.reports import _iri

    for iri, written in [
        (SCHEMA + "Report", "schema:Report"),
        (SCHEMA + "2x.y", "schema:2x.y"),  # PN_LOCAL allows a digit first and inner dots
        (SCHEMA + "Report.", f"<{SCHEMA}Report.>"),
        ("http://example.org/x", "<http://example.org/x>"),
    ]:
        assert _iri(iri) == written
