"""The ``serve`` app: its route table, and running it.

:func:`create_app` builds the views of a published site (:mod:`csec_ld.server.views`)
and maps paths to them in :func:`route_table`. Views raise
:class:`~csec_ld.errors.RequestError` to refuse a request; one handler
(:func:`csec_ld.server.responses.refusal`) writes the answer.

>>> from csec_ld.site.publish import publish
>>> app = create_app(publish(["data"], "/tmp/csec-ld-serve-doctest", validate=False).out_dir)
>>> [route.path for route in app.routes][:2]
['/sparql', '/oai']
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph
from pyoxigraph import NamedNode, RdfFormat
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import defaults
from ..errors import RequestError, SourceNotFoundError, UsageError
from ..query import NamedQuery
from ..site.publish import LISTING_SIZE, is_site, publish, read_withdrawn
from ..vocab import site_vocabulary
from .responses import Files, not_found, refusal
from .sandbox import DEFAULT_MEMORY_MB, DEFAULT_QUEUE, DEFAULT_WORKERS
from .views.api import Api, ApiViews
from .views.files import FileViews
from .views.oai import OaiView
from .views.pages import PageViews
from .views.sparql import Sparql, SparqlView
from .workbench import FolderFacts, Workbench

__all__ = [
    "DEFAULT_MAX_QUERY_LENGTH",
    "DEFAULT_ROW_LIMIT",
    "DEFAULT_TIMEOUT",
    "create_app",
    "prepare_site",
    "route_table",
    "serve",
]

DEFAULT_TIMEOUT = defaults.SERVE_TIMEOUT
DEFAULT_ROW_LIMIT = defaults.ROW_LIMIT
DEFAULT_MAX_QUERY_LENGTH = defaults.MAX_QUERY_LENGTH

_VOID_DATASET = "http://rdfs.org/ns/void#Dataset"
#: The environment variable keying OAI-PMH resumption tokens of ``serve --endpoint``.
_OAI_SECRET = "CSEC_LD_OAI_SECRET"


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
    listing_size: int = LISTING_SIZE,
    admin_email: str | None = None,
    oai_secret: str | None = None,
) -> Starlette:
    """The ASGI application serving the published *site* folder.

    *timeout* (seconds) and *row_limit* bound each SPARQL query; *max_query_length*
    bounds query strings and request bodies; *workers*, *queue* and *memory_mb* size
    the pool of query workers (:class:`~csec_ld.server.sandbox.QueryPool`). *public_url* is
    where clients reach the server (default: the catalogue's base IRI): the SPARQL
    endpoint and the OAI-PMH ``baseURL`` are named from it, never from ``Host``.
    *queries* replaces the shipped named queries of the API.
    With *endpoint* (a SPARQL query URL) and no *site*, records come from the store
    ``push`` filled (its *graph*, default the default graph): :mod:`csec_ld.server.remote`;
    its listing pages have *listing_size* records each, as ``publish(listing_size=)``;
    OAI-PMH needs *admin_email* there (a store holds none), and every instance the same
    *oai_secret* (default: ``$CSEC_LD_OAI_SECRET``) for resumption tokens.
    """
    if endpoint is not None:
        if site is not None or store is not None:
            raise UsageError("serve: give a site, or --endpoint alone")
        return _store_app(
            endpoint,
            graph=graph,
            timeout=timeout,
            row_limit=row_limit,
            max_query_length=max_query_length,
            oai_page_size=oai_page_size,
            public_url=public_url,
            workers=workers,
            queue=queue,
            queries=queries,
            listing_size=listing_size,
            admin_email=admin_email,
            oai_secret=oai_secret if oai_secret is not None else os.environ.get(_OAI_SECRET),
        )
    if site is None:
        raise UsageError("serve: give a site folder (or --endpoint)")
    root = Path(site)
    if not is_site(root):
        raise UsageError(f"{root}: not a site written by `csec-ld publish`")
    dataset_iri = _void_dataset(root)
    public = _public_base(public_url, dataset_iri)
    sparql = Sparql(
        root,
        timeout,
        row_limit,
        Path(store) if store else None,
        workers=workers,
        queue=queue,
        memory_mb=memory_mb,
        network="allow" if allow_network_in_queries else "deny",
    )
    api = Api(sparql.pool, timeout, row_limit, queries, site_vocabulary(root))
    workbench = Workbench(
        FolderFacts(root), sparql, api
    )  # the HTML pages; queries run through the pool
    catalog_nt = root / "catalog.nt"
    data_mtime = catalog_nt.stat().st_mtime if catalog_nt.is_file() else time.time()
    files = FileViews(
        Files(root),
        dataset_iri=dataset_iri,
        public=public,
        withdrawn=read_withdrawn(root),
        max_query_length=max_query_length,
    )
    api_views = ApiViews(api, max_query_length, data_mtime)
    pages = PageViews(workbench, api_views, max_query_length)
    oai = OaiView(root, public, oai_page_size)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        try:
            yield
        finally:
            sparql.pool.close()

    app = Starlette(
        routes=route_table(
            files=files,
            sparql=SparqlView(sparql, workbench, max_query_length),
            api=api_views,
            pages=pages,
            oai=oai,
        ),
        middleware=[Middleware(GZipMiddleware, minimum_size=500)],
        exception_handlers={RequestError: refusal, 404: not_found},
        lifespan=lifespan,
    )
    app.state.pool = sparql.pool
    return app


def _store_app(
    endpoint: str,
    *,
    graph: str | None,
    timeout: float,
    row_limit: int,
    max_query_length: int,
    oai_page_size: int,
    public_url: str | None,
    workers: int,
    queue: int,
    queries: dict[str, NamedQuery] | None,
    listing_size: int,
    admin_email: str | None,
    oai_secret: str | None,
) -> Starlette:
    """``serve --endpoint``: the same route table, its views reading a remote store.

    Nothing is kept that two instances could disagree on (see :mod:`.remote`), so any
    number of them can serve one store behind a load balancer.
    """
    from ..store import RemoteEngine
    from .remote import RemoteSite, StorePool, StoreSparql
    from .views.oai import StoreOaiView
    from .views.store import StoreFacts, StoreFileViews

    engine = RemoteEngine(endpoint, timeout=timeout, default_graph=graph)
    remote = RemoteSite(endpoint, graph=graph, timeout=timeout, engine=engine)
    pool = StorePool(engine, workers=workers, queue=queue, timeout=timeout)
    sparql = StoreSparql(pool, timeout, row_limit)
    api = Api(pool, timeout, row_limit, queries, vocabulary_of=lambda: remote.vocabulary)
    workbench = Workbench(StoreFacts(remote), sparql, api)
    api_views = ApiViews(api, max_query_length, time.time())
    app = Starlette(
        routes=route_table(
            files=StoreFileViews(remote, max_query_length, listing_size),
            sparql=SparqlView(sparql, workbench, max_query_length),
            api=api_views,
            pages=PageViews(workbench, api_views, max_query_length),
            oai=StoreOaiView(
                remote,
                _public_base(public_url, None),
                oai_page_size,
                admin_email,
                secret=oai_secret,
            ),
        ),
        # no gzip here: a record file's ETag is strong (its bytes' hash), and a strong
        # tag may not name a compressed body too (RFC 9110, 8.8.1)
        exception_handlers={RequestError: refusal, 404: not_found},
    )
    app.state.remote = remote
    app.state.pool = pool
    return app


class _ResourceViews(Protocol):
    async def resource(self, request: Request) -> Response: ...


class _OaiViews(Protocol):
    async def endpoint(self, request: Request) -> Response: ...


class _SparqlViews(Protocol):
    async def endpoint(self, request: Request) -> Response: ...


def route_table(
    *,
    files: _ResourceViews,
    sparql: _SparqlViews,
    api: ApiViews,
    pages: PageViews,
    oai: _OaiViews,
) -> list[Route]:
    """Every path the server answers, and its view; the first that matches answers."""
    api_methods = ["GET", "HEAD", "OPTIONS"]
    return [
        Route("/sparql", sparql.endpoint, methods=["GET", "POST", "OPTIONS"]),
        Route("/oai", oai.endpoint, methods=["GET", "POST"]),
        Route("/api/queries", api.listing, methods=api_methods),
        Route("/api/queries/{name}", api.query, methods=api_methods),
        Route("/api/openapi.json", api.openapi, methods=api_methods),
        Route("/api/openapi.html", pages.openapi, methods=["GET"]),
        Route("/queries", pages.queries, methods=["GET"]),
        Route("/queries/", pages.queries, methods=["GET"]),
        Route("/queries/{name}", pages.query_form, methods=["GET"]),
        Route("/{path:path}", files.resource, methods=["GET", "HEAD", "OPTIONS"]),
    ]


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
    admin_email: str | None = None,
) -> None:
    """Serve a site (or sources, published first) on *host*:*port* until interrupted.

    With *store_endpoint* (a SPARQL query URL of a store ``push`` filled, its *graph*)
    and no site, record IRIs and data files come from the store (:mod:`csec_ld.server.remote`).

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
                    public_url=public_url,
                    workers=workers,
                    queue=queue,
                    queries=queries,
                    admin_email=admin_email,
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
