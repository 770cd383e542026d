"""Where queries run: an in-process store, an embedded on-disk store, a remote endpoint.

Three engines answer SPARQL 1.1 queries with the same :class:`Result`:

* :class:`MemoryEngine` — a pyoxigraph in-memory store filled in process from our
  records (mapped on :func:`~csec_ld.build.build`'s pipeline) or from RDF dumps;
* :class:`EmbeddedEngine` — an on-disk pyoxigraph store, filled by :func:`load_store`
  (``csec-ld load --store DIR``) and opened read-only for queries;
* :class:`RemoteEngine` — any SPARQL 1.1 Protocol endpoint, over HTTP (httpx), read
  as a possibly hostile server: one time limit for the whole answer, a size cap on the
  decoded bytes, redirects only to the same origin (see :mod:`csec_ld.http`), and
  answers checked before they are parsed (no DOCTYPE, bounded nesting).

Every engine holds the records graph *plus* our ontology (the SKOS schemes), so
queries can walk ``skos:broader`` and read concept labels. :func:`upload_graph`
and :func:`upload_catalogue` put a catalogue into a Graph Store Protocol endpoint.

Credentials for remote endpoints come from the environment, never from options:
``CSEC_LD_ENDPOINT_TOKEN`` (a bearer token) or ``CSEC_LD_ENDPOINT_USER`` and
``CSEC_LD_ENDPOINT_PASSWORD`` (HTTP basic authentication). Messages show endpoint URLs
without their passwords (:func:`~csec_ld.urls.redact`).

>>> engine = MemoryEngine.from_sources(["data"])
>>> engine.query("ASK { ?r <http://purl.org/dc/terms/title> ?t }").boolean
True
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import traceback
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any, Literal

import httpx
import pyoxigraph
import rdflib
from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    NamedNode,
    Quad,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Triple,
)
from pyoxigraph import Literal as RdfLiteral

from .__about__ import __version__
from .errors import QueryError, SourceNotFoundError, StoreError, UsageError
from .http import (
    ERROR_BODY_SIZE,
    MAX_REDIRECTS,
    Answer,
    ChallengeAuth,
    clip,
    fetch,
    format_size,
    http_error,
    refuse_foreign_redirect,
)
from .namespaces import CONTEXT_IRI, TOPIC_SCHEME, TYPE_SCHEME
from .nesting import MAX_NESTING as MAX_QUERY_NESTING
from .nesting import nesting_depth
from .resources import ontology_dir
from .serialize import READ_FORMATS
from .sources import RDF_SUFFIXES, discover, open_catalog
from .urls import redact
from .vocab import Vocabulary, vocabulary_with

__all__ = [
    "DEFAULT_MAX_RESPONSE_SIZE",
    "DEFAULT_TIMEOUT",
    "MAX_NESTING",
    "USER_AGENT",
    "EmbeddedEngine",
    "Engine",
    "LoadResult",
    "MemoryEngine",
    "RemoteEngine",
    "Result",
    "Term",
    "catalogue_ontology",
    "catalogue_triples",
    "check_query",
    "load_store",
    "looks_like_update",
    "open_engine",
    "split_sources",
    "upload_catalogue",
    "upload_graph",
    "vocabulary_of",
]

Term = NamedNode | BlankNode | RdfLiteral | Triple
Row = dict[str, Term | None]
QueryForm = Literal["select", "ask", "graph"]

DEFAULT_TIMEOUT = 30.0
#: The most an endpoint's answer may hold, decoded (``--max-response-size``).
DEFAULT_MAX_RESPONSE_SIZE = 256 * 1024 * 1024
#: How deeply an endpoint's answer may nest triple terms: pyoxigraph reads them
#: recursively and crashes (a segmentation fault) on a few thousand levels.
MAX_NESTING = 128
USER_AGENT = f"csec-ld/{__version__}"
ENV_TOKEN = "CSEC_LD_ENDPOINT_TOKEN"
ENV_USER = "CSEC_LD_ENDPOINT_USER"
ENV_PASSWORD = "CSEC_LD_ENDPOINT_PASSWORD"

_RDF_FORMATS = {suffix: f.rdf_format for suffix, f in READ_FORMATS.items()}


# --------------------------------------------------------------------------- results


@dataclass
class Result:
    """The answer to one query, the same whichever engine gave it.

    ``kind`` is ``select`` (``variables`` and ``rows``; an unbound variable is
    ``None``), ``ask`` (``boolean``) or ``graph`` (``triples``, for CONSTRUCT and
    DESCRIBE). Iterating a result iterates its rows.
    """

    kind: QueryForm
    variables: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[Triple] = field(default_factory=list)

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.triples) if self.kind == "graph" else len(self.rows)

    def values(self) -> list[dict[str, str | None]]:
        """The rows with each term as its plain text value (IRI or lexical form)."""
        return [{k: _text(v) for k, v in row.items()} for row in self.rows]


def _text(term: Term | None) -> str | None:
    if term is None:
        return None
    return str(term) if isinstance(term, Triple) else term.value


def _from_pyoxigraph(answer: Any) -> Result:
    if isinstance(answer, QueryBoolean):
        return Result("ask", boolean=bool(answer))
    if isinstance(answer, QueryTriples):
        return Result("graph", triples=list(answer))
    assert isinstance(answer, QuerySolutions)
    variables = [v.value for v in answer.variables]
    rows = [{name: solution[name] for name in variables} for solution in answer]
    return Result("select", variables=variables, rows=rows)


_ERROR_AT = re.compile(r"^error at (\d+):(\d+): ?(.*)$", re.S)


def _syntax_message(exc: Exception) -> str:
    """pyoxigraph's "error at L:C: expected one of …" as a readable message."""
    text = str(exc.args[0] if exc.args else exc)
    match = _ERROR_AT.match(text)
    if not match:
        return f"SPARQL syntax error: {text}"
    line, column, rest = match.groups()
    rest = " ".join(rest.split())
    if len(rest) > 160:
        rest = rest[:157] + "…"
    return f"SPARQL syntax error at line {line}, column {column}: {rest}"


