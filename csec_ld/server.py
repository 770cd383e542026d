"""``serve``: a linked-data front for a published site (starlette + uvicorn).

* Every record, concept, country, agent and project IRI negotiates among the page
  and its data (``text/html``, ``text/turtle``, ``application/ld+json``,
  ``application/n-triples``), honouring q-values; the answer carries ``Vary: Accept``
  and ``Content-Location``; nothing acceptable gives 406. ``.ttl``/``.jsonld``/``.nt``
  URLs give one format. A record's IRI also offers its citation (BibTeX, RIS,
  CSL-JSON: :data:`csec_ld.citations.CITATION_FORMATS`).
* A withdrawn record's IRI answers ``410 Gone`` in every format: the tombstone page
  for clients that take HTML, a line of text for the others.
* Weak ``ETag`` and ``Last-Modified`` on every file, 304 on conditional requests;
  gzip; CORS (``Access-Control-Allow-Origin: *``) for the data formats and SPARQL.
* ``/sparql``: a read-only SPARQL 1.1 Protocol endpoint (GET and POST) over a
  pyoxigraph store holding the catalogue and the ontology. Queries run in worker
  processes of :mod:`csec_ld.sandbox`: cut off from the network (``SERVICE`` gets
  403), killed at the time limit (503), bounded in memory, in a bounded queue (503
  with ``Retry-After`` when full), with a row cap. A syntax error gives 400 with the
  parser's message, an update 403 (wherever its comments and prefixes put it).
* ``/api/queries``: the named queries of :mod:`csec_ld.query` as a JSON API, bound
  with the same typed, injection-safe binding as ``csec-ld query``
  (``/api/queries/{name}?param=value``), with the same limits as ``/sparql``, and
  an OpenAPI 3.1 description generated from the queries' headers at
  ``/api/openapi.json``. Errors are ``application/problem+json`` (RFC 9457).
* Browsers get HTML pages (:mod:`csec_ld.workbench`): the SPARQL workbench at
  ``/sparql``, a form per named query at ``/queries/{name}``, the OpenAPI document at
  ``/api/openapi.html``; their queries run through the same pool and limits.
* Malformed requests get a 4xx (``..`` 400, unknown path 404, long query string
  414, large body 413, brackets nested too deep 400), and the server keeps serving.
  A malformed ``Accept`` header is read leniently: its broken members are ignored.
* Nothing in an answer comes from the request's ``Host`` header: the SPARQL endpoint
  that ``void.ttl`` advertises and the OAI-PMH ``baseURL`` are the configured public
  URL (``--public-url``), else the catalogue's base IRI.

>>> from csec_ld.publish import publish
>>> app = create_app(publish(["data"], "/tmp/csec-ld-serve-doctest", validate=False).out_dir)
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import hashlib
import json
import re
import shutil
import signal
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pyoxigraph
from pyoxigraph import (
    NamedNode,
    RdfFormat,
)
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from . import defaults
from .__about__ import __version__
from .citations import CITATION_FORMATS
from .errors import (
    ParameterError,
    QueryError,
    RequestError,
    SourceNotFoundError,
    StoreError,
    UsageError,
)
from .negotiation import (
    CONTENT_TYPES,
    DATA_SUFFIXES,
    GRAPH_FORMATS,
    RESULT_FORMATS,
    VARIANTS,
    answer_body,
    negotiate,
    parse_accept,
)
from .oai import OaiRepository, oai_endpoint
from .protocol import read_query_request
from .publish import (
    DATA_FORMATS,
    SOURCE_FOLDER,
    is_site,
    publish,
    read_withdrawn,
    void_with_endpoint,
)
from .query import (
    MAX_STRING_LENGTH,
    NamedQuery,
    Parameter,
    example_parameters,
    format_result,
    named_queries,
    to_term,
)
from .sandbox import (
    DEFAULT_MEMORY_MB,
    DEFAULT_QUEUE,
    DEFAULT_WORKERS,
    Answer,
    Busy,
    QueryPool,
    Refused,
    TimeLimit,
    check_nesting,
    store_from_files,
)
from .serialize import WRITTEN_FORMATS
from .signposting import link_header, record_signposts
from .sources import open_catalog
from .store import check_query
from .vocab import Vocabulary, site_vocabulary
from .webconfig import NGINX_CONF
from .workbench import SPARQL_DOWNLOADS, Workbench, download_media

__all__ = [
    "DEFAULT_MAX_QUERY_LENGTH",
    "DEFAULT_ROW_LIMIT",
    "DEFAULT_TIMEOUT",
    "create_app",
    "negotiate",
    "openapi_document",
    "parse_accept",
    "prepare_site",
    "query_examples",
    "query_listing",
    "serve",
]

DEFAULT_TIMEOUT = defaults.SERVE_TIMEOUT
DEFAULT_ROW_LIMIT = defaults.ROW_LIMIT
DEFAULT_MAX_QUERY_LENGTH = defaults.MAX_QUERY_LENGTH

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_VOID_DATASET = "http://rdfs.org/ns/void#Dataset"

_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Last-Modified, Content-Location, Link, Vary",
}


# --------------------------------------------------------------------------- files


@dataclass(frozen=True)
class _File:
    body: bytes
    etag: str
    mtime: float


class _Files:
    """The site's files, with weak ETags (content hashes) cached by mtime and size."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._cache: dict[Path, tuple[int, int, _File]] = {}

    def get(self, rel: str) -> _File | None:
        path = (self.root / rel).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        st = path.stat()
        cached = self._cache.get(path)
        if cached and cached[0] == st.st_mtime_ns and cached[1] == st.st_size:
            return cached[2]
        body = path.read_bytes()
        f = _File(body, 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"', st.st_mtime)
        self._cache[path] = (st.st_mtime_ns, st.st_size, f)
        return f


def _not_modified(request: Request, f: _File) -> bool:
    inm = request.headers.get("if-none-match")
    if inm is not None:
        tags = [t.strip() for t in inm.split(",")]
        strip = lambda t: t[2:] if t.startswith("W/") else t  # noqa: E731 - weak comparison
        return "*" in tags or any(strip(t) == strip(f.etag) for t in tags)
    ims = request.headers.get("if-modified-since")
    if ims:
        try:
            since = email.utils.parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
        return int(f.mtime) <= since
    return False


def _file_response(
    request: Request,
    f: _File,
    content_type: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Response:
    h = {
        "ETag": f.etag,
        "Last-Modified": email.utils.formatdate(f.mtime, usegmt=True),
        "Cache-Control": "public, max-age=300",
    }
    h.update(headers or {})
    if _not_modified(request, f):
        return Response(status_code=304, headers=h)
    return Response(f.body if body is None else body, media_type=content_type, headers=h)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return PlainTextResponse(message.rstrip("\n") + "\n", status_code=status, headers=headers)


# --------------------------------------------------------------------------- SPARQL


class _Sparql:
    """The read-only endpoint: a pool of sandboxed workers over a store, and its limits."""

    def __init__(
        self,
        site: Path,
        timeout: float,
        row_limit: int,
        store: Path | None = None,
        *,
        workers: int = DEFAULT_WORKERS,
        queue: int = DEFAULT_QUEUE,
        memory_mb: int = DEFAULT_MEMORY_MB,
        network: str = "deny",
    ) -> None:
        owns = store is None
        if store is None:
            # Workers open the store read-only from disk: the site's dump and the
            # ontology go into a fresh store, removed when the server stops.
            files = [
                (site / name, fmt)
                for name, fmt in (
                    ("catalog.nt", RdfFormat.N_TRIPLES),
                    ("ontology.ttl", RdfFormat.TURTLE),
                )
                if (site / name).is_file()
            ]
            store = store_from_files(files)
        elif not store.is_dir():
            raise UsageError(f"{store}: no store here (fill one with `csec-ld load`)")
        try:
            self.pool = QueryPool(
                store,
                workers=workers,
                queue=queue,
                timeout=timeout,
                memory_mb=memory_mb,
                network=network,
                owns_store=owns,
            )
        except BaseException as exc:
            if owns:  # the store made for this server goes with it
                shutil.rmtree(store, ignore_errors=True)
            if isinstance(exc, StoreError):
                raise UsageError(f"{store}: cannot serve queries from the store ({exc})") from exc
            raise
        self.timeout = timeout
        self.row_limit = row_limit

    async def run(self, query: str, default_graphs: list[str]) -> Answer:
        return await self.pool.run(("sparql", query, default_graphs, self.row_limit))


# --------------------------------------------------------------------------- named-query API

#: Result formats of the API: ``?format=`` name → media type, by kind of query.
API_TABLE_FORMATS: dict[str, str] = {
    "json": "application/sparql-results+json",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
API_GRAPH_FORMATS: dict[str, str] = {f.suffix: f.media_type for f in WRITTEN_FORMATS.values()}
_PROBLEM = "application/problem+json"
#: The API's one reserved query-string name (unless a query declares a parameter of that name).
_FORMAT_PARAM = "format"


def _api_formats(kind: str) -> dict[str, str]:
    return API_GRAPH_FORMATS if kind == "graph" else API_TABLE_FORMATS


def _query_kind(query: NamedQuery) -> str:
    """``select``, ``ask`` or ``graph``, from the query's own text (parameters unbound)."""
    try:
        return check_query(query.text)
    except QueryError:
        return "select"


def _problem(
    status: int, title: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    """An RFC 9457 problem document."""
    doc = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return Response(
        json.dumps(doc, ensure_ascii=False, indent=1) + "\n",
        status_code=status,
        media_type=_PROBLEM,
        headers={**_CORS, **(headers or {})},
    )


def _param_doc(p: Parameter, vocabulary: Vocabulary | None = None) -> dict[str, Any]:
    return {
        "name": p.name,
        "type": p.type_label,
        "required": p.required,
        "multi": p.multi,
        "default": list(p.default),
        "help": p.help,
        "schema": _param_schema(p, vocabulary),
    }


def _value_schema(p: Parameter, vocabulary: Vocabulary | None = None) -> dict[str, Any]:
    """The JSON Schema of one value of *p* (what the API accepts, as far as a schema can say)."""
    kind = p.type
    if kind == "integer":
        return {"type": "integer"}
    if kind == "year":
        return {"type": "integer", "minimum": 1000, "maximum": 9999}
    if kind == "date":
        return {"type": "string", "format": "date"}
    if kind == "iri":
        return {"type": "string", "format": "iri"}
    if kind == "string":
        return {"type": "string", "minLength": 1, "maxLength": MAX_STRING_LENGTH}
    if kind == "concept":
        from .vocab import load_vocabulary

        vocab = vocabulary or load_vocabulary()  # the site's: its catalogue's own concepts
        schemes = {"type": [vocab.types], "topic": [vocab.topics]}.get(
            p.scheme or "", [vocab.topics, vocab.types]
        )
        return {"type": "string", "enum": sorted({c.id for s in schemes for c in s})}
    if kind == "country":
        return {"type": "string", "examples": ["PHL", "PH", "Philippines"]}
    if kind == "language":
        return {"type": "string", "examples": ["en", "fre", "spa"]}
    return {"type": "string"}


def _typed(p: Parameter, value: str) -> Any:
    return int(value) if p.type in ("integer", "year") and re.fullmatch(r"-?\d+", value) else value


def _param_schema(p: Parameter, vocabulary: Vocabulary | None = None) -> dict[str, Any]:
    item = _value_schema(p, vocabulary)
    if not p.multi:
        schema = dict(item)
        if p.default:
            schema["default"] = _typed(p, p.default[0])
        return schema
    schema = {"type": "array", "items": item}
    if p.required:
        schema["minItems"] = 1
    if p.default:
        schema["default"] = [_typed(p, v) for v in p.default]
    return schema


def query_examples(query: NamedQuery, base: str = "/") -> list[dict[str, Any]]:
    """The query's examples, each as its ``csec-ld query`` command and its API URL."""
    out = []
    formats = {*API_TABLE_FORMATS, *API_GRAPH_FORMATS}
    for example in query.examples:
        entry: dict[str, Any] = {"cli": example}
        pairs = example_parameters(example, query.name, _FORMAT_PARAM)
        if pairs is not None:
            pairs = [(k, v) for k, v in pairs if k != _FORMAT_PARAM or v in formats]
            qs = urllib.parse.urlencode(pairs)
            entry["url"] = f"{base}api/queries/{query.name}" + (f"?{qs}" if qs else "")
            entry["params"] = [[k, v] for k, v in pairs]
        out.append(entry)
    return out


def query_listing(
    queries: dict[str, NamedQuery],
    base: str = "/",
    kinds: dict[str, str] | None = None,
    vocabulary: Vocabulary | None = None,
) -> dict[str, Any]:
    """What ``GET /api/queries`` answers: every named query, its parameters and examples.

    Links are relative to *base* (the API's root path); concept parameters list the ids
    of *vocabulary* (the site's, see :func:`~csec_ld.vocab.site_vocabulary`).
    """
    items = []
    for q in queries.values():
        kind = (kinds or {}).get(q.name) or _query_kind(q)
        items.append(
            {
                "name": q.name,
                "summary": q.summary,
                "description": q.description,
                "kind": kind,
                "parameters": [_param_doc(p, vocabulary) for p in q.parameters],
                "formats": _api_formats(kind),
                "examples": query_examples(q, base),
                "links": {
                    "self": f"{base}api/queries/{q.name}",
                    "openapi": f"{base}api/openapi.json#/paths/~1api~1queries~1{q.name}",
                },
            }
        )
    return {
        "queries": items,
        "links": {
            "self": f"{base}api/queries",
            "openapi": f"{base}api/openapi.json",
            "sparql": f"{base}sparql",
        },
    }


_SPARQL_JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "SPARQL 1.1 Query Results JSON Format",
    "required": ["head"],
    "properties": {
        "head": {
            "type": "object",
            "properties": {"vars": {"type": "array", "items": {"type": "string"}}},
        },
        "boolean": {"type": "boolean"},
        "results": {
            "type": "object",
            "required": ["bindings"],
            "properties": {
                "bindings": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": {"$ref": "#/components/schemas/RdfTerm"},
                    },
                }
            },
        },
    },
}
_RDF_TERM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "value"],
    "properties": {
        "type": {"type": "string", "enum": ["uri", "literal", "bnode", "triple"]},
        "value": {"type": "string"},
        "xml:lang": {"type": "string"},
        "datatype": {"type": "string", "format": "iri"},
    },
}
_PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details, with what the client can fix",
    "required": ["title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "parameter": {"type": "string", "description": "the parameter at fault"},
        "expected": {"type": "string", "description": "the parameter's type"},
        "allowed": {
            "type": "array",
            "items": {"type": "object"},
            "description": "the parameters the query takes",
        },
        "queries": {
            "type": "array",
            "items": {"type": "string"},
            "description": "the names of the queries",
        },
        "formats": {"type": "array", "items": {"type": "string"}},
    },
}


