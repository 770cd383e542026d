"""The HTML face of ``csec-ld serve``'s queries: the SPARQL workbench and named-query pages.

* ``/sparql`` for a browser (``Accept`` prefers ``text/html``): an editor pre-filled
  with an example that lists every record, the named queries and a few ad-hoc
  examples to start from; the results as a table (labels beside IRIs, record IRIs
  linked to their pages), the row count, the time taken, a notice when the row
  limit cut the results, downloads (``/sparql?query=...&format=csv``), a permalink
  (the page's own GET URL) and syntax errors shown at their line and column.
* ``/queries/``: every named query with its description; ``/queries/{name}``: a form
  built from the query's typed parameters (a country picker from ISO 3166, concept
  pickers from the SKOS schemes, year and date fields), its results, downloads from
  the API, the bound SPARQL and the equivalent ``csec-ld query`` command.
* ``/api/openapi.html``: the OpenAPI document, readable.

Everything is rendered on the server (no JavaScript needed) with autoescaping
templates: query text, parameter values, literals from records and error messages
are text, never markup. Links are only made to ``http(s)`` IRIs. Every query runs
through the server's sandboxed :class:`~csec_ld.server.sandbox.QueryPool` (the same
objects as ``/sparql`` and ``/api/queries``): timeouts, row
limit, nesting checks and read-only apply.
"""

from __future__ import annotations

import functools
import re
import shlex
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import jinja2
import markupsafe
from pyoxigraph import BlankNode, NamedNode, Triple
from pyoxigraph import Literal as RdfLiteral
from starlette.responses import HTMLResponse, Response

from ..errors import CsecLdError, ParameterError, QueryError, StoreError
from ..query import NamedQuery, Parameter, compact, example_parameters, label_queries, to_term
from ..serialize import READ_FORMATS, WRITTEN_FORMATS
from ..vocab import Vocabulary
from .sandbox import Answer, Busy, Refused, TimeLimit, check_nesting


class SparqlRunner(Protocol):
    """What the workbench needs of the server's SPARQL endpoint (``/sparql``)."""

    row_limit: int

    async def run(self, query: str, default_graphs: list[str]) -> Answer: ...


class SiteFacts(Protocol):
    """What the workbench needs to know of the site it serves: a folder or a store."""

    def catalog(self) -> Any:
        """The catalogue's description (:class:`~csec_ld.sources.Catalog`)."""
        ...

    def has_page(self, rel: str) -> bool:
        """Whether the server answers ``{root}{rel}`` with a page (*rel* is a safe path)."""
        ...


class FolderFacts:
    """:class:`SiteFacts` of a published site folder (read once: the folder is fixed)."""

    def __init__(self, site: Path) -> None:
        self.site = site
        self._page_exists: dict[str, bool] = {}

    @functools.cached_property
    def _catalog(self) -> Any:
        from ..site.publish import SOURCE_FOLDER
        from ..sources import Catalog, open_catalog

        try:
            if (self.site / SOURCE_FOLDER / "catalog.yaml").is_file():
                return open_catalog([self.site / SOURCE_FOLDER]).catalog
        except CsecLdError:
            pass
        return Catalog()

    def catalog(self) -> Any:
        return self._catalog

    def has_page(self, rel: str) -> bool:
        known = self._page_exists.get(rel)
        if known is None:
            if len(self._page_exists) > 100_000:  # IRIs come from query results
                self._page_exists.clear()
            known = self._page_exists[rel] = (self.site / rel / "index.html").is_file()
        return known


class QueryApi(Protocol):
    """What the workbench needs of the server's named-query API (``/api/queries``)."""

    queries: dict[str, NamedQuery]
    kinds: dict[str, str]
    row_limit: int

    @property
    def vocabulary(self) -> Vocabulary | None: ...

    async def run(self, query: NamedQuery, values: dict[str, list[str]]) -> Answer: ...


__all__ = [
    "EXAMPLES",
    "SPARQL_DOWNLOADS",
    "Example",
    "FolderFacts",
    "SiteFacts",
    "Workbench",
    "download_media",
    "error_position",
]

_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
#: At most this many rows are shown in a page; the downloads carry up to the row limit.
PAGE_ROWS = 1000

