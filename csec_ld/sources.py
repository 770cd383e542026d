"""Read records and the catalogue's own description from files.

One small reader per format, each yielding :class:`~csec_ld.records.RawRecord`
values with their file and line:

* YAML (``.yaml``/``.yml``): one record per file, or a list of records;
* CSV (``.csv``): UTF-8 with or without BOM, comma or semicolon, any line ending;
  multi-valued cells split on ``|``; ``title@fr`` columns for translations;
* JSON (``.json``): a list of records (or one record);
* JSON Lines (``.jsonl``/``.ndjson``): one record per line.

:func:`open_catalog` finds the catalogue description (``catalog.yaml``) and the
registry of agents (``agents.yaml``) next to the sources; :meth:`Catalogue.records`
streams checked records and collects every problem rather than stopping at the first.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import DataError, RecordError, SourceNotFoundError, UsageError
from .namespaces import VOCAB_BASE
from .records import (
    FIELDS,
    LIST_FIELDS,
    REQUIRED_FIELDS,
    SLUG_RE,
    TEXT_FIELDS,
    LangString,
    Location,
    RawRecord,
    Record,
    _check_url,
    build_record,
)
from .vocab import Agent, Registry, Vocabulary, load_vocabulary

__all__ = [
    "CATALOG_FILE",
    "RDF_SUFFIXES",
    "RECORD_SUFFIXES",
    "REGISTRY_FILE",
    "Catalog",
    "Catalogue",
    "discover",
    "load_records",
    "open_catalog",
    "read_raw",
]

CATALOG_FILE = "catalog.yaml"
REGISTRY_FILE = "agents.yaml"
RECORD_SUFFIXES = frozenset({".yaml", ".yml", ".csv", ".json", ".jsonl", ".ndjson"})
RDF_SUFFIXES = frozenset({".ttl", ".nt", ".jsonld", ".nq", ".trig", ".rdf"})
_CONFIG_FILES = frozenset({CATALOG_FILE, REGISTRY_FILE})
DEFAULT_TITLE = "Resources on commercial sexual exploitation of children"


# --------------------------------------------------------------------------- text


def _read_text(path: Path) -> str:
    """The file's text, decoded as strict UTF-8 (a BOM is dropped)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RecordError(f"cannot read the file: {exc.strerror}", path=path) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RecordError(
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8",
            path=path,
            line=line,
        ) from exc
    if not text.strip():
        raise RecordError("the file is empty", path=path)
    return text


# --------------------------------------------------------------------------- YAML

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


def _yaml_value(node: yaml.Node, path: Path) -> Any:
    if node.tag not in _PLAIN_TAGS:
        raise RecordError(
            f"YAML tag {node.tag!r} is not allowed (records hold plain text, lists and mappings)",
            path=path,
            line=node.start_mark.line + 1,
        )
    if isinstance(node, yaml.ScalarNode):
        if node.style is None and node.value in _NULLS:
            return None
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_yaml_value(n, path) for n in node.value]
    assert isinstance(node, yaml.MappingNode)
    return _yaml_mapping(node, path)[0]


def _yaml_mapping(node: yaml.MappingNode, path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    out: dict[str, Any] = {}
    lines: dict[str, int] = {}
    # The record id, if there is a plain one, so that errors in other fields name it.
    rid = next(
        (
            v.value
            for k, v in node.value
            if isinstance(k, yaml.ScalarNode)
            and k.value == "id"
            and isinstance(v, yaml.ScalarNode)
            and v.tag in _PLAIN_TAGS
            and v.value
        ),
        None,
    )
    for key_node, value_node in node.value:
        key = _yaml_value(key_node, path)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise RecordError("a mapping key must be a text", path=path, line=line, record=rid)
        if key in out:
            raise RecordError(
                f"{key!r} is given twice", path=path, line=line, record=rid, field=key
            )
        try:
            out[key] = _yaml_value(value_node, path)
        except RecordError as exc:
            # Name the field at this level (a tag nested in a title map is the title's).
            raise RecordError(
                exc.message, path=path, line=exc.line, record=rid or exc.record, field=key
            ) from exc
        lines[key] = line
    return out, lines


class _RecordLoader(yaml.BaseLoader):
    """BaseLoader (no implicit types) that refuses aliases.

    Records hold plain text; an alias (``*name``) is never needed, and nested
    aliases expand exponentially when read (the "billion laughs").
    """

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in records", mark
            )
        return super().compose_node(parent, index)


