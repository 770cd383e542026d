"""``csec-ld push``: replace a graph of an existing triple store with the catalogue."""

from __future__ import annotations

from pathlib import Path

import click

from .. import defaults
from ..errors import UsageError
from ..store import DEFAULT_TIMEOUT
from ..urls import redact
from .app import (
    base_option,
    catalog_option,
    main,
    progress,
    quiet_option,
    reports_errors,
    sources_argument,
)


@main.command()
@sources_argument
@click.option(
    "--graph-store",
    metavar="URL",
    help="The store's SPARQL 1.1 Graph Store endpoint (Oxigraph: http://host:7878/store), "
    "as in `load --graph-store`.",
)
@click.option(
    "--graph", metavar="IRI", help="The named graph to replace (default: the default graph)."
)
@click.option(
    "--update-endpoint",
    metavar="URL",
    help="The store's SPARQL Update endpoint (derived for Oxigraph and Fuseki).",
)
@click.option(
    "--endpoint",
    "query_endpoint",
    metavar="URL",
    help="The store's SPARQL query endpoint, as in `query --endpoint` and `serve --endpoint`: "
    "push checks the staging graphs and the swap with it (derived for Oxigraph and Fuseki).",
)
@click.option(
    "--swap",
    type=click.Choice(defaults.PUSH_SWAPS),
    default=defaults.PUSH_SWAP,
    show_default=True,
    help="How the target graph is replaced: MOVE from a staging graph; "
    "DROP+INSERT from it (stores without MOVE, e.g. QLever); or one PUT.",
)
@base_option
@catalog_option
@click.option(
    "--chunk-lines",
    type=click.IntRange(min=1),
    default=defaults.PUSH_CHUNK_LINES,
    show_default=True,
    help="Triples per upload request.",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=defaults.PUSH_RETRIES,
    show_default=True,
    help="Tries again after a transient error (connection lost, 502/503/504, 429); "
    "the swap only once the store shows it was not applied.",
)
@click.option(
    "--timeout",
    type=float,
    default=DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for each answer.",
)
@click.option(
    "--no-validate", is_flag=True, help="Do not check the records against the shapes first."
)
@quiet_option
@reports_errors
def push(
    sources: tuple[Path, ...],
    graph_store: str | None,
    graph: str | None,
    update_endpoint: str | None,
    query_endpoint: str | None,
    swap: str,
    base: str | None,
    catalog: Path | None,
    chunk_lines: int,
    retries: int,
    timeout: float,
    no_validate: bool,
    quiet: bool,
) -> None:
    """Replace a graph of a triple store with the catalogue, atomically.

    The catalogue is built and validated, uploaded in chunks to a staging graph
    (Graph Store Protocol), counted, then moved over the target graph in one SPARQL
    Update: readers never see a half-loaded catalogue, and a failed push leaves
    the published graph as it was. If the answer to the swap is lost, push asks
    the store what happened before anything else, and fails unless it can prove
    the outcome. Staging graphs left by an interrupted push over an hour ago are
    removed. Credentials come from CSEC_LD_ENDPOINT_TOKEN, or CSEC_LD_ENDPOINT_USER
    and CSEC_LD_ENDPOINT_PASSWORD, or the URL (passwords are never shown).

    Example: csec-ld push data/ --graph-store http://127.0.0.1:7878/store --graph https://w3id.org/csec-ld/catalog
    """
    from ..push import push as run_push

    if not graph_store:
        hint = ""
        if query_endpoint and "/store" in query_endpoint:  # an older csec-ld's --endpoint
            hint = (
                f" (--endpoint {redact(query_endpoint)} looks like one: --endpoint is the "
                "query URL now, as in `query` and `serve`)"
            )
        raise UsageError(
            "push needs --graph-store URL, the store's Graph Store endpoint "
            f"(Oxigraph: http://host:7878/store){hint}"
        )

    with progress("push", quiet, unit="triples") as advance:
        result = run_push(
            list(sources) or ["data"],
            graph_store,
            graph=graph,
            update_endpoint=update_endpoint,
            query_endpoint=query_endpoint,
            swap=swap,
            base=base,
            lines_per_chunk=chunk_lines,
            retries=retries,
            timeout=timeout,
            validate=not no_validate,
            on_progress=advance,
            catalog=catalog,
        )
    if result.removed_staging:
        n = len(result.removed_staging)
        click.echo(
            redact(
                f"removed {n} staging graph{'s' if n != 1 else ''} left by an interrupted "
                f"push: {', '.join(result.removed_staging)}"
            )
        )
    for warning in result.warnings:
        click.echo(redact(f"warning: {warning}"), err=True)
    target = f"graph <{result.graph}>" if result.graph else "the default graph"
    click.echo(
        redact(
            f"{result.records} records, {result.triples} triples → {target} of "
            f"{result.endpoint} ({result.chunks} requests)"
        )
    )
