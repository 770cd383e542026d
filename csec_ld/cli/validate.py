"""``csec-ld validate``: check records (or harvested RDF) against the SHACL shapes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..errors import OutputError
from .app import (
    base_option,
    catalog_option,
    main,
    progress,
    quiet_option,
    reports_errors,
    sources_argument,
    workers_option,
)

_FORMATS = ("text", "json", "turtle", "junit", "sarif", "github")


@main.command()
@sources_argument
@click.option(
    "--shapes",
    "shapes",
    type=click.Path(path_type=Path),
    default=None,
    help="SHACL shapes file or folder (default: the shapes shipped with csec-ld).",
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(_FORMATS),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the report to FILE (default: standard output).",
)
@click.option(
    "--fail-on",
    type=click.Choice(("violation", "warning", "info")),
    default="violation",
    show_default=True,
    help="Exit 1 when a result has this severity or a higher one.",
)
@click.option(
    "--show",
    type=click.Choice(("violation", "warning", "info")),
    default="info",
    show_default=True,
    help="Report only results of this severity or a higher one (the summary counts every "
    "result, and --fail-on still sees them all).",
)
@click.option(
    "--max-per-shape",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Report at most N results per shape (and count the rest).",
)
@click.option(
    "--engine",
    type=click.Choice(("fast", "pyshacl")),
    default="fast",
    show_default=True,
    help="fast: our compiled checks; pyshacl: the reference implementation (same results, slower).",
)
@base_option
@catalog_option
@workers_option
@quiet_option
@reports_errors
def validate(
    sources: tuple[Path, ...],
    shapes: Path | None,
    fmt: str,
    output: Path | None,
    fail_on: str,
    show: str,
    max_per_shape: int | None,
    engine: str,
    base: str | None,
    catalog: Path | None,
    workers: int | None,
    quiet: bool,
) -> None:
    """Validate records or RDF files against the SHACL shapes; report every problem.

    SOURCES are record files (YAML, CSV, JSON), RDF files (Turtle, N-Triples,
    JSON-LD) or folders (default: data/). Exit codes: 0 nothing at or above
    --fail-on, 1 problems at or above it, 2 usage error or unreadable shapes.

    --show hides the lower severities from the report (the summary line still
    counts them): pre-commit runs it with --show violation.

    \b
    Examples:
      csec-ld validate data/ -f sarif -o csec-ld.sarif
      csec-ld validate data/ --show violation
    """
    from ..reports import format_report, summary
    from ..validation import validate as run_validate

    with progress("validate", quiet) as advance:
        report = run_validate(
            list(sources) or ["data"],
            shapes=shapes,
            base=base,
            max_per_shape=max_per_shape,
            engine=engine,
            workers=workers,
            on_progress=advance,
            catalog=catalog,
        )
    if output is None:
        color = fmt == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        out = format_report(report, fmt, color=color, show=show, fail_on=fail_on)
        click.echo(out, nl=False, color=color)
    else:
        try:
            output.write_text(
                format_report(report, fmt, show=show, fail_on=fail_on), encoding="utf-8"
            )
        except OSError as exc:
            raise OutputError(f"{output}: cannot write the report ({exc.strerror})") from exc
    if output is not None or fmt not in ("text", "github"):
        click.echo(summary(report, show=show), err=True)
    if report.failed(fail_on):
        sys.exit(1)