#: ``/sparql?format=NAME``: name → (media type, label), by kind of result.
SPARQL_DOWNLOADS: dict[str, dict[str, tuple[str, str]]] = {
    "table": {
        "csv": ("text/csv", "CSV"),
        "tsv": ("text/tab-separated-values", "TSV"),
        "json": ("application/sparql-results+json", "JSON"),
        "xml": ("application/sparql-results+xml", "XML"),
    },
    "graph": {
        **{f.suffix: (f.media_type, f.label) for f in WRITTEN_FORMATS.values()},
        "xml": (READ_FORMATS[".rdf"].media_type, READ_FORMATS[".rdf"].label),
    },
}


def download_media(value: str, kind: str | None = None) -> str | None:
    """The media type that ``/sparql?format=VALUE`` asks for, for a result of *kind*
    (``graph`` or another: a table), or None if it does not fit; any kind if *kind* is None.

    *VALUE* is a name (``csv``, ``ttl``...) or a media type, as some clients send it.

    >>> download_media("csv", "select"), download_media("csv", "graph")
    ('text/csv', None)
    """
    kinds = ["graph", "table"] if kind is None else ["graph" if kind == "graph" else "table"]
    for key in kinds:
        table = SPARQL_DOWNLOADS[key]
        if value in table:
            return table[value][0]
        if value in {media for media, _ in table.values()} or (
            key == "table" and value == "application/json"
        ):
            return value
    return None


#: The query pages' download names: the table formats', then the written RDF formats'.
_LABELS = {
    **{name: label for name, (_, label) in SPARQL_DOWNLOADS["table"].items()},
    **{f.suffix: f.label for f in WRITTEN_FORMATS.values()},
}

_PREFIXES = """PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX dcmitype: <http://purl.org/dc/dcmitype/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


@dataclass(frozen=True)
class Example:
    """An ad-hoc query to start from in the workbench."""

    id: str
    title: str
    text: str


#: The workbench's examples; the first is the editor's default.
EXAMPLES: tuple[Example, ...] = (
    Example(
        "every-record",
        "Every record, with its title, date and type",
        _PREFIXES
        + """
# Every record of the catalogue (dcterms:hasPart), one row each, oldest first.
SELECT ?resource (SAMPLE(?anyTitle) AS ?title) (SAMPLE(?anyIssued) AS ?issued)
       (SAMPLE(?anyType) AS ?type)
WHERE {
  ?catalog a dcmitype:Collection ; dcterms:hasPart ?resource .
  OPTIONAL { ?resource dcterms:title ?anyTitle }
  OPTIONAL { ?resource dcterms:issued ?anyIssued }
  OPTIONAL { ?resource dcterms:type ?anyType }
}
GROUP BY ?resource
ORDER BY STR(?issued) STR(?resource)
""",
    ),
    Example(
        "records-per-topic",
        "How many records each topic has",
        _PREFIXES
        + """
SELECT ?topic (COUNT(DISTINCT ?resource) AS ?records)
WHERE {
  ?catalog a dcmitype:Collection ; dcterms:hasPart ?resource .
  ?resource dcterms:subject ?topic .
}
GROUP BY ?topic
ORDER BY DESC(?records) STR(?topic)
""",
    ),
    Example(
        "classes",
        "The classes in the store and how many things have each",
        """
SELECT ?class (COUNT(?thing) AS ?things)
WHERE { ?thing a ?class }
GROUP BY ?class
ORDER BY DESC(?things) STR(?class)
""",
    ),
    Example(
        "titles-graph",
        "CONSTRUCT: the records' titles and dates as a graph",
        _PREFIXES
        + """
CONSTRUCT { ?resource dcterms:title ?title ; dcterms:issued ?issued }
WHERE {
  ?catalog a dcmitype:Collection ; dcterms:hasPart ?resource .
  ?resource dcterms:title ?title .
  OPTIONAL { ?resource dcterms:issued ?issued }
}
""",
    ),
    Example(
        "any-undescribed",
        "ASK: is any record without a description?",
        _PREFIXES
        + """