def _yaml_documents(path: Path) -> list[yaml.Node]:
    text = _read_text(path)
    try:
        # BaseLoader resolves no implicit types: every scalar stays text, so
        # "2010-06-01" is not turned into a date nor "no" into False.
        return [d for d in yaml.compose_all(text, Loader=_RecordLoader) if d is not None]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or str(exc)
        raise RecordError(f"malformed YAML: {problem}", path=path, line=line) from exc
    except yaml.YAMLError as exc:
        raise RecordError(f"malformed YAML: {exc}", path=path) from exc


def read_yaml(path: Path) -> Iterator[RawRecord | RecordError]:
    """Records from a YAML file: one mapping, or a list of mappings.

    A record that cannot be read is yielded as its error, and reading goes on.
    """
    for doc in _yaml_documents(path):
        nodes = doc.value if isinstance(doc, yaml.SequenceNode) else [doc]
        for node in nodes:
            line = node.start_mark.line + 1
            try:
                if not isinstance(node, yaml.MappingNode) or node.tag not in _PLAIN_TAGS:
                    if node.tag not in _PLAIN_TAGS:
                        _yaml_value(node, path)  # raises the tag error
                    raise RecordError(
                        "expected a record (a mapping of fields)", path=path, line=line
                    )
                data, lines = _yaml_mapping(node, path)
            except RecordError as exc:
                yield exc
                continue
            yield RawRecord(data, Location(str(path), line), lines)


# --------------------------------------------------------------------------- CSV


