"""The server package's shape: its public API, its route table, refusals as exceptions."""

from __future__ import annotations

import ast
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

import csec_ld.server as server
from csec_ld.errors import ProblemError, RequestError
from csec_ld.server.responses import not_found, refusal

PACKAGE = Path(server.__file__).parent
VIEW_MODULES = sorted((PACKAGE / "views").glob("*.py"))


def test_importing_the_package_loads_no_web_framework() -> None:
    """The CLI imports the sandbox's defaults; that must not load starlette or the views."""
    code = (
        "import sys, csec_ld.server, csec_ld.server.sandbox; "
        "print(sorted(m for m in sys.modules if m.startswith(('starlette', 'csec_ld.server.'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['csec_ld.server.sandbox']"


def test_the_route_table_maps_paths_to_view_methods(tmp_path: Path) -> None:
    """Every route's endpoint is a method of a class of one of the view modules; a site
    folder and a store (``serve --endpoint``) are served by the same route table."""
    from csec_ld.site.publish import publish
    from tests.conftest import DATA

    app = server.create_app(publish([DATA], tmp_path / "site", validate=False).out_dir)
    stored = server.create_app(endpoint="http://127.0.0.1:9/query")  # nothing is asked yet
    try:
        owners = set()
        for served in (app, stored):
            routes = [r for r in served.routes if isinstance(r, Route)]
            assert [r.path for r in routes][-1] == "/{path:path}"  # the files come last
            for route in routes:
                assert inspect.ismethod(route.endpoint), route.path
                owner = type(route.endpoint.__self__)
                assert owner.__module__.startswith("csec_ld.server.views."), route.path
                owners.add(owner.__module__.rsplit(".", 1)[1])
        assert [r.path for r in app.routes] == [r.path for r in stored.routes]
        assert owners == {p.stem for p in VIEW_MODULES if p.stem not in ("__init__", "openapi")}
    finally:
        app.state.pool.close()


def _calls(tree: ast.AST) -> list[tuple[str, str]]:
    """(enclosing function, called name) for every call in *tree*."""
    found: list[tuple[str, str]] = []

    def visit(node: ast.AST, where: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = (
                child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else where
            )
            if isinstance(child, ast.Call):
                f = child.func
                name = (
                    f.id
                    if isinstance(f, ast.Name)
                    else f.attr
                    if isinstance(f, ast.Attribute)
                    else ""
                )
                found.append((where, name))
            visit(child, inner)

    visit(tree, "<module>")
    return found


@pytest.mark.parametrize("path", [*VIEW_MODULES, PACKAGE / "remote.py"], ids=lambda p: p.name)
def test_views_raise_refusals_and_never_write_error_responses(path: Path) -> None:
    """Errors leave a view as exceptions of the tree; only the app's handler writes them.
    (The one text answer a view writes is a withdrawn record's 410: a real answer.)"""
    calls = _calls(ast.parse(path.read_text(encoding="utf-8")))
    writers = {"problem", "PlainTextResponse", "JSONResponse", "_error", "error"}
    assert [c for c in calls if c[1] in writers] == []
    assert {where for where, name in calls if name == "text"} <= {"_gone"}


def _app(exc: Exception) -> TestClient:
    async def view(request: Request) -> Response:
        raise exc

    app = Starlette(
        routes=[Route("/x", view)],
        exception_handlers={RequestError: refusal, 404: not_found},
    )
    return TestClient(app)


def test_a_request_error_is_answered_as_a_line_of_text_with_its_headers() -> None:
    r = _app(RequestError(503, "busy", headers={"Retry-After": "5"})).get("/x")
    assert (r.status_code, r.text, r.headers["retry-after"]) == (503, "busy\n", "5")
    assert r.headers["content-type"].startswith("text/plain")


def test_a_problem_error_is_answered_as_an_rfc9457_document() -> None:
    exc = ProblemError(400, "Bad parameter value", "no", parameter="year", allowed=[])
    r = _app(exc).get("/x")
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["access-control-allow-origin"] == "*"
    assert json.loads(r.text) == {
        "type": "about:blank",
        "title": "Bad parameter value",
        "status": 400,
        "detail": "no",
        "parameter": "year",
        "allowed": [],
    }


def test_an_unknown_path_is_404_text() -> None:
    r = _app(RequestError(400, "x")).get("/nowhere")
    assert (r.status_code, r.text) == (404, "not found\n")
