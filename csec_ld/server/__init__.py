"""``serve``: a linked-data front for a published site (starlette + uvicorn).

* Every record, concept, country, agent and project IRI negotiates among the page
  and its data (``text/html``, ``text/turtle``, ``application/ld+json``,
  ``application/n-triples``), honouring q-values; the answer carries ``Vary: Accept``
  and ``Content-Location``; nothing acceptable gives 406. ``.ttl``/``.jsonld``/``.nt``
  URLs give one format. A record's IRI also offers its citation (BibTeX, RIS,
  CSL-JSON: :data:`csec_ld.site.citations.CITATION_FORMATS`).
* A withdrawn record's IRI answers ``410 Gone`` in every format: the tombstone page
  for clients that take HTML, a line of text for the others.
* Weak ``ETag`` and ``Last-Modified`` on every file, 304 on conditional requests;
  gzip; CORS (``Access-Control-Allow-Origin: *``) for the data formats and SPARQL.
* ``/sparql``: a read-only SPARQL 1.1 Protocol endpoint (GET and POST) over a
  pyoxigraph store holding the catalogue and the ontology. Queries run in worker
  processes of :mod:`csec_ld.server.sandbox`: cut off from the network (``SERVICE`` gets
  403), killed at the time limit (503), bounded in memory, in a bounded queue (503
  with ``Retry-After`` when full), with a row cap. A syntax error gives 400 with the
  parser's message, an update 403 (wherever its comments and prefixes put it).
* ``/api/queries``: the named queries of :mod:`csec_ld.query` as a JSON API, bound
  with the same typed, injection-safe binding as ``csec-ld query``
  (``/api/queries/{name}?param=value``), with the same limits as ``/sparql``, and
  an OpenAPI 3.1 description generated from the queries' headers at
  ``/api/openapi.json``. Errors are ``application/problem+json`` (RFC 9457).
* Browsers get HTML pages (:mod:`csec_ld.server.workbench`): the SPARQL workbench at
  ``/sparql``, a form per named query at ``/queries/{name}``, the OpenAPI document at
  ``/api/openapi.html``; their queries run through the same pool and limits.
* Malformed requests get a 4xx (``..`` 400, unknown path 404, long query string
  414, large body 413, brackets nested too deep 400), and the server keeps serving.
  A malformed ``Accept`` header is read leniently: its broken members are ignored.
* Nothing in an answer comes from the request's ``Host`` header: the SPARQL endpoint
  that ``void.ttl`` advertises and the OAI-PMH ``baseURL`` are the configured public
  URL (``--public-url``), else the catalogue's base IRI.

The package, by part:

=================  ==========================================================
``app``            the route table, ``create_app``, ``serve``
``views``          one module per kind of answer (files, sparql, api, openapi,
                   pages, oai)
``responses``      files with validators, refusals (text or problem), CORS
``negotiation``    ``Accept`` parsing and the formats each answer offers
``protocol``       reading a SPARQL Protocol request (GET, form POST, direct POST)
``sandbox``        the query workers: no network, time and memory limits, a queue
``workbench``      the HTML pages of the workbench and the query forms
``remote``         ``serve --endpoint``: records rendered from a SPARQL store
=================  ==========================================================

The public names below are imported when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import exports

#: Each public name and the module that defines it.
_EXPORTS: dict[str, str] = {
    "DEFAULT_MAX_QUERY_LENGTH": "app",
    "DEFAULT_ROW_LIMIT": "app",
    "DEFAULT_TIMEOUT": "app",
    "create_app": "app",
    "prepare_site": "app",
    "route_table": "app",
    "serve": "app",
    "negotiate": "negotiation",
    "parse_accept": "negotiation",
    "openapi_document": "views.openapi",
    "query_examples": "views.openapi",
    "query_listing": "views.openapi",
}

#: The same names as the table (tests/test_lazy.py keeps the two equal).
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
    "route_table",
    "serve",
]


__getattr__, __dir__ = exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # what type checkers and editors see
    from .app import (
        DEFAULT_MAX_QUERY_LENGTH,
        DEFAULT_ROW_LIMIT,
        DEFAULT_TIMEOUT,
        create_app,
        prepare_site,
        route_table,
        serve,
    )
    from .negotiation import negotiate, parse_accept
    from .views.openapi import openapi_document, query_examples, query_listing