_EMPTY_STORE: pyoxigraph.Store | None = None
_UPDATE = re.compile(
    r"^(?:\s|#[^\n\r]*[\n\r]|(?:PREFIX|BASE)\b[^<]*<[^>]*>)*"
    r"(?:INSERT|DELETE|DROP|CLEAR|LOAD|CREATE|ADD|MOVE|COPY|WITH)\b",
    re.I,
)


def check_query(sparql: str) -> QueryForm:
    """The form of *sparql* (``select``, ``ask`` or ``graph``); :class:`QueryError` if invalid.

    Updates (``INSERT``, ``DROP``...) are not queries and are rejected here, so no
    engine is ever asked to run one.

    >>> check_query("ASK {}")
    'ask'
    """
    depth = nesting_depth(sparql)
    if depth > MAX_QUERY_NESTING:  # the engine's parser would overflow its stack (a crash)
        raise QueryError(
            f"the query nests brackets {depth} deep; at most {MAX_QUERY_NESTING} are allowed"
        )
    global _EMPTY_STORE
    if _EMPTY_STORE is None:
        _EMPTY_STORE = pyoxigraph.Store()
    try:
        return _from_pyoxigraph(_EMPTY_STORE.query(sparql)).kind
    except SyntaxError as exc:
        if _UPDATE.match(sparql):
            raise QueryError(
                "csec-ld runs queries (SELECT, ASK, CONSTRUCT, DESCRIBE), not SPARQL updates"
            ) from exc
        raise QueryError(_syntax_message(exc)) from exc
    except (OSError, ValueError, RuntimeError) as exc:
        raise QueryError(f"the query cannot be run: {exc}") from exc


def looks_like_update(sparql: str) -> bool:
    """Whether *sparql* reads as a SPARQL Update (by its first keyword; nothing is run).

    >>> looks_like_update("PREFIX a: <urn:a:> DELETE WHERE { ?s ?p ?o }")
    True
    >>> looks_like_update("ASK {}")
    False
    """
    return _UPDATE.match(sparql) is not None


# --------------------------------------------------------------------------- engines


