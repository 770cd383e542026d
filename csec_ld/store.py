"""Where queries run: an in-process store, an embedded on-disk store, a remote endpoint.

Three engines answer SPARQL 1.1 queries with the same :class:`Result`:

* :class:`MemoryEngine` — a pyoxigraph in-memory store filled in process from our
  records (mapped by :func:`~csec_ld.build.map_catalogue`) or from RDF dumps;
* :class:`EmbeddedEngine` — an on-disk pyoxigraph store, filled by :func:`load_store`
  (``csec-ld load --store DIR``) and opened read-only for queries;
* :class:`RemoteEngine` — any SPARQL 1.1 Protocol endpoint, over HTTP (httpx).

Every engine holds the records graph *plus* our ontology (the SKOS schemes), so
queries can walk ``skos:broader`` and read concept labels. :func:`upload_graph`
and :func:`upload_catalogue` put a catalogue into a Graph Store Protocol endpoint.

Credentials for remote endpoints come from the environment, never from options:
``CSEC_LD_ENDPOINT_TOKEN`` (a bearer token) or ``CSEC_LD_ENDPOINT_USER`` and
``CSEC_LD_ENDPOINT_PASSWORD`` (HTTP basic authentication).

>>> engine = MemoryEngine.from_sources(["data"])
>>> engine.query("ASK { ?r <http://purl.org/dc/terms/title> ?t }").boolean
True
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import pyoxigraph
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
from .namespaces import CONTEXT_IRI
from .resources import ontology_dir
from .sources import RDF_SUFFIXES, discover, open_catalog

__all__ = [
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "EmbeddedEngine",
    "Engine",
    "LoadResult",
    "MemoryEngine",
    "RemoteEngine",
    "Result",
    "Term",
    "catalogue_triples",
    "check_query",
    "load_store",
    "open_engine",
    "split_sources",
    "upload_catalogue",
    "upload_graph",
]

Term = NamedNode | BlankNode | RdfLiteral | Triple
Row = dict[str, Term | None]
QueryForm = Literal["select", "ask", "graph"]

DEFAULT_TIMEOUT = 30.0
USER_AGENT = f"csec-ld/{__version__}"
ENV_TOKEN = "CSEC_LD_ENDPOINT_TOKEN"
ENV_USER = "CSEC_LD_ENDPOINT_USER"
ENV_PASSWORD = "CSEC_LD_ENDPOINT_PASSWORD"

_RDF_FORMATS = {
    ".ttl": RdfFormat.TURTLE,
    ".nt": RdfFormat.N_TRIPLES,
    ".nq": RdfFormat.N_QUADS,
    ".trig": RdfFormat.TRIG,
    ".rdf": RdfFormat.RDF_XML,
    ".jsonld": RdfFormat.JSON_LD,
}


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
    r"^(?:\s|#[^\n]*\n|(?:PREFIX|BASE)\b[^<]*<[^>]*>)*"
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
    global _EMPTY_STORE
    if _EMPTY_STORE is None:
        _EMPTY_STORE = pyoxigraph.Store()
    try:
        return _from_pyoxigraph(_EMPTY_STORE.query(sparql)).kind
    except SyntaxError as exc:
        if _UPDATE.match(sparql):
            raise QueryError("csec-ld runs queries (SELECT, ASK, CONSTRUCT, DESCRIBE), "
                             "not SPARQL updates") from exc
        raise QueryError(_syntax_message(exc)) from exc
    except (OSError, ValueError, RuntimeError) as exc:
        raise QueryError(f"the query cannot be run: {exc}") from exc


# --------------------------------------------------------------------------- engines


class Engine:
    """Runs SPARQL queries; subclasses hold a store or talk to an endpoint."""

    name: str = "engine"

    def query(self, sparql: str) -> Result:
        raise NotImplementedError

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

    def query(self, sparql: str) -> Result:
        check_query(sparql)
        try:
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
    def from_sources(cls, sources: Sequence[str | Path] = ("data",)) -> MemoryEngine:
        """Our records (mapped) and RDF dumps from *sources*, plus the ontology."""
        engine = cls()
        engine.store.extend(_quads(catalogue_triples(sources)))
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


def _credentials() -> httpx.Auth | None:
    token = os.environ.get(ENV_TOKEN)
    if token:
        return _BearerAuth(token)
    user = os.environ.get(ENV_USER)
    if user:
        return httpx.BasicAuth(user, os.environ.get(ENV_PASSWORD, ""))
    return None


class _BearerAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self.token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token}"
        yield request


_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)


def _looks_like_html(response: httpx.Response) -> bool:
    ctype = response.headers.get("content-type", "").lower()
    head = response.content[:200].lstrip().lower()
    return "html" in ctype or head.startswith((b"<!doctype html", b"<html"))


def _html_summary(response: httpx.Response) -> str:
    match = _HTML_TITLE.search(response.text[:5000])
    title = " ".join(match.group(1).split()) if match else ""
    return f" ({title[:100]})" if title else ""


def _http_error(url: str, exc: httpx.HTTPError, timeout: float) -> StoreError:
    if isinstance(exc, httpx.TimeoutException):
        return StoreError(f"{url}: no answer within {timeout:g} s (use --timeout to wait longer)")
    if isinstance(exc, httpx.ConnectError | httpx.NetworkError):
        return StoreError(f"{url}: cannot reach the endpoint ({exc or type(exc).__name__})")
    return StoreError(f"{url}: {exc or type(exc).__name__}")


def _client(timeout: float, auth: httpx.Auth | None) -> httpx.Client:
    return httpx.Client(
        timeout=timeout,
        auth=auth,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=True,
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
    "application/n-triples": RdfFormat.N_TRIPLES,
    "text/plain": RdfFormat.N_TRIPLES,
    "text/turtle": RdfFormat.TURTLE,
    "application/n-quads": RdfFormat.N_QUADS,
    "application/rdf+xml": RdfFormat.RDF_XML,
    "application/ld+json": RdfFormat.JSON_LD,
}


class RemoteEngine(Engine):
    """A SPARQL 1.1 Protocol endpoint, queried with POST (form-encoded).

    The query is checked locally first, so a syntax error reads the same as on the
    other engines; results come back as SPARQL JSON (or XML) and N-Triples.
    """

    name = "endpoint"

    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT,
                 auth: httpx.Auth | None = None) -> None:
        if not re.match(r"^https?://", url):
            raise UsageError(f"--endpoint: {url!r} is not an http(s) URL")
        if timeout <= 0:
            raise UsageError("--timeout must be a positive number of seconds")
        self.url = url
        self.timeout = timeout
        self._client = _client(timeout, auth if auth is not None else _credentials())

    def close(self) -> None:
        self._client.close()

    def describe(self) -> str:
        return f"SPARQL endpoint {self.url}"

    def query(self, sparql: str) -> Result:
        form = check_query(sparql)
        accept = (
            "application/n-triples, text/turtle;q=0.8"
            if form == "graph"
            else "application/sparql-results+json, application/sparql-results+xml;q=0.8"
        )
        try:
            response = self._client.post(self.url, data={"query": sparql},
                                         headers={"Accept": accept})
        except httpx.HTTPError as exc:
            raise _http_error(self.url, exc, self.timeout) from exc
        if _looks_like_html(response):
            raise StoreError(
                f"{self.url}: the endpoint answered HTTP {response.status_code} with an HTML "
                f"page{_html_summary(response)}, not SPARQL results; is this the SPARQL "
                "endpoint's URL?"
            )
        if response.status_code in (401, 403):
            raise StoreError(
                f"{self.url}: access denied (HTTP {response.status_code}); set {ENV_TOKEN}, "
                f"or {ENV_USER} and {ENV_PASSWORD}"
            )
        if response.status_code >= 400:
            text = " ".join(response.text.split())[:300]
            cls = QueryError if response.status_code == 400 else StoreError
            raise cls(f"{self.url}: the endpoint answered HTTP {response.status_code}: {text}")
        ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            if form == "graph":
                rdf_format = _GRAPH_FORMATS.get(ctype, RdfFormat.N_TRIPLES)
                triples = [q.triple for q in pyoxigraph.parse(response.content,
                                                              format=rdf_format)]
                return Result("graph", triples=triples)
            results_format = _RESULTS_FORMATS.get(ctype)
            if results_format is None:
                raise StoreError(
                    f"{self.url}: the endpoint answered {ctype or 'no content type'}, "
                    "not SPARQL results"
                )
            answer = pyoxigraph.parse_query_results(response.content, format=results_format)
        except (SyntaxError, ValueError) as exc:
            raise StoreError(f"{self.url}: cannot read the endpoint's answer: {exc}") from exc
        return _from_pyoxigraph(answer)


def open_engine(
    *,
    data: Sequence[str | Path] | None = None,
    store: str | Path | None = None,
    endpoint: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Engine:
    """The engine for one of *data* (default ``data/``), *store* or *endpoint*.

    >>> open_engine(data=["data"]).name
    'in-process'
    """
    chosen = [n for n, v in (("--data", data), ("--store", store), ("--endpoint", endpoint))
              if v]
    if len(chosen) > 1:
        raise UsageError(f"choose one of --data, --store and --endpoint (got {', '.join(chosen)})")
    if endpoint:
        return RemoteEngine(endpoint, timeout=timeout)
    if store:
        return EmbeddedEngine(store)
    return MemoryEngine.from_sources(list(data) if data else ["data"])


# --------------------------------------------------------------------------- loading


def _read_rdf(path: Path) -> Iterator[Triple]:
    fmt = _RDF_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise UsageError(f"{path}: unsupported RDF file type")
    base = path.resolve().as_uri()
    try:
        if fmt == RdfFormat.JSON_LD:  # our context is inlined, so the whole document is read
            quads = pyoxigraph.parse(_inline_our_context(path.read_bytes()), format=fmt,
                                     base_iri=base)
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


def _ontology_triples() -> Iterator[Triple]:
    for path in sorted(ontology_dir().glob("*.ttl")):
        yield from _read_rdf(path)


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


def catalogue_triples(sources: Sequence[str | Path] = ("data",)) -> Iterator[Triple]:
    """The triples every engine holds: records of *sources* (mapped), RDF dumps, ontology.

    Record files (YAML, CSV, JSON) are mapped like ``csec-ld build`` maps them;
    RDF files (``.ttl``, ``.nt``, ``.jsonld``...) are read as they are. Problems
    in the records raise :class:`~csec_ld.errors.DataError` listing all of them.
    """
    from .build import map_catalogue

    record_sources, rdf_files = split_sources(sources)
    if record_sources:
        catalogue = open_catalog(record_sources)
        for block in map_catalogue(catalogue):
            yield from block
        catalogue.check()
    for path in rdf_files:
        yield from _read_rdf(path)
    yield from _ontology_triples()


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
) -> LoadResult:
    """Fill the on-disk store in *directory* with the catalogue of *sources* and the ontology.

    The records stream through the build pipeline into a temporary N-Triples file,
    which the store bulk-loads (so memory does not grow with the catalogue); RDF
    files are checked to parse first. Problems in the records or the RDF leave the
    store as it was. The store's default graph is replaced unless *append*.

    >>> load_store("/tmp/csec-ld-doctest-store", ["data"]).triples > 400
    True
    """
    from .build import build

    record_sources, rdf_files = split_sources(sources)
    directory = Path(directory)
    with tempfile.TemporaryDirectory(prefix="csec-ld-load-") as tmp:
        files: list[tuple[Path, RdfFormat]] = []
        if record_sources:
            built = build(record_sources, Path(tmp) / "dist", formats=["nt"], validate=False,
                          on_progress=on_progress)
            files.append((built.files["nt"], RdfFormat.N_TRIPLES))
        for i, path in enumerate(rdf_files):
            # Parse (and normalise) before touching the store: a broken file changes nothing.
            normalised = Path(tmp) / f"rdf-{i}.nt"
            with normalised.open("wb") as out:
                pyoxigraph.serialize(_read_rdf(path), out, format=RdfFormat.N_TRIPLES)
            files.append((normalised, RdfFormat.N_TRIPLES))
        files.extend((p, RdfFormat.TURTLE) for p in sorted(ontology_dir().glob("*.ttl")))
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


def upload_graph(url: str, data: bytes, *, graph: str | None = None, replace: bool = True,
                 media_type: str = "application/n-triples",
                 timeout: float = DEFAULT_TIMEOUT, auth: httpx.Auth | None = None) -> None:
    """Send RDF to a Graph Store Protocol endpoint (PUT replaces, POST adds).

    *url* is the graph store (Oxigraph: ``http://host:7878/store``); the default
    graph unless *graph* names one.
    """
    params: Mapping[str, str] = {"graph": graph} if graph else {"default": ""}
    with _client(timeout, auth if auth is not None else _credentials()) as client:
        try:
            response = client.request(
                "PUT" if replace else "POST", url, params=params, content=data,
                headers={"Content-Type": media_type},
            )
        except httpx.HTTPError as exc:
            raise _http_error(url, exc, timeout) from exc
    if response.status_code >= 400:
        detail = (f" with an HTML page{_html_summary(response)}" if _looks_like_html(response)
                  else ": " + " ".join(response.text.split())[:300])
        raise StoreError(f"{url}: the graph store answered HTTP {response.status_code}{detail}")


def upload_catalogue(url: str, sources: Sequence[str | Path] = ("data",), *,
                     graph: str | None = None, replace: bool = True,
                     timeout: float = DEFAULT_TIMEOUT) -> LoadResult:
    """Put the catalogue of *sources* and the ontology into a Graph Store endpoint."""
    triples = sorted(set(catalogue_triples(sources)), key=str)
    data = pyoxigraph.serialize(triples, format=RdfFormat.N_TRIPLES) or b""
    upload_graph(url, data, graph=graph, replace=replace, timeout=timeout)
    return LoadResult(url, len(triples))
