"""``csec-ld publish`` and ``csec-ld serve``: the static site and its linked-data server."""

from __future__ import annotations

from pathlib import Path

import click

from .. import defaults
from ..server.sandbox import DEFAULT_MEMORY_MB, DEFAULT_QUEUE, DEFAULT_WORKERS
from .app import (
    base_option,
    catalog_option,
    main,
    output_option,
    quiet_option,
    reports_errors,
    sources_argument,
    step_progress,
    workers_option,
)


@main.command()
@sources_argument
@output_option(defaults.SITE_OUTPUT, "Folder to write the site into (replaced when complete).")
@base_option
@catalog_option
@click.option(
    "--no-validate",
    is_flag=True,
    help="Publish without checking the records against the SHACL shapes.",
)
@click.option(
    "--shapes",
    type=click.Path(path_type=Path, exists=True),
    help="SHACL shapes to validate with (default: the shipped shapes).",
)
@click.option(
    "--sparql-endpoint",
    metavar="URL",
    help="The SPARQL endpoint to name in void.ttl and on the home page.",
)
@click.option(
    "--full",
    is_flag=True,
    help="Rebuild every page, even of records unchanged since the site was written "
    "(by default only what changed is redone; the site is the same either way).",
)
@workers_option
@quiet_option
@reports_errors
def publish(
    sources: tuple[Path, ...],
    out_dir: Path,
    base: str | None,
    catalog: Path | None,
    no_validate: bool,
    shapes: Path | None,
    sparql_endpoint: str | None,
    workers: int | None,
    quiet: bool,
    full: bool,
) -> None:
    """Validate the records and write a static linked-data site.

    SOURCES are record files or folders (default: data/). The site holds a page
    and Turtle/JSON-LD/N-Triples for every record, type, topic, country, agent
    and project, the catalogue dumps, void.ttl, a paged JSON-LD catalogue,
    sitemap.xml and robots.txt. A withdrawn record gets a tombstone page only.
    Nothing is written if a record has a problem or violates the shapes.
    Into a site it wrote before, only the records that changed are redone
    (--full: all of them).

    Example: csec-ld publish data/ -o site/ && csec-ld serve site/
    """
    from ..site.publish import publish as run_publish

    with step_progress(quiet) as advance:
        result = run_publish(
            list(sources) or ["data"],
            out_dir,
            base=base,
            validate=not no_validate,
            shapes=shapes,
            sparql_endpoint=sparql_endpoint,
            workers=workers,
            on_progress=advance,
            catalog=catalog,
            full=full,
        )
    withdrawn = f", {result.withdrawn} withdrawn" if result.withdrawn else ""
    reused = f", {result.reused} unchanged" if result.reused else ""
    click.echo(
        f"{result.records} records{withdrawn}{reused}, {result.triples} triples, "
        f"{len(result.files)} files → {out_dir}/"
    )