class Engine:
    """Runs SPARQL queries; subclasses hold a store or talk to an endpoint."""

    name: str = "engine"
    _vocabulary: Vocabulary | None = None

    def query(self, sparql: str) -> Result:
        raise NotImplementedError

    def vocabulary(self) -> Vocabulary:
        """The resource types and topics of the data this engine queries (a catalogue's
        own concepts, catalog.yaml's ``vocabularies:``, included), with the shipped ones:
        what a concept parameter may name. Asked once, with one CONSTRUCT; if the data
        cannot answer, the shipped vocabulary (asked again next time)."""
        if self._vocabulary is None:
            try:
                self._vocabulary = vocabulary_of(self)
            except (QueryError, StoreError):
                return vocabulary_with(rdflib.Graph())
        return self._vocabulary

    def close(self) -> None:
        """Release the store or the connection."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> str:
        return self.name


class _PyoxigraphEngine(Engine):
    store: pyoxigraph.Store
    #: the named graph queries read as their default graph (None: the store's default)
    default_graph: str | None = None

    def query(self, sparql: str) -> Result:
        check_query(sparql)
        try:
            if self.default_graph is not None:
                return _from_pyoxigraph(
                    self.store.query(sparql, default_graph=pyoxigraph.NamedNode(self.default_graph))
                )
            return _from_pyoxigraph(self.store.query(sparql))
        except SyntaxError as exc:
            raise QueryError(_syntax_message(exc)) from exc
        except (OSError, ValueError, RuntimeError) as exc:
            raise QueryError(f"the query failed: {exc}") from exc

    def __len__(self) -> int:
        return len(self.store)


class MemoryEngine(_PyoxigraphEngine):
    """An in-memory pyoxigraph store, filled in process.

    >>> len(MemoryEngine.from_sources(["data"])) > 400
    True
    """

    name = "in-process"

    def __init__(self, store: pyoxigraph.Store | None = None) -> None:
        self.store = store if store is not None else pyoxigraph.Store()

    @classmethod
    def from_sources(
        cls, sources: Sequence[str | Path] = ("data",), *, catalog: str | Path | None = None
    ) -> MemoryEngine:
        """Our records (mapped) and RDF dumps from *sources*, plus the ontology."""
        engine = cls()
        record_sources, rdf_files = split_sources(sources)
        with tempfile.TemporaryDirectory(prefix="csec-ld-map-") as tmp:
            dump, ontology = _records_dump(record_sources, Path(tmp), catalog)
            if dump is not None:
                engine.store.bulk_load(
                    path=str(dump), format=RdfFormat.N_TRIPLES, to_graph=DefaultGraph()
                )
        for path in rdf_files:
            engine.store.extend(_quads(_read_rdf(path)))
        engine.store.extend(_quads(ontology_triples(ontology)))
        return engine

    def describe(self) -> str:
        return f"in-process store ({len(self.store)} triples)"


class EmbeddedEngine(_PyoxigraphEngine):
    """An on-disk pyoxigraph store, opened read-only (queries can never change it)."""

    name = "embedded"

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise StoreError(
                f"{self.directory}: no store here (fill one with `csec-ld load --store "
                f"{self.directory}`)"
            )
        try:
            self.store = pyoxigraph.Store.read_only(str(self.directory))
        except OSError as exc:
            raise StoreError(f"{self.directory}: cannot open the store: {exc}") from exc

    def describe(self) -> str:
        return f"embedded store {self.directory}"


def endpoint_credentials() -> httpx.Auth | None:
    token = os.environ.get(ENV_TOKEN)
    if token:
        return _BearerAuth(token)
    user = os.environ.get(ENV_USER)
    if user:  # Basic or Digest, as the endpoint's challenge asks (Virtuoso's /sparql-auth)
        return ChallengeAuth(user, os.environ.get(ENV_PASSWORD, ""))
    return None


class _BearerAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


def looks_like_html(response: httpx.Response | Answer) -> bool:
    ctype = response.headers.get("content-type", "").lower()
    head = response.content[:200].lstrip().lower()
    return "html" in ctype or head.startswith((b"<!doctype html", b"<html"))


def html_summary(response: httpx.Response | Answer) -> str:
    match = _HTML_TITLE.search(response.text[:5000])
    title = clip(match.group(1), 100) if match else ""
    return f" ({title})" if title else ""


def endpoint_error(url: str, exc: httpx.HTTPError, timeout: float) -> StoreError:
    return http_error(url, exc, timeout)


def http_client(timeout: float, auth: httpx.Auth | None, *, keepalive: bool = True) -> httpx.Client:
    """The one HTTP client: our User-Agent, redirects only to the same origin (at most 5).

    Without *keepalive* every request opens its own connection, which
    :func:`~csec_ld.http.fetch` needs to enforce its time limit.
    """
    return httpx.Client(
        timeout=timeout,
        auth=auth,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        event_hooks={"response": [refuse_foreign_redirect]},
        limits=httpx.Limits() if keepalive else httpx.Limits(max_keepalive_connections=0),
        trust_env=True,  # HTTP(S)_PROXY, NO_PROXY, SSL_CERT_FILE as usual
    )


_RESULTS_FORMATS = {
    "application/sparql-results+json": QueryResultsFormat.JSON,
    "application/json": QueryResultsFormat.JSON,
    "application/sparql-results+xml": QueryResultsFormat.XML,
    "application/xml": QueryResultsFormat.XML,
    "text/tab-separated-values": QueryResultsFormat.TSV,
}
_GRAPH_FORMATS = {
    **{READ_FORMATS[s].media_type: READ_FORMATS[s].rdf_format for s in (".nt", ".ttl", ".nq")},
    "text/plain": RdfFormat.N_TRIPLES,  # N-Triples as some stores name it
}
# We never ask for these, and pyoxigraph's parsers for them take time and memory that
# grow much faster than the nesting (JSON-LD 3,000 levels deep: 2 s and 700 MB; RDF/XML
# 100,000 deep: minutes), and RDF/XML expands entities (a billion laughs never ends).
_REFUSED_GRAPH_FORMATS = {
    READ_FORMATS[s].media_type: READ_FORMATS[s].label for s in (".rdf", ".jsonld")
}

# What is not markup in a document, blanked out before its nesting is measured.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_TURTLE_SKIP = re.compile(
    rb'"""(?:[^"\\]|\\.|"(?!""))*"""|'
    rb"'''(?:[^'\\]|\\.|'(?!''))*'''|"
    rb'"[^"\\\n\r]*(?:\\.[^"\\\n\r]*)*"|'
    rb"'[^'\\\n\r]*(?:\\.[^'\\\n\r]*)*'|"
    rb'<[^<>"{}|^`\\\s]*>|#[^\n\r]*',
    re.S,
)
_TRIPLE_TERM = re.compile(rb"<<|>>")
_JSON_STEPS = [1 if b in b"[{" else -1 if b in b"]}" else 0 for b in range(256)]
_NOT_JSON_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _nesting(content: bytes, fmt: QueryResultsFormat | RdfFormat) -> int:
    """How many levels deep *content* nests triple terms, at most (0: not measured).

    Cheap first: a document with few triple-term markers cannot nest deeper than their
    count. Only a document with many is measured, after blanking its strings (and IRIs
    and comments in Turtle), so markers in text are not counted; in JSON, each level is
    two objects deeper than the five of a binding.
    """
    if fmt == QueryResultsFormat.JSON:
        if content.count(b'"triple"') <= MAX_NESTING:
            return 0
        brackets = _JSON_STRING.sub(b"", content).translate(None, _NOT_JSON_BRACKETS)
        return (max(accumulate(_JSON_STEPS[b] for b in brackets), default=0) - 5) // 2
    if fmt in (RdfFormat.N_TRIPLES, RdfFormat.N_QUADS, RdfFormat.TURTLE, QueryResultsFormat.TSV):
        if content.count(b"<<") <= MAX_NESTING:
            return 0
        marks = _TRIPLE_TERM.findall(_TURTLE_SKIP.sub(b" ", content))
        return max(accumulate(1 if m == b"<<" else -1 for m in marks), default=0)
    return 0  # SPARQL XML results: pyoxigraph's parser bounds its own nesting


class RemoteEngine(Engine):
    """A SPARQL 1.1 Protocol endpoint, queried with POST (form-encoded).

    The query is checked locally first, so a syntax error reads the same as on the
    other engines; results come back as SPARQL JSON (or XML) and N-Triples. The
    endpoint is read as a possibly hostile server: *timeout* covers the whole answer
    (not each read), at most *max_response_size* decoded bytes are read, redirects go
    only to the same origin, and the answer is checked before it is parsed (XML with a
    DOCTYPE, nesting deeper than :data:`MAX_NESTING`, RDF/XML and JSON-LD are refused).
    Every problem is a :class:`StoreError` (or a :class:`QueryError` for HTTP 400) with a
    one-line message.
    """

    name = "endpoint"

    def __init__(
        self,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        auth: httpx.Auth | None = None,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        default_graph: str | None = None,
    ) -> None:
        if not re.match(r"^https?://", url):
            raise UsageError(f"--endpoint: {redact(url)!r} is not an http(s) URL")
        if timeout <= 0:
            raise UsageError("--timeout must be a positive number of seconds")
        if max_response_size <= 0:
            raise UsageError("--max-response-size must be a positive number of bytes")
        self.url = url
        self.shown = redact(url)
        self.timeout = timeout
        self.max_response_size = max_response_size
        self.default_graph = default_graph
        self._client = http_client(
            timeout, auth if auth is not None else endpoint_credentials(), keepalive=False
        )

    def close(self) -> None:
        self._client.close()

    def describe(self) -> str:
        return f"SPARQL endpoint {self.shown}"

    def query(self, sparql: str) -> Result:
        form = check_query(sparql)
        accept = (
            "application/n-triples, text/turtle;q=0.8"
            if form == "graph"
            else "application/sparql-results+json, application/sparql-results+xml;q=0.8"
        )
        answer = fetch(
            self._client,
            "POST",
            self.url,
            timeout=self.timeout,
            max_size=self.max_response_size,
            shown=self.shown,
            data={
                "query": sparql,
                **({"default-graph-uri": self.default_graph} if self.default_graph else {}),
            },
            headers={"Accept": accept},
        )
        self._check_status(answer)
        if answer.truncated:
            raise StoreError(
                f"{self.shown}: the answer is larger than {format_size(self.max_response_size)}"
                "; refused (use --max-response-size to allow more)"
            )
        return self._parse(form, answer)

    def _check_status(self, answer: Answer) -> None:
        status = answer.status_code
        if looks_like_html(answer):
            raise StoreError(
                f"{self.shown}: the endpoint answered HTTP {status} with an HTML "
                f"page{html_summary(answer)}, not SPARQL results; is this the SPARQL "
                "endpoint's URL?"
            )
        if status in (401, 403):
            raise StoreError(
                f"{self.shown}: access denied (HTTP {status}); set {ENV_TOKEN}, "
                f"or {ENV_USER} and {ENV_PASSWORD}"
            )
        if status == 415:  # a Graph Store (or Update) URL does not take queries
            raise StoreError(
                f"{self.shown}: the server refused the query as a media type it does not "
                "take (HTTP 415): is this the store's Graph Store or Update URL? Give its "
                "SPARQL query URL (Oxigraph: http://host:7878/query; Fuseki: "
                "http://host:3030/DATASET/query)"
            )
        if status >= 300:
            cls = QueryError if status == 400 else StoreError
            raise cls(
                redact(f"{self.shown}: the endpoint answered HTTP {status}: {clip(answer.text)}")
            )

    def _parse(self, form: QueryForm, answer: Answer) -> Result:
        ctype = answer.media_type
        content = answer.content
        fmt: QueryResultsFormat | RdfFormat
        if form == "graph":
            if ctype in _REFUSED_GRAPH_FORMATS:
                raise StoreError(
                    f"{self.shown}: the endpoint answered {_REFUSED_GRAPH_FORMATS[ctype]}; "
                    "csec-ld reads CONSTRUCT and DESCRIBE answers as N-Triples or Turtle only"
                )
            fmt = _GRAPH_FORMATS.get(ctype, RdfFormat.N_TRIPLES)
        else:
            results_format = _RESULTS_FORMATS.get(ctype)
            if results_format is None:
                raise StoreError(
                    f"{self.shown}: the endpoint answered {clip(ctype, 80) or 'no content type'}"
                    ", not SPARQL results"
                )
            fmt = results_format
        if fmt == QueryResultsFormat.XML and (b"<!DOCTYPE" in content or b"<!ENTITY" in content):
            raise StoreError(
                f"{self.shown}: the endpoint's XML answer declares a DOCTYPE; "
                "refused (entities are not read)"
            )
        if _nesting(content, fmt) > MAX_NESTING:
            raise StoreError(
                f"{self.shown}: the endpoint's answer nests triple terms deeper "
                f"than {MAX_NESTING} levels; refused"
            )
        try:
            if isinstance(fmt, RdfFormat):
                triples = [q.triple for q in pyoxigraph.parse(content, format=fmt)]
                return Result("graph", triples=triples)
            # Solutions are parsed lazily: reading them is inside the try too.
            return _from_pyoxigraph(pyoxigraph.parse_query_results(content, format=fmt))
        except (SyntaxError, ValueError, OSError) as exc:
            # The traceback's frames hold pyoxigraph's parser, which must be dropped on
            # this thread (pyo3 objects are "unsendable"), not by a later collection.
            traceback.clear_frames(exc.__traceback__)
            raise StoreError(
                f"{self.shown}: cannot read the endpoint's answer: {clip(str(exc))}"
            ) from exc


def open_engine(
    *,
    data: Sequence[str | Path] | None = None,
    store: str | Path | None = None,
    endpoint: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
    catalog: str | Path | None = None,
    graph: str | None = None,
) -> Engine:
    """The engine for one of *data* (default ``data/``), *store* or *endpoint*.

    *timeout* and *max_response_size* apply to an *endpoint* (see :class:`RemoteEngine`);
    *catalog* (a ``catalog.yaml``) to the records of *data*; *graph* (an IRI) makes a
    named graph of the *store* or the *endpoint* (``default-graph-uri``) the queries'
    default graph, for a catalogue pushed into one.

    >>> open_engine(data=["data"]).name
    'in-process'
    """
    chosen = [n for n, v in (("--data", data), ("--store", store), ("--endpoint", endpoint)) if v]
    if len(chosen) > 1:
        raise UsageError(f"choose one of --data, --store and --endpoint (got {', '.join(chosen)})")
    if catalog is not None and chosen and chosen[0] != "--data":
        raise UsageError(f"--catalog describes the records of --data, not those of {chosen[0]}")
    if graph is not None:
        if not chosen or chosen[0] == "--data":
            raise UsageError(
                "--graph names a graph of --store or --endpoint; records and "
                "dumps of --data are loaded into the default graph"
            )
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\]+$", graph):
            raise UsageError(f"--graph: {clip(graph, 80)!r} is not an absolute IRI")
    if endpoint:
        return RemoteEngine(
            endpoint, timeout=timeout, max_response_size=max_response_size, default_graph=graph
        )
    if store:
        engine = EmbeddedEngine(store)
        engine.default_graph = graph
        return engine
    return MemoryEngine.from_sources(list(data) if data else ["data"], catalog=catalog)


_HAS_CATALOGUE = "ASK { ?c a <http://purl.org/dc/dcmitype/Collection> }"
_CATALOGUE_GRAPHS = """SELECT DISTINCT ?g WHERE {
  GRAPH ?g { ?c a <http://purl.org/dc/dcmitype/Collection> }
} ORDER BY STR(?g) LIMIT 3"""


#: The concepts of the two schemes, whatever file or graph holds them.
_VOCABULARY = f"""PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
CONSTRUCT {{ ?concept ?p ?o }} WHERE {{
  VALUES ?scheme {{ <{TYPE_SCHEME}> <{TOPIC_SCHEME}> }}
  ?concept skos:inScheme ?scheme ; ?p ?o .
  FILTER(!isBlank(?o))
}}"""


def vocabulary_of(engine: Any) -> Vocabulary:
    """The shipped vocabulary with the concepts *engine*'s data holds (anything with a
    ``query(sparql) -> Result``); its errors pass through."""
    graph = rdflib.Graph()
    triples = engine.query(_VOCABULARY).triples
    if triples:
        graph.parse(data="".join(f"{t} .\n" for t in triples), format="nt")
    return vocabulary_with(graph)


def named_graph_hint(engine: Engine) -> str | None:
    """For a query that found nothing: the named graphs of *engine* that hold a catalogue
    (``push --graph`` puts one there), as a hint to query one with ``--graph``; None if
    the queries already read a named graph or none holds a catalogue."""
    if getattr(engine, "default_graph", None) or isinstance(engine, MemoryEngine):
        return None
    try:
        if engine.query(_HAS_CATALOGUE).boolean:
            return None  # the catalogue is there: nothing matched, that is all
        graphs = [
            g.value
            for row in engine.query(_CATALOGUE_GRAPHS)
            if isinstance(g := row.get("g"), pyoxigraph.NamedNode)
        ]
    except (QueryError, StoreError):
        return None  # a hint is not worth an error of its own
    if not graphs:
        return None
    return (
        f"the default graph holds no catalogue, but the named graph <{graphs[0]}> does"
        + (f" (and {len(graphs) - 1} more)" if len(graphs) > 1 else "")
        + f": add --graph {graphs[0]}"
    )


# --------------------------------------------------------------------------- loading


def _read_rdf(path: Path) -> Iterator[Triple]:
    fmt = _RDF_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(f"{path}: unsupported RDF file type")
    base = path.resolve().as_uri()
    try:
        if fmt == RdfFormat.JSON_LD:  # our context is inlined, so the whole document is read
            quads = pyoxigraph.parse(
                _inline_our_context(path.read_bytes()), format=fmt, base_iri=base
            )
        else:  # streamed: a dump of any size
            quads = pyoxigraph.parse(path=str(path), format=fmt, base_iri=base)
        for quad in quads:
            yield quad.triple
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the file: {exc.strerror}") from exc
    except (SyntaxError, ValueError) as exc:
        raise StoreError(f"{path}: cannot read the RDF: {exc}") from exc


def _inline_our_context(data: bytes) -> bytes:
    """Our dumps reference the context by IRI; we ship it, so parse offline."""
    try:
        doc = json.loads(data)
    except ValueError:
        return data  # let the RDF parser report it
    if isinstance(doc, dict) and doc.get("@context") == CONTEXT_IRI:
        from .serialize import jsonld_context

        doc["@context"] = jsonld_context()["@context"]
        return json.dumps(doc).encode()
    return data


def ontology_triples(files: Sequence[Path] | None = None) -> Iterator[Triple]:
    """The triples of the vocabulary *files* (a catalogue's: ``Vocabulary.files``), or of
    the shipped ontology."""
    for path in sorted(ontology_dir().glob("*.ttl")) if files is None else files:
        yield from _read_rdf(path)


def catalogue_ontology(
    record_sources: Sequence[str | Path], catalog: str | Path | None = None
) -> tuple[Path, ...] | None:
    """The vocabulary files of the catalogue of *record_sources*: the shipped ontology and
    its own SKOS files (catalog.yaml's ``vocabularies:``); ``None`` without records."""
    if not record_sources:
        return None
    return open_catalog(record_sources, catalog=catalog).vocab.files


def split_sources(sources: Sequence[str | Path]) -> tuple[list[Path], list[Path]]:
    """Record sources (files or folders of records) and RDF files, from *sources*."""
    record_sources: list[Path] = []
    rdf_files: list[Path] = []
    for source in sources:
        path = Path(source)
        if not path.exists():
            raise SourceNotFoundError(f"{path}: no such file or folder")
        if path.is_file() and path.suffix.lower() in RDF_SUFFIXES:
            rdf_files.append(path)
        elif path.is_dir():
            found = discover([path], rdf=True)
            rdf = [f for f in found if f.suffix.lower() in RDF_SUFFIXES]
            rdf_files.extend(rdf)
            if len(rdf) < len(found):
                record_sources.append(path)
        else:
            record_sources.append(path)
    return record_sources, rdf_files


def catalogue_triples(
    sources: Sequence[str | Path] = ("data",), *, catalog: str | Path | None = None
) -> Iterator[Triple]:
    """The triples every engine holds: records of *sources* (mapped), RDF dumps, ontology.

    Record files (YAML, CSV, JSON) go through ``csec-ld build``'s pipeline (the one
    path from records to triples), into a temporary N-Triples dump read back here;
    RDF files (``.ttl``, ``.nt``, ``.jsonld``...) are read as they are. Problems
    in the records raise :class:`~csec_ld.errors.DataError` listing all of them.
    """
    record_sources, rdf_files = split_sources(sources)
    with tempfile.TemporaryDirectory(prefix="csec-ld-map-") as tmp:
        dump, ontology = _records_dump(record_sources, Path(tmp), catalog)
        if dump is not None:
            yield from _read_rdf(dump)
    for path in rdf_files:
        yield from _read_rdf(path)
    yield from ontology_triples(ontology)


def _records_dump(
    record_sources: Sequence[Path],
    folder: Path,
    catalog: str | Path | None,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[Path | None, tuple[Path, ...] | None]:
    """The records of *record_sources* as an N-Triples dump in *folder* (built on the
    pipeline, unvalidated), and the catalogue's vocabulary files; ``(None, None)``
    without record sources."""
    from .build import build

    if not record_sources:
        return None, None
    built = build(
        record_sources,
        folder / "dist",
        formats=["nt"],
        validate=False,
        on_progress=on_progress,
        catalog=catalog,
    )
    return built.files["nt"], catalogue_ontology(record_sources, catalog)


def _quads(triples: Iterable[Triple]) -> Iterator[Quad]:
    graph = DefaultGraph()
    for t in triples:
        yield Quad(t.subject, t.predicate, t.object, graph)


@dataclass(frozen=True)
class LoadResult:
    """What :func:`load_store` or :func:`upload_catalogue` put where."""

    target: str
    triples: int


def load_store(
    directory: str | Path,
    sources: Sequence[str | Path] = ("data",),
    *,
    append: bool = False,
    on_progress: Callable[[int], None] | None = None,
    catalog: str | Path | None = None,
) -> LoadResult:
    """Fill the on-disk store in *directory* with the catalogue of *sources* and the ontology.

    The records stream through the build pipeline into a temporary N-Triples file,
    which the store bulk-loads (so memory does not grow with the catalogue); RDF
    files are checked to parse first. Problems in the records or the RDF leave the
    store as it was. The store's default graph is replaced unless *append*.

    >>> load_store("/tmp/csec-ld-doctest-store", ["data"]).triples > 400
    True
    """
    record_sources, rdf_files = split_sources(sources)
    directory = Path(directory)
    with tempfile.TemporaryDirectory(prefix="csec-ld-load-") as tmp:
        files: list[tuple[Path, RdfFormat]] = []
        dump, ontology = _records_dump(record_sources, Path(tmp), catalog, on_progress)
        if dump is not None:
            files.append((dump, RdfFormat.N_TRIPLES))
        for i, path in enumerate(rdf_files):
            # Parse (and normalise) before touching the store: a broken file changes nothing.
            normalised = Path(tmp) / f"rdf-{i}.nt"
            with normalised.open("wb") as out:
                pyoxigraph.serialize(_read_rdf(path), out, format=RdfFormat.N_TRIPLES)
            files.append((normalised, RdfFormat.N_TRIPLES))
        if ontology is None:
            ontology = tuple(sorted(ontology_dir().glob("*.ttl")))
        files.extend((p, RdfFormat.TURTLE) for p in ontology)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            store = pyoxigraph.Store(str(directory))
        except OSError as exc:
            raise StoreError(f"{directory}: cannot open the store: {exc}") from exc
        try:
            if not append:
                store.clear_graph(DefaultGraph())
            for path, fmt in files:
                store.bulk_load(path=str(path), format=fmt, to_graph=DefaultGraph())
            store.flush()
            # Compact what the bulk loader wrote: queries on a store fresh from it read
            # many small files and ran 2-3 times slower (read-only queries cannot
            # compact it themselves).
            store.optimize()
            count = len(store)
        except (OSError, SyntaxError, ValueError) as exc:
            raise StoreError(f"{directory}: cannot write the store: {exc}") from exc
        finally:
            del store
    return LoadResult(str(directory), count)


def upload_graph(
    url: str,
    data: bytes,
    *,
    graph: str | None = None,
    replace: bool = True,
    media_type: str = "application/n-triples",
    timeout: float = DEFAULT_TIMEOUT,
    auth: httpx.Auth | None = None,
) -> None:
    """Send RDF to a Graph Store Protocol endpoint (PUT replaces, POST adds).

    *url* is the graph store (Oxigraph: ``http://host:7878/store``); the default
    graph unless *graph* names one. *timeout* applies to each read and write; an error
    page is read up to 64 KiB, and redirects go only to the same origin.
    """
    params: Mapping[str, str] = {"graph": graph} if graph else {"default": ""}
    shown = redact(url)
    with http_client(timeout, auth if auth is not None else endpoint_credentials()) as client:
        # timeout per read and write (total=False): an upload may take longer than it.
        answer = fetch(
            client,
            "PUT" if replace else "POST",
            url,
            timeout=timeout,
            total=False,
            max_size=ERROR_BODY_SIZE,
            shown=shown,
            params=params,
            content=data,
            headers={"Content-Type": media_type},
        )
    if answer.status_code >= 300:
        detail = (
            f" with an HTML page{html_summary(answer)}"
            if looks_like_html(answer)
            else ": " + clip(answer.text)
        )
        raise StoreError(
            redact(f"{shown}: the graph store answered HTTP {answer.status_code}{detail}")
        )


def upload_catalogue(
    url: str,
    sources: Sequence[str | Path] = ("data",),
    *,
    graph: str | None = None,
    replace: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    catalog: str | Path | None = None,
) -> LoadResult:
    """Put the catalogue of *sources* and the ontology into a Graph Store endpoint."""
    triples = sorted(set(catalogue_triples(sources, catalog=catalog)), key=str)
    data = pyoxigraph.serialize(triples, format=RdfFormat.N_TRIPLES) or b""
    upload_graph(url, data, graph=graph, replace=replace, timeout=timeout)
    return LoadResult(url, len(triples))