def _operation(q: NamedQuery, kind: str, vocabulary: Vocabulary | None) -> dict[str, Any]:
    formats = _api_formats(kind)
    params: list[dict[str, Any]] = []
    examples = query_examples(q)
    for p in q.parameters:
        param: dict[str, Any] = {
            "name": p.name,
            "in": "query",
            "required": p.required,
            "description": (p.help + " " if p.help else "") + f"({p.describe()})",
            "schema": _param_schema(p, vocabulary),
            "x-csec-ld-type": p.type_label,
        }
        if p.type == "concept":
            param["description"] += " The enum lists the ids; labels and IRIs are accepted too."
        if p.multi:
            param["style"], param["explode"] = "form", True
        for ex in examples:
            values = [v for k, v in ex.get("params", []) if k == p.name]
            if values:
                param["example"] = (
                    [_typed(p, v) for v in values] if p.multi else _typed(p, values[0])
                )
                break
        params.append(param)
    if not any(p.name == _FORMAT_PARAM for p in q.parameters):
        params.append(
            {
                "name": _FORMAT_PARAM,
                "in": "query",
                "required": False,
                "description": "The result format (overrides the Accept header).",
                "schema": {"type": "string", "enum": list(formats)},
            }
        )
    content: dict[str, Any] = {}
    for media in formats.values():
        if media == "application/sparql-results+json":
            content[media] = {"schema": {"$ref": "#/components/schemas/SparqlResults"}}
        elif media == "application/ld+json":
            content[media] = {"schema": {"type": ["object", "array"]}}
        else:
            content[media] = {"schema": {"type": "string"}}
    problem = {"content": {_PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    description = q.description
    if examples:
        description += "\n\nExamples:\n\n" + "\n".join(
            f"- `{ex['url']}`" for ex in examples if "url" in ex
        )
    return {
        "get": {
            "operationId": q.name,
            "summary": q.summary or q.name,
            "description": description.strip(),
            "tags": ["queries"],
            "parameters": params,
            "responses": {
                "200": {
                    "description": ("the graph" if kind == "graph" else "the result table")
                    + " (format by Accept or ?format=)",
                    "content": content,
                },
                "304": {"description": "not modified (If-None-Match)"},
                "400": {"description": "a bad, unknown or missing parameter", **problem},
                "406": {"description": "none of the formats is acceptable", **problem},
                "414": {
                    "description": "the query string is longer than the server's limit "
                    "(16,384 bytes by default, counted percent-encoded)",
                    **problem,
                },
                "503": {
                    "description": "the query ran longer than the time limit, needed more "
                    "memory than allowed, or every worker is busy (see Retry-After)",
                    **problem,
                },
            },
        }
    }


def openapi_document(
    queries: dict[str, NamedQuery] | None = None,
    server: str | None = None,
    kinds: dict[str, str] | None = None,
    vocabulary: Vocabulary | None = None,
) -> dict[str, Any]:
    """An OpenAPI 3.1 description of the named-query API, from the queries' headers.

    One path per query (``/api/queries/{name}``), each parameter with its schema
    (type, enum for concepts, ``array`` for multi-valued ones, default), plus the list.

    >>> doc = openapi_document()
    >>> doc["paths"]["/api/queries/by-country"]["get"]["parameters"][0]["schema"]["type"]
    'array'
    """
    queries = named_queries() if queries is None else queries
    paths: dict[str, Any] = {
        "/api/queries": {
            "get": {
                "operationId": "listQueries",
                "summary": "The named queries, their parameters and examples",
                "tags": ["queries"],
                "responses": {
                    "200": {
                        "description": "the list",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/QueryList"}
                            }
                        },
                    }
                },
            }
        },
    }
    for name in sorted(queries):
        kind = (kinds or {}).get(name) or _query_kind(queries[name])
        paths[f"/api/queries/{name}"] = _operation(queries[name], kind, vocabulary)
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "csec-ld named queries",
            "version": __version__,
            "summary": "The catalogue's named SPARQL queries, with typed parameters",
            "description": (
                "Each named query of `csec-ld query` as a GET operation. Parameter values "
                "are checked against their type and bound as RDF terms (never pasted into "
                "the query). Repeat a multi-valued parameter (`?country=PHL&country=PRY`). "
                "Results as SPARQL JSON, CSV or TSV (a CONSTRUCT query: Turtle, JSON-LD, "
                "N-Triples), chosen by `Accept` or `?format=`. Arbitrary SPARQL: `/sparql`."
            ),
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "paths": paths,
        "components": {
            "schemas": {
                "SparqlResults": _SPARQL_JSON_SCHEMA,
                "RdfTerm": _RDF_TERM_SCHEMA,
                "Problem": _PROBLEM_SCHEMA,
                "QueryList": {
                    "type": "object",
                    "required": ["queries"],
                    "properties": {
                        "queries": {"type": "array", "items": {"type": "object"}},
                        "links": {"type": "object"},
                    },
                },
            }
        },
        "tags": [{"name": "queries", "description": "Named SPARQL queries"}],
    }
    if server:  # the paths are relative to it; "/" is the default anyway
        doc["servers"] = [{"url": server.rstrip("/") or "/"}]
    return doc


