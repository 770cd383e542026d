"""``build``: records → RDF dumps (``catalog.ttl``, ``catalog.nt``, ``catalog.jsonld``).

Records stream from the sources through the mapping into every writer at once,
and are validated against the SHACL shapes on the way (one pass: each record is
read and mapped once); files are written in a temporary folder beside the output
and moved into place only when the whole run succeeded, so an error — a record
that does not load, or a violation of the shapes — leaves nothing half-written.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from . import defaults
from .errors import DataError, OutputError, UsageError
from .mapping import Mapper, writes_every_profile
from .memory import paused_gc
from .pipeline import PipelineSpec, run_chunks
from .serialize import DUMP_FORMATS, FORMATS, Writer, jsonld_context
from .sources import Catalogue, open_catalog
from .tempfiles import deferred_signals, make_temp_folder, remove_leftovers

__all__ = [
    "DEFAULT_FORMATS",
    "BuildResult",
    "atomic_output",
    "build",
    "ensure_valid",
]

DEFAULT_FORMATS: tuple[str, ...] = DUMP_FORMATS


@dataclass
class BuildResult:
    """What a build wrote."""

    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)
    records: int = 0
    triples: int = 0


@contextlib.contextmanager
def atomic_output(out_dir: Path) -> Iterator[Path]:
    """A temporary folder whose files replace those of *out_dir* only on success.

    The folder, ``.{name}.csec-ld-tmp-{pid}-{random}``, goes on an error, Ctrl-C or
    SIGTERM; the one a killed run left (``kill -9``) goes at the next run for *out_dir*
    (see :mod:`csec_ld.tempfiles`).
    """
    out_dir = Path(out_dir)
    resolved = out_dir.resolve()
    # The temporary folder goes in the nearest folder that exists, so that a failed
    # run does not even leave the output's missing parent folders behind.
    parent = resolved.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    remove_leftovers(parent, resolved.name, "tmp")
    try:
        tmp = make_temp_folder(parent, resolved.name, "tmp")
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot write here ({exc.strerror})") from exc
    try:
        yield tmp
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            with deferred_signals():  # not half the files moved on Ctrl-C
                for item in sorted(tmp.iterdir()):
                    target = out_dir / item.name
                    if target.is_dir() and not target.is_symlink():
                        shutil.rmtree(target)
                    os.replace(item, target)
        except OSError as exc:
            raise OutputError(f"{out_dir}: cannot write here ({exc.strerror})") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def ensure_valid(
    sources: Sequence[str | Path],
    *,
    base: str | None = None,
    shapes: str | Path | None = None,
    workers: int | None = None,
) -> None:
    """Validate *sources* against the SHACL shapes; :class:`DataError` lists every violation.

    Warnings and infos do not stop a build; ``csec-ld validate`` shows them.
    :func:`build` needs no separate pass: it validates while it maps.
    """
    from .validation import validate

    report = validate(sources, base=base, shapes=shapes, workers=workers)
    if report.failed("violation"):
        raise DataError(report.errors("violation"))


def _raise_problems(catalogue: Catalogue, stream: Any) -> None:
    """:class:`DataError` with every record problem and violation of the shapes, if any."""
    from .validation import ValidationReport, ValidationResult, load_results

    results = load_results(catalogue.errors) + stream.finish(catalogue)
    report = ValidationReport(results=sorted(set(results), key=ValidationResult.sort_key))
    if report.failed("violation"):
        raise DataError(report.errors("violation"))


def build(
    sources: Sequence[str | Path] = ("data",),
    out_dir: str | Path = defaults.BUILD_OUTPUT,
    *,
    formats: Sequence[str] = DEFAULT_FORMATS,
    profiles: Sequence[str] | None = None,
    base: str | None = None,
    workers: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    validate: bool = True,
    shapes: str | Path | None = None,
    catalog: str | Path | None = None,
) -> BuildResult:
    """Map the records of *sources* and write the catalogue dumps into *out_dir*.

    Raises :class:`~csec_ld.errors.DataError` listing every problem (nothing written):
    records that do not load and, with *validate*, violations of the SHACL shapes
    (*shapes*), checked while the records are mapped (one pass; the same problems as
    :func:`ensure_valid`). *catalog* is the ``catalog.yaml`` (default: found next to
    the sources, see :func:`~csec_ld.sources.open_catalog`).
    *workers* processes map and render chunks (default: one per core for large
    catalogues); the output is byte-identical for any number of workers.

    >>> result = build(["data"], "/tmp/csec-ld-doctest")
    >>> sorted(result.files)
    ['context', 'jsonld', 'nt', 'ttl']
    """
    with contextlib.ExitStack() as own_shapes:
        if validate and shapes is None:  # the catalogue's own vocabularies, if it has any
            from .validation import shapes_for_catalogue

            own = shapes_for_catalogue(sources, catalog, own_shapes)
            shapes = own[0] if own else None
        return _build(
            sources,
            out_dir,
            formats=formats,
            profiles=profiles,
            base=base,
            workers=workers,
            on_progress=on_progress,
            validate=validate,
            shapes=shapes,
            catalog=catalog,
        )


def _build(
    sources: Sequence[str | Path],
    out_dir: str | Path,
    *,
    formats: Sequence[str],
    profiles: Sequence[str] | None,
    base: str | None,
    workers: int | None,
    on_progress: Callable[[int], None] | None,
    validate: bool,
    shapes: str | Path | None,
    catalog: str | Path | None,
) -> BuildResult:
    formats = list(dict.fromkeys(formats))  # "ttl,ttl" must not open one file twice
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise UsageError(f"unknown format {unknown[0]!r} (known: {', '.join(FORMATS)})")
    if not formats:
        raise UsageError(f"no output format given (known: {', '.join(FORMATS)})")
    catalogue = open_catalog(sources, base=base, catalog=catalog)
    mapper = Mapper(catalogue, profiles)  # fails early on an unknown profile
    stream = None
    if validate:
        from .validation import ChunkChecker, StreamValidation

        stream = StreamValidation(ChunkChecker(shapes))  # fails early on unusable shapes
    spec = PipelineSpec(
        tuple(str(s) for s in sources),
        base,
        tuple(profiles) if profiles else None,
        tuple(formats),
        checker=None if stream is None else ChunkChecker,
        shapes=None if shapes is None else str(shapes),
        catalog=None if catalog is None else str(catalog),
    )
    # Validation sees every profile's triples, whatever profiles the output has.
    checked = mapper if stream is None or writes_every_profile(profiles) else Mapper(catalogue)
    mappers = [mapper] if checked is mapper else [mapper, checked]
    result = BuildResult(Path(out_dir))
    # The collector waits until the end (run_chunks collects the young objects now and
    # then): what is kept grows with the catalogue — ids, cross-record keys, the
    # catalogue's parts — and each automatic full collection scanned all of it again
    # (8.3 s of a million-record build's main process).
    with atomic_output(Path(out_dir)) as tmp, contextlib.ExitStack() as stack, paused_gc():
        writers: dict[str, Writer] = {}
        for fmt in formats:
            handle: IO[bytes] = stack.enter_context(open(tmp / f"catalog.{fmt}", "wb"))
            writers[fmt] = FORMATS[fmt](handle)
            writers[fmt].begin()
            result.files[fmt] = Path(out_dir) / f"catalog.{fmt}"
        # Worker processes leave their chunks' bytes in this folder, which goes (stack.close
        # below) before the temporary folder's files move into place.
        try:
            spool = make_temp_folder(tmp, "chunks", "spool")
        except OSError as exc:
            raise OutputError(f"{out_dir}: cannot write here ({exc.strerror})") from exc
        stack.callback(shutil.rmtree, spool, ignore_errors=True)
        chunks = run_chunks(catalogue, spec, workers=workers, spool=spool)
        # On an error or an interruption, the workers stop before their folder goes.
        stack.callback(chunks.close)
        for chunk in chunks:
            result.triples += chunk.triples
            chunk.write_to(writers)
            for m in mappers:
                chunk.merge_into(m)
            if stream is not None:
                stream.add(chunk.validation, skip=chunk.duplicates)
            if on_progress:
                on_progress(chunk.records)
        if stream is None:
            catalogue.check()
        if stream is not None and checked is not mapper:
            for block in checked.support(stream_parts=True):
                stream.add_support(block)
        for block in mapper.support(stream_parts=True):
            if stream is not None and checked is mapper:
                stream.add_support(block)
            if catalogue.errors:
                continue  # only checked: the output is discarded
            result.triples += len(block)
            for writer in writers.values():
                writer.block(block)
        if stream is not None:
            _raise_problems(catalogue, stream)
        for writer in writers.values():
            writer.end()
        stack.close()
        if "jsonld" in formats:
            (tmp / "context.jsonld").write_text(
                json.dumps(jsonld_context(), ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                encoding="utf-8",
            )
            result.files["context"] = Path(out_dir) / "context.jsonld"
    result.records = catalogue.count
    return result
