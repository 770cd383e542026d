"""``csec-ld build`` and ``csec-ld import-listing``: the dumps, and records from a listing."""

from __future__ import annotations

from pathlib import Path

import click

from .. import defaults
from ..serialize import DUMP_FORMATS
from .app import (
    base_option,
    catalog_option,
    csv_list,
    main,
    output_option,
    progress,
    quiet_option,
    reports_errors,
    sources_argument,
    workers_option,
)


@main.command()
@sources_argument
@output_option(defaults.BUILD_OUTPUT, "Folder to write the dumps into.")
@base_option
@catalog_option
@click.option(
    "--format",
    "formats",
    callback=csv_list,
    default=",".join(DUMP_FORMATS),
    show_default=True,
    help=f"Comma-separated formats: {', '.join(DUMP_FORMATS)}.",
)
@click.option(
    "--profile",
    "profiles",
    callback=csv_list,
    default=None,
    help=f"Comma-separated mapping profiles (default: {','.join(defaults.PROFILES)}).",
)
@click.option(
    "--no-validate", is_flag=True, help="Do not check the records against the SHACL shapes first."
)
@click.option(
    "--shapes",
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="SHACL shapes file or folder (default: the shipped shapes).",
)
@workers_option
@quiet_option
@reports_errors
def build(
    sources: tuple[Path, ...],
    out_dir: Path,
    base: str | None,
    catalog: Path | None,
    formats: list[str],
    profiles: list[str] | None,
    no_validate: bool,
    shapes: Path | None,
    workers: int | None,
    quiet: bool,
) -> None:
    """Map the records to RDF and write catalog.ttl, catalog.nt, catalog.jsonld.

    SOURCES are record files or folders (default: data/). The records are first
    validated against the SHACL shapes (--no-validate skips that). Nothing is
    written if any record has a problem or violates a shape; every problem is
    listed as file:line: record: field: message. The catalogue's description is
    the catalog.yaml next to SOURCES (or in the two folders above), or --catalog FILE.

    Example: csec-ld build data/ -o dist/ --format ttl,jsonld
    """
    from ..build import build as run_build

    with progress("build", quiet) as advance:
        result = run_build(
            list(sources) or ["data"],
            out_dir,
            formats=formats,
            profiles=profiles,
            base=base,
            workers=workers,
            on_progress=advance,
            validate=not no_validate,
            shapes=shapes,
            catalog=catalog,
        )
    click.echo(f"{result.records} records, {result.triples} triples → {out_dir}/")
    for _name, path in sorted(result.files.items()):
        click.echo(f"  {path}")


@main.command("import-listing")
@click.argument("listing", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder to write one YAML file per entry into (default: the records/ folder "
    "beside the catalogue's catalog.yaml).",
)
@catalog_option
@click.option("--overwrite", is_flag=True, help="Replace record files that already exist.")
@click.option(
    "--update",
    is_flag=True,
    help="Add only the entries not there yet (a listing that grew); keep every file.",
)
@reports_errors
def import_listing(
    listing: Path, out_dir: Path | None, catalog: Path | None, overwrite: bool, update: bool
) -> None:
    """Turn a publication listing (numbered titles, dates, descriptions) into record files.

    The files go to the catalogue's records/ folder (beside the catalog.yaml found in
    data/, the current folder or the two above it, or --catalog FILE), or to -o FOLDER.

    Example: csec-ld import-listing listing.txt --update
    """
    from ..listing import import_listing as run_import
    from ..listing import records_folder

    folder = out_dir if out_dir is not None else records_folder(catalog)
    written = run_import(listing, folder, overwrite=overwrite, update=update, catalog=catalog)
    for path in written:
        click.echo(str(path))
    new = " new" if update else ""
    click.echo(f"{len(written)}{new} records written to {folder}/", err=True)
