"""``publish``: records → a static linked-data site any web host can serve.

The site, for a catalogue whose base IRI is ``{base}``, mirrors the IRIs so that
a host serving the folder at ``{base}`` makes every IRI dereference::

    index.html, page/{n}/index.html  the newest records (100 a page), and the browse trees
    resource/{id}/index.html         the record page (+ schema.org JSON-LD, citation_* tags)
    resource/{id}.ttl .jsonld .nt    the record's triples and the labels of what it names
    resource/{id}/index.html         for a withdrawn record: its tombstone page only
    agent/{id}/  project/{id}/       one page (+ data) per agent and project of the registry
    agent/ project/                  the lists of those pages
    type/{id}/  topic/{id}/          one page (+ data) per concept of our two schemes
    country/{ALPHA3}/                one page (+ data) per country the records cover
    type/ topic/ country/            the lists of those pages
    {listing}/page/{n}/index.html    the further pages of a listing of more than 100 records
    catalog.ttl .nt .jsonld (+ .gz)  the whole catalogue
    context.jsonld, context/1.0.jsonld   our JSON-LD context
    ontology.ttl, shapes.ttl         the ontology and SHACL shapes, each as one graph
    void.ttl                         DCAT + VoID description of the dataset and its dumps
    pages/{n}.jsonld                 the catalogue in Hydra pages of 100 records, each complete
    sitemap.xml, robots.txt
    search.html, pagefind/, search/  the search page, its Pagefind index and file:// index
    .csec-ld-withdrawn.json          withdrawn records (id → date, title), read by ``serve``

A withdrawn record (``status: withdrawn``) is a tombstone: it gets a page saying
when it was withdrawn, and nothing else (no data files, no place in the listings,
the sitemap, the dumps or the pages).

Records stream through the pipeline ``build`` uses (:mod:`csec_ld.pipeline`), in one
pass: worker processes check, map (once), validate and render each chunk of records —
the dumps' bytes, each record's page and data files — and give back small index
entries; this process merges them. Only those entries are kept for the listings,
which are paged (:data:`LISTING_SIZE` records a page), so that no file but the dumps
grows with the catalogue. The site is built in a temporary folder beside the output
and swapped in only when complete. Output is deterministic: the same input
gives the same bytes (no timestamps; gzip headers carry none).

>>> result = publish(["data"], "/tmp/csec-ld-site-doctest", validate=False)
>>> (result.out_dir / "index.html").is_file()
True
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import gzip
import io
import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import orjson
import pyoxigraph
import yaml
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple

from .. import defaults
from ..errors import OutputError, ShapesError, UsageError, ValidationFailedError
from ..mapping import Context, Mapper, Profile, get_profiles
from ..mapping.base import Used
from ..memory import paused_gc
from ..namespaces import (
    COUNTRY_BASE,
    CSEC_NS,
    DCAT,
    DCTERMS,
    FOAF,
    PREFIXES,
    RDF,
    SCHEMA,
    SKOS,
    TYPE_SCHEME,
    VOCAB_BASE,
    XSD,
)
from ..pipeline import PipelineSpec
from ..records import (
    MONTHS,
    PAGE_FIELDS,
    RECORD_FIELDS,
    FieldKind,
    PartialDate,
    Record,
    RecordField,
    parse_date,
    record_to_dict,
    texts_value,
)
from ..resources import shapes_dir
from ..serialize import (
    DUMP_FORMATS,
    FORMATS,
    WRITTEN_FORMATS,
    JsonLdWriter,
    Writer,
    json_text,
    jsonld_context,
    node_object,
)
from ..sources import Catalogue, open_catalog
from ..tempfiles import deferred_signals, leftovers, make_temp_folder, remove_leftovers
from ..vocab import Agent, Concept, country, language
from .changes import Change, ChangeFeed, record_changes
from .citations import CITATION_FORMATS, cite_box, csl_item
from .incremental import Fallback, IncrementalRun, fingerprint, noting_writes, relative_files
from .ldes import write_event_stream
from .search import SearchIndex, build_search
from .signposting import record_signposts
from .webconfig import write_web_configs

__all__ = [
    "DATA_FORMATS",
    "LISTING_SIZE",
    "PAGE_SIZE",
    "SITE_MARKER",
    "WITHDRAWN_INDEX",
    "Entry",
    "Pager",
    "PublishResult",
    "Site",
    "ValidationFailedError",
    "check_valid",
    "data_frame",
    "entry_of",
    "is_site",
    "publish",
    "read_withdrawn",
    "schemaorg_jsonld",
    "site_path",
    "void_with_endpoint",
]

#: Records per page of the paged JSON-LD catalogue.
PAGE_SIZE = 100
#: Records per page of the HTML listings (home, type, topic, country, agent, project).
LISTING_SIZE = 100
#: URLs per sitemap file (the sitemap protocol's limit).
SITEMAP_LIMIT = 50_000
#: Bytes per sitemap file, at most (the protocol allows 50 MB; no page of the site is
#: larger than a megabyte).
SITEMAP_BYTES = 1_000_000
#: The file that marks a folder as a csec-ld site (only such folders are ever replaced).
SITE_MARKER = ".csec-ld-site"
#: The site's list of withdrawn records, for the server (hidden: never served).
WITHDRAWN_INDEX = ".csec-ld-withdrawn.json"
#: The catalogue's records, normalised (tombstones included), with its description
#: and registry: what the server's OAI-PMH endpoint reads, and a mirror's source.
SOURCE_FOLDER = "source"
#: The folders of agent and project pages, by registry kind.
_AGENT_FOLDERS = {"organization": "agent", "person": "agent", "project": "project"}
#: The agent fields, and how an agent's page heads the records that name it in each.
_ROLES = tuple((f.name, f.role) for f in RECORD_FIELDS if f.role)
#: The data formats written beside every page: extension → media type.
DATA_FORMATS: dict[str, str] = {f.suffix: f.media_type for f in WRITTEN_FORMATS.values()}


def _alternates(stem: str) -> list[tuple[str, str, str, str]]:
    """A page's data files (``{stem}.ttl``...): suffix, media type, label and path."""
    return [
        (f.suffix, f.media_type, f.label, f"{stem}.{f.suffix}") for f in WRITTEN_FORMATS.values()
    ]


#: The dumps: file, media type, and whether without and with a gzipped twin (as
#: ``void.ttl`` lists them: the vocabulary is one too).
_DUMPS: tuple[tuple[str, str, tuple[bool, ...]], ...] = (
    *((f"catalog.{s}", WRITTEN_FORMATS[s].media_type, (False, True)) for s in DUMP_FORMATS),
    ("ontology.ttl", WRITTEN_FORMATS["ttl"].media_type, (False,)),
)

HYDRA = "http://www.w3.org/ns/hydra/core#"
VOID = "http://rdfs.org/ns/void#"
_IANA = "http://www.iana.org/assignments/media-types/"
_RDF_TYPE = RDF + "type"
_SAFE_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


# --------------------------------------------------------------------------- validation gate