class _Api:
    """The named-query API over the server's store."""

    def __init__(
        self,
        pool: QueryPool,
        timeout: float,
        row_limit: int,
        queries: dict[str, NamedQuery] | None = None,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self.pool = pool
        self.queries = named_queries() if queries is None else dict(queries)
        self.kinds = {name: _query_kind(q) for name, q in self.queries.items()}
        #: the site's concepts (its catalogue's own too): what concept parameters accept
        self.vocabulary = vocabulary
        #: what a 400 lists: each query's parameters, as ``GET /api/queries`` gives them
        self.allowed = {
            name: [_param_doc(p, vocabulary) for p in q.parameters]
            for name, q in self.queries.items()
        }
        self.timeout = timeout
        self.row_limit = row_limit

    def check(
        self, query: NamedQuery, pairs: list[tuple[str, str]]
    ) -> tuple[dict[str, list[str]], str | None] | Response:
        """The parameter values and the ``format`` of a request, or a 400 problem."""
        allowed = self.allowed.get(query.name, [])
        names = {p.name: p for p in query.parameters}
        values: dict[str, list[str]] = {}
        fmt: list[str] = []
        for key, value in pairs:
            if key == _FORMAT_PARAM and key not in names:
                fmt.append(value)
            elif key not in names:
                listed = ", ".join(p.describe() for p in query.parameters) or "none"
                return _problem(
                    400,
                    "Unknown parameter",
                    f"{query.name}: unknown parameter {key!r} (allowed: {listed})",
                    parameter=key,
                    allowed=allowed,
                )
            elif value != "":  # an empty value counts as not given, as in the CLI
                values.setdefault(key, []).append(value)
        for p in query.parameters:
            given = values.get(p.name, [])
            if not given and p.required and not p.default:
                return _problem(
                    400,
                    "Missing parameter",
                    f"{query.name}: missing required parameter {p.name!r} "
                    f"({p.describe()}): give it as ?{p.name}=VALUE",
                    parameter=p.name,
                    expected=p.type_label,
                    allowed=allowed,
                )
            if len(given) > 1 and not p.multi:
                return _problem(
                    400,
                    "Too many values",
                    f"{query.name}: parameter {p.name!r} takes one value, got {len(given)}",
                    parameter=p.name,
                    expected=p.type_label,
                    allowed=allowed,
                )
            for value in given:
                try:
                    # the CLI's own check: run_query binds the same way, with the data's
                    # concepts (the site's ontology.ttl holds its catalogue's own)
                    to_term(p, value, self.vocabulary)
                except ParameterError as exc:
                    return _problem(
                        400,
                        "Bad parameter value",
                        str(exc),
                        parameter=p.name,
                        expected=p.type_label,
                        allowed=allowed,
                    )
        if len(fmt) > 1:
            return _problem(
                400, "Too many values", "give at most one 'format'", parameter=_FORMAT_PARAM
            )
        return values, (fmt[0] if fmt else None)

    async def run(self, query: NamedQuery, values: dict[str, list[str]]) -> Answer:
        """The query's result, from a sandboxed worker (limits as for ``/sparql``)."""
        return await self.pool.run(("named", query, values, self.row_limit))


# --------------------------------------------------------------------------- the app


def create_app(
    site: str | Path | None = None,
    *,
    endpoint: str | None = None,
    graph: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    row_limit: int = DEFAULT_ROW_LIMIT,
    max_query_length: int = DEFAULT_MAX_QUERY_LENGTH,
    oai_page_size: int = 100,
    store: str | Path | None = None,
    public_url: str | None = None,
    workers: int = DEFAULT_WORKERS,
    queue: int = DEFAULT_QUEUE,
    memory_mb: int = DEFAULT_MEMORY_MB,
    allow_network_in_queries: bool = False,
    queries: dict[str, NamedQuery] | None = None,
) -> Starlette:
    """The ASGI application serving the published *site* folder.

    *timeout* (seconds) and *row_limit* bound each SPARQL query; *max_query_length*
    bounds query strings and request bodies; *workers*, *queue* and *memory_mb* size
    the pool of query workers (:class:`~csec_ld.sandbox.QueryPool`). *public_url* is
    where clients reach the server (default: the catalogue's base IRI): the SPARQL
    endpoint and the OAI-PMH ``baseURL`` are named from it, never from ``Host``.
    *queries* replaces the shipped named queries of the API.
    With *endpoint* (a SPARQL query URL) and no *site*, records come from the store
    ``push`` filled (its *graph*, default the default graph): :mod:`csec_ld.remote`.
    """
    if endpoint is not None:
        if site is not None:
            raise UsageError("serve: give a site or --endpoint, not both")
        from .remote import create_remote_app

        remote_app: Starlette = create_remote_app(
            endpoint,
            graph=graph,
            timeout=timeout,
            max_query_length=max_query_length,
            row_limit=row_limit,
        )
        return remote_app
    if site is None:
        raise UsageError("serve: give a site folder (or --endpoint)")
    root = Path(site)
    if not is_site(root):
        raise UsageError(f"{root}: not a site written by `csec-ld publish`")
    files = _Files(root)
    dataset_iri = _void_dataset(root)
    public = _public_base(public_url, dataset_iri)
    sparql = _Sparql(
        root,
        timeout,
        row_limit,
        Path(store) if store else None,
        workers=workers,
        queue=queue,
        memory_mb=memory_mb,
        network="allow" if allow_network_in_queries else "deny",
    )
    withdrawn = read_withdrawn(root)
    api = _Api(sparql.pool, timeout, row_limit, queries, site_vocabulary(root))
    workbench = Workbench(root, sparql, api)  # the HTML pages; queries run through the pool
    catalog_nt = root / "catalog.nt"
    data_mtime = catalog_nt.stat().st_mtime if catalog_nt.is_file() else time.time()

    def check_request(request: Request) -> Response | None:
        if len(request.scope.get("query_string", b"")) > max_query_length:
            return _error(414, f"the query string is longer than {max_query_length} bytes")
        return None

    def check_api_request(request: Request) -> Response | None:
        if len(request.scope.get("query_string", b"")) > max_query_length:
            return _problem(
                414, "URI too long", f"the query string is longer than {max_query_length} bytes"
            )
        return None

    def segments(request: Request) -> list[str] | Response:
        raw = request.scope.get("raw_path") or request.url.path.encode()
        path = urllib.parse.unquote(raw.decode("latin-1"))
        if "\\" in path or "\x00" in path:
            return _error(400, "malformed path")
        parts = path.split("/")[1:]
        for part in parts:
            if part in ("..", "."):
                return _error(400, "'..' and '.' are not allowed in paths")
            if part.startswith("."):
                return _error(404, "not found")
        if parts == [NGINX_CONF]:  # the web server's configuration, not the site's
            return _error(404, "not found")
        return parts

    def void_body(f: _File) -> bytes:
        if dataset_iri is None or b"sparqlEndpoint" in f.body:
            return f.body
        return void_with_endpoint(f.body, dataset_iri[: -len("dataset")], public + "sparql")

    site_base = dataset_iri[: -len("dataset")] if dataset_iri else None
    moved = site_base is not None and public != "/" and public != site_base

    def served_links(rel: str, body: bytes) -> bytes:
        """Where the site is served away from its base (``--public-url``, e.g. staging),
        the links harvesters follow point at the served origin: the change feed's pages,
        the event stream's, the Hydra pages and the sitemaps (whose URLs must be on the
        sitemap's host). The IRIs of the records in them stay what they are: identifiers,
        not links."""
        if not moved:
            return body
        assert site_base is not None
        old, new = site_base.encode(), public.encode()
        if rel.startswith("changes/") and rel.endswith(".json"):
            return body.replace(b'"' + old + b"changes/", b'"' + new + b"changes/")
        if rel.startswith("pages/") and rel.endswith(".jsonld"):
            return body.replace(b'"' + old + b"pages/", b'"' + new + b"pages/")
        if rel.startswith("sitemap") and rel.endswith(".xml"):
            return body.replace(b"<loc>" + old, b"<loc>" + new)
        if rel.startswith("ldes/") and rel.endswith(".ttl"):  # the event stream's pages
            return body.replace(b"<" + old + b"ldes/", b"<" + new + b"ldes/")
        if rel == "robots.txt":
            return body.replace(b"Sitemap: " + old, b"Sitemap: " + new)
        return body

    def serve_file(request: Request, rel: str, extra: dict[str, str] | None = None) -> Response:
        f = files.get(rel)
        if f is None:
            return _error(404, "not found")
        suffix = Path(rel).suffix
        headers = dict(extra or {})
        if suffix in DATA_SUFFIXES:
            headers.update(_CORS)
        body = None
        body = void_body(f) if rel == "void.ttl" else served_links(rel, f.body)
        if body is not f.body:
            tag = hashlib.sha256(body).hexdigest()[:32]
            f = _File(body, f'W/"{tag}"', f.mtime)
        return _file_response(
            request, f, CONTENT_TYPES.get(suffix, "application/octet-stream"), headers, body
        )

    def variants(parts: list[str]) -> dict[str, str]:
        """media type → file, for an extension-less path (a record, concept or list IRI)."""
        stem = "/".join(parts)
        if stem in ("", "catalog"):
            candidates = {
                "html": "index.html",
                "ttl": "catalog.ttl",
                "jsonld": "catalog.jsonld",
                "nt": "catalog.nt",
            }
        elif stem in ("ontology", "shapes", "void"):
            candidates = {"ttl": f"{stem}.ttl"}
        else:
            candidates = {
                "html": f"{stem}/index.html",
                "ttl": f"{stem}.ttl",
                "jsonld": f"{stem}.jsonld",
                "nt": f"{stem}.nt",
            }
            if parts[0] == "resource":  # a record: its citation too
                candidates.update({f.suffix: f"{stem}.{f.suffix}" for f in CITATION_FORMATS})
        media = dict(VARIANTS)
        return {media[k]: v for k, v in candidates.items() if files.get(v) is not None}

    async def resource(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(
                status_code=204,
                headers={
                    **_CORS,
                    "Allow": "GET, HEAD, OPTIONS",
                    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
                    "Access-Control-Allow-Headers": "Accept, If-None-Match, If-Modified-Since",
                },
            )
        bad = check_request(request)
        if bad:
            return bad
        parts = segments(request)
        if isinstance(parts, Response):
            return parts
        record_id = tombstone(parts)
        if record_id is not None:
            return gone(request, record_id)
        last = parts[-1] if parts else ""
        if last == "":  # a folder: its index page
            rel = "/".join([*parts[:-1], "index.html"]) if len(parts) > 1 else "index.html"
            if len(parts) <= 1:
                offered = variants([])  # the home page is the catalogue too
                return negotiated(request, offered)
            return serve_file(request, rel, page_links(request))
        if "." in last:
            return serve_file(request, "/".join(parts), page_links(request))
        offered = variants(parts)
        if not offered:
            return _error(404, "not found")
        return negotiated(request, offered)

    def tombstone(parts: list[str]) -> str | None:
        """The id of the withdrawn record *parts* name (its IRI, page or data), or None."""
        if not withdrawn or len(parts) not in (2, 3) or parts[0] != "resource":
            return None
        if len(parts) == 2:
            stem, _, ext = parts[1].partition(".")
            if ext not in ("", "html", *(k for k, _ in VARIANTS)):
                return None
        elif parts[2] in ("", "index.html"):
            stem = parts[1]
        else:
            return None
        return stem if stem in withdrawn else None

    def gone(request: Request, record_id: str) -> Response:
        """410 for a withdrawn record: its tombstone page, or a line of text."""
        chosen = negotiate(request.headers.get("accept"), ["text/html", "text/plain"])
        info = withdrawn[record_id]
        headers = {**_CORS, "Vary": "Accept", "Cache-Control": "public, max-age=300"}
        page = files.get(f"resource/{record_id}/index.html")
        if chosen == "text/html" and page is not None:
            return Response(
                page.body, status_code=410, media_type=CONTENT_TYPES[".html"], headers=headers
            )
        title = info.get("title", record_id)
        return _error(
            410,
            f'"{title}" was withdrawn from the catalogue on '
            f"{info.get('withdrawn', '?')}: it has no data any more",
            headers,
        )

    def url(rel: str) -> str:
        """The URL path of a site file (a folder's, for its index page)."""
        return "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)

    def negotiated(request: Request, offered: dict[str, str]) -> Response:
        """The variant of *offered* (media type → file) that the request's Accept prefers."""
        chosen = negotiate(request.headers.get("accept"), list(offered))

        links = ", ".join(
            f'<{url(rel)}>; rel="alternate"; type="{media}"' for media, rel in offered.items()
        )
        headers = {"Vary": "Accept", "Link": links}
        if chosen is None:
            return _error(
                406, "none of the available formats is acceptable: " + ", ".join(offered), headers
            )
        rel = offered[chosen]
        headers["Content-Location"] = url(rel)
        record_id = record_of(request)
        if record_id is not None:  # a record's IRI: its signposts too
            sign = signposts(record_id, landing_page=chosen == "text/html")
            headers["Link"] = ", ".join(x for x in (links, sign) if x)
        return serve_file(request, rel, headers)

    signpost_cache: dict[tuple[str, bool], tuple[str, str]] = {}
    record_base = dataset_iri[: -len("dataset")] if dataset_iri else None

    def record_of(request: Request) -> str | None:
        """The id of the record whose IRI or HTML page *request* asks for, or None."""
        parts = request.url.path.split("/")[1:]
        if len(parts) == 2 and parts[0] == "resource" and "." not in parts[1]:
            return parts[1] or None
        if len(parts) == 3 and parts[0] == "resource" and parts[2] in ("", "index.html"):
            return parts[1] or None
        return None

    def page_links(request: Request) -> dict[str, str] | None:
        """The ``Link`` header of a record's HTML page (its signposts), or None."""
        record_id = record_of(request)
        sign = signposts(record_id, landing_page=True) if record_id is not None else ""
        return {"Link": sign} if sign else None

    def signposts(record_id: str, *, landing_page: bool) -> str:
        """The FAIR Signposting links of a record (see :mod:`csec_ld.signposting`), from
        its N-Triples file; "" if it has none."""
        f = files.get(f"resource/{record_id}.nt")
        if f is None or record_base is None:
            return ""
        key = (record_id, landing_page)
        cached = signpost_cache.get(key)
        if cached is not None and cached[0] == f.etag:
            return cached[1]
        try:
            triples = list(pyoxigraph.parse(f.body, format=RdfFormat.N_TRIPLES))
        except SyntaxError:
            return ""  # not a file publish wrote: no signposts rather than an error
        links = record_signposts(
            f"{record_base}resource/{record_id}", triples, DATA_FORMATS, landing_page=landing_page
        )
        if len(signpost_cache) >= 10_000:
            signpost_cache.clear()
        value = link_header(links)
        signpost_cache[key] = (f.etag, value)
        return value

    async def sparql_endpoint(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(
                status_code=204,
                headers={
                    **_CORS,
                    "Allow": "GET, POST, OPTIONS",
                    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                    "Access-Control-Allow-Headers": "Accept, Content-Type",
                    "Access-Control-Max-Age": "600",
                },
            )
        bad = check_request(request)
        if bad:
            return bad
        try:
            params = await read_query_request(request, max_query_length)
        except RequestError as exc:
            return _error(exc.status, str(exc), _CORS)
        queries = [v for k, v in params if k == "query"]
        if not queries:
            wants_html = negotiate(
                request.headers.get("accept"), ["application/sparql-results+json", "text/html"]
            )
            if request.method == "GET" and wants_html == "text/html":
                return await workbench.sparql_page(prefix(request), None, [], dict(params))
            return _error(400, "missing the 'query' parameter", _CORS)
        if len(queries) > 1:
            return _error(400, "give exactly one 'query' parameter", _CORS)
        query = queries[0]
        graphs = [v for k, v in params if k == "default-graph-uri"]
        # ?format= picks a result format by name or media type (the workbench's downloads).
        formats = [v for k, v in params if k == "format"]
        if len(formats) > 1 or any(download_media(f) is None for f in formats):
            return _error(
                400,
                "give at most one 'format', one of "
                + ", ".join(sorted({*SPARQL_DOWNLOADS["table"], *SPARQL_DOWNLOADS["graph"]})),
                _CORS,
            )
        if (
            not formats
            and negotiate(
                request.headers.get("accept"),
                [*(m for m, _ in RESULT_FORMATS + GRAPH_FORMATS), "text/html"],
            )
            == "text/html"
        ):
            return await workbench.sparql_page(prefix(request), query, graphs, {})
        try:
            check_nesting(query)
            for g in graphs:
                NamedNode(g)
            result = await sparql.run(query, graphs)
        except ValueError as exc:
            return _error(400, f"bad request: default-graph-uri: {exc}", _CORS)
        except Refused as exc:
            return _error(exc.status, str(exc), _CORS)
        except Busy as exc:
            return _error(
                503,
                f"the endpoint is busy ({exc}): try again shortly",
                {**_CORS, "Retry-After": "5"},
            )
        except TimeLimit as exc:
            return _error(503, str(exc), {**_CORS, "Retry-After": "60"})
        except QueryError as exc:
            return _error(400, str(exc), _CORS)
        except StoreError as exc:
            return _error(500, str(exc), _CORS)
        offered = GRAPH_FORMATS if result.kind == "graph" else RESULT_FORMATS
        chosen = negotiate(request.headers.get("accept"), [m for m, _ in offered])
        if formats:
            chosen = download_media(formats[0], result.kind)
            if chosen is None:
                named = SPARQL_DOWNLOADS["graph" if result.kind == "graph" else "table"]
                return _error(
                    400,
                    f"format {formats[0]!r} does not fit this query's result "
                    f"(use one of {', '.join(named)})",
                    _CORS,
                )
        headers = {**_CORS, "Vary": "Accept"}
        if chosen is None:
            return _error(
                406,
                "none of the result formats is acceptable: " + ", ".join(m for m, _ in offered),
                headers,
            )
        if result.truncated:
            headers["X-Row-Limit"] = str(sparql.row_limit)
            headers["X-Results-Truncated"] = "true"
        fmt = dict(offered)[chosen]
        # Up to row_limit rows to write: off the event loop, so pages keep flowing.
        body = await anyio.to_thread.run_sync(answer_body, result, fmt)
        media = chosen + ("; charset=utf-8" if chosen.startswith("text/") else "")
        return Response(body, media_type=media, headers=headers)

    def api_preflight() -> Response:
        return Response(
            status_code=204,
            headers={
                **_CORS,
                "Allow": "GET, HEAD, OPTIONS",
                "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
                "Access-Control-Allow-Headers": "Accept, If-None-Match",
                "Access-Control-Max-Age": "600",
            },
        )

    def prefix(request: Request) -> str:
        """The app's root path: API links are root-relative, so no Host header reaches them."""
        return str(request.scope.get("root_path", "")).rstrip("/") + "/"

    @functools.lru_cache(maxsize=8)
    def api_documents(base: str) -> tuple[bytes, bytes]:
        """The query list and the OpenAPI document (they change only with the code)."""
        listing = query_listing(api.queries, base, api.kinds, api.vocabulary)
        openapi = openapi_document(api.queries, base, api.kinds, api.vocabulary)

        def dump(doc: dict[str, Any]) -> bytes:
            return json.dumps(doc, ensure_ascii=False, indent=1).encode() + b"\n"

        return dump(listing), dump(openapi)

    def api_response(
        request: Request, body: bytes, media: str, headers: dict[str, str] | None = None
    ) -> Response:
        """*body* with a weak ETag of its content (the data cannot change while served)."""
        f = _File(body, 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"', data_mtime)
        if media.startswith("text/"):
            media += "; charset=utf-8"
        return _file_response(request, f, media, {**_CORS, **(headers or {})})

    async def api_list(request: Request) -> Response:
        if request.method == "OPTIONS":
            return api_preflight()
        bad = check_api_request(request)
        if bad:
            return bad
        return api_response(request, api_documents(prefix(request))[0], "application/json")

    async def api_openapi(request: Request) -> Response:
        if request.method == "OPTIONS":
            return api_preflight()
        bad = check_api_request(request)
        if bad:
            return bad
        return api_response(request, api_documents(prefix(request))[1], "application/json")

    async def api_query(request: Request) -> Response:
        if request.method == "OPTIONS":
            return api_preflight()
        bad = check_api_request(request)
        if bad:
            return bad
        name = request.path_params["name"]
        query = api.queries.get(name)
        if query is None:
            return _problem(
                404,
                "Unknown query",
                f"there is no query {name!r} (known: {', '.join(api.queries)})",
                queries=list(api.queries),
            )
        checked = api.check(
            query, urllib.parse.parse_qsl(request.url.query, keep_blank_values=True)
        )
        if isinstance(checked, Response):
            return checked
        values, fmt = checked
        formats = _api_formats(api.kinds[name])
        by_media = {media: key for key, media in formats.items()}
        if formats is API_TABLE_FORMATS:
            by_media["application/json"] = "json"  # the SPARQL JSON format, by its generic name
        if fmt is not None:
            key = fmt if fmt in formats else by_media.get(fmt)
            if key is None:
                return _problem(
                    400,
                    "Unknown format",
                    f"{name}: format {fmt!r} is not one of {', '.join(formats)}",
                    parameter=_FORMAT_PARAM,
                    formats=list(formats),
                )
            media = formats[key] if fmt in formats else fmt
        else:
            chosen = negotiate(request.headers.get("accept"), list(by_media))
            if chosen is None:
                return _problem(
                    406,
                    "Not acceptable",
                    "none of the result formats is acceptable: " + ", ".join(by_media),
                    formats=list(by_media),
                )
            key, media = by_media[chosen], chosen
        try:
            answer = await api.run(query, values)
        except Busy as exc:
            return _problem(
                503,
                "Busy",
                f"the endpoint is busy ({exc}): try again shortly",
                headers={"Retry-After": "5"},
            )
        except TimeLimit as exc:
            return _problem(503, "Time limit", str(exc), headers={"Retry-After": "60"})
        except ParameterError as exc:
            return _problem(400, "Bad parameter value", str(exc))
        except (QueryError, Refused, StoreError) as exc:
            return _problem(500, "Query failed", str(exc))
        headers = {
            "Vary": "Accept",
            "Link": f"<{prefix(request)}api/openapi.json>; "
            'rel="service-desc"; type="application/vnd.oai.openapi+json;version=3.1"',
        }
        if answer.truncated:
            headers["X-Row-Limit"] = str(api.row_limit)
            headers["X-Results-Truncated"] = "true"
        body = (await anyio.to_thread.run_sync(format_result, answer.result, key)).encode()
        return api_response(request, body, media, headers)

    async def queries_index(request: Request) -> Response:
        bad = check_request(request)
        if bad:
            return bad
        if not request.url.path.endswith("/"):
            return Response(status_code=308, headers={"Location": prefix(request) + "queries/"})
        return workbench.queries_page(prefix(request))

    async def query_form(request: Request) -> Response:
        bad = check_request(request)
        if bad:
            return bad
        pairs = urllib.parse.parse_qsl(request.url.query, keep_blank_values=True)
        return await workbench.query_page(prefix(request), request.path_params["name"], pairs)

    async def api_openapi_page(request: Request) -> Response:
        bad = check_request(request)
        if bad:
            return bad
        doc = json.loads(api_documents(prefix(request))[1])
        return workbench.openapi_page(prefix(request), doc)

    async def not_found(request: Request, exc: Exception) -> Response:
        return _error(404, "not found")

    # OAI-PMH over the records the site carries in source/ (tombstones included).
    # Its baseURL is the configured public URL's, never one a Host header made up.
    oai_sources = root / SOURCE_FOLDER
    oai_lock = threading.Lock()
    oai_endpoints: list[Any] = []

    def oai_for() -> Any:
        with oai_lock:
            if not oai_endpoints:
                repo = OaiRepository(
                    open_catalog([oai_sources]), public + "oai", page_size=oai_page_size
                )
                oai_endpoints.append(oai_endpoint(repo))
            return oai_endpoints[0]

    async def oai(request: Request) -> Response:
        if not (oai_sources / "records.jsonl").is_file():
            return _error(404, "this site carries no records for OAI-PMH (publish it again)")
        endpoint = await anyio.to_thread.run_sync(oai_for)
        response: Response = await endpoint(request)
        return response

    api_methods = ["GET", "HEAD", "OPTIONS"]
    routes = [
        Route("/sparql", sparql_endpoint, methods=["GET", "POST", "OPTIONS"]),
        Route("/oai", oai, methods=["GET", "POST"]),
        Route("/api/queries", api_list, methods=api_methods),
        Route("/api/queries/{name}", api_query, methods=api_methods),
        Route("/api/openapi.json", api_openapi, methods=api_methods),
        Route("/api/openapi.html", api_openapi_page, methods=["GET"]),
        Route("/queries", queries_index, methods=["GET"]),
        Route("/queries/", queries_index, methods=["GET"]),
        Route("/queries/{name}", query_form, methods=["GET"]),
        Route("/{path:path}", resource, methods=["GET", "HEAD", "OPTIONS"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        try:
            yield
        finally:
            sparql.pool.close()

    app = Starlette(
        routes=routes,
        middleware=[Middleware(GZipMiddleware, minimum_size=500)],
        exception_handlers={404: not_found},
        lifespan=lifespan,
    )
    app.state.pool = sparql.pool
    return app


def _public_base(public_url: str | None, dataset_iri: str | None) -> str:
    """Where clients reach the server, ending in ``/``: *public_url*, else the base IRI."""
    if public_url:
        parts = urllib.parse.urlsplit(public_url)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.query
            or parts.fragment
        ):
            raise UsageError(
                f"--public-url: {public_url!r} is not an http(s) URL without query or fragment"
            )
        return public_url.rstrip("/") + "/"
    if dataset_iri:
        return dataset_iri[: -len("dataset")]
    return "/"


def _void_dataset(root: Path) -> str | None:
    path = root / "void.ttl"
    if not path.is_file():
        return None
    for t in pyoxigraph.parse(path=str(path), format=RdfFormat.TURTLE):
        if isinstance(t.object, NamedNode) and t.object.value == _VOID_DATASET:
            return t.subject.value
    return None


# --------------------------------------------------------------------------- running


@contextlib.contextmanager
def prepare_site(
    site_or_sources: Sequence[str | Path] | None = None,
    *,
    base: str | None = None,
    validate: bool = True,
    sparql_endpoint: str | None = None,
    catalog: str | Path | None = None,
) -> Iterator[Path]:
    """The site folder to serve: a published site as it is, or sources published now.

    With no argument: ``site/`` if it is a published site, else ``data/``. Sources are
    published (validated unless *validate* is false, with the ``catalog.yaml``
    *catalog*, by default found next to them) into a temporary folder that is
    removed afterwards.
    """
    paths = [Path(p) for p in (site_or_sources or [])]
    if not paths:
        paths = [Path("site")] if is_site(Path("site")) else [Path("data")]
    if len(paths) == 1 and is_site(paths[0]):
        if catalog is not None:
            raise UsageError(
                f"--catalog: {paths[0]} is a published site, which carries its own catalogue; "
                "give --catalog with record files or folders"
            )
        yield paths[0]
        return
    for p in paths:
        if not p.exists():
            raise SourceNotFoundError(f"{p}: no such file or folder")
    with tempfile.TemporaryDirectory(prefix="csec-ld-serve-") as tmp:
        out = Path(tmp) / "site"
        publish(
            paths,
            out,
            base=base,
            validate=validate,
            sparql_endpoint=sparql_endpoint,
            catalog=catalog,
        )
        yield out


def serve(
    site_or_sources: Sequence[str | Path] | None = None,
    *,
    host: str = defaults.SERVE_HOST,
    port: int = defaults.SERVE_PORT,
    base: str | None = None,
    validate: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    row_limit: int = DEFAULT_ROW_LIMIT,
    max_query_length: int = DEFAULT_MAX_QUERY_LENGTH,
    log_level: str = "info",
    store: str | Path | None = None,
    public_url: str | None = None,
    workers: int = DEFAULT_WORKERS,
    queue: int = DEFAULT_QUEUE,
    memory_mb: int = DEFAULT_MEMORY_MB,
    allow_network_in_queries: bool = False,
    catalog: str | Path | None = None,
    queries: dict[str, NamedQuery] | None = None,
    store_endpoint: str | None = None,
    graph: str | None = None,
) -> None:
    """Serve a site (or sources, published first) on *host*:*port* until interrupted.

    With *store_endpoint* (a SPARQL query URL of a store ``push`` filled, its *graph*)
    and no site, record IRIs and data files come from the store (:mod:`csec_ld.remote`).

    With *store* (an embedded store filled by ``csec-ld load``), ``/sparql`` and the
    query API answer from it instead of a store made from the site's dump.
    *queries* replaces the shipped named queries (``queries_with(DIR)`` adds a user's).
    *public_url* (default ``http://HOST:PORT/``) is where clients reach the server.
    """
    import uvicorn

    shown_host = f"[{host}]" if ":" in host else host
    public_url = public_url or f"http://{shown_host}:{port}/"
    endpoint = public_url.rstrip("/") + "/sparql"
    # uvicorn re-raises SIGTERM after its graceful shutdown; as an exception (not the
    # default handler, which ends the process at once) it lets the temporary site go.
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        if store_endpoint is not None:
            if site_or_sources:
                raise UsageError("--endpoint: serves from the store alone; give no site or sources")
            uvicorn.run(
                create_app(
                    endpoint=store_endpoint,
                    graph=graph,
                    timeout=timeout,
                    max_query_length=max_query_length,
                    row_limit=row_limit,
                ),
                host=host,
                port=port,
                log_level=log_level,
            )
            return
        with prepare_site(
            site_or_sources, base=base, validate=validate, sparql_endpoint=endpoint, catalog=catalog
        ) as site:
            app = create_app(
                site,
                timeout=timeout,
                row_limit=row_limit,
                max_query_length=max_query_length,
                store=store,
                public_url=public_url,
                workers=workers,
                queue=queue,
                memory_mb=memory_mb,
                allow_network_in_queries=allow_network_in_queries,
                queries=queries,
            )
            uvicorn.run(app, host=host, port=port, log_level=log_level)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)
