"""``/sparql``: the read-only SPARQL 1.1 Protocol endpoint, and the workbench for browsers.

Queries run in the sandboxed workers of :mod:`csec_ld.server.sandbox`: cut off from
the network (``SERVICE`` gets 403), killed at the time limit (503), bounded in
memory, in a bounded queue (503 with ``Retry-After`` when full), with a row cap.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import anyio.to_thread
from pyoxigraph import NamedNode, RdfFormat
from starlette.requests import Request
from starlette.responses import Response

from ...errors import QueryError, RequestError, StoreError, UsageError
from ..negotiation import GRAPH_FORMATS, RESULT_FORMATS, answer_body, negotiate
from ..protocol import read_query_request
from ..responses import CORS, check_query_string, prefix, preflight
from ..sandbox import (
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
from ..workbench import SPARQL_DOWNLOADS, SparqlRunner, Workbench, download_media

__all__ = ["Sparql", "SparqlView"]


class Sparql:
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


class SparqlView:
    """``GET``/``POST /sparql``: a query's results in the format the client takes, or
    the workbench page for a browser."""

    def __init__(self, sparql: SparqlRunner, workbench: Workbench, max_query_length: int) -> None:
        self.sparql = sparql
        self.workbench = workbench
        self.max_query_length = max_query_length

    async def endpoint(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return preflight("GET, POST, OPTIONS", "Accept, Content-Type", max_age=600)
        check_query_string(request, self.max_query_length)
        try:
            params = await read_query_request(request, self.max_query_length)
        except RequestError as exc:
            raise RequestError(exc.status, str(exc), headers=CORS) from exc
        queries = [v for k, v in params if k == "query"]
        if not queries:
            wants_html = negotiate(
                request.headers.get("accept"), ["application/sparql-results+json", "text/html"]
            )
            if request.method == "GET" and wants_html == "text/html":
                return await self.workbench.sparql_page(prefix(request), None, [], dict(params))
            raise RequestError(400, "missing the 'query' parameter", headers=CORS)
        if len(queries) > 1:
            raise RequestError(400, "give exactly one 'query' parameter", headers=CORS)
        query = queries[0]
        graphs = [v for k, v in params if k == "default-graph-uri"]
        # ?format= picks a result format by name or media type (the workbench's downloads).
        formats = [v for k, v in params if k == "format"]
        if len(formats) > 1 or any(download_media(f) is None for f in formats):
            raise RequestError(
                400,
                "give at most one 'format', one of "
                + ", ".join(sorted({*SPARQL_DOWNLOADS["table"], *SPARQL_DOWNLOADS["graph"]})),
                headers=CORS,
            )
        if (
            not formats
            and negotiate(
                request.headers.get("accept"),
                [*(m for m, _ in RESULT_FORMATS + GRAPH_FORMATS), "text/html"],
            )
            == "text/html"
        ):
            return await self.workbench.sparql_page(prefix(request), query, graphs, {})
        result = await self._run(query, graphs)
        offered = GRAPH_FORMATS if result.kind == "graph" else RESULT_FORMATS
        chosen = negotiate(request.headers.get("accept"), [m for m, _ in offered])
        if formats:
            chosen = download_media(formats[0], result.kind)
            if chosen is None:
                named = SPARQL_DOWNLOADS["graph" if result.kind == "graph" else "table"]
                raise RequestError(
                    400,
                    f"format {formats[0]!r} does not fit this query's result "
                    f"(use one of {', '.join(named)})",
                    headers=CORS,
                )
        headers = {**CORS, "Vary": "Accept"}
        if chosen is None:
            raise RequestError(
                406,
                "none of the result formats is acceptable: " + ", ".join(m for m, _ in offered),
                headers=headers,
            )
        if result.truncated:
            headers["X-Row-Limit"] = str(self.sparql.row_limit)
            headers["X-Results-Truncated"] = "true"
        fmt = dict(offered)[chosen]
        # Up to row_limit rows to write: off the event loop, so pages keep flowing.
        body = await anyio.to_thread.run_sync(answer_body, result, fmt)
        media = chosen + ("; charset=utf-8" if chosen.startswith("text/") else "")
        return Response(body, media_type=media, headers=headers)

    async def _run(self, query: str, graphs: list[str]) -> Answer:
        """The query's answer from the pool; its refusals as the status codes they get."""
        try:
            check_nesting(query)
            for g in graphs:
                NamedNode(g)
            return await self.sparql.run(query, graphs)
        except ValueError as exc:
            raise RequestError(400, f"bad request: default-graph-uri: {exc}", headers=CORS) from exc
        except Refused as exc:
            raise RequestError(exc.status, str(exc), headers=CORS) from exc
        except Busy as exc:
            raise RequestError(
                503,
                f"the endpoint is busy ({exc}): try again shortly",
                headers={**CORS, "Retry-After": "5"},
            ) from exc
        except TimeLimit as exc:
            raise RequestError(503, str(exc), headers={**CORS, "Retry-After": "60"}) from exc
        except QueryError as exc:
            raise RequestError(400, str(exc), headers=CORS) from exc
        except StoreError as exc:
            raise RequestError(500, str(exc), headers=CORS) from exc
