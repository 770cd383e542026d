"""``csec-ld query`` and ``csec-ld load``: named SPARQL queries on files, a store or an endpoint."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from ..errors import UsageError
from ..http import format_size, parse_size
from ..query import (
    GRAPH_FORMATS,
    TABLE_FORMATS,
    NamedQuery,
    load_query_file,
    queries_with,
    query_and_format,
    resolve_query,
)
from ..store import (
    DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_TIMEOUT,
    load_store,
    named_graph_hint,
    open_engine,
    upload_catalogue,
)
from .app import catalog_option, main, progress, quiet_option, reports_errors, sources_argument


def _params(pairs: tuple[str, ...]) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for pair in pairs:
        name, eq, value = pair.partition("=")
        if not eq or not name.strip():
            raise UsageError(f"-p {pair!r}: write -p NAME=VALUE")
        values.setdefault(name.strip(), []).append(value)
    return values


class _Size(click.ParamType):
    name = "size"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_size(str(value))
        except UsageError as exc:
            self.fail(str(exc), param, ctx)


def _listing(queries: dict[str, NamedQuery]) -> str:
    lines = []
    for q in queries.values():
        lines.append(f"{q.name}\n  {q.summary}")
        for p in q.parameters:
            lines.append(f"  -p {p.describe()}" + (f": {p.help}" if p.help else ""))
        lines.extend(f"  e.g. {ex}" for ex in q.examples[:1])
    return "\n".join(lines) + "\n"


@main.command("query")
@click.argument("query", required=False)
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A parameter value (repeat for several, or for a multi-valued parameter).",
)
@click.option(
    "-e", "--sparql", metavar="QUERY", help="Run this SPARQL text instead of a named query."
)
@click.option("--list", "list_queries", is_flag=True, help="List the named queries and exit.")
@click.option(
    "--queries",
    "queries_dir",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Add the documented .rq files of DIR to the named queries (checked first).",
)
@click.option(
    "--show", is_flag=True, help="Print the query with its parameters bound; do not run it."
)
@click.option(
    "--data",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="Records or RDF dumps to query, loaded in process (default: data/; repeatable).",
)
@catalog_option
@click.option(
    "--store",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Query an embedded store filled by `csec-ld load --store DIR`.",
)
@click.option("--endpoint", metavar="URL", help="Query a SPARQL 1.1 Protocol endpoint.")
@click.option(
    "--graph",
    metavar="IRI",
    help="Query this named graph of --store or --endpoint as the default graph "
    "(a catalogue pushed with `push --graph IRI`).",
)
@click.option(
    "--timeout",
    type=float,
    default=DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for the endpoint.",
)
@click.option(
    "--max-response-size",
    type=_Size(),
    default=format_size(DEFAULT_MAX_RESPONSE_SIZE),
    show_default=True,
    metavar="SIZE",
    help="The most the endpoint's answer may hold, decoded (e.g. 64K, 16M, 1G).",
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(TABLE_FORMATS + GRAPH_FORMATS),
    help="Output format (default: table, or ttl for CONSTRUCT).",
)
@click.option(
    "--width",
    type=click.IntRange(min=20),
    metavar="COLUMNS",
    help="Fit the table in this many columns (default: the terminal's width; "
    "piped or redirected output is never cut).",
)
@click.option("--no-truncate", is_flag=True, help="Never cut the table's cells.")
@reports_errors
def query(
    query: str | None,
    params: tuple[str, ...],
    sparql: str | None,
    list_queries: bool,
    show: bool,
    data: tuple[Path, ...],
    catalog: Path | None,
    store: Path | None,
    endpoint: str | None,
    timeout: float,
    max_response_size: int,
    fmt: str | None,
    width: int | None,
    no_truncate: bool,
    graph: str | None,
    queries_dir: Path | None,
) -> None:
    """Run a named query, a .rq file or SPARQL text on the catalogue.

    QUERY is a named query (see --list) or a FILE.rq. Parameters are typed and
    bound as RDF terms, never pasted into the query. Credentials for --endpoint
    come from CSEC_LD_ENDPOINT_TOKEN, or CSEC_LD_ENDPOINT_USER and
    CSEC_LD_ENDPOINT_PASSWORD. --timeout covers the endpoint's whole answer, and
    an answer larger than --max-response-size is refused.

    \b
    Example: csec-ld query by-country -p country=PHL -f csv
             csec-ld query --queries my-queries/ my-query -p since=2010
    """
    available = queries_with(queries_dir)  # the shipped queries, and DIR's (checked)
    if list_queries:
        click.echo(_listing(available), nl=False)
        return
    if bool(query) == bool(sparql):
        raise UsageError("give a query name or FILE.rq, or -e 'SELECT ...' (see --list)")
    if query and query in available:
        named = available[query]
    elif query and (query.endswith(".rq") or _is_file(query)):
        named = load_query_file(query)
    else:
        named = resolve_query(query or sparql or "")
    values = _params(params)
    if show and not named.takes_concepts:
        click.echo(named.bind(values))
        return
    with open_engine(
        data=list(data) or None,
        store=store,
        endpoint=endpoint,
        timeout=timeout,
        max_response_size=max_response_size,
        catalog=catalog,
        graph=graph,
    ) as engine:
        if show:  # a concept is the data's: the catalogue may have its own
            click.echo(named.bind(values, engine.vocabulary()))
            return

        def hint() -> None:
            message = named_graph_hint(engine)
            if message:
                click.echo(f"hint: {message}", err=True)

        click.echo(
            query_and_format(
                named, values, engine, fmt, _table_width(width, no_truncate), on_empty=hint
            ),
            nl=False,
        )


@main.command("load")
@sources_argument
@click.option(
    "--store",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="An embedded on-disk store (created if needed).",
)
@click.option(
    "--graph-store",
    metavar="URL",
    help="A SPARQL 1.1 Graph Store Protocol endpoint, e.g. http://host:7878/store.",
)
@catalog_option
@click.option("--append", is_flag=True, help="Add to what is there instead of replacing it.")
@click.option(
    "--timeout",
    type=float,
    default=DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for the graph store.",
)
@quiet_option
@reports_errors
def load(
    sources: tuple[Path, ...],
    store: Path | None,
    graph_store: str | None,
    catalog: Path | None,
    append: bool,
    timeout: float,
    quiet: bool,
) -> None:
    """Load the catalogue (records or RDF dumps) and the ontology into a store.

    SOURCES default to data/. The default graph is replaced unless --append;
    nothing changes if a record has a problem.

    \b
    Example: csec-ld load --store .store data/
             csec-ld query count-by-year --store .store
    """
    if bool(store) == bool(graph_store):
        raise UsageError("give one of --store DIR and --graph-store URL")
    srcs = list(sources) or [Path("data")]
    if store:
        with progress("load", quiet) as advance:
            result = load_store(store, srcs, append=append, on_progress=advance, catalog=catalog)
    else:
        assert graph_store is not None
        result = upload_catalogue(
            graph_store, srcs, replace=not append, timeout=timeout, catalog=catalog
        )
    click.echo(f"{result.triples} triples in {result.target}")


def _table_width(width: int | None, no_truncate: bool) -> int | None:
    """The width to fit the table in: none (cut nothing) with --no-truncate or when the
    output is not a terminal, so that a pipe or a file gets every cell whole."""
    if no_truncate:
        return None
    if width is not None:
        return width
    if not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size((100, 24)).columns


def _is_file(text: str) -> bool:
    """Whether *text* names a file (SPARQL text can be too long to be a file name)."""
    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False
