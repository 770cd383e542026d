"""The named-query API described: ``GET /api/queries`` and the OpenAPI 3.1 document.

Both are made from the queries' own headers (:mod:`csec_ld.query`): each parameter
with its JSON Schema (type, an enum of ids for concepts, ``array`` for multi-valued
ones, its default) and the query's examples as API URLs.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from ...__about__ import __version__
from ...errors import QueryError
from ...query import MAX_STRING_LENGTH, NamedQuery, Parameter, example_parameters, named_queries
from ...serialize import WRITTEN_FORMATS
from ...store import check_query
from ...vocab import Vocabulary
from ..responses import PROBLEM

__all__ = [
    "API_GRAPH_FORMATS",
    "API_TABLE_FORMATS",
    "FORMAT_PARAM",
    "api_formats",
    "openapi_document",
    "param_doc",
    "query_examples",
    "query_kind",
    "query_listing",
]

#: Result formats of the API: ``?format=`` name → media type, by kind of query.
API_TABLE_FORMATS: dict[str, str] = {
    "json": "application/sparql-results+json",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
API_GRAPH_FORMATS: dict[str, str] = {f.suffix: f.media_type for f in WRITTEN_FORMATS.values()}
#: The API's one reserved query-string name (unless a query declares a parameter of that name).
FORMAT_PARAM = "format"


def api_formats(kind: str) -> dict[str, str]:
    return API_GRAPH_FORMATS if kind == "graph" else API_TABLE_FORMATS


def query_kind(query: NamedQuery) -> str:
    """``select``, ``ask`` or ``graph``, from the query's own text (parameters unbound)."""
    try:
        return check_query(query.text)
    except QueryError:
        return "select"


def param_doc(p: Parameter, vocabulary: Vocabulary | None = None) -> dict[str, Any]:
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
        from ...vocab import load_vocabulary

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
        pairs = example_parameters(example, query.name, FORMAT_PARAM)
        if pairs is not None:
            pairs = [(k, v) for k, v in pairs if k != FORMAT_PARAM or v in formats]
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
        kind = (kinds or {}).get(q.name) or query_kind(q)
        items.append(
            {
                "name": q.name,
                "summary": q.summary,
                "description": q.description,
                "kind": kind,
                "parameters": [param_doc(p, vocabulary) for p in q.parameters],
                "formats": api_formats(kind),
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
    formats = api_formats(kind)
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
    if not any(p.name == FORMAT_PARAM for p in q.parameters):
        params.append(
            {
                "name": FORMAT_PARAM,
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
    problem = {"content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
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
        kind = (kinds or {}).get(name) or query_kind(queries[name])
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