ASK {
  ?catalog a dcmitype:Collection ; dcterms:hasPart ?resource .
  FILTER NOT EXISTS { ?resource dcterms:description ?description }
}
""",
    ),
)
_EXAMPLES = {e.id: e for e in EXAMPLES}

_ERROR_AT = re.compile(r"\b(?:error at (\d+):(\d+)|at line (\d+), column (\d+))")


def error_position(message: str) -> tuple[int, int] | None:
    """The (line, column) of a SPARQL syntax error message, 1-based, or None.

    >>> error_position("SPARQL syntax error: error at 3:14: expected one of BIND")
    (3, 14)
    """
    match = _ERROR_AT.search(message)
    if not match:
        return None
    groups = [g for g in match.groups() if g is not None]
    return int(groups[0]), int(groups[1])


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Cell:
    """One term as the page shows it."""

    text: str = ""
    kind: str = "empty"  # iri, literal, bnode, triple, empty
    href: str | None = None
    label: str | None = None
    note: str | None = None  # a literal's language or datatype
    record: bool = False


@dataclass
class Table:
    """A result ready to render."""

    kind: str  # select, ask, graph
    columns: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    boolean: bool | None = None
    count: int = 0
    truncated: bool = False  # the row limit cut the results
    clipped: bool = False  # the page shows fewer rows than the result has


def _rows_of(answer: Answer) -> tuple[str, list[str], list[list[Any]], bool | None]:
    """(kind, columns, rows of terms, boolean) of a SPARQL or a named-query answer."""
    result = answer.result
    if result is not None:  # a named query's store.Result
        if result.kind == "graph":
            return (
                "graph",
                ["subject", "predicate", "object"],
                [[t.subject, t.predicate, t.object] for t in result.triples],
                None,
            )
        if result.kind == "ask":
            return "ask", [], [], bool(result.boolean)
        return (
            "select",
            list(result.variables),
            [[row.get(v) for v in result.variables] for row in result.rows],
            None,
        )
    if answer.kind == "graph":
        return (
            "graph",
            ["subject", "predicate", "object"],
            [[t.subject, t.predicate, t.object] for t in answer.triples],
            None,
        )
    if answer.kind == "ask":
        return "ask", [], [], bool(answer.boolean)
    return "select", list(answer.variables), [list(r) for r in answer.rows], None


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


# --------------------------------------------------------------------------- the pages


_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def inline_code(text: str) -> markupsafe.Markup:
    """A query's description as HTML: escaped, its `backquoted` spans as ``<code>``
    (descriptions are written for the CLI's ``--list`` and OpenAPI, which is CommonMark).

    >>> str(inline_code("Add `since` <b>"))
    'Add <code>since</code> &lt;b&gt;'
    """
    escaped = str(markupsafe.escape(text))
    return markupsafe.Markup(_CODE_SPAN.sub(r"<code>\1</code>", escaped))


class Workbench:
    """Renders the query pages of one server; queries go through its sandboxed pool."""

    def __init__(self, facts: SiteFacts, sparql: SparqlRunner, api: QueryApi) -> None:
        self.facts = facts
        self.sparql = sparql
        self.api = api
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
            autoescape=True,  # every template, whatever its name
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["inline_code"] = inline_code

    # -- context shared by every page

    @property
    def catalogue(self) -> tuple[str, Any, str]:
        """(title, catalog description, base IRI) of the served site."""
        cat = self.facts.catalog()
        title = next((t.value for t in cat.title if t.lang == "en"), cat.title[0].value)
        return title, cat, cat.base

    def render(
        self, template: str, request_root: str, status: int = 200, **context: Any
    ) -> Response:
        title, cat, _ = self.catalogue
        text = self.env.get_template(template).render(
            root=request_root, catalog=cat, catalog_title=title, workbench=True, **context
        )
        return HTMLResponse(
            text,
            status_code=status,
            headers={
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                "form-action 'self'; base-uri 'none'; "
                "frame-ancestors 'none'",
            },
        )

    # -- cells

    def _local_page(self, iri: str, root: str) -> str | None:
        """The server's page for *iri* (a record, concept, agent, country...), if it has one."""
        from ..namespaces import COUNTRY_BASE

        base = self.catalogue[2]
        if iri.startswith(base):
            rel = iri[len(base) :]
        elif iri.startswith(COUNTRY_BASE):
            rel = "country/" + iri[len(COUNTRY_BASE) :]
        else:
            return None
        if not re.fullmatch(r"[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)*", rel):
            return None
        return root + rel if self.facts.has_page(rel) else None

    def _cell(self, term: Any, names: Mapping[str, str], root: str) -> Cell:
        if term is None:
            return Cell()
        if isinstance(term, NamedNode):
            iri = term.value
            local = self._local_page(iri, root)
            href = local or (iri if re.match(r"https?://", iri) else None)
            record = iri.startswith(self.catalogue[2] + "resource/")
            return Cell(compact(iri), "iri", href, names.get(iri), record=record)
        if isinstance(term, BlankNode):
            return Cell(f"_:{term.value}", "bnode")
        if isinstance(term, RdfLiteral):
            note = None
            if term.language:
                note = "@" + term.language
            elif term.datatype.value != _XSD_STRING:
                note = compact(term.datatype.value)
            return Cell(term.value, "literal", note=note)
        if isinstance(term, Triple):
            return Cell(str(term), "triple")
        return Cell(str(term), "literal")

    async def _labels(self, iris: Sequence[str]) -> dict[str, str]:
        """Labels of *iris*, read through the sandboxed pool (best effort: none on failure)."""
        found: dict[str, str] = {}
        for text in label_queries(iris):
            try:
                answer = await self.sparql.run(text, [])
            except CsecLdError:
                return found
            for iri, label in answer.rows:
                if isinstance(iri, NamedNode) and isinstance(label, RdfLiteral):
                    found[iri.value] = min(found.get(iri.value, label.value), label.value)
        return found

    async def table(self, answer: Answer, root: str) -> Table:
        kind, columns, rows, boolean = _rows_of(answer)
        shown = rows[:PAGE_ROWS]
        iris = sorted({t.value for row in shown for t in row if isinstance(t, NamedNode)})
        names = await self._labels(iris) if iris else {}
        return Table(
            kind,
            columns,
            [[self._cell(t, names, root) for t in row] for row in shown],
            boolean,
            len(rows),
            answer.truncated,
            len(rows) > len(shown),
        )

    # -- /sparql

    async def sparql_page(
        self, root: str, query: str | None, graphs: Sequence[str], pick: Mapping[str, str]
    ) -> Response:
        """The workbench; with *query*, run it (through the pool) and show its results."""
        named = self.api.queries
        editor = query
        chosen = None
        if editor is None:
            example = _EXAMPLES.get(pick.get("example", ""))
            if pick.get("named") in named:
                chosen = named[pick["named"]]
                editor = _editable(chosen)
            else:
                editor = (example or EXAMPLES[0]).text.lstrip("\n")
        context: dict[str, Any] = {
            "query": editor,
            "ran": query is not None,
            "examples": EXAMPLES,
            "named": list(named.values()),
            "table": None,
            "error": None,
            "position": None,
            "elapsed": None,
            "downloads": [],
            "permalink": None,
            "row_limit": self.sparql.row_limit,
            "page_rows": PAGE_ROWS,
            "lines": [],
            "graphs": list(graphs),
        }
        if query is None:
            return self.render("sparql.html", root, **context)
        pairs = [("query", query)] + [("default-graph-uri", g) for g in graphs]
        context["permalink"] = root + "sparql?" + urllib.parse.urlencode(pairs)
        started = time.perf_counter()
        status = 200
        try:
            check_nesting(query)
            for g in graphs:
                NamedNode(g)
            answer = await self.sparql.run(query, list(graphs))
        except ValueError as exc:
            status, context["error"] = 400, f"bad request: default-graph-uri: {exc}"
        except Refused as exc:
            status, context["error"] = exc.status, str(exc)
        except Busy as exc:
            status, context["error"] = 503, f"the endpoint is busy ({exc}): try again shortly"
        except TimeLimit as exc:
            status, context["error"] = 503, str(exc)
        except (QueryError, StoreError) as exc:
            status, context["error"] = 400 if isinstance(exc, QueryError) else 500, str(exc)
        else:
            context["elapsed"] = time.perf_counter() - started
            table = await self.table(answer, root)
            context["table"] = table
            kind = "graph" if table.kind == "graph" else "table"
            context["downloads"] = [
                (
                    label,
                    root + "sparql?" + urllib.parse.urlencode([*pairs, ("format", key)]),
                    f"results.{key}",
                )
                for key, (_media, label) in SPARQL_DOWNLOADS[kind].items()
            ]
        if context["error"]:
            context["position"] = error_position(context["error"])
            context["lines"] = query.splitlines() or [""]
        return self.render("sparql.html", root, status=status, **context)

    # -- /queries/

    def queries_page(self, root: str) -> Response:
        return self.render(
            "queries.html",
            root,
            queries=list(self.api.queries.values()),
            kinds=self.api.kinds,
            user=self._user_queries(),
        )

    def _user_queries(self) -> set[str]:
        from ..query import named_queries

        builtin = named_queries()
        return {n for n, q in self.api.queries.items() if builtin.get(n) != q}

    # -- /queries/{name}

    async def query_page(self, root: str, name: str, pairs: list[tuple[str, str]]) -> Response:
        query = self.api.queries.get(name)
        if query is None:
            return self.render(
                "queries.html",
                root,
                status=404,
                queries=list(self.api.queries.values()),
                kinds=self.api.kinds,
                user=self._user_queries(),
                error=f"there is no query {name!r}",
            )
        values: dict[str, list[str]] = {}
        for key, value in pairs:
            if value.strip() != "":  # an empty field counts as not given, as in the API
                values.setdefault(key, []).append(value)
        run = bool(pairs) or not any(p.required and not p.default for p in query.parameters)
        if not pairs:  # the first visit: the first example's values, to start from
            values = _example_values(query) if not run else {}
        kind = self.api.kinds.get(name, "select")
        context: dict[str, Any] = {
            "q": query,
            "kind": kind,
            "fields": [],
            "error": None,
            "table": None,
            "elapsed": None,
            "downloads": [],
            "bound": None,
            "command": None,
            "api_url": None,
            "row_limit": self.api.row_limit,
            "page_rows": PAGE_ROWS,
            "sparql_link": None,
        }
        status = 200
        if run:
            try:
                bound = query.bind(values, self.api.vocabulary)
            except ParameterError as exc:
                status, context["error"] = 400, str(exc)
            except QueryError as exc:
                status, context["error"] = 500, str(exc)
            else:
                context["bound"] = bound
                context["sparql_link"] = (
                    root + "sparql?" + urllib.parse.urlencode([("query", bound)])
                )
                flat = [(k, v) for k, vs in values.items() for v in vs]
                context["command"] = self._command(query, flat)
                qs = urllib.parse.urlencode(flat)
                api = f"{root}api/queries/{urllib.parse.quote(name)}"
                context["api_url"] = api + (f"?{qs}" if qs else "")
                started = time.perf_counter()
                try:
                    answer = await self.api.run(query, values)
                except Busy as exc:
                    status, context["error"] = (
                        503,
                        (f"the endpoint is busy ({exc}): try again shortly"),
                    )
                except TimeLimit as exc:
                    status, context["error"] = 503, str(exc)
                except ParameterError as exc:
                    status, context["error"] = 400, str(exc)
                except Refused as exc:  # 502: the store behind serve --endpoint
                    status, context["error"] = (502 if exc.status == 502 else 500), str(exc)
                except (QueryError, StoreError) as exc:
                    status, context["error"] = 500, str(exc)
                else:
                    context["elapsed"] = time.perf_counter() - started
                    context["table"] = await self.table(answer, root)
                    formats = tuple(WRITTEN_FORMATS) if kind == "graph" else ("csv", "tsv", "json")
                    context["downloads"] = [
                        (
                            _LABELS[f],
                            api + "?" + urllib.parse.urlencode([*flat, ("format", f)]),
                            f"{name}.{f}",
                        )
                        for f in formats
                    ]
        context["fields"] = [
            _field(p, values.get(p.name, []), self.api.vocabulary) for p in query.parameters
        ]
        return self.render("query_form.html", root, status=status, **context)

    def _command(self, query: NamedQuery, pairs: Sequence[tuple[str, str]]) -> str:
        words = ["csec-ld", "query", query.name]
        if query.name in self._user_queries() and query.path is not None:
            words += ["--queries", query.path.parent.name]  # the folder's name, not its path
        for key, value in pairs:
            words += ["-p", f"{key}={value}"]
        return " ".join(shlex.quote(w) for w in words)

    # -- /api/openapi.html

    def openapi_page(self, root: str, doc: dict[str, Any]) -> Response:
        operations = []
        for path, item in doc.get("paths", {}).items():
            op = item.get("get", {})
            name = op.get("operationId", "")
            operations.append(
                {
                    "path": path,
                    "op": op,
                    "name": name,
                    "form": root + "queries/" + name if name in self.api.queries else None,
                }
            )
        return self.render("openapi.html", root, doc=doc, operations=operations)


def _editable(query: NamedQuery) -> str:
    """A named query's text for the editor, bound with its first example's values."""
    try:
        return query.bind(_example_values(query))
    except CsecLdError:
        return query.text


def _example_values(query: NamedQuery) -> dict[str, list[str]]:
    for example in query.examples:
        pairs = example_parameters(example, query.name)
        if pairs is None:
            continue
        names = {p.name for p in query.parameters}
        values: dict[str, list[str]] = {}
        for key, value in pairs:
            if key in names:
                values.setdefault(key, []).append(value)
        return values
    return {}


# --------------------------------------------------------------------------- form fields


@dataclass(frozen=True)
class Field:
    """One parameter as a form control."""

    param: Parameter
    control: str  # select, text, number, date
    values: tuple[str, ...]  # what the inputs hold
    options: tuple[tuple[str, tuple[tuple[str, str, bool], ...]], ...] = ()  # groups
    attrs: tuple[tuple[str, str], ...] = ()
    datalist: tuple[tuple[str, str], ...] = ()


@functools.lru_cache(maxsize=1)
def _countries() -> tuple[tuple[str, str], ...]:
    import pycountry

    from ..vocab import country

    out = []
    for c in pycountry.countries:
        found = country(c.alpha_3)
        out.append((found.alpha3, f"{found.name} ({found.alpha3})"))
    from ..vocab import fold

    return tuple(sorted(out, key=lambda x: fold(x[1])))


@functools.lru_cache(maxsize=1)
def _languages() -> tuple[tuple[str, str], ...]:
    import pycountry

    return tuple(
        sorted(
            (
                (lang.alpha_2, f"{lang.name} ({lang.alpha_2})")
                for lang in pycountry.languages
                if hasattr(lang, "alpha_2")
            ),
            key=lambda x: x[1],
        )
    )


def _schemes(param: Parameter, vocabulary: Vocabulary | None) -> list[tuple[str, Any]]:
    from ..vocab import load_vocabulary

    vocab = vocabulary or load_vocabulary()  # the site's: its catalogue's own concepts too
    both = [("Resource types", "type", vocab.types), ("Topics", "topic", vocab.topics)]
    return [(title, scheme) for title, key, scheme in both if param.scheme in (None, key)]


def _selected(param: Parameter, given: Sequence[str], vocabulary: Vocabulary | None) -> set[str]:
    """The IRIs that the *given* values of a picker stand for (invalid ones stand for none)."""
    out = set()
    for value in given:
        try:
            term = to_term(param, value, vocabulary)
        except CsecLdError:
            continue
        if isinstance(term, NamedNode):
            out.add(term.value)
    return out


def _field(param: Parameter, given: Sequence[str], vocabulary: Vocabulary | None) -> Field:
    from ..namespaces import COUNTRY_BASE

    given = tuple(given) or param.default
    if param.type == "country":
        chosen = _selected(param, given, vocabulary)
        options = tuple(
            (code, label, COUNTRY_BASE + code in chosen) for code, label in _countries()
        )
        return Field(param, "select", given, (("", options),))
    if param.type == "concept":
        chosen = _selected(param, given, vocabulary)
        groups = []
        for title, scheme in _schemes(param, vocabulary):
            concepts = sorted(scheme, key=lambda c: c.label.casefold())
            groups.append(
                (title, tuple((c.id, f"{c.label} ({c.id})", c.iri in chosen) for c in concepts))
            )
        return Field(param, "select", given, tuple(groups))
    attrs: list[tuple[str, str]] = []
    control = "text"
    if param.type == "year":
        control, attrs = "number", [("min", "1"), ("max", "9999"), ("step", "1")]
    elif param.type == "integer":
        control, attrs = "number", [("step", "1")]
    elif param.type == "date":
        control = "date"
    elif param.type == "string":
        from ..query import MAX_STRING_LENGTH

        attrs = [("maxlength", str(MAX_STRING_LENGTH))]
    if param.default:
        attrs.append(("placeholder", "|".join(param.default)))
    values = list(given)
    if param.multi:
        values += [""] * max(1, 2 - len(values))  # room for one more value
    elif not values:
        values = [""]
    datalist = _languages() if param.type == "language" else ()
    return Field(param, control, tuple(values), (), tuple(attrs), datalist)