@main.command()
@click.argument("site_or_sources", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--host", default=defaults.SERVE_HOST, show_default=True, help="Interface to listen on."
)
@click.option(
    "--port",
    default=defaults.SERVE_PORT,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on.",
)
@base_option
@catalog_option
@click.option("--no-validate", is_flag=True, help="When serving sources: skip SHACL validation.")
@click.option(
    "--timeout",
    default=defaults.SERVE_TIMEOUT,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="SPARQL query time limit, in seconds.",
)
@click.option(
    "--row-limit",
    default=defaults.ROW_LIMIT,
    show_default=True,
    type=click.IntRange(min=1),
    help="Most rows (or triples) a SPARQL query returns.",
)
@click.option(
    "--max-query-length",
    default=defaults.MAX_QUERY_LENGTH,
    show_default=True,
    type=click.IntRange(min=256),
    help="Longest query string or request body, in bytes.",
)
@click.option(
    "--store",
    type=click.Path(path_type=Path, exists=True, file_okay=False),
    metavar="DIR",
    help="Answer /sparql and the query API from an embedded store "
    "filled by `csec-ld load --store DIR` (for catalogues too large for memory).",
)
@click.option(
    "--public-url",
    metavar="URL",
    help="Where clients reach the server (behind a proxy: its public URL); names "
    "the SPARQL endpoint in void.ttl and the OAI-PMH baseURL. Default: "
    "http://HOST:PORT/. Never taken from a request's Host header.",
)
@click.option(
    "--query-workers",
    "workers",
    default=DEFAULT_WORKERS,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes that run SPARQL queries.",
)
@click.option(
    "--query-queue",
    "queue",
    default=DEFAULT_QUEUE,
    show_default=True,
    type=click.IntRange(0, 10_000),
    help="Queries that may wait for a worker; more get 503 with Retry-After.",
)
@click.option(
    "--query-memory",
    "memory_mb",
    default=DEFAULT_MEMORY_MB,
    show_default=True,
    type=click.IntRange(min=1024),
    help="Memory a query worker may use, in MB.",
)
@click.option(
    "--allow-network-in-queries",
    is_flag=True,
    help="Run queries even where workers cannot be cut off from the network "
    "(no libseccomp): SERVICE could then reach any URL. Not for public servers.",
)
@click.option(
    "--queries",
    "queries_dir",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Add the documented .rq files of DIR to the named queries (API and pages).",
)
@click.option(
    "--endpoint",
    "store_endpoint",
    metavar="QUERY_URL",
    help="Serve record IRIs and data files from the SPARQL store `csec-ld push` "
    "filled (its query URL, e.g. http://localhost:7878/query), with no site folder.",
)
@click.option(
    "--graph",
    metavar="IRI",
    help="With --endpoint: the named graph `push --graph` filled (default: the default graph).",
)
@click.option(
    "--admin-email",
    metavar="EMAIL",
    help="With --endpoint: OAI-PMH's adminEmail (a store holds none; without it, /oai is "
    "404). Give every instance the same CSEC_LD_OAI_SECRET to key resumption tokens.",
)
@reports_errors
def serve(
    site_or_sources: tuple[Path, ...],
    host: str,
    port: int,
    base: str | None,
    catalog: Path | None,
    no_validate: bool,
    timeout: float,
    row_limit: int,
    max_query_length: int,
    store: Path | None,
    public_url: str | None,
    workers: int,
    queue: int,
    memory_mb: int,
    allow_network_in_queries: bool,
    queries_dir: Path | None,
    store_endpoint: str | None = None,
    graph: str | None = None,
    admin_email: str | None = None,
) -> None:
    """Serve a published site (or sources, published first) with content negotiation,
    a read-only SPARQL endpoint at /sparql and the named queries at /api/queries.

    SITE_OR_SOURCES is a folder written by `csec-ld publish`, or record files and
    folders (default: site/ if it is a published site, else data/).

    Queries run in worker processes without network access, killed at the time limit.

    Example: csec-ld serve site/ --port 8080 --public-url https://csec.example.org/
    """
    from ..query import queries_with
    from ..server import serve as run_serve

    named = queries_with(queries_dir)  # a bad .rq file stops here, before the server starts
    click.echo(
        f"serving on http://{host}:{port}/ (SPARQL: http://{host}:{port}/sparql, "
        f"queries: http://{host}:{port}/api/queries); Ctrl-C stops",
        err=True,
    )
    run_serve(
        list(site_or_sources) or None,
        host=host,
        port=port,
        base=base,
        validate=not no_validate,
        timeout=timeout,
        row_limit=row_limit,
        max_query_length=max_query_length,
        store=store,
        public_url=public_url,
        workers=workers,
        queue=queue,
        memory_mb=memory_mb,
        allow_network_in_queries=allow_network_in_queries,
        catalog=catalog,
        queries=named,
        store_endpoint=store_endpoint,
        graph=graph,
        admin_email=admin_email,
    )
