"""``publish``: records → a static linked-data site any web host can serve.

The site, for a catalogue whose base IRI is ``{base}``, mirrors the IRIs so that
a host serving the folder at ``{base}`` makes every IRI dereference::

    index.html                       every record, with year, type and country
    resource/{id}/index.html         the record page (+ schema.org JSON-LD, citation_* tags)
    resource/{id}.ttl .jsonld .nt    the record's triples and the labels of what it names
    resource/{id}/index.html         for a withdrawn record: its tombstone page only
    agent/{id}/  project/{id}/       one page (+ data) per agent and project of the registry
    agent/ project/                  the lists of those pages
    type/{id}/  topic/{id}/          one page (+ data) per concept of our two schemes
    country/{ALPHA3}/                one page (+ data) per country the records cover
    type/ topic/ country/            the lists of those pages
    catalog.ttl .nt .jsonld (+ .gz)  the whole catalogue
    context.jsonld, context/1.0.jsonld   our JSON-LD context
    ontology.ttl, shapes.ttl         the ontology and SHACL shapes, each as one graph
    void.ttl                         DCAT + VoID description of the dataset and its dumps
    pages/{n}.jsonld                 the catalogue in Hydra pages of 100 records, each complete
    sitemap.xml, robots.txt
    .csec-ld-withdrawn.json          withdrawn records (id → date, title), read by ``serve``

A withdrawn record (``status: withdrawn``) is a tombstone: it gets a page saying
when it was withdrawn, and nothing else (no data files, no place in the listings,
the sitemap, the dumps or the pages).

Records stream from the sources through the mapping; only a small index entry per
record is kept for the listing pages. The site is built in a temporary folder beside
the output and swapped in only when complete. Output is deterministic: the same input
gives the same bytes (no timestamps; gzip headers carry none).

>>> result = publish(["data"], "/tmp/csec-ld-site-doctest", validate=False)
>>> (result.out_dir / "index.html").is_file()
True
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import pyoxigraph
import yaml
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple

from .changes import ChangeFeed
from .errors import CsecLdError, OutputError, ShapesError
from .mapping import Mapper
from .namespaces import (
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
from .records import PartialDate, Record, record_to_dict, texts_value
from .resources import ontology_dir, shapes_dir
from .serialize import JsonLdWriter, NTriplesWriter, TurtleWriter, Writer, jsonld_context
from .sources import Catalogue, open_catalog
from .tempfiles import deferred_signals, leftovers, make_temp_folder, remove_leftovers
from .vocab import Concept, country, language
from .webconfig import write_web_configs

__all__ = [
    "DATA_FORMATS",
    "PAGE_SIZE",
    "SITE_MARKER",
    "WITHDRAWN_INDEX",
    "PublishResult",
    "ValidationFailedError",
    "check_valid",
    "is_site",
    "publish",
    "read_withdrawn",
    "schemaorg_jsonld",
    "site_path",
    "void_with_endpoint",
]

#: Records per page of the paged JSON-LD catalogue.
PAGE_SIZE = 100
#: URLs per sitemap file (the sitemap protocol's limit).
SITEMAP_LIMIT = 50_000
#: The file that marks a folder as a csec-ld site (only such folders are ever replaced).
SITE_MARKER = ".csec-ld-site"
#: The site's list of withdrawn records, for the server (hidden: never served).
WITHDRAWN_INDEX = ".csec-ld-withdrawn.json"
#: The catalogue's records, normalised (tombstones included), with its description
#: and registry: what the server's OAI-PMH endpoint reads, and a mirror's source.
SOURCE_FOLDER = "source"
#: The folders of agent and project pages, by registry kind.
_AGENT_FOLDERS = {"organization": "agent", "person": "agent", "project": "project"}
_ROLES = (("publishers", "Published"), ("creators", "Authored"),
          ("contributors", "Contributed to"), ("is_part_of", "Part of it"))
#: The data formats written beside every page: extension → media type.
DATA_FORMATS: dict[str, str] = {
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
}
_WRITERS: dict[str, type[Writer]] = {"ttl": TurtleWriter, "jsonld": JsonLdWriter,
                                     "nt": NTriplesWriter}
_FORMAT_LABELS = {"ttl": "Turtle", "jsonld": "JSON-LD", "nt": "N-Triples"}

HYDRA = "http://www.w3.org/ns/hydra/core#"
VOID = "http://rdfs.org/ns/void#"
_IANA = "http://www.iana.org/assignments/media-types/"
_RDF_TYPE = RDF + "type"
_SAFE_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
_TEMPLATES = Path(__file__).resolve().parent / "templates"


class ValidationFailedError(CsecLdError):
    """The records violate the SHACL shapes: nothing was published."""


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
    from . import validation

    report = validation.validate(list(sources), shapes=shapes, base=base, on_progress=on_progress)
    if report.failed("violation"):
        errors = report.errors("violation")  # located as `build` reports them
        n = len(errors)
        shown = "\n".join(map(str, errors[:20])) + (f"\n... and {n - 20} more" if n > 20 else "")
        raise ValidationFailedError(
            f"{n} violation{'s' if n != 1 else ''} of the shapes; nothing published "
            f"(run `csec-ld validate` for the full report):\n{shown}"
        )


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
    if not path.resolve().is_relative_to(root.resolve()):
        raise OutputError(f"{'/'.join(segments)!r} is outside the site folder")
    return path


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


def _write_blocks(path: Path, fmt: str, blocks: Iterable[list[Triple]]) -> None:
    with open(path, "wb") as out:
        if fmt == "jsonld":
            writer: Writer = JsonLdWriter(out, context=jsonld_context()["@context"])
        else:
            writer = _WRITERS[fmt](out)
        writer.write_all(blocks)


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
        pieces.append(f"# ---- {path.name}\n@base <{file_base}> .\n".encode()
                      + data.rstrip(b"\n") + b"\n")
    if not labelled:
        return b"\n".join(pieces)
    dataset = pyoxigraph.Dataset()
    for path in files:
        for t in pyoxigraph.parse(path=str(path), format=RdfFormat.TURTLE,
                                  base_iri=base_iri + path.name):
            dataset.add(pyoxigraph.Quad(t.subject, t.predicate, t.object))
    dataset.canonicalize(pyoxigraph.CanonicalizationAlgorithm.UNSTABLE)
    triples = sorted((Triple(q.subject, q.predicate, q.object) for q in dataset), key=_key)
    return pyoxigraph.serialize(triples, format=RdfFormat.TURTLE, prefixes=PREFIXES) or b""


def _gzip(path: Path) -> Path:
    target = path.with_name(path.name + ".gz")
    with open(path, "rb") as src, open(target, "wb") as raw, gzip.GzipFile(
        filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9
    ) as out:
        shutil.copyfileobj(src, out)
    return target


def _value(term: Any) -> str:
    """The IRI of a named node (the label of a blank node, the text of a literal)."""
    return term.value if hasattr(term, "value") else str(term)


def _is_schema(t: Triple) -> bool:
    p = t.predicate.value
    return p.startswith(SCHEMA) or (
        p == _RDF_TYPE and isinstance(t.object, NamedNode) and t.object.value.startswith(SCHEMA)
    )


# Terms of the official schema.org context that coerce plain strings to IRIs or dates:
# a plain-string literal must be written as a value object under them.
_COERCED_TERMS = frozenset({"url", "sameAs", "isPartOf", "license", "datePublished",
                            "dateModified", "image", "logo", "mainEntityOfPage"})
_SCHEMA_DATE = SCHEMA + "Date"
_XSD_STRING = XSD + "string"


def schemaorg_jsonld(triples: Iterable[Triple]) -> dict[str, Any]:
    """The schema.org triples of one record as JSON-LD with ``"@context": "https://schema.org"``.

    Its expansion with the official schema.org context is exactly those triples
    (the context maps terms into ``http://schema.org/``, as our profile does).
    """
    triples = [t for t in triples if _is_schema(t)]
    node: dict[str, Any] = {"@context": "https://schema.org"}
    if not triples:
        return node
    node["@id"] = _value(triples[0].subject)
    values: dict[str, list[Any]] = {}
    for t in triples:
        obj = t.object
        if t.predicate.value == _RDF_TYPE:
            values.setdefault("@type", []).append(_value(obj)[len(SCHEMA):])
            continue
        term = t.predicate.value[len(SCHEMA):]
        value: Any
        if isinstance(obj, NamedNode):
            value = {"@id": obj.value}
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


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def _human_date(d: PartialDate) -> str:
    parts = d.text.split("-")
    if d.precision == "year":
        return parts[0]
    month = _MONTHS[int(parts[1]) - 1]
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


@dataclass
class PublishResult:
    """What :func:`publish` wrote."""

    out_dir: Path
    records: int = 0
    withdrawn: int = 0
    triples: int = 0
    pages: int = 0
    files: dict[str, Path] = field(default_factory=dict)


class _Site:
    """Everything one publish run needs: the catalogue, templates, and the index."""

    def __init__(self, catalogue: Catalogue, root: Path, sparql_endpoint: str | None) -> None:
        self.catalogue = catalogue
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
        )
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
        depth = len(rel) - 1
        text = self.env.get_template(template).render(
            root="../" * depth, catalog=self.cat, catalog_title=self._catalog_title(),
            **context,
        )
        path = site_path(self.root, *rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def _catalog_title(self) -> str:
        for t in self.cat.title:
            if t.lang == "en":
                return t.value
        return self.cat.title[0].value

    # -- records

    def record_page(self, record: Record, block: list[Triple]) -> None:
        vocab = self.catalogue.vocab
        rtype = vocab.types.concepts[record.type]
        iri = self.cat.record_iri(record.id)
        countries = [country(c) for c in record.countries]
        identifiers = [Link(str(i), i.iri) for i in record.identifiers]
        pdfs = [i.iri for i in record.identifiers
                if i.scheme == "url" and i.iri and i.iri.lower().split("?")[0].endswith(".pdf")]
        authors = record.creators or record.publishers
        meta: list[tuple[str, str]] = []
        meta.append(("citation_title", record.primary_title))  # crawlers read one title
        for a in authors:
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
            "record.html", ["resource", record.id, "index.html"],
            record=record,
            iri=iri,
            title=record.primary_title,
            titles=[Link(t.value, None, t.lang) for t in record.title],
            issued=Link(_human_date(record.issued), record.issued.text),
            modified=(Link(_human_date(record.modified), record.modified.text)
                      if record.modified else None),
            type=Link(rtype.label, self.concept_path(rtype)),
            descriptions=[Link(d.value, None, d.lang) for d in record.description],
            countries=[Link(c.name, f"country/{c.alpha3}/") for c in countries],
            subjects=[Link(vocab.topics.concepts[s].label,
                           self.concept_path(vocab.topics.concepts[s]))
                      for s in record.subjects],
            publishers=[self.agent_link(a) for a in record.publishers],
            creators=[self.agent_link(a) for a in record.creators],
            contributors=[self.agent_link(a) for a in record.contributors],
            part_of=[self.agent_link(a) for a in record.is_part_of],
            languages=[Link(language(x).name) for x in record.languages],
            identifiers=identifiers,
            license=record.license,
            alternates=[(fmt, DATA_FORMATS[fmt], _FORMAT_LABELS[fmt],
                         f"resource/{record.id}.{fmt}") for fmt in DATA_FORMATS],
            jsonld=schemaorg_jsonld(block),
            meta=meta,
        )
        lastmod = record.modified or record.issued
        first = record.title[0]
        en = next((t for t in record.title if t.lang == "en"), first)
        agents = tuple((name, a) for name, _ in _ROLES for a in getattr(record, name))
        self.entries.append(Entry(
            record.id, en.value, en.lang, record.issued, str(record.issued.year), record.type,
            record.countries, record.subjects, lastmod.text, agents))

    def tombstone_page(self, record: Record) -> None:
        """The page left at a withdrawn record's IRI: its title and when it was withdrawn."""
        assert record.withdrawn is not None
        self.render(
            "tombstone.html", ["resource", record.id, "index.html"],
            iri=self.cat.record_iri(record.id),
            title=record.primary_title,
            titles=[Link(t.value, None, t.lang) for t in record.title],
            withdrawn=Link(_human_date(record.withdrawn), record.withdrawn.text),
            issued=Link(_human_date(record.issued), record.issued.text),
        )
        self.withdrawn[record.id] = {"withdrawn": record.withdrawn.text,
                                     "title": record.primary_title}

    def record_data(self, record_id: str, blocks: list[list[Triple]]) -> None:
        for fmt in DATA_FORMATS:
            _write_blocks(site_path(self.root, "resource", f"{record_id}.{fmt}"), fmt, blocks)

    # -- listings

    def rows(self, entries: Iterable[Entry]) -> list[dict[str, Any]]:
        out = []
        by_title = sorted(entries, key=lambda e: (e.title, e.id))
        for e in sorted(by_title, key=lambda e: (e.issued.earliest(), e.issued.text),
                        reverse=True):  # newest first; stable, so by title within a date
            rtype = self.types.concepts[e.type]
            out.append({
                "entry": e,
                "href": f"resource/{e.id}/",
                "type": Link(rtype.label, self.concept_path(rtype)),
                "countries": [Link(country(c).name, f"country/{c}/") for c in e.countries],
            })
        return out

    def listings(self, country_blocks: dict[str, list[Triple]],
                 concept_triples: dict[str, list[Triple]]) -> list[tuple[str, str]]:
        """Home, scheme and concept pages; returns (site path, lastmod) for the sitemap."""
        sitemap: list[tuple[str, str]] = []
        entries = self.entries
        self.render("home.html", ["index.html"], rows=self.rows(entries),
                    types=self._concept_counts(self.types, "type"),
                    topics=self._concept_counts(self.topics, "topic"),
                    countries=self._country_counts(),
                    count=len(entries), sparql_endpoint=self.sparql_endpoint)
        sitemap.append(("", _latest(e.lastmod for e in entries)))
        for kind, scheme, label in (("type", self.types, "Resource types"),
                                    ("topic", self.topics, "Topics")):
            self.render("scheme.html", [kind, "index.html"], heading=label,
                        items=self._concept_counts(scheme, kind))
            sitemap.append((f"{kind}/", _latest(e.lastmod for e in entries)))
            for concept in scheme:
                ids = scheme.narrower_closure(concept.id)
                field_name = "type" if kind == "type" else "subjects"
                selected = [e for e in entries if (e.type in ids if field_name == "type"
                                                   else ids.intersection(e.subjects))]
                broader = [Link(scheme.concepts[b].label, f"{kind}/{b}/")
                           for b in concept.broader if b in scheme.concepts]
                narrower = [Link(c.label, f"{kind}/{c.id}/") for c in scheme
                            if concept.id in c.broader]
                self.render("listing.html", [kind, concept.id, "index.html"],
                            heading=concept.label, kind=kind,
                            kind_label="Resource type" if kind == "type" else "Topic",
                            iri=concept.iri, definition=concept.definition,
                            broader=broader, narrower=narrower, rows=self.rows(selected),
                            alternates=[(fmt, DATA_FORMATS[fmt], _FORMAT_LABELS[fmt],
                                         f"{kind}/{concept.id}.{fmt}") for fmt in DATA_FORMATS])
                for fmt in DATA_FORMATS:
                    _write_blocks(site_path(self.root, kind, f"{concept.id}.{fmt}"), fmt,
                                  [concept_triples.get(concept.iri, [])])
                sitemap.append((f"{kind}/{concept.id}/",
                                _latest(e.lastmod for e in selected)))
        self.render("scheme.html", ["country", "index.html"], heading="Countries",
                    items=self._country_counts())
        sitemap.append(("country/", _latest(e.lastmod for e in entries)))
        for code in sorted({c for e in entries for c in e.countries}):
            c = country(code)
            selected = [e for e in entries if code in e.countries]
            self.render("listing.html", ["country", code, "index.html"], heading=c.name,
                        kind="country", kind_label="Country", iri=c.iri, definition=None,
                        broader=[], narrower=[], rows=self.rows(selected),
                        alternates=[(fmt, DATA_FORMATS[fmt], _FORMAT_LABELS[fmt],
                                     f"country/{code}.{fmt}") for fmt in DATA_FORMATS])
            for fmt in DATA_FORMATS:
                _write_blocks(site_path(self.root, "country", f"{code}.{fmt}"), fmt,
                              [country_blocks.get(c.iri, [])])
            sitemap.append((f"country/{code}/", _latest(e.lastmod for e in selected)))
        sitemap += self.agent_pages()
        return sitemap

    def agent_pages(self) -> list[tuple[str, str]]:
        """A page (+ data) per agent and project of the registry, and their two lists."""
        registry = self.catalogue.registry
        mapper = Mapper(self.catalogue)
        mapper.used.agents.update(registry.agents)
        blocks = {_value(b[0].subject): b for b in list(mapper.support())[:-1] if b}
        named: dict[str, list[tuple[str, Entry]]] = {}
        for e in self.entries:
            for role, agent_id in e.agents:
                named.setdefault(agent_id, []).append((role, e))
        sitemap: list[tuple[str, str]] = []
        for folder, heading in (("agent", "Organisations and people"),
                                ("project", "Projects and series")):
            agents = [a for a in registry if _AGENT_FOLDERS.get(a.kind, "agent") == folder]
            items = [{"link": Link(a.name, self.agent_path(a.id)),
                      "count": len({e.id for _, e in named.get(a.id, [])}), "depth": 0}
                     for a in sorted(agents, key=lambda a: (a.name.casefold(), a.id))]
            self.render("scheme.html", [folder, "index.html"], heading=heading, items=items)
            sitemap.append((f"{folder}/", _latest(e.lastmod for e in self.entries)))
            for agent in agents:
                mentions = named.get(agent.id, [])
                parent = registry.get(agent.part_of) if agent.part_of else None
                parts = [Link(a.name, self.agent_path(a.id)) for a in registry
                         if a.part_of == agent.id]
                self.render(
                    "agent.html", [folder, agent.id, "index.html"],
                    agent=agent,
                    kind_label={"organization": "Organisation", "person": "Person"}.get(
                        agent.kind, "Project or series"),
                    iri=agent.iri,
                    parent=Link(parent.name, self.agent_path(parent.id)) if parent else None,
                    parts=parts,
                    roles=[(label, self.rows(e for r, e in mentions if r == role))
                           for role, label in _ROLES],
                    count=len({e.id for _, e in mentions}),
                    alternates=[(fmt, DATA_FORMATS[fmt], _FORMAT_LABELS[fmt],
                                 f"{folder}/{agent.id}.{fmt}") for fmt in DATA_FORMATS],
                )
                data = [blocks.get(agent.iri, [])]
                if parent is not None:
                    data.append(blocks.get(parent.iri, []))  # so the parent has a name
                for fmt in DATA_FORMATS:
                    _write_blocks(site_path(self.root, folder, f"{agent.id}.{fmt}"), fmt, data)
                sitemap.append((f"{folder}/{agent.id}/",
                                _latest(e.lastmod for _, e in mentions)))
        return sitemap

    def _concept_counts(self, scheme: Any, kind: str) -> list[dict[str, Any]]:
        items = []
        for concept in scheme:
            ids = scheme.narrower_closure(concept.id)
            n = sum(1 for e in self.entries
                    if (e.type in ids if kind == "type" else ids.intersection(e.subjects)))
            items.append({"link": Link(concept.label, f"{kind}/{concept.id}/"), "count": n,
                          "depth": _depth(scheme, concept)})
        return items

    def _country_counts(self) -> list[dict[str, Any]]:
        counts: dict[str, int] = {}
        for e in self.entries:
            for c in e.countries:
                counts[c] = counts.get(c, 0) + 1
        return [{"link": Link(country(c).name, f"country/{c}/"), "count": n, "depth": 0}
                for c, n in sorted(counts.items(), key=lambda kv: country(kv[0]).name)]


def _depth(scheme: Any, concept: Concept) -> int:
    depth, current = 0, concept
    while current.broader and depth < 10:
        current = scheme.concepts.get(current.broader[0], current)
        depth += 1
    return depth


def _latest(dates: Iterable[str]) -> str:
    best: PartialDate | None = None
    for text in dates:
        d = PartialDate(text, "day" if len(text) == 10 else "month" if len(text) == 7 else "year")
        if best is None or (d.earliest(), d.text) > (best.earliest(), best.text):
            best = d
    return best.text if best else ""


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

    def add(self, record: Record) -> list[Triple]:
        if self._mapper is None:
            self._mapper = Mapper(self.catalogue)
        block = self._mapper.record(record)
        self._nodes.append(_node(block))
        self._members.append(self.catalogue.catalog.record_iri(record.id))
        self.total += 1
        if len(self._members) >= self.page_size:
            self._flush()
        return block

    def _flush(self) -> None:
        if self._mapper is None:
            return
        support = list(self._mapper.support())
        catalog_node = _node(support[-1]) if support[-1] else {}
        nodes = self._nodes + [_node(b) for b in support[:-1] if b]
        self.pages += 1
        part = self.root / "pages" / f"{self.pages}.part"
        part.write_text(json.dumps({"catalog": catalog_node, "members": self._members,
                                    "nodes": nodes}, ensure_ascii=False), encoding="utf-8")
        self._mapper, self._nodes, self._members = None, [], []

    def finish(self) -> int:
        self._flush()
        if self.pages == 0:  # an empty catalogue still has one (empty) page
            self.pages = 1
            (self.root / "pages" / "1.part").write_text(
                json.dumps({"catalog": {}, "members": [], "nodes": []}), encoding="utf-8")
        base = self.catalogue.catalog.base
        cat_iri = self.catalogue.catalog.iri
        for n in range(1, self.pages + 1):
            part = self.root / "pages" / f"{n}.part"
            data = json.loads(part.read_text(encoding="utf-8"))
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
            site_path(self.root, "pages", f"{n}.jsonld").write_text(
                json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                encoding="utf-8")
        return self.pages


def _node(block: list[Triple]) -> dict[str, Any]:
    from .serialize import node_object

    return node_object(block)


# --------------------------------------------------------------------------- VoID / DCAT


def _void(site: _Site, root: Path, triples: int, records: int) -> bytes:
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
    for name, media in (("catalog.ttl", "text/turtle"), ("catalog.nt", "application/n-triples"),
                        ("catalog.jsonld", "application/ld+json")):
        for gz in (False, True):
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
                Triple(dist, n(DCAT + "byteSize"),
                       Literal(str(size), datatype=n(XSD + "nonNegativeInteger"))),
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
        blocks.append(sorted([
            Triple(svc, T, n(DCAT + "DataService")),
            Triple(svc, n(DCAT + "endpointURL"), svc),
            Triple(svc, n(DCAT + "servesDataset"), ds),
            Triple(svc, n(DCTERMS + "conformsTo"), n("https://www.w3.org/TR/sparql11-protocol/")),
        ], key=_key))
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
        for key in ("publisher", "license"):
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

    def add(self, record: Record) -> None:
        self.records.write(json.dumps(record_to_dict(record), ensure_ascii=False) + "\n")

    def close(self) -> None:
        self.records.close()


def publish(
    sources: Sequence[str | Path] = ("data",),
    out_dir: str | Path = "site",
    *,
    base: str | None = None,
    validate: bool = True,
    shapes: str | Path | None = None,
    sparql_endpoint: str | None = None,
    page_size: int = PAGE_SIZE,
    on_progress: Callable[[str, int], None] | None = None,
) -> PublishResult:
    """Validate the records of *sources* and write the static site into *out_dir*.

    *on_progress* is called as ``("validate", n)`` and ``("write", n)`` with the
    number of records each step has done since the last call.

    Raises :class:`~csec_ld.errors.DataError` (record problems) or
    :class:`ValidationFailedError` (shape violations); then nothing is written.
    An existing *out_dir* is replaced only when the new site is complete, and only
    if it is a csec-ld site or empty.
    """
    if validate:
        check_valid(
            sources,
            base=base,
            shapes=shapes,
            on_progress=(lambda n: on_progress("validate", n)) if on_progress else None,
        )
    catalogue = open_catalog(sources, base=base)
    out = Path(out_dir)
    result = PublishResult(out)
    with _swapped_folder(out) as root:
        site = _Site(catalogue, root, sparql_endpoint)
        (root / "resource").mkdir()
        pager = _Pager(catalogue, root, page_size)
        main = Mapper(catalogue)
        with contextlib.ExitStack() as stack:
            dumps: list[Writer] = []
            for fmt, cls in _WRITERS.items():
                handle = stack.enter_context(open(root / f"catalog.{fmt}", "wb"))
                dumps.append(cls(handle))
            for w in dumps:
                w.begin()

            def emit(block: list[Triple]) -> None:
                result.triples += len(block)
                for w in dumps:
                    w.block(block)

            feed = ChangeFeed(catalogue.catalog)
            source = _SourceWriter(root / SOURCE_FOLDER, catalogue)
            stack.callback(source.close)
            for record in catalogue.records():
                if on_progress:
                    on_progress("write", 1)
                feed.add(record)
                source.add(record)
                if record.is_withdrawn:
                    site.tombstone_page(record)  # a tombstone: its page, and nothing else
                    continue
                block = pager.add(record)
                main.record(record)
                own = Mapper(catalogue)
                own.record(record)
                support = [b for b in own.support()][:-1]  # not the catalogue's block
                site.record_data(record.id, [block, *support])
                site.record_page(record, block)
                emit(block)
            catalogue.check()
            country_blocks: dict[str, list[Triple]] = {}
            for block in main.support():
                emit(block)
                if block and _value(block[0].subject).startswith(COUNTRY_BASE):
                    country_blocks[_value(block[0].subject)] = block
            for w in dumps:
                w.end()
        result.withdrawn = len(site.withdrawn)
        result.records = catalogue.count - result.withdrawn
        result.pages = pager.finish()
        for fmt in _WRITERS:
            _gzip(root / f"catalog.{fmt}")
        context = json.dumps(jsonld_context(), ensure_ascii=False, indent=2, sort_keys=True)
        (root / "context.jsonld").write_text(context + "\n", encoding="utf-8")
        (root / "context").mkdir()
        (root / "context" / "1.0.jsonld").write_text(context + "\n", encoding="utf-8")
        (root / "ontology.ttl").write_bytes(_graph_turtle(_ttl_files(ontology_dir()),
                                                                VOCAB_BASE + "ontology/"))
        try:
            shapes_folder: Path | None = Path(shapes) if shapes else shapes_dir()
        except FileNotFoundError:
            shapes_folder = None
        (root / "shapes.ttl").write_bytes(_graph_turtle(_ttl_files(shapes_folder),
                                                        VOCAB_BASE + "shapes/"))
        sitemap = site.listings(country_blocks, _concept_triples(site))
        by_id = {e.id: e for e in site.entries}
        urls = [(site.base + path, lastmod) for path, lastmod in sitemap]
        urls += [(site.cat.record_iri(rid), by_id[rid].lastmod) for rid in sorted(by_id)]
        _write_sitemaps(site, urls)
        (root / "robots.txt").write_text(
            f"User-agent: *\nAllow: /\n\nSitemap: {site.base}sitemap.xml\n", encoding="utf-8")
        (root / "void.ttl").write_bytes(_void(site, root, result.triples, result.records))
        (root / WITHDRAWN_INDEX).write_text(
            json.dumps(site.withdrawn, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
            encoding="utf-8")
        write_web_configs(root, site.base, site.withdrawn)  # nginx and Apache negotiate too
        feed.write(root)
        (root / SITE_MARKER).write_text("written by csec-ld publish\n", encoding="utf-8")
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                p = Path(dirpath) / name
                result.files[p.relative_to(root).as_posix()] = out / p.relative_to(root)
    return result


def _write_sitemaps(site: _Site, urls: list[tuple[str, str]]) -> None:
    """``sitemap.xml``; past the protocol's 50,000 URLs, an index of numbered sitemaps."""
    template = site.env.get_template("sitemap.xml")
    if len(urls) <= SITEMAP_LIMIT:
        (site.root / "sitemap.xml").write_text(template.render(urls=urls), encoding="utf-8")
        return
    parts = []
    for n, start in enumerate(range(0, len(urls), SITEMAP_LIMIT), start=1):
        chunk = urls[start : start + SITEMAP_LIMIT]
        name = f"sitemap-{n}.xml"
        (site.root / name).write_text(template.render(urls=chunk), encoding="utf-8")
        parts.append((site.base + name, _latest(lm for _, lm in chunk if lm)))
    (site.root / "sitemap.xml").write_text(
        site.env.get_template("sitemap-index.xml").render(sitemaps=parts), encoding="utf-8")


def _concept_triples(site: _Site) -> dict[str, list[Triple]]:
    """Each concept's own triples from the ontology (blank nodes left out: not stable)."""
    store = pyoxigraph.Store()
    for path in sorted(ontology_dir().glob("*.ttl")):
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