def _csv_dialect(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _csv_column(name: str) -> tuple[str, str | None]:
    base, _, lang = name.partition("@")
    return base.strip(), (lang.strip() or None) if lang else None


def read_csv(path: Path) -> Iterator[RawRecord | RecordError]:
    """Records from a CSV file, one per row after the header."""
    text = _read_text(path)
    delimiter = _csv_dialect(text.splitlines()[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise RecordError(f"malformed CSV header: {exc}", path=path, line=1) from exc
    columns = [_csv_column(h) for h in header]
    problems = []
    seen: set[tuple[str, str | None]] = set()
    for (name, lang), raw_name in zip(columns, header, strict=True):
        if name not in FIELDS or (lang and name not in TEXT_FIELDS):
            problems.append(f"unknown column {raw_name!r}")
        # "title" is "title@en", and "title@FR" is "title@fr": one cell would overwrite the other.
        key = (name, (lang or "en").lower()) if name in TEXT_FIELDS else (name, lang)
        if key in seen:
            problems.append(f"column {raw_name!r} is given twice")
        seen.add(key)
    missing = [f for f in REQUIRED_FIELDS if not any(name == f for name, _ in seen)]
    if missing or problems:
        msgs = problems + [f"missing required column {m!r}" for m in missing]
        field_name = missing[0] if missing else None
        raise RecordError("; ".join(msgs), path=path, line=1, field=field_name)
    end = reader.line_num
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise RecordError(f"malformed CSV: {exc}", path=path, line=reader.line_num) from exc
        end = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            yield RecordError(
                f"row has {len(row)} cells, the header has {len(columns)}", path=path, line=start
            )
            continue
        data: dict[str, Any] = {}
        for (name, lang), cell in zip(columns, row, strict=True):
            cell = cell.strip()
            if not cell:
                continue
            if name in TEXT_FIELDS:
                data.setdefault(name, {})[lang or "en"] = cell
            elif name in LIST_FIELDS:
                data[name] = [v.strip() for v in cell.split("|") if v.strip()]
            else:
                data[name] = cell
        for name in REQUIRED_FIELDS:
            data.setdefault(name, None)
        yield RawRecord(data, Location(str(path), start), {})


# --------------------------------------------------------------------------- JSON


def _json_scalar(value: Any) -> Any:
    """A parsed JSON value with its integers as text ("issued": 2010 is as good as
    "2010"). Most values are strings, let through at the first test (the json module
    gives exact types: bool before int, which it subclasses)."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        return str(value)
    if kind is list:
        return [v if type(v) is str else _json_scalar(v) for v in value]
    if kind is dict:
        return {k: v if type(v) is str else _json_scalar(v) for k, v in value.items()}
    return value


def _json_record(value: Any, path: Path, line: int) -> RawRecord | RecordError:
    if type(value) is not dict:
        return RecordError("expected a record (a JSON object of fields)", path=path, line=line)
    data = {k: v if type(v) is str else _json_scalar(v) for k, v in value.items()}
    return RawRecord(data, Location(str(path), line), {})


def _json_error(exc: json.JSONDecodeError, path: Path, line_offset: int = 0) -> RecordError:
    return RecordError(
        f"malformed JSON: {exc.msg} (column {exc.colno})", path=path, line=exc.lineno + line_offset
    )


def read_json(path: Path) -> Iterator[RawRecord | RecordError]:
    """Records from a JSON file holding a list of records (or one record)."""
    text = _read_text(path)
    decoder = json.JSONDecoder(object_pairs_hook=_no_duplicate_keys)
    try:
        doc = decoder.decode(text)
    except json.JSONDecodeError as exc:
        raise _json_error(exc, path) from exc
    except ValueError as exc:
        raise RecordError(f"malformed JSON: {exc}", path=path) from exc
    if isinstance(doc, dict):
        yield _json_record(doc, path, 1)
        return
    if not isinstance(doc, list):
        raise RecordError("expected a list of records", path=path, line=1)
    # Find where each element starts, so that errors name its line.
    pos = text.index("[") + 1
    for item in doc:
        while text[pos] in " \t\r\n,":
            pos += 1
        _, end = decoder.raw_decode(text, pos)
        yield _json_record(item, path, text.count("\n", 0, pos) + 1)
        pos = end


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"key {k!r} is given twice")
        out[k] = v
    return out


def jsonl_batches(path: Path, size: int = 2000) -> Iterator[tuple[int, int, int]]:
    """Batches of lines of a JSON Lines file: (number of the first line, byte offset,
    byte length) each, for :func:`read_lines`.

    The file is streamed, never read whole: JSON Lines is the format for large
    catalogues, and worker processes read and parse the batches (so the lines do
    not travel from one process to another).
    """
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise RecordError(f"cannot read the file: {exc.strerror}", path=path) from exc
    with handle:
        first, start, offset, count = 1, 0, 0, 0
        seen_content = False
        for number, line in enumerate(handle, start=1):
            if not seen_content:
                text = line[3:] if number == 1 and line.startswith(b"\xef\xbb\xbf") else line
                seen_content = bool(text.strip())
            offset += len(line)
            count += 1
            if count >= size:
                yield first, start, offset - start
                first, start, count = number + 1, offset, 0
        if count:
            yield first, start, offset - start
        if not seen_content:
            raise RecordError("the file is empty", path=path)


def read_lines(path: Path, first: int, start: int, length: int) -> list[bytes]:
    """The lines of a batch from :func:`jsonl_batches` (without a byte order mark)."""
    with path.open("rb") as handle:
        handle.seek(start)
        data = handle.read(length)
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()  # the batch ends with a line break
    if first == 1 and lines and lines[0].startswith(b"\xef\xbb\xbf"):
        lines[0] = lines[0][3:]
    return lines


def parse_jsonl(path: Path, first: int, lines: list[bytes]) -> Iterator[RawRecord | RecordError]:
    """Raw records from a batch of JSON Lines (see :func:`jsonl_batches`)."""
    decoder = json.JSONDecoder(object_pairs_hook=_no_duplicate_keys)
    for number, raw in enumerate(lines, start=first):
        try:
            line = raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as exc:
            yield RecordError(
                f"is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
                path=path, line=number)
            continue
        if not line.strip():
            continue
        try:
            value = decoder.decode(line)
        except json.JSONDecodeError as exc:
            yield _json_error(exc, path, number - 1)
            continue
        except ValueError as exc:
            yield RecordError(f"malformed JSON: {exc}", path=path, line=number)
            continue
        yield _json_record(value, path, number)


def read_jsonl_batch(
    path: Path, first: int, start: int, length: int
) -> Iterator[RawRecord | RecordError]:
    """The records of one batch from :func:`jsonl_batches` (in a worker process, say)."""
    return parse_jsonl(path, first, read_lines(path, first, start, length))


def read_jsonl(path: Path) -> Iterator[RawRecord | RecordError]:
    """Records from a JSON Lines file, one object per line (streamed)."""
    for batch in jsonl_batches(path):
        yield from read_jsonl_batch(path, *batch)


_READERS = {
    ".yaml": read_yaml,
    ".yml": read_yaml,
    ".csv": read_csv,
    ".json": read_json,
    ".jsonl": read_jsonl,
    ".ndjson": read_jsonl,
}


def read_raw(path: Path) -> Iterator[RawRecord | RecordError]:
    """Raw records from one file, by its suffix.

    Problems that spoil one record are yielded in its place (reading goes on);
    problems that spoil the file (not UTF-8, malformed YAML) are raised.
    """
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise UsageError(
            f"{path}: not a record file (expected one of {', '.join(sorted(_READERS))})"
        )
    return reader(path)


# --------------------------------------------------------------------------- discovery


def discover(sources: Sequence[str | Path], *, rdf: bool = False) -> list[Path]:
    """The record files named by *sources* (files, or folders searched recursively).

    With ``rdf=True``, RDF files (Turtle, N-Triples, JSON-LD, ...) are accepted too.
    A path that does not exist raises :class:`SourceNotFoundError`.
    """
    suffixes = RECORD_SUFFIXES | (RDF_SUFFIXES if rdf else frozenset())
    found: list[Path] = []
    for source in sources:
        path = Path(source)
        if not path.exists():
            raise SourceNotFoundError(f"{path}: no such file or folder")
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.suffix.lower() in suffixes
                and p.name not in _CONFIG_FILES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.suffix.lower() in suffixes:
            found.append(path)
        else:
            raise UsageError(
                f"{path}: unsupported file type (expected {', '.join(sorted(suffixes))})"
            )
    return list(dict.fromkeys(found))


# --------------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class Catalog:
    """The catalogue's own description, from ``catalog.yaml``."""

    title: tuple[LangString, ...] = (LangString(DEFAULT_TITLE),)
    description: tuple[LangString, ...] = ()
    base: str = VOCAB_BASE
    publisher: str | None = None
    license: str | None = None
    location: Location | None = field(default=None, compare=False)

    @property
    def iri(self) -> str:
        return self.base + "catalog"

    def record_iri(self, record_id: str) -> str:
        return f"{self.base}resource/{record_id}"


def _find_config(sources: Sequence[str | Path]) -> Path | None:
    for source in sources:
        path = Path(source).resolve()
        start = path if path.is_dir() else path.parent
        for folder in (start, start.parent, start.parent.parent):
            candidate = folder / CATALOG_FILE
            if candidate.is_file():
                return candidate
    return None


def _mapping_file(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    docs = _yaml_documents(path)
    if len(docs) != 1 or not isinstance(docs[0], yaml.MappingNode):
        raise RecordError("expected one mapping", path=path, line=1)
    return _yaml_mapping(docs[0], path)


def _check_base(base: str, where: Location | None, field_name: str = "base") -> str:
    try:
        _check_url(base)
    except ValueError as exc:
        raise RecordError(
            str(exc),
            path=where.path if where else None,
            line=where.line if where else None,
            field=field_name,
        ) from None
    if not base.endswith(("/", "#")):
        raise RecordError(
            f"{base!r} must end with '/' (record IRIs are {{base}}resource/{{id}})",
            path=where.path if where else None,
            line=where.line if where else None,
            field=field_name,
        )
    return base


def _read_catalog(path: Path) -> tuple[Catalog, Path]:
    data, lines = _mapping_file(path)
    allowed = {"title", "description", "base", "publisher", "license", "registry"}
    for key in sorted(set(data) - allowed):
        raise RecordError(
            f"unknown field (known: {', '.join(sorted(allowed))})",
            path=path,
            line=lines[key],
            field=key,
        )

    def texts(name: str, default: tuple[LangString, ...]) -> tuple[LangString, ...]:
        value = data.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            return (LangString(value.strip()),)
        if isinstance(value, dict):
            return tuple(sorted(LangString(str(v).strip(), k) for k, v in value.items()))
        raise RecordError("expected a text", path=path, line=lines.get(name), field=name)

    base = data.get("base") or VOCAB_BASE
    _check_base(base, Location(str(path), lines.get("base")))
    license_iri = data.get("license")
    if license_iri:
        try:
            _check_url(license_iri)
        except ValueError as exc:
            raise RecordError(str(exc), path=path, line=lines["license"], field="license") from None
    catalog = Catalog(
        title=texts("title", (LangString(DEFAULT_TITLE),)),
        description=texts("description", ()),
        base=base,
        publisher=data.get("publisher"),
        license=license_iri,
        location=Location(str(path), 1),
    )
    registry_path = path.parent / (data.get("registry") or REGISTRY_FILE)
    return catalog, registry_path


_AGENT_SECTIONS = {"organizations": "organization", "people": "person", "projects": "project"}


def read_registry(path: Path) -> Registry:
    """The agents and projects of ``agents.yaml``."""
    if not path.is_file():
        return Registry({})
    data, lines = _mapping_file(path)
    agents: dict[str, Agent] = {}
    errors: list[RecordError] = []
    for section, entries in data.items():
        kind = _AGENT_SECTIONS.get(section)
        if kind is None:
            errors.append(
                RecordError(
                    f"unknown section (known: {', '.join(_AGENT_SECTIONS)})",
                    path=path,
                    line=lines[section],
                    field=section,
                )
            )
            continue
        for entry in entries or []:
            if not isinstance(entry, dict):
                errors.append(
                    RecordError(
                        "expected an entry with id and name",
                        path=path,
                        line=lines[section],
                        field=section,
                    )
                )
                continue
            aid, name = entry.get("id"), entry.get("name")
            if not isinstance(aid, str) or not SLUG_RE.fullmatch(aid):
                errors.append(
                    RecordError(
                        f"{aid!r} is not a valid id", path=path, line=lines[section], field="id"
                    )
                )
                continue
            if not isinstance(name, str) or not name.strip():
                errors.append(
                    RecordError(
                        "name is required", path=path, line=lines[section], record=aid, field="name"
                    )
                )
                continue
            if aid in agents:
                errors.append(
                    RecordError(
                        "id is given twice", path=path, line=lines[section], record=aid, field="id"
                    )
                )
                continue
            alt = entry.get("alt_names") or []
            agents[aid] = Agent(
                id=aid,
                kind=kind,  # type: ignore[arg-type]
                name=name.strip(),
                alt_names=tuple(alt if isinstance(alt, list) else [alt]),
                url=entry.get("url"),
                part_of=entry.get("part_of"),
                description=entry.get("description"),
            )
    for agent in agents.values():
        if agent.part_of and agent.part_of not in agents:
            errors.append(
                RecordError(
                    f"part_of names unknown id {agent.part_of!r}",
                    path=path,
                    record=agent.id,
                    field="part_of",
                )
            )
        if agent.url:
            try:
                _check_url(agent.url)
            except ValueError as exc:
                errors.append(RecordError(str(exc), path=path, record=agent.id, field="url"))
    if errors:
        raise DataError(errors)
    return Registry(agents)


@dataclass
class Catalogue:
    """A catalogue ready to read: its description, registry, vocabularies and files."""

    catalog: Catalog
    registry: Registry
    vocab: Vocabulary
    files: list[Path]
    errors: list[RecordError] = field(default_factory=list)
    count: int = 0

    def records(self) -> Iterator[Record]:
        """Stream the checked records; problems go to :attr:`errors`, not exceptions.

        Ids must be unique across every file; the second use of an id is an error
        that names the first.
        """
        seen: dict[str, Location] = {}
        self.errors.clear()
        self.count = 0
        for path in self.files:
            try:
                for raw in read_raw(path):
                    if isinstance(raw, RecordError):
                        self.errors.append(raw)
                        continue
                    record, problems = build_record(raw, self.vocab, self.registry)
                    self.errors.extend(problems)
                    if record is None:
                        continue
                    first = seen.get(record.id)
                    if first is not None:
                        self.errors.append(
                            RecordError(
                                f"duplicate id {record.id!r} (first used at {first})",
                                path=raw.location.path,
                                line=raw.line_of("id"),
                                record=record.id,
                                field="id",
                                value=record.id,
                            )
                        )
                        continue
                    seen[record.id] = record.location
                    self.count += 1
                    yield record
            except RecordError as exc:
                self.errors.append(exc)

    def check(self) -> None:
        """Raise :class:`DataError` if the last pass over :meth:`records` found problems."""
        if self.errors:
            raise DataError(self.errors)


def open_catalog(
    sources: Sequence[str | Path] = ("data",),
    *,
    base: str | None = None,
    catalog_file: str | Path | None = None,
    rdf: bool = False,
) -> Catalogue:
    """Find the record files, the catalogue description and the registry for *sources*.

    >>> cat = open_catalog(["data"])
    >>> sorted(r.id for r in cat.records())[:1]
    ['2009-pilot-survey-children-youth-scy-2010']
    """
    files = discover(sources, rdf=rdf)
    config = Path(catalog_file) if catalog_file else _find_config(sources)
    if config is not None and not config.is_file():
        raise SourceNotFoundError(f"{config}: no such file")
    try:
        if config is not None:
            catalog, registry_path = _read_catalog(config)
            registry = read_registry(registry_path)
        else:
            catalog, registry = Catalog(), Registry({})
    except RecordError as exc:
        raise DataError([exc]) from exc
    if base is not None:
        try:
            _check_base(base, None, "--base")
        except RecordError as exc:
            raise UsageError(f"--base: {exc.message}") from exc
        catalog = Catalog(
            catalog.title,
            catalog.description,
            base,
            catalog.publisher,
            catalog.license,
            catalog.location,
        )
    if catalog.publisher and catalog.publisher not in registry:
        raise DataError(
            [RecordError(f"unknown agent {catalog.publisher!r}", path=config, field="publisher")]
        )
    return Catalogue(catalog, registry, load_vocabulary(), files)


def load_records(sources: Sequence[str | Path] = ("data",), **kwargs: Any) -> list[Record]:
    """Every record of *sources*, checked; :class:`DataError` lists every problem.

    >>> len(load_records(["data"]))
    10
    """
    catalogue = open_catalog(sources, **kwargs)
    records = list(catalogue.records())
    catalogue.check()
    return records
