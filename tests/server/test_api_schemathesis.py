"""The named-query API fuzzed from its own OpenAPI document (schemathesis, in process).

schemathesis reads ``/api/openapi.json`` from the app and sends every operation requests
drawn from it (its examples, coverage and fuzzing phases; valid and invalid values): no
answer may be a 5xx, and each answer's status code, media type, headers and body must be
ones the document declares for that operation. Seeded (``derandomize``) and bounded, so it
is the same run every time and takes well under a minute.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.applications import Starlette

from csec_ld.query import named_queries
from csec_ld.server import create_app
from csec_ld.site.publish import publish
from tests.conftest import DATA

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
#: operation label → how many cases the fuzzing test sent it (read by the test after it)
CALLED: dict[str, int] = {}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish([DATA], tmp_path_factory.mktemp("fuzz") / "site", validate=False).out_dir


@pytest.fixture(scope="module")
def app(site: Path) -> Starlette:
    return create_app(site)


@pytest.fixture(scope="module")
def api_schema(app: Starlette) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/api/openapi.json", app)


@pytest.fixture(autouse=True)
def _nodeid_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """pytest 9.2 no longer keeps ``Item._nodeid``, which schemathesis's fixture-based
    ``parametrize`` (4.32) reads, and rewrites to name each operation: give it back."""
    node = request.node
    if not hasattr(node, "_nodeid"):
        node._nodeid = node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_conforms_to_the_openapi_document(case: schemathesis.Case) -> None:
    CALLED[case.operation.label] = CALLED.get(case.operation.label, 0) + 1
    case.call_and_validate(checks=CHECKS)


def test_every_operation_was_fuzzed(api_schema: schemathesis.BaseSchema) -> None:
    labels = {result.ok().label for result in api_schema.get_all_operations()}
    # one operation per named query, and the list
    assert len(labels) >= len(named_queries()) + 1, sorted(labels)
    if not CALLED:
        pytest.skip("the fuzzing test was not run in this session")
    assert set(CALLED) == labels, sorted(labels - set(CALLED))


def test_the_longest_values_the_document_allows(api_schema: schemathesis.BaseSchema) -> None:
    # Fuzzing reaches a parameter's maxLength only now and then: each one is sent here at
    # its longest, in two-byte characters (six bytes each in a query string), beside the
    # documented examples of the operation's other required parameters.
    sent = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        params = operation.definition.raw.get("parameters", [])
        for param in params:
            longest = param.get("schema", {}).get("maxLength")
            if param["in"] != "query" or longest is None:
                continue
            query = {
                p["name"]: p["example"]
                for p in params
                if p["required"] and p is not param and "example" in p
            }
            query[param["name"]] = "\u00e9" * longest
            operation.Case(query=query).call_and_validate(checks=CHECKS)
            sent += 1
    assert sent, "no parameter has a maxLength"