def check_valid(
    sources: Sequence[str | Path],
    *,
    base: str | None = None,
    shapes: str | Path | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> None:
    """Validate *sources* against the SHACL shapes; raise if any violation is found.

    ``csec_ld.validation`` is imported only here, so that publishing with
    ``validate=False`` does not load pySHACL.
    """
    from .. import validation

    report = validation.validate(list(sources), shapes=shapes, base=base, on_progress=on_progress)
    if report.failed("violation"):
        raise _violations(report.errors("violation"))  # located as `build` reports them


# --------------------------------------------------------------------------- paths


def site_path(root: Path, *segments: str) -> Path:
    """``root/segment/...``, refusing any segment that could leave *root*.

    Segments come from record ids, concept ids and country codes; each must be a
    plain name (letters, digits, ``-``, ``_``, optionally one file extension).

    >>> site_path(Path("site"), "resource", "x.ttl").as_posix()
    'site/resource/x.ttl'
    >>> site_path(Path("site"), "resource", "../../etc")
    Traceback (most recent call last):
    ...
    csec_ld.errors.OutputError: '../../etc' cannot be used in a site path
    """
    for seg in segments:
        stem, dot, ext = seg.partition(".")
        if not _SAFE_SEGMENT.fullmatch(stem) or (dot and not _SAFE_SEGMENT.fullmatch(ext)):
            raise OutputError(f"{seg!r} cannot be used in a site path")
    path = root.joinpath(*segments)
    if not _inside(os.path.dirname(os.fspath(path)), os.fspath(root)):
        raise OutputError(f"{'/'.join(segments)!r} is outside the site folder")
    return path


@functools.lru_cache(maxsize=4096)
def _inside(folder: str, root: str) -> bool:
    """Whether *folder* (under *root* by its plain segments) resolves inside *root*.

    A link among the folders could lead out. Each folder is checked once: a folder
    that is not a link resolves inside *root* when its parent does, so a record's new
    folder costs one ``lstat``, not a walk of the whole path (a site has a folder per
    record); a link is resolved.
    """
    if folder == root:
        return True
    parent = os.path.dirname(folder)
    if parent == folder or len(parent) < len(root) or os.path.islink(folder):
        return Path(_resolved(folder)).is_relative_to(_resolved(root))
    return _inside(parent, root)


@functools.lru_cache(maxsize=256)
def _resolved(folder: str) -> str:
    return str(Path(folder).resolve())


def is_site(folder: Path) -> bool:
    """Whether *folder* holds a site written by :func:`publish`."""
    return (folder / SITE_MARKER).is_file()


def read_withdrawn(folder: Path) -> dict[str, dict[str, str]]:
    """The withdrawn records of a published site: id → ``{"withdrawn": date, "title": ...}``.

    A site written before tombstones existed has none.
    """
    path = Path(folder) / WITHDRAWN_INDEX
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise OutputError(f"{path}: cannot read it ({exc})") from exc
    return {str(k): dict(v) for k, v in data.items()} if isinstance(data, dict) else {}


@contextlib.contextmanager
def _swapped_folder(out_dir: Path) -> Iterator[Path]:
    """A temporary sibling folder that replaces *out_dir* as a whole, only on success.

    The new site is written in ``.{name}.csec-ld-tmp-{pid}-{random}``, the previous one
    waits in ``.{name}.csec-ld-old-...`` during the swap; both go on an error, Ctrl-C or
    SIGTERM, and those a killed run left go at the next run for *out_dir* (see
    :mod:`csec_ld.tempfiles`) — a previous site caught between the two renames is put
    back first.
    """
    out_dir = Path(out_dir)
    resolved = out_dir.resolve()
    parent = resolved.parent
    for old_left in leftovers(parent, resolved.name, "old"):
        if not out_dir.exists() and (old_left / "site").is_dir():
            with contextlib.suppress(OSError):
                os.replace(old_left / "site", out_dir)  # killed between the two renames
    remove_leftovers(parent, resolved.name, "tmp", "old")
    if out_dir.exists():
        if not out_dir.is_dir():
            raise OutputError(f"{out_dir}: exists and is not a folder")
        if any(out_dir.iterdir()) and not is_site(out_dir):
            raise OutputError(
                f"{out_dir}: exists and is not a csec-ld site (no {SITE_MARKER}); "
                "choose a new or empty folder"
            )
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = make_temp_folder(parent, resolved.name, "tmp")
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot write here ({exc.strerror})") from exc
    old: Path | None = None
    try:
        yield tmp
        tmp.chmod(0o755)
        try:
            with deferred_signals():  # Ctrl-C waits until the previous site is back or gone
                if out_dir.exists():
                    old = make_temp_folder(parent, resolved.name, "old")
                    os.replace(out_dir, old / "site")
                os.replace(tmp, out_dir)
        except OSError as exc:
            if old is not None and (old / "site").exists() and not out_dir.exists():
                os.replace(old / "site", out_dir)  # put the previous site back
            raise OutputError(f"{out_dir}: cannot replace it ({exc.strerror})") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------- RDF helpers


def _file_writer(fmt: str, out: Any) -> Writer:
    """The writer of a page's data file: JSON-LD with the context inline."""
    if fmt == "jsonld":
        return JsonLdWriter(out, context=jsonld_context()["@context"])
    return FORMATS[fmt](out)


def _write_blocks(path: Path, fmt: str, blocks: Iterable[Sequence[Any]]) -> None:
    """One file of *blocks* (``Triple`` objects or tuples of terms)."""
    with open(path, "wb") as out:
        _file_writer(fmt, out).write_all(blocks)  # type: ignore[arg-type]  # tuples too


def _turtle(blocks: Iterable[list[Triple]], prefixes: dict[str, str]) -> bytes:
    """Turtle for sorted blocks with the given prefixes (written once, in order)."""
    out = io.BytesIO()
    out.write("".join(f"@prefix {p}: <{ns}> .\n" for p, ns in prefixes.items()).encode())
    for block in blocks:
        if not block:
            continue
        text = pyoxigraph.serialize(block, format=RdfFormat.TURTLE, prefixes=prefixes) or b""
        body = b"\n".join(
            line for line in text.split(b"\n") if not line.startswith(b"@prefix ")
        ).strip(b"\n")
        out.write(b"\n" + body + b"\n")
    return out.getvalue()


_BNODE_LABEL = re.compile(rb"(?:^|[\s;,(\[])_:")


def _ttl_files(path: Path | None) -> list[Path]:
    if path is None:
        return []
    return [path] if path.is_file() else sorted(path.glob("*.ttl"))


def _graph_turtle(files: list[Path], base_iri: str) -> bytes:
    """The Turtle *files* merged into one graph, as deterministic Turtle.

    Turtle allows prefixes to be declared anywhere, and anonymous blank nodes
    (``[]``, lists) of different files stay distinct, so the files are joined as
    they are, comments and all: fast, readable, and the same graph as their
    merge. Each file's relative IRIs resolve against ``base_iri`` + its name
    (not against a local path, which would make the output depend on the machine).
    Files with labelled blank nodes (``_:b``), which would be shared across
    files, are merged by pyoxigraph with canonical labels instead.
    """
    pieces: list[bytes] = []
    labelled = False
    for path in files:
        data = path.read_bytes()
        file_base = base_iri + path.name
        try:
            pyoxigraph.parse(data, format=RdfFormat.TURTLE, base_iri=file_base)
        except (SyntaxError, ValueError) as exc:
            raise ShapesError(f"{path}: cannot read it: {exc}") from exc
        labelled = labelled or bool(_BNODE_LABEL.search(data))
        pieces.append(
            f"# ---- {path.name}\n@base <{file_base}> .\n".encode() + data.rstrip(b"\n") + b"\n"
        )
    if not labelled:
        return b"\n".join(pieces)
    dataset = pyoxigraph.Dataset()
    for path in files:
        for t in pyoxigraph.parse(
            path=str(path), format=RdfFormat.TURTLE, base_iri=base_iri + path.name
        ):
            dataset.add(pyoxigraph.Quad(t.subject, t.predicate, t.object))
    dataset.canonicalize(pyoxigraph.CanonicalizationAlgorithm.UNSTABLE)
    triples = sorted((Triple(q.subject, q.predicate, q.object) for q in dataset), key=_key)
    return pyoxigraph.serialize(triples, format=RdfFormat.TURTLE, prefixes=PREFIXES) or b""


def _gzip(path: Path) -> Path:
    target = path.with_name(path.name + ".gz")
    with (
        open(path, "rb") as src,
        open(target, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as out,
    ):
        shutil.copyfileobj(src, out)
    return target


def _value(term: Any) -> str:
    """The IRI of a named node (the label of a blank node, the text of a literal)."""
    return term.value if hasattr(term, "value") else str(term)


def _is_schema(t: Any) -> bool:
    _, predicate, obj = t
    p = predicate.value
    return p.startswith(SCHEMA) or (
        p == _RDF_TYPE and isinstance(obj, NamedNode) and obj.value.startswith(SCHEMA)
    )


# Terms of the official schema.org context that coerce plain strings to IRIs or dates:
# a plain-string literal must be written as a value object under them.
_COERCED_TERMS = frozenset(
    {
        "url",
        "sameAs",
        "isPartOf",
        "license",
        "datePublished",
        "dateModified",
        "image",
        "logo",
        "mainEntityOfPage",
    }
)
_SCHEMA_DATE = SCHEMA + "Date"
_XSD_STRING = XSD + "string"


def schemaorg_jsonld(triples: Iterable[Any], named: Iterable[Any] = ()) -> dict[str, Any]:
    """The schema.org triples of one record as JSON-LD with ``"@context": "https://schema.org"``.

    *named* are the triples of the nodes the record names (its agents, countries,
    type and topics: the blocks its data files hold after its own); each node the
    record points at is written in full where it is named (a crawler reads a
    publisher's name there, not by following its ``@id``). Its expansion with the
    official schema.org context is exactly the schema.org triples of the record and
    of the nodes it reaches (the context maps terms into ``http://schema.org/``, as
    our profile does).
    """
    triples = [t for t in triples if _is_schema(t)]
    context: dict[str, Any] = {"@context": "https://schema.org"}
    if not triples:
        return context
    nodes: dict[str, list[Any]] = {}
    for t in named:
        if _is_schema(t) and isinstance(t[0], NamedNode):
            nodes.setdefault(t[0].value, []).append(t)
    subject = _value(triples[0][0])
    nodes[subject] = triples
    return {**context, **_jsonld_node(subject, nodes, frozenset())}


def _jsonld_node(
    subject: str,
    nodes: dict[str, list[Any]],
    above: frozenset[str],
    shared: Callable[[str], dict[str, Any] | None] | None = None,
) -> dict[str, Any]:
    """The node object of *subject*, with the nodes it points at inside (those of
    *nodes*, except its own ancestors: a cycle is cut by a bare ``@id``), or else the
    node object *shared* gives for them (made once, for every page that names them)."""
    node: dict[str, Any] = {"@id": subject}
    values: dict[str, list[Any]] = {}
    path = above | {subject}
    for _, predicate, obj in nodes[subject]:
        if predicate.value == _RDF_TYPE:
            values.setdefault("@type", []).append(_value(obj)[len(SCHEMA) :])
            continue
        term = predicate.value[len(SCHEMA) :]
        value: Any
        if isinstance(obj, NamedNode):
            if obj.value in nodes and obj.value not in path:
                value = _jsonld_node(obj.value, nodes, path)
            else:
                found = shared(obj.value) if shared and obj.value not in path else None
                value = found if found is not None else {"@id": obj.value}
        else:
            assert isinstance(obj, Literal)
            dt = obj.datatype.value if obj.datatype else _XSD_STRING
            if obj.language:
                value = {"@value": obj.value, "@language": obj.language}
            elif dt == _SCHEMA_DATE and term in ("datePublished", "dateModified"):
                value = obj.value  # the context types these as schema:Date
            elif dt == _XSD_STRING and term not in _COERCED_TERMS:
                value = obj.value
            else:
                value = {"@value": obj.value, "@type": dt}
        values.setdefault(term, []).append(value)
    for key, vals in values.items():
        node[key] = vals[0] if len(vals) == 1 else vals
    return node


# --------------------------------------------------------------------------- view models


def _human_date(d: PartialDate) -> str:
    parts = d.text.split("-")
    if d.precision == "year":
        return parts[0]
    month = MONTHS[int(parts[1]) - 1]
    if d.precision == "month":
        return f"{month} {parts[0]}"
    return f"{int(parts[2])} {month} {parts[0]}"


@dataclass(frozen=True)
class Link:
    """Text, a link target (site-relative path or absolute URL) and a language."""

    text: str
    href: str | None = None
    lang: str | None = None


@dataclass(frozen=True)
class Detail:
    """One line of a record page's details list: the field, its values, and whether
    their links lead into the site (relative to it) or out of it."""

    field: RecordField
    links: list[Link]
    local: bool


#: The kinds of field whose values have pages on the site.
_SITE_KINDS = frozenset({"type", "topic", "country", "agent", "project"})


@dataclass(frozen=True)
class Entry:
    """What the listing pages need to know about one record."""

    id: str
    title: str
    title_lang: str
    issued: PartialDate
    year: str
    type: str
    countries: tuple[str, ...]
    subjects: tuple[str, ...]
    lastmod: str
    #: (field, agent id) for every agent the record names: publishers, creators, ...
    agents: tuple[tuple[str, str], ...] = ()


def entry_of(record: Record) -> Entry:
    """The listings' :class:`Entry` of *record* (its English title, else its first)."""
    lastmod = record.modified or record.issued
    en = next((t for t in record.title if t.lang == "en"), record.title[0])
    return Entry(
        record.id,
        en.value,
        en.lang,
        record.issued,
        str(record.issued.year),
        record.type,
        record.countries,
        record.subjects,
        lastmod.text,
        tuple((name, a) for name, _ in _ROLES for a in getattr(record, name)),
    )


@dataclass
class PublishResult:
    """What :func:`publish` wrote."""

    out_dir: Path
    records: int = 0
    withdrawn: int = 0
    triples: int = 0
    pages: int = 0
    files: dict[str, Path] = field(default_factory=dict)
    #: records whose files and pieces came from the previous site (:mod:`csec_ld.site.incremental`)
    reused: int = 0
    #: the search index (:mod:`csec_ld.site.search`)
    search: SearchIndex | None = None


class Site:
    """Everything one publish run needs: the catalogue, templates, and the index."""

    def __init__(
        self,
        catalogue: Catalogue,
        root: Path,
        sparql_endpoint: str | None,
        listing_size: int = LISTING_SIZE,
    ) -> None:
        self.catalogue = catalogue
        self.listing_size = listing_size
        self.cat = catalogue.catalog
        self.base = self.cat.base
        self.root = root
        self.sparql_endpoint = sparql_endpoint
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
            autoescape=jinja2.select_autoescape(["html", "xml"], default=True),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,  # not a stat(2) of the template for each of a million pages
        )
        self.env.policies["json.dumps_function"] = json_text  # json.dumps's text, faster
        self.entries: list[Entry] = []
        self.withdrawn: dict[str, dict[str, str]] = {}
        self.types = catalogue.vocab.types
        self.topics = catalogue.vocab.topics

    # -- naming

    def concept_path(self, concept: Concept) -> str:
        kind = "type" if concept.scheme == TYPE_SCHEME else "topic"
        return f"{kind}/{concept.id}/"

    def agent_path(self, agent_id: str) -> str:
        agent = self.catalogue.registry.agents[agent_id]
        return f"{_AGENT_FOLDERS.get(agent.kind, 'agent')}/{agent.id}/"

    def agent_link(self, agent_id: str) -> Link:
        """A link to the agent's page on the site (its IRI dereferences there)."""
        return Link(self.catalogue.registry.agents[agent_id].name, self.agent_path(agent_id))

    def render(self, template: str, rel: Sequence[str], **context: Any) -> None:
        """Render *template* into ``rel`` (path segments) with links relative to its folder."""
        text = self.page_text(template, rel, **context)
        path = site_path(self.root, *rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_file(path, text.encode("utf-8"))

    def page_text(self, template: str, rel: Sequence[str], **context: Any) -> str:
        """The text :meth:`render` writes (``serve --endpoint`` serves it from a store)."""
        return self.env.get_template(template).render(
            root="../" * (len(rel) - 1),
            catalog=self.cat,
            catalog_title=self._catalog_title(),
            **context,
        )

    def _catalog_title(self) -> str:
        for t in self.cat.title:
            if t.lang == "en":
                return t.value
        return self.cat.title[0].value

    # -- records

    def record_jsonld(self, record: Record, block: Sequence[Any]) -> dict[str, Any]:
        """:func:`schemaorg_jsonld` of the record and of the nodes it names: their
        schema.org triples as the blocks of its data files have them (the schema.org
        profile's), each node's object made once per run."""
        used = Used()
        used.add_record(record, self._ctx)
        missing = Used(
            countries={c for c in used.countries if country(c).iri not in self._named},
            agents={
                a for a in used.agents if self.catalogue.registry.agents[a].iri not in self._named
            },
            concepts=used.concepts - self._named.keys(),
        )
        if missing.countries or missing.agents or missing.concepts:
            for t in self._schema_profile.support(missing, self._ctx):
                self._named.setdefault(_value(t.subject), []).append(t)
        triples = [t for t in block if _is_schema(t)]
        if not triples:
            return {"@context": "https://schema.org"}
        subject = _value(triples[0][0])
        return {
            "@context": "https://schema.org",
            **_jsonld_node(subject, {subject: triples}, frozenset(), self._node_object),
        }

    def _node_object(self, node: str) -> dict[str, Any] | None:
        """The JSON-LD object of a node records name (shared by their pages), or None."""
        found = self._node_objects.get(node)
        if found is None and node in self._named:
            found = self._node_objects[node] = _jsonld_node(node, self._named, frozenset())
        return found

    @functools.cached_property
    def _node_objects(self) -> dict[str, dict[str, Any]]:
        return {}

    @functools.cached_property
    def _ctx(self) -> Context:
        return Context(self.cat, self.catalogue.vocab, self.catalogue.registry)

    @functools.cached_property
    def _schema_profile(self) -> Profile:
        return get_profiles(["schemaorg"])[0]

    @functools.cached_property
    def _named(self) -> dict[str, list[Triple]]:
        return {}

    def details(self, record: Record) -> list[Detail]:
        """The record page's details list: each field of :data:`PAGE_FIELDS` it has."""
        out = []
        for f in PAGE_FIELDS:
            values = f.values(record)
            if values:
                links = [self._detail_link(f.kind, v) for v in values]
                out.append(Detail(f, links, f.kind in _SITE_KINDS))
        return out

    def _detail_link(self, kind: FieldKind, value: Any) -> Link:
        """A field's *value* of *kind* on the record page: its text, and where it leads."""
        topics = self.catalogue.vocab.topics.concepts
        if kind == "id":
            iri = self.cat.record_iri(value)
            return Link(iri, iri)
        if kind == "date":
            return Link(_human_date(value), value.text)
        if kind == "type":
            concept = self.catalogue.vocab.types.concepts[value]
            return Link(concept.label, self.concept_path(concept))
        if kind == "topic":
            return Link(topics[value].label, self.concept_path(topics[value]))
        if kind == "country":
            return Link(country(value).name, f"country/{value}/")
        if kind in ("agent", "project"):
            return self.agent_link(value)
        if kind == "language":
            return Link(language(value).name)
        if kind == "identifier":
            return Link(str(value), value.iri)
        if kind == "url":
            return Link(value, value)
        raise AssertionError(f"no page text for a {kind} field")  # pragma: no cover

    def record_page(
        self, record: Record, block: Sequence[Any], citation: dict[str, Any] | None = None
    ) -> None:
        """The record's page; *citation* is its CSL-JSON item (for the cite box)."""
        vocab = self.catalogue.vocab
        rtype = vocab.types.concepts[record.type]
        iri = self.cat.record_iri(record.id)
        pdfs = [
            i.iri
            for i in record.identifiers
            if i.scheme == "url" and i.iri and i.iri.lower().split("?")[0].endswith(".pdf")
        ]
        meta: list[tuple[str, str]] = []
        meta.append(("citation_title", record.primary_title))  # crawlers read one title
        for a in record.creators:  # the authors only: a publisher is citation_publisher
            meta.append(("citation_author", self.catalogue.registry.agents[a].name))
        meta.append(("citation_publication_date", record.issued.text.replace("-", "/")))
        for p in record.publishers:
            meta.append(("citation_publisher", self.catalogue.registry.agents[p].name))
        for lang in record.languages:
            meta.append(("citation_language", language(lang).tag))
        for s in record.subjects:
            meta.append(("citation_keywords", vocab.topics.concepts[s].label))
        for i in record.identifiers:
            if i.scheme in ("isbn", "issn", "doi"):
                meta.append((f"citation_{i.scheme}", i.value))
        for pdf in pdfs:
            meta.append(("citation_pdf_url", pdf))
        meta.append(("citation_abstract_html_url", iri))
        self.render(
            "record.html",
            ["resource", record.id, "index.html"],
            record=record,
            iri=iri,
            title=record.primary_title,
            titles=[Link(t.value, None, t.lang) for t in record.title],
            issued=Link(_human_date(record.issued), record.issued.text),
            modified=(
                Link(_human_date(record.modified), record.modified.text)
                if record.modified
                else None
            ),
            type=Link(rtype.label, self.concept_path(rtype)),
            descriptions=[Link(d.value, None, d.lang) for d in record.description],
            details=self.details(record),
            alternates=_alternates(f"resource/{record.id}"),
            jsonld=self.record_jsonld(record, block),
            signposts=record_signposts(iri, block, DATA_FORMATS),
            meta=meta,
            cite_styles=[
                (key, label, markupsafe.Markup(text))  # escaped by cite_box
                for key, label, text in cite_box(citation or csl_item(record, self.catalogue))
            ],
            cite_files=[
                (f.media, f.label, f"resource/{record.id}.{f.suffix}", f"{record.id}.{f.download}")
                for f in CITATION_FORMATS
            ],
        )
        self.entries.append(entry_of(record))

    def tombstone_page(self, record: Record) -> None:
        """The page left at a withdrawn record's IRI: its title and when it was withdrawn."""
        assert record.withdrawn is not None
        self.render(
            "tombstone.html",
            ["resource", record.id, "index.html"],
            iri=self.cat.record_iri(record.id),
            title=record.primary_title,
            titles=[Link(t.value, None, t.lang) for t in record.title],
            withdrawn=Link(_human_date(record.withdrawn), record.withdrawn.text),
            issued=Link(_human_date(record.issued), record.issued.text),
        )
        self.withdrawn[record.id] = {
            "withdrawn": record.withdrawn.text,
            "title": record.primary_title,
        }

    # -- listings

    def ordered_entries(self) -> list[Entry]:
        """The entries newest first (by date of issue), by title and id within a date."""
        by_title = sorted(self.entries, key=lambda e: (e.title, e.id))
        return sorted(by_title, key=lambda e: (e.issued.earliest(), e.issued.text), reverse=True)

    def rows(self, entries: Iterable[Entry], rel: Sequence[str]) -> list[markupsafe.Markup]:
        """The table rows (HTML) of *entries*, in their order, for the page at *rel*.

        Written here rather than in a template: a site shows each record in about ten
        listings, and the template's loop took most of the time of writing them.
        """
        root = "../" * (len(rel) - 1)
        esc = markupsafe.escape
        types, names = self._type_cells, self._country_names
        out = []
        for e in entries:
            href, label = types[e.type]
            countries = ", ".join(
                f'<a href="{root}country/{c}/">{names[c]}</a>' for c in e.countries
            )
            out.append(
                markupsafe.Markup(
                    f'<tr>\n<td><a href="{root}resource/{e.id}/" lang="{esc(e.title_lang)}" '
                    f'dir="auto">{esc(e.title)}</a></td>\n'
                    f'<td><time datetime="{esc(e.issued.text)}">{esc(e.year)}</time></td>\n'
                    f'<td><a href="{root}{href}">{label}</a></td>\n'
                    f"<td>{countries}</td>\n</tr>\n"
                )
            )
        return out

    @functools.cached_property
    def _type_cells(self) -> dict[str, tuple[str, markupsafe.Markup]]:
        return {c.id: (self.concept_path(c), markupsafe.escape(c.label)) for c in self.types}

    @functools.cached_property
    def _country_names(self) -> dict[str, markupsafe.Markup]:
        codes = {c for e in self.entries for c in e.countries}
        return {c: markupsafe.escape(country(c).name) for c in codes}

    def paged(self, folder: str, entries: Sequence[Any]) -> Iterator[tuple[list[str], Pager, Any]]:
        """(path segments, pager, entries of the page) for each page of a listing.

        Page 1 is ``{folder}index.html``, page *n* ``{folder}page/{n}/index.html``; an
        empty listing has one (empty) page.
        """
        total = len(entries)
        for n in range(1, self.page_count(total) + 1):
            rel, pager = self.page_at(folder, total, n)
            yield rel, pager, entries[pager.first - 1 : pager.first - 1 + self.listing_size]

    def page_count(self, total: int) -> int:
        """How many pages a listing of *total* entries has (at least one)."""
        return max(1, -(-total // self.listing_size))

    def page_at(self, folder: str, total: int, n: int) -> tuple[list[str], Pager]:
        """(path segments, pager) of page *n* (from 1, at most :meth:`page_count`) of the
        listing at *folder* with *total* entries."""
        size, pages = self.listing_size, self.page_count(total)
        segments = folder.strip("/").split("/") if folder else []

        def href(k: int) -> str | None:
            if not 1 <= k <= pages:
                return None
            return folder if k == 1 else f"{folder}page/{k}/"

        start = (n - 1) * size
        shown = max(0, min(size, total - start))
        rel = [*segments, "index.html"] if n == 1 else [*segments, "page", str(n), "index.html"]
        return rel, Pager(n, pages, start + 1, start + shown, total, href(n - 1), href(n + 1))

    def listings(
        self, country_blocks: dict[str, list[Triple]], concept_triples: dict[str, list[Triple]]
    ) -> list[tuple[str, str]]:
        """Home, scheme and concept pages; returns (site path, lastmod) for the sitemap."""
        sitemap: list[tuple[str, str]] = []
        entries = self.ordered_entries()
        index = _ListingIndex(self, entries)
        trees = {
            "type": self.concept_tree(self.types, "type", _counts(index.by_type)),
            "topic": self.concept_tree(self.topics, "topic", _counts(index.by_topic)),
        }
        countries = self.country_items(_counts(index.by_country))
        latest = _latest(e.lastmod for e in entries)
        for rel, pager, chunk in self.paged("", entries):
            self.home_page(rel, pager, chunk, trees, countries)
        sitemap.append(("", latest))
        for kind, scheme, label in (
            ("type", self.types, "Resource types"),
            ("topic", self.topics, "Topics"),
        ):
            self.render("scheme.html", [kind, "index.html"], heading=label, items=trees[kind])
            sitemap.append((f"{kind}/", latest))
            selected_by = index.by_type if kind == "type" else index.by_topic
            for concept in scheme:
                selected = selected_by.get(concept.id, [])
                for rel, pager, chunk in self.paged(f"{kind}/{concept.id}/", selected):
                    self.concept_page(kind, concept, rel, pager, chunk)
                for fmt in DATA_FORMATS:
                    _write_blocks(
                        site_path(self.root, kind, f"{concept.id}.{fmt}"),
                        fmt,
                        [concept_triples.get(concept.iri, [])],
                    )
                sitemap.append((f"{kind}/{concept.id}/", _latest(e.lastmod for e in selected)))
        self.render("scheme.html", ["country", "index.html"], heading="Countries", items=countries)
        sitemap.append(("country/", latest))
        for code in sorted(index.by_country):
            c = country(code)
            selected = index.by_country[code]
            for rel, pager, chunk in self.paged(f"country/{code}/", selected):
                self.country_page(code, rel, pager, chunk)
            for fmt in DATA_FORMATS:
                _write_blocks(
                    site_path(self.root, "country", f"{code}.{fmt}"),
                    fmt,
                    [country_blocks.get(c.iri, [])],
                )
            sitemap.append((f"country/{code}/", _latest(e.lastmod for e in selected)))
        sitemap += self.agent_pages(index, latest)
        return sitemap

    def home_page(
        self,
        rel: list[str],
        pager: Pager,
        chunk: Sequence[Entry],
        trees: Mapping[str, list[dict[str, Any]]],
        countries: list[dict[str, Any]],
    ) -> None:
        """A page of the home listing (the newest first); the first shows the trees."""
        self.render(
            "home.html",
            rel,
            rows=self.rows(chunk, rel),
            pager=pager,
            caption=pager.summary,
            types=trees["type"],
            topics=trees["topic"],
            countries=countries,
            count=pager.total,
            sparql_endpoint=self.sparql_endpoint,
            jsonld=self.home_jsonld() if pager.number == 1 else None,
        )

    def concept_page(
        self, kind: str, concept: Concept, rel: list[str], pager: Pager, chunk: Sequence[Entry]
    ) -> None:
        """A page of a type's or topic's listing (its narrower concepts' records too)."""
        scheme = self.types if kind == "type" else self.topics
        self.render(
            "listing.html",
            rel,
            heading=concept.label,
            kind=kind,
            kind_label="Resource type" if kind == "type" else "Topic",
            iri=concept.iri,
            definition=concept.definition,
            broader=[
                Link(scheme.concepts[b].label, f"{kind}/{b}/")
                for b in concept.broader
                if b in scheme.concepts
            ],
            narrower=[Link(c.label, f"{kind}/{c.id}/") for c in scheme if concept.id in c.broader],
            rows=self.rows(chunk, rel),
            pager=pager,
            caption=pager.summary,
            alternates=_alternates(f"{kind}/{concept.id}"),
        )

    def country_page(self, code: str, rel: list[str], pager: Pager, chunk: Sequence[Entry]) -> None:
        """A page of a country's listing."""
        c = country(code)
        self.render(
            "listing.html",
            rel,
            heading=c.name,
            kind="country",
            kind_label="Country",
            iri=c.iri,
            definition=None,
            broader=[],
            narrower=[],
            rows=self.rows(chunk, rel),
            pager=pager,
            caption=pager.summary,
            alternates=_alternates(f"country/{code}"),
        )

    def home_jsonld(self) -> dict[str, Any]:
        """The home page's JSON-LD: the dataset of ``void.ttl`` (``{base}dataset``) as a
        ``schema:Dataset``, with its publisher, licence and the dumps as its
        distributions (``schema:DataDownload``, at the IRIs ``void.ttl`` gives them)."""
        ds, cat = NamedNode(self.base + "dataset"), self.cat

        def s(term: str) -> NamedNode:
            return NamedNode(SCHEMA + term)

        rdf_type = NamedNode(_RDF_TYPE)
        main = [Triple(ds, rdf_type, s("Dataset"))]
        main += [Triple(ds, s("name"), Literal(t.value, language=t.lang)) for t in cat.title]
        main += [
            Triple(ds, s("description"), Literal(t.value, language=t.lang)) for t in cat.description
        ]
        main.append(Triple(ds, s("url"), NamedNode(self.base)))
        named: list[Triple] = []
        if cat.publisher:
            agent = self.catalogue.registry.agents[cat.publisher]
            main.append(Triple(ds, s("publisher"), NamedNode(agent.iri)))
            named += self._agent_triples(cat.publisher)
        if cat.license:
            main.append(Triple(ds, s("license"), NamedNode(cat.license)))
        files = [
            (name + ".gz", "application/gzip") if gz else (name, media)
            for name, media, zipped in _DUMPS
            for gz in zipped
        ]
        for fname, media in files:
            dist = NamedNode(f"{self.base}{fname}#distribution")
            main.append(Triple(ds, s("distribution"), dist))
            named += [
                Triple(dist, rdf_type, s("DataDownload")),
                Triple(dist, s("contentUrl"), NamedNode(self.base + fname)),
                Triple(dist, s("encodingFormat"), Literal(media)),
                Triple(dist, s("name"), Literal(fname)),
            ]
        return schemaorg_jsonld(main, named)

    def _agent_triples(self, agent_id: str) -> list[Triple]:
        """The schema.org triples of an agent and of those it is part of."""
        need = Used()
        while agent_id and agent_id not in need.agents:
            need.agents.add(agent_id)
            agent_id = self.catalogue.registry.agents[agent_id].part_of or ""
        return list(self._schema_profile.support(need, self._ctx))

    def agent_pages(self, index: _ListingIndex, latest: str) -> list[tuple[str, str]]:
        """A page (+ data) per agent and project of the registry, and their two lists."""
        registry = self.catalogue.registry
        mapper = Mapper(self.catalogue)
        mapper.used.agents.update(registry.agents)
        blocks = {_value(b[0].subject): b for b in list(mapper.support())[:-1] if b}
        sitemap: list[tuple[str, str]] = []
        for folder, heading in (
            ("agent", "Organisations and people"),
            ("project", "Projects and series"),
        ):
            agents = [a for a in registry if _AGENT_FOLDERS.get(a.kind, "agent") == folder]
            items = self.agent_items(agents, _counts(index.by_agent))
            self.render("scheme.html", [folder, "index.html"], heading=heading, items=items)
            sitemap.append((f"{folder}/", latest))
            for agent in agents:
                mentions = index.by_agent.get(agent.id, [])
                parent = registry.get(agent.part_of) if agent.part_of else None
                parts = [a for a in registry if a.part_of == agent.id]
                for rel, pager, chunk in self.paged(self.agent_path(agent.id), mentions):
                    self.agent_page(agent, parent, parts, rel, pager, chunk)
                data = [blocks.get(agent.iri, [])]
                if parent is not None:
                    data.append(blocks.get(parent.iri, []))  # so the parent has a name
                for fmt in DATA_FORMATS:
                    _write_blocks(site_path(self.root, folder, f"{agent.id}.{fmt}"), fmt, data)
                sitemap.append((f"{folder}/{agent.id}/", _latest(e.lastmod for e, _ in mentions)))
        return sitemap

    def agent_items(
        self, agents: Iterable[Agent], counts: Mapping[str, int]
    ) -> list[dict[str, Any]]:
        """The list of *agents* (link, count of records naming them), by name."""
        return [
            {
                "link": Link(a.name, self.agent_path(a.id)),
                "count": counts.get(a.id, 0),
                "children": [],
            }
            for a in sorted(agents, key=lambda a: (a.name.casefold(), a.id))
        ]

    def agent_page(
        self,
        agent: Agent,
        parent: Agent | None,
        parts: Sequence[Agent],
        rel: list[str],
        pager: Pager,
        chunk: Sequence[tuple[Entry, frozenset[str]]],
    ) -> None:
        """A page of an agent's (or project's) listing: its records by role."""
        folder = _AGENT_FOLDERS.get(agent.kind, "agent")
        path = f"{folder}/{agent.id}/"
        self.render(
            "agent.html",
            rel,
            agent=agent,
            kind_label={"organization": "Organisation", "person": "Person"}.get(
                agent.kind, "Project or series"
            ),
            iri=agent.iri,
            parent=Link(parent.name, self.agent_path(parent.id)) if parent else None,
            parts=[Link(a.name, self.agent_path(a.id)) for a in parts],
            roles=[
                (label, self.rows((e for e, roles in chunk if role in roles), rel))
                for role, label in _ROLES
            ],
            count=pager.total,
            pager=pager,
            alternates=_alternates(path.rstrip("/")),
        )

    def concept_tree(
        self, scheme: Any, kind: str, counts: Mapping[str, int]
    ) -> list[dict[str, Any]]:
        """The scheme as a tree of items (link, count, children): a walk from the concepts
        without a broader one, each concept under every ``skos:broader`` parent it has,
        children sorted by label."""
        children: dict[str | None, list[Concept]] = {}
        for concept in scheme:
            parents = [b for b in concept.broader if b in scheme.concepts] or [None]
            for parent in parents:
                children.setdefault(parent, []).append(concept)
        reached: set[str] = set()

        def item(concept: Concept, path: frozenset[str]) -> dict[str, Any]:
            reached.add(concept.id)
            return {
                "link": Link(concept.label, f"{kind}/{concept.id}/"),
                "count": counts.get(concept.id, 0),
                "children": walk(concept.id, path | {concept.id}),
            }

        def walk(parent: str | None, path: frozenset[str]) -> list[dict[str, Any]]:
            below = sorted(children.get(parent, []), key=lambda c: (c.label.casefold(), c.id))
            return [item(c, path) for c in below if c.id not in path]

        tree = walk(None, frozenset())
        # Concepts only on a cycle of broader links have no root: they become roots.
        for concept in scheme:
            if concept.id not in reached:
                tree.append(item(concept, frozenset()))
        return tree

    def country_items(self, counts: Mapping[str, int]) -> list[dict[str, Any]]:
        """The countries' list (link, count), by name: the countries with records."""
        return [
            {"link": Link(country(c).name, f"country/{c}/"), "count": n, "children": []}
            for c, n in sorted(counts.items(), key=lambda kv: country(kv[0]).name)
        ]


@dataclass(frozen=True)
class Pager:
    """Where a listing page is among its listing's pages (hrefs are site-relative)."""

    number: int
    pages: int
    first: int  # the number of its first entry (from 1)
    last: int
    total: int
    prev: str | None
    next: str | None

    @property
    def summary(self) -> str:
        """``10 resources``; ``resources 101\u2013200 of 5,310`` on a listing of several pages."""
        if self.pages == 1:
            return f"{self.total:,} resource{'' if self.total == 1 else 's'}"
        return f"resources {self.first:,}\N{EN DASH}{self.last:,} of {self.total:,}"


class _ListingIndex:
    """Each listing's entries, in the order of *entries* (newest first): by type and by
    topic (with every narrower concept's), by country, and by agent (with its roles)."""

    def __init__(self, site: Site, entries: list[Entry]) -> None:
        def upward(scheme: Any) -> dict[str, tuple[str, ...]]:
            above: dict[str, list[str]] = {c.id: [] for c in scheme}
            for concept in scheme:
                for below in sorted(scheme.narrower_closure(concept.id)):
                    above.setdefault(below, []).append(concept.id)
            return {k: tuple(v) for k, v in above.items()}

        type_up, topic_up = upward(site.types), upward(site.topics)
        self.by_type: dict[str, list[Entry]] = {}
        self.by_topic: dict[str, list[Entry]] = {}
        self.by_country: dict[str, list[Entry]] = {}
        self.by_agent: dict[str, list[tuple[Entry, frozenset[str]]]] = {}
        for e in entries:
            for concept_id in type_up.get(e.type, (e.type,)):
                self.by_type.setdefault(concept_id, []).append(e)
            topics = {t for s in e.subjects for t in topic_up.get(s, (s,))}
            for concept_id in topics:
                self.by_topic.setdefault(concept_id, []).append(e)
            for code in dict.fromkeys(e.countries):
                self.by_country.setdefault(code, []).append(e)
            roles: dict[str, set[str]] = {}
            for role, agent_id in e.agents:
                roles.setdefault(agent_id, set()).add(role)
            for agent_id, named in roles.items():
                self.by_agent.setdefault(agent_id, []).append((e, frozenset(named)))


def _counts(listed: Mapping[str, Sequence[Any]]) -> dict[str, int]:
    return {key: len(entries) for key, entries in listed.items()}


def _latest(dates: Iterable[str]) -> str:
    """The latest of *dates* (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``), by the day each
    starts on, then by text; ``""`` for none."""
    return max(set(dates), key=_date_key, default="")


@functools.lru_cache(maxsize=65536)
def _date_key(text: str) -> tuple[Any, str]:  # a listing asks once per record it shows
    return parse_date(text).earliest(), text


# --------------------------------------------------------------------------- pages (Hydra)


def _hydra_context() -> dict[str, Any]:
    ctx = dict(jsonld_context()["@context"])
    ctx["hydra"] = HYDRA
    return ctx


class _Pager:
    """Collects record blocks into pages of :data:`PAGE_SIZE`, each complete in itself."""

    def __init__(self, catalogue: Catalogue, root: Path, page_size: int) -> None:
        self.catalogue = catalogue
        self.root = root
        self.page_size = page_size
        self.pages = 0
        self.total = 0
        self._mapper: Mapper | None = None
        self._nodes: list[dict[str, Any]] = []
        self._members: list[str] = []
        (root / "pages").mkdir(exist_ok=True)

    def add(self, record_id: str, node: dict[str, Any], used: Used) -> None:
        """A record of the catalogue: its node object and what it names (see
        :class:`SiteWorker`)."""
        if self._mapper is None:
            self._mapper = Mapper(self.catalogue)
        self._mapper.used.merge(used)
        self._mapper.record_ids.append(record_id)
        self._nodes.append(node)
        self._members.append(self.catalogue.catalog.record_iri(record_id))
        self.total += 1
        if len(self._members) >= self.page_size:
            self._flush()

    def _flush(self) -> None:
        if self._mapper is None:
            return
        support = list(self._mapper.support())
        catalog_node = _node(support[-1]) if support[-1] else {}
        nodes = self._nodes + [_node(b) for b in support[:-1] if b]
        self.pages += 1
        self._write_part(catalog_node, self._members, nodes)
        self._mapper, self._nodes, self._members = None, [], []

    def _write_part(self, catalog: dict[str, Any], members: list[str], nodes: list[Any]) -> None:
        """Page :attr:`pages`'s share, spooled until :meth:`finish` knows the last page."""
        (self.root / "pages" / f"{self.pages}.part").write_bytes(
            orjson.dumps({"catalog": catalog, "members": members, "nodes": nodes})
        )

    def finish(self) -> int:
        self._flush()
        if self.pages == 0:  # an empty catalogue still has one (empty) page
            self.pages = 1
            self._write_part({}, [], [])
        base = self.catalogue.catalog.base
        cat_iri = self.catalogue.catalog.iri
        for n in range(1, self.pages + 1):
            part = self.root / "pages" / f"{n}.part"
            data = orjson.loads(part.read_bytes())
            part.unlink()
            url = f"{base}pages/{n}.jsonld"
            view: dict[str, Any] = {
                "@id": url,
                "@type": "hydra:PartialCollectionView",
                "hydra:first": {"@id": f"{base}pages/1.jsonld"},
                "hydra:last": {"@id": f"{base}pages/{self.pages}.jsonld"},
            }
            if n > 1:
                view["hydra:previous"] = {"@id": f"{base}pages/{n - 1}.jsonld"}
            if n < self.pages:
                view["hydra:next"] = {"@id": f"{base}pages/{n + 1}.jsonld"}
            collection = dict(data["catalog"]) or {"@id": cat_iri}
            collection["@id"] = cat_iri
            collection["@type"] = sorted({*collection.get("@type", []), "hydra:Collection"})
            collection["hydra:totalItems"] = self.total
            collection["hydra:member"] = [{"@id": m} for m in data["members"]]
            collection["hydra:view"] = view
            doc = {"@context": _hydra_context(), "@graph": [collection, *data["nodes"]]}
            # orjson: json's indented output is its pure-Python encoder (3 s a 10,000 records)
            site_path(self.root, "pages", f"{n}.jsonld").write_bytes(
                orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
            )
        return self.pages


def _node(block: list[Triple]) -> dict[str, Any]:
    from ..serialize import node_object

    return node_object(block)


# --------------------------------------------------------------------------- VoID / DCAT


def _void(site: Site, root: Path, triples: int, records: int) -> bytes:
    base = site.base
    ds = NamedNode(base + "dataset")
    T = NamedNode(_RDF_TYPE)

    def n(v: str) -> NamedNode:
        return NamedNode(v)

    cat = site.cat
    main: list[Triple] = [
        Triple(ds, T, n(DCAT + "Dataset")),
        Triple(ds, T, n(VOID + "Dataset")),
    ]
    for t in cat.title:
        main.append(Triple(ds, n(DCTERMS + "title"), Literal(t.value, language=t.lang)))
    for t in cat.description:
        main.append(Triple(ds, n(DCTERMS + "description"), Literal(t.value, language=t.lang)))
    if cat.publisher:
        agent = site.catalogue.registry.agents[cat.publisher]
        main.append(Triple(ds, n(DCTERMS + "publisher"), n(agent.iri)))
    if cat.license:
        main.append(Triple(ds, n(DCTERMS + "license"), n(cat.license)))
    main += [
        Triple(ds, n(FOAF + "primaryTopic"), n(cat.iri)),
        Triple(ds, n(VOID + "rootResource"), n(cat.iri)),
        Triple(ds, n(VOID + "uriSpace"), Literal(base + "resource/")),
        Triple(ds, n(VOID + "triples"), Literal(str(triples), datatype=n(XSD + "integer"))),
        Triple(ds, n(VOID + "entities"), Literal(str(records), datatype=n(XSD + "integer"))),
        Triple(ds, n(VOID + "vocabulary"), n(DCTERMS)),
        Triple(ds, n(VOID + "vocabulary"), n(SCHEMA)),
        Triple(ds, n(VOID + "vocabulary"), n(SKOS)),
        Triple(ds, n(VOID + "vocabulary"), n(CSEC_NS)),
        Triple(ds, n(VOID + "feature"), n("http://www.w3.org/ns/formats/Turtle")),
        Triple(ds, n(VOID + "feature"), n("http://www.w3.org/ns/formats/N-Triples")),
        Triple(ds, n(VOID + "feature"), n("http://www.w3.org/ns/formats/JSON-LD")),
        Triple(ds, n(DCAT + "landingPage"), n(base)),
    ]
    if site.entries:
        first = min(site.entries, key=lambda e: e.id)
        main.append(Triple(ds, n(VOID + "exampleResource"), n(cat.record_iri(first.id))))
    if site.sparql_endpoint:
        main.append(Triple(ds, n(VOID + "sparqlEndpoint"), n(site.sparql_endpoint)))
    blocks: list[list[Triple]] = []
    # The vocabulary (ontology, types, topics) is a dump too: the named queries follow
    # skos:broader and read labels, so the catalogue's dumps alone would give other rows.
    for name, media, zipped in _DUMPS:
        for gz in zipped:
            fname = name + (".gz" if gz else "")
            dist = n(f"{base}{fname}#distribution")
            main.append(Triple(ds, n(DCAT + "distribution"), dist))
            main.append(Triple(ds, n(VOID + "dataDump"), n(base + fname)))
            size = (root / fname).stat().st_size
            b = [
                Triple(dist, T, n(DCAT + "Distribution")),
                Triple(dist, n(DCAT + "downloadURL"), n(base + fname)),
                Triple(dist, n(DCAT + "accessURL"), n(base + fname)),
                Triple(dist, n(DCAT + "mediaType"), n(_IANA + media)),
                Triple(
                    dist,
                    n(DCAT + "byteSize"),
                    Literal(str(size), datatype=n(XSD + "nonNegativeInteger")),
                ),
                Triple(dist, n(DCTERMS + "title"), Literal(fname, language="en")),
            ]
            if gz:
                b.append(Triple(dist, n(DCAT + "compressFormat"), n(_IANA + "application/gzip")))
            if cat.license:
                b.append(Triple(dist, n(DCTERMS + "license"), n(cat.license)))
            blocks.append(sorted(b, key=_key))
    if site.sparql_endpoint:
        svc = n(site.sparql_endpoint)
        main.append(Triple(ds, n(DCAT + "accessService"), svc))  # dcat:Dataset → service
        blocks.append(
            sorted(
                [
                    Triple(svc, T, n(DCAT + "DataService")),
                    Triple(svc, n(DCAT + "endpointURL"), svc),
                    Triple(svc, n(DCAT + "servesDataset"), ds),
                    Triple(
                        svc,
                        n(DCTERMS + "conformsTo"),
                        n("https://www.w3.org/TR/sparql11-protocol/"),
                    ),
                ],
                key=_key,
            )
        )
    prefixes = {**PREFIXES, "dcat": DCAT, "void": VOID}
    prefixes = dict(sorted(prefixes.items()))
    return _turtle([sorted(main, key=_key), *blocks], prefixes)


def _key(t: Triple) -> tuple[str, bool, str, str]:
    return (_value(t.subject), t.predicate.value != _RDF_TYPE, t.predicate.value, str(t.object))


def void_with_endpoint(void_ttl: bytes, base: str, endpoint: str) -> bytes:
    """*void_ttl* plus the SPARQL endpoint a server offers (Turtle allows adding statements)."""
    ds, svc = f"<{base}dataset>", f"<{endpoint}>"
    extra = (
        f"\n{ds} <{VOID}sparqlEndpoint> {svc} ;\n  <{DCAT}accessService> {svc} .\n"
        f"{svc} a <{DCAT}DataService> ;\n  <{DCAT}endpointURL> {svc} ;\n"
        f"  <{DCAT}servesDataset> {ds} .\n"
    )
    return void_ttl + extra.encode()


# --------------------------------------------------------------------------- the site


class _SourceWriter:
    """``source/``: ``catalog.yaml``, ``agents.yaml`` and ``records.jsonl`` (normalised)."""

    def __init__(self, folder: Path, catalogue: Catalogue) -> None:
        folder.mkdir()
        cat = catalogue.catalog

        description: dict[str, Any] = {"title": texts_value(cat.title)}
        if cat.description:
            description["description"] = texts_value(cat.description)
        description["base"] = cat.base
        for key in ("publisher", "license", "contact_email"):
            if getattr(cat, key):
                description[key] = getattr(cat, key)
        description["registry"] = "agents.yaml"
        registry: dict[str, list[dict[str, Any]]] = {}
        sections = {"organization": "organizations", "person": "people", "project": "projects"}
        for agent in catalogue.registry:
            entry: dict[str, Any] = {"id": agent.id, "name": agent.name}
            if agent.alt_names:
                entry["alt_names"] = list(agent.alt_names)
            for key in ("url", "part_of", "description"):
                if getattr(agent, key):
                    entry[key] = getattr(agent, key)
            registry.setdefault(sections[agent.kind], []).append(entry)

        def dump(data: Any) -> str:
            return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=88))

        (folder / "catalog.yaml").write_text(dump(description), encoding="utf-8")
        (folder / "agents.yaml").write_text(dump(registry), encoding="utf-8")
        self.records = (folder / "records.jsonl").open("w", encoding="utf-8")

    def add_lines(self, text: str) -> None:
        """Lines of ``records.jsonl``, as :class:`SiteWorker` wrote them."""
        self.records.write(text)

    def close(self) -> None:
        self.records.close()


@dataclass
class SiteChunk:
    """What a worker gives the main process for the site, for one chunk of records."""

    entries: list[Entry] = field(default_factory=list)
    withdrawn: dict[str, dict[str, str]] = field(default_factory=dict)
    source: str = ""  # the records' lines of source/records.jsonl
    changes: list[Change] = field(default_factory=list)
    #: (record id, node object for the Hydra pages, what it names) per record of the catalogue
    nodes: list[tuple[str, dict[str, Any], Used]] = field(default_factory=list)
    #: per record, for the next publish (:mod:`csec_ld.site.incremental`): id, active, the
    #: files written, its dump pieces' lengths, source line's bytes, changes, triples
    records: list[dict[str, Any]] = field(default_factory=list)


class SiteWorker:
    """The site's share of a pipeline worker (see :class:`csec_ld.pipeline.ChunkWorker`):
    each record's page and data files, written where the site is being built, and the
    small things the listings, the Hydra pages, ``source/`` and the change feed need."""

    def __init__(self, catalogue: Catalogue, root: Path, listing_size: int = LISTING_SIZE) -> None:
        self.catalogue = catalogue
        self.site = Site(catalogue, root, None, listing_size)
        self.ctx = Context(catalogue.catalog, catalogue.vocab, catalogue.registry)
        #: What a record names → the bytes of those blocks in each format (as a file's
        #: writer writes them after the record's block): most records share them.
        self._frames = {fmt: data_frame(fmt) for fmt in DATA_FORMATS}
        #: a node's block (by its subject's N-Triples text) in each format, as a file's
        #: writer writes it after the record's block
        self._node_bytes: dict[str, dict[str, bytes]] = {}
        self._lead_next = {fmt: b",\n    " if fmt == "jsonld" else b"" for fmt in DATA_FORMATS}
        self._nodes_checked = False
        self._nodes_trusted = True
        self.chunk = SiteChunk()
        self.pieces: dict[str, list[bytes]] = {fmt: [] for fmt in DATA_FORMATS}

    def add_noted(self, record: Record, triples: list[Any]) -> None:
        """:meth:`add`, noting what the record gave (``SiteChunk.records``)."""
        chunk, source, changes = self.chunk, len(self.chunk.source), len(self.chunk.changes)
        with noting_writes() as written:
            self.add(record, triples)
        chunk.records.append(
            {
                "id": record.id,
                "active": not record.is_withdrawn,
                "triples": len(triples),
                "files": relative_files(written, str(self.site.root)),
                "lengths": {}
                if record.is_withdrawn
                else {f: len(p[-1]) for f, p in self.pieces.items()},
                "src": len(chunk.source[source:].encode()),
                "changes": len(chunk.changes) - changes,
            }
        )

    def add(self, record: Record, triples: list[Any]) -> None:
        """One record, mapped (*triples*; none for a withdrawn record)."""
        chunk = self.chunk
        chunk.source += json.dumps(record_to_dict(record), ensure_ascii=False) + "\n"
        chunk.changes.extend(record_changes(record))
        if record.is_withdrawn:
            self.site.tombstone_page(record)  # a tombstone: its page, and nothing else
            return
        used = Used()
        used.add_record(record, self.ctx)
        support = self.support(used)
        node = node_object(triples)  # for the Hydra pages, and the JSON-LD
        for fmt, (head, lead, tail) in self._frames.items():
            # The record's block, rendered once for its file and for the dumps.
            if fmt == "jsonld":  # JsonLdWriter.render, from the node object made above
                piece = orjson.dumps(node, option=orjson.OPT_SORT_KEYS)
            else:
                piece = FORMATS[fmt].render(triples)
            self.pieces[fmt].append(piece)
            path = site_path(self.site.root, "resource", f"{record.id}.{fmt}")
            _write_file(path, b"".join((head, lead, piece, support[fmt], tail)))
        citation = csl_item(record, self.catalogue)
        for cite in CITATION_FORMATS:  # BibTeX, RIS, CSL-JSON (no tombstone has them)
            path = site_path(self.site.root, "resource", f"{record.id}.{cite.suffix}")
            _write_file(path, cite.render(citation).encode("utf-8"))
        self.site.record_page(record, triples, citation)
        chunk.nodes.append((record.id, node, used))

    def support(self, used: Used) -> dict[str, bytes]:
        """The blocks of what a record names (its agents, countries, languages, concepts
        and the catalogue's publisher), as a mapper of that record alone gives them,
        rendered in each format.

        Each node's block depends on that node only: blocks are rendered once, the
        first time a record names the node, and joined in the mapper's order (by the
        subject's N-Triples text). The nodes a record's mapper would describe are worked
        out from *used*, and held to what the mapper gave the first times: on any
        difference, each record's blocks come from its own mapper.
        """
        nodes = self._nodes(used)
        missing = [n for n in nodes if n not in self._node_bytes]
        if missing or not self._nodes_checked:
            own = Mapper(self.catalogue)
            own.used.merge(used)
            blocks = [b for b in list(own.support())[:-1] if b]  # not the catalogue's block
            subjects = [str(b[0].subject) for b in blocks]
            for key, block in zip(subjects, blocks, strict=True):
                if key not in self._node_bytes:
                    self._node_bytes[key] = {
                        fmt: self._lead_next[fmt] + FORMATS[fmt].render(block)
                        for fmt in DATA_FORMATS
                    }
            if subjects != nodes:
                self._nodes_trusted = False
            self._nodes_checked = self._nodes_checked or len(self._node_bytes) >= 8
            if not self._nodes_trusted:
                return {
                    fmt: b"".join(self._node_bytes[k][fmt] for k in subjects)
                    for fmt in DATA_FORMATS
                }
        if not self._nodes_trusted:
            return self.support_of_own_mapper(used)
        return {fmt: b"".join(self._node_bytes[n][fmt] for n in nodes) for fmt in DATA_FORMATS}

    def support_of_own_mapper(self, used: Used) -> dict[str, bytes]:
        own = Mapper(self.catalogue)
        own.used.merge(used)
        blocks = [b for b in list(own.support())[:-1] if b]
        return {
            fmt: b"".join(self._lead_next[fmt] + FORMATS[fmt].render(b) for b in blocks)
            for fmt in DATA_FORMATS
        }

    def _nodes(self, used: Used) -> list[str]:
        """The subjects (N-Triples text) of the blocks :meth:`Mapper.support` gives for
        *used*, in its order."""
        registry, ctx = self.catalogue.registry, self.ctx
        agents = set(used.agents)
        agent_id = ctx.catalog.publisher
        while agent_id and agent_id not in agents:
            agents.add(agent_id)
            agent_id = registry.agents[agent_id].part_of
        iris = {country(c).iri for c in used.countries}
        iris.update(language(x).iri for x in used.languages)
        iris.update(registry.agents[a].iri for a in agents)
        iris.update(used.concepts)
        return sorted(f"<{i}>" for i in iris)

    def finish(self) -> tuple[SiteChunk, dict[str, bytes]]:
        """The chunk's share, and its records' blocks rendered in each format (joined as
        the dumps' writers join them); then a fresh start for the next chunk."""
        chunk, self.chunk = self.chunk, SiteChunk()
        chunk.entries, self.site.entries = self.site.entries, []
        chunk.withdrawn, self.site.withdrawn = self.site.withdrawn, {}
        pieces = {fmt: FORMATS[fmt].join(p) for fmt, p in self.pieces.items()}
        self.pieces = {fmt: [] for fmt in DATA_FORMATS}
        return chunk, pieces


def data_frame(fmt: str) -> tuple[bytes, bytes, bytes]:
    """What a data file's writer writes before its first block, before that block (the
    JSON-LD array's indent), and after its last block."""
    out = io.BytesIO()
    writer = _file_writer(fmt, out)
    writer.begin()
    head = out.getvalue()
    lead = writer._lead()
    writer.end()
    return head, lead, out.getvalue()[len(head) :]


def _write_file(path: Path, data: bytes) -> None:
    """*data* into a new file at *path* (the unbuffered calls: a site is mostly small
    files, eight a record, and ``open()``'s buffered file costs more than the write)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror})") from exc


def _violations(errors: Sequence[Any]) -> ValidationFailedError:
    n = len(errors)
    shown = "\n".join(map(str, errors[:20])) + (f"\n... and {n - 20} more" if n > 20 else "")
    return ValidationFailedError(
        f"{n} violation{'s' if n != 1 else ''} of the shapes; nothing published "
        f"(run `csec-ld validate` for the full report):\n{shown}"
    )


def _raise_problems(catalogue: Catalogue, stream: Any) -> None:
    """:class:`~csec_ld.errors.DataError` for record problems, or, when validating,
    :class:`ValidationFailedError` with them and every violation of the shapes."""
    if stream is None:
        catalogue.check()
        return
    from ..validation import ValidationReport, ValidationResult, load_results

    results = load_results(catalogue.errors) + stream.finish(catalogue)
    report = ValidationReport(results=sorted(set(results), key=ValidationResult.sort_key))
    if report.failed("violation"):
        raise _violations(report.errors("violation"))


def publish(
    sources: Sequence[str | Path] = ("data",),
    out_dir: str | Path = defaults.SITE_OUTPUT,
    *,
    full: bool = False,
    **options: Any,
) -> PublishResult:
    """Validate the records of *sources* and write the static site into *out_dir*
    (the options are :func:`_publish`'s).

    Into a site an earlier run wrote, only the records that changed are redone: the
    others' files are hard-linked from it and their cached share feeds the merge
    (see :mod:`csec_ld.site.incremental`); the site is byte-identical to a full publish,
    which *full* forces.
    """
    with contextlib.ExitStack() as own_shapes:
        if options.get("validate", True) and options.get("shapes") is None:
            # the catalogue's own vocabularies (catalog.yaml's vocabularies:), as build has them
            from ..validation import shapes_for_catalogue

            own = shapes_for_catalogue(sources, options.get("catalog"), own_shapes)
            if own is not None:
                options["shapes"] = own[0]
        try:
            return _publish(sources, out_dir, incremental=not full, **options)
        except Fallback:  # the previous site could not be reused after all
            return _publish(sources, out_dir, incremental=False, **options)


def _publish(
    sources: Sequence[str | Path] = ("data",),
    out_dir: str | Path = defaults.SITE_OUTPUT,
    *,
    incremental: bool = False,
    base: str | None = None,
    validate: bool = True,
    shapes: str | Path | None = None,
    sparql_endpoint: str | None = None,
    page_size: int = PAGE_SIZE,
    listing_size: int = LISTING_SIZE,
    workers: int | None = None,
    on_progress: Callable[[str, int], None] | None = None,
    catalog: str | Path | None = None,
) -> PublishResult:
    """Validate the records of *sources* and write the static site into *out_dir*.

    One pass, on the pipeline ``build`` uses: *workers* processes (default: one per
    core for large catalogues) check, map (once) and validate each chunk of records,
    write each record's page and data files, and give back the records' rendered
    dumps and small index entries; this process merges them into the dumps, the
    listings, the Hydra pages, ``source/``, the sitemaps and the change feed. The
    output is byte-identical for any number of workers. *on_progress* is called as
    ``("write", n)`` with the number of records done since the last call.

    Raises :class:`~csec_ld.errors.DataError` (record problems) or
    :class:`ValidationFailedError` (shape violations, with the record problems);
    then nothing is written.
    An existing *out_dir* is replaced only when the new site is complete, and only
    if it is a csec-ld site or empty. *page_size* records make a page of the Hydra
    catalogue, *listing_size* a page of each HTML listing. *catalog* is the
    ``catalog.yaml`` (default: found next to the sources).
    """
    if page_size < 1 or listing_size < 1:
        raise UsageError("page_size and listing_size must be at least 1")
    catalogue = open_catalog(sources, base=base, catalog=catalog)
    stream = None
    if validate:
        from ..validation import ChunkChecker, StreamValidation

        stream = StreamValidation(ChunkChecker(shapes))  # fails early on unusable shapes
    out = Path(out_dir)
    result = PublishResult(out)
    with _swapped_folder(out) as root, paused_gc():
        spec = PipelineSpec(
            tuple(str(s) for s in sources),
            base,
            None,
            tuple(FORMATS),
            checker=None if stream is None else ChunkChecker,
            shapes=None if shapes is None else str(shapes),
            site=str(root),
            site_worker=SiteWorker,
            listing_size=listing_size,
            catalog=None if catalog is None else str(catalog),
        )
        site = Site(catalogue, root, sparql_endpoint, listing_size)
        (root / "resource").mkdir()
        pager = _Pager(catalogue, root, page_size)
        mapper = Mapper(catalogue)
        feed = ChangeFeed(catalogue.catalog)
        country_blocks: dict[str, list[Triple]] = {}
        with contextlib.ExitStack() as stack:
            writers: dict[str, Writer] = {}
            for fmt, cls in FORMATS.items():
                handle = stack.enter_context(open(root / f"catalog.{fmt}", "wb"))
                writers[fmt] = cls(handle)
                writers[fmt].begin()
            source = _SourceWriter(root / SOURCE_FOLDER, catalogue)
            stack.callback(source.close)
            try:  # the workers leave their chunks' dumps here; it goes before the swap
                spool = make_temp_folder(root, "chunks", "spool")
            except OSError as exc:
                raise OutputError(f"{out}: cannot write here ({exc.strerror})") from exc
            stack.callback(shutil.rmtree, spool, ignore_errors=True)
            reusing = IncrementalRun(
                catalogue,
                spec,
                out,
                root,
                reuse=incremental,
                workers=workers,
                spool=spool,
                site_chunk=SiteChunk,
                entry=Entry,
                fingerprint=fingerprint(
                    catalogue, spec, shapes, page_size=page_size, endpoint=sparql_endpoint
                ),
            )
            chunks = reusing.chunks()
            stack.callback(chunks.close)  # on an error, the workers stop first
            for chunk in chunks:
                result.triples += chunk.triples
                reusing.write(chunk, writers)  # chunk.write_to, noting where each record went
                chunk.merge_into(mapper)
                if stream is not None:
                    stream.add(chunk.validation, skip=chunk.duplicates)
                part: SiteChunk = chunk.site
                site.entries.extend(part.entries)
                site.withdrawn.update(part.withdrawn)
                source.add_lines(part.source)
                feed.add_changes(part.changes)
                for record_id, node, used in part.nodes:
                    pager.add(record_id, node, used)
                if on_progress:
                    on_progress("write", chunk.records)
            for block in mapper.support(stream_parts=True):
                if stream is not None:
                    stream.add_support(block)
                if catalogue.errors:
                    continue  # only checked: the output is discarded
                result.triples += len(block)
                for writer in writers.values():
                    writer.block(block)
                if (
                    isinstance(block, list)
                    and block
                    and _value(block[0].subject).startswith(COUNTRY_BASE)
                ):
                    country_blocks[_value(block[0].subject)] = block
            _raise_problems(catalogue, stream)
            for writer in writers.values():
                writer.end()
        result.withdrawn = len(site.withdrawn)
        result.records = catalogue.count - result.withdrawn
        result.pages = pager.finish()
        # While this thread writes the rest of the site, the three dumps are compressed
        # side by side (zlib lets go of the GIL) and the search index is built: it needs
        # the record pages and source/ only, and Pagefind is a process of its own.
        beside = concurrent.futures.ThreadPoolExecutor(max_workers=len(FORMATS) + 1)
        gzipped = [beside.submit(_gzip, root / f"catalog.{fmt}") for fmt in FORMATS]
        searched = beside.submit(build_search, site, root, root / SOURCE_FOLDER / "records.jsonl")
        pending: list[concurrent.futures.Future[Any]] = [*gzipped, searched]
        beside.shutdown(wait=False)
        try:
            context = json.dumps(jsonld_context(), ensure_ascii=False, indent=2, sort_keys=True)
            (root / "context.jsonld").write_text(context + "\n", encoding="utf-8")
            (root / "context").mkdir()
            (root / "context" / "1.0.jsonld").write_text(context + "\n", encoding="utf-8")
            (root / "ontology.ttl").write_bytes(
                # the shipped ontology and the catalogue's own concepts (vocabularies:)
                _graph_turtle(list(site.catalogue.vocab.files), VOCAB_BASE + "ontology/")
            )
            try:
                shapes_folder: Path | None = Path(shapes) if shapes else shapes_dir()
            except FileNotFoundError:
                shapes_folder = None
            (root / "shapes.ttl").write_bytes(
                _graph_turtle(_ttl_files(shapes_folder), VOCAB_BASE + "shapes/")
            )
            sitemap = site.listings(country_blocks, _concept_triples(site))
            by_id = {e.id: e for e in site.entries}
            urls = [(site.base + path, lastmod) for path, lastmod in sitemap]
            urls += [(site.cat.record_iri(rid), by_id[rid].lastmod) for rid in sorted(by_id)]
            _write_sitemaps(site, urls)
            (root / "robots.txt").write_text(
                f"User-agent: *\nAllow: /\n\nSitemap: {site.base}sitemap.xml\n", encoding="utf-8"
            )
        finally:
            # not left writing into a folder that goes
            concurrent.futures.wait(pending)
        for future in gzipped:
            future.result()  # void.ttl gives their sizes
        (root / "void.ttl").write_bytes(_void(site, root, result.triples, result.records))
        (root / WITHDRAWN_INDEX).write_text(
            json.dumps(site.withdrawn, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
            encoding="utf-8",
        )
        write_web_configs(root, site.base, site.withdrawn)  # nginx and Apache negotiate too
        feed.write(root)
        write_event_stream(feed.changes, feed.catalog, root, feed.base_url)  # ldes/
        result.search = searched.result()
        reusing.finish()
        result.reused = reusing.reused
        (root / SITE_MARKER).write_text("written by csec-ld publish\n", encoding="utf-8")
        for dirpath, _dirs, files in os.walk(root):  # eight files a record: strings, not Paths
            folder = os.path.relpath(dirpath, root).replace(os.sep, "/")
            prefix = "" if folder == "." else folder + "/"
            for name in files:
                result.files[prefix + name] = out / (prefix + name)
    return result


def _write_sitemaps(site: Site, urls: list[tuple[str, str]]) -> None:
    """``sitemap.xml``; past the protocol's 50,000 URLs, or :data:`SITEMAP_BYTES`, an
    index of numbered sitemaps (each under both limits)."""
    template = site.env.get_template("sitemap.xml")
    chunks: list[list[tuple[str, str]]] = [[]]
    size = 0
    for url in urls:
        # a <url> line: the escaped IRI and date, and about 50 bytes of markup
        length = len(str(markupsafe.escape(url[0])).encode()) + len(url[1]) + 50
        if chunks[-1] and (len(chunks[-1]) >= SITEMAP_LIMIT or size + length > SITEMAP_BYTES):
            chunks.append([])
            size = 0
        chunks[-1].append(url)
        size += length
    if len(chunks) == 1:
        (site.root / "sitemap.xml").write_text(template.render(urls=urls), encoding="utf-8")
        return
    parts = []
    for n, chunk in enumerate(chunks, start=1):
        name = f"sitemap-{n}.xml"
        (site.root / name).write_text(template.render(urls=chunk), encoding="utf-8")
        parts.append((site.base + name, _latest(lm for _, lm in chunk if lm)))
    (site.root / "sitemap.xml").write_text(
        site.env.get_template("sitemap-index.xml").render(sitemaps=parts), encoding="utf-8"
    )


def _concept_triples(site: Site) -> dict[str, list[Triple]]:
    """Each concept's own triples from the catalogue's vocabulary (blank nodes left out:
    not stable)."""
    store = pyoxigraph.Store()
    for path in site.catalogue.vocab.files:
        store.bulk_load(path=str(path), format=RdfFormat.TURTLE)
    out: dict[str, list[Triple]] = {}
    for scheme in (site.types, site.topics):
        for concept in scheme:
            triples = {
                Triple(q.subject, q.predicate, q.object)
                for q in store.quads_for_pattern(NamedNode(concept.iri), None, None)
                if not isinstance(q.object, pyoxigraph.BlankNode)
            }
            out[concept.iri] = sorted(triples, key=_key)
    return out
