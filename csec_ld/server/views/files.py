"""The site's files, and the IRIs that negotiate among them.

Every record, concept, country, agent and project IRI negotiates among its page and
its data (q-values, ``Vary: Accept``, ``Content-Location``, 406 when nothing fits);
a record's also offers its citations. A withdrawn record answers ``410 Gone``. Files
carry weak ETags and ``Last-Modified``; the data formats are CORS-open.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pyoxigraph
from pyoxigraph import RdfFormat
from starlette.requests import Request
from starlette.responses import Response

from ...errors import RequestError
from ...site.citations import CITATION_FORMATS
from ...site.publish import DATA_FORMATS, void_with_endpoint
from ...site.signposting import link_header, record_signposts
from ...site.webconfig import NGINX_CONF
from ..negotiation import CONTENT_TYPES, DATA_SUFFIXES, VARIANTS, negotiate
from ..responses import (
    CORS,
    File,
    Files,
    check_query_string,
    decoded_segments,
    file_response,
    preflight,
    text,
)

__all__ = ["FileViews"]

#: Signposts kept (by record and kind of answer) before the cache starts again.
_KEPT_SIGNPOSTS = 10_000


def _url(rel: str) -> str:
    """The URL path of a site file (a folder's, for its index page)."""
    return "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


def _record_of(request: Request) -> str | None:
    """The id of the record whose IRI or HTML page *request* asks for, or None."""
    parts = request.url.path.split("/")[1:]
    if len(parts) == 2 and parts[0] == "resource" and "." not in parts[1]:
        return parts[1] or None
    if len(parts) == 3 and parts[0] == "resource" and parts[2] in ("", "index.html"):
        return parts[1] or None
    return None


def _segments(request: Request) -> list[str]:
    """The path's segments (:func:`decoded_segments`), without the site's hidden files
    (dot-files, the web server's configuration)."""
    parts = decoded_segments(request, hide_dotfiles=True)
    if parts == [NGINX_CONF]:  # the web server's configuration, not the site's
        raise RequestError(404, "not found")
    return parts


class FileViews:
    """``/{path}``: files and negotiated IRIs of a published site."""

    def __init__(
        self,
        files: Files,
        *,
        dataset_iri: str | None,
        public: str,
        withdrawn: dict[str, dict[str, Any]],
        max_query_length: int,
    ) -> None:
        self.files = files
        self.dataset_iri = dataset_iri
        self.public = public
        self.withdrawn = withdrawn
        self.max_query_length = max_query_length
        #: the catalogue's base IRI (the site's, not where it is served)
        self.site_base = dataset_iri[: -len("dataset")] if dataset_iri else None
        #: served away from its base (``--public-url``, e.g. staging)
        self.moved = self.site_base is not None and public not in ("/", self.site_base)
        self._signposts: dict[tuple[str, bool], tuple[str, str]] = {}

    async def resource(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return preflight("GET, HEAD, OPTIONS", "Accept, If-None-Match, If-Modified-Since")
        check_query_string(request, self.max_query_length)
        parts = _segments(request)
        record_id = self._tombstone(parts)
        if record_id is not None:
            return self._gone(request, record_id)
        last = parts[-1] if parts else ""
        if last == "":  # a folder: its index page
            if len(parts) <= 1:  # the home page is the catalogue too
                return self._negotiated(request, self._variants([]))
            rel = "/".join([*parts[:-1], "index.html"])
            return self._serve_file(request, rel, self._page_links(request))
        if "." in last:
            return self._serve_file(request, "/".join(parts), self._page_links(request))
        offered = self._variants(parts)
        if not offered:
            raise RequestError(404, "not found")
        return self._negotiated(request, offered)

    def _void_body(self, f: File) -> bytes:
        if self.dataset_iri is None or b"sparqlEndpoint" in f.body:
            return f.body
        return void_with_endpoint(
            f.body, self.dataset_iri[: -len("dataset")], self.public + "sparql"
        )

    def _served_links(self, rel: str, body: bytes) -> bytes:
        """Where the site is served away from its base (``--public-url``, e.g. staging),
        the links harvesters follow point at the served origin: the change feed's pages,
        the event stream's, the Hydra pages and the sitemaps (whose URLs must be on the
        sitemap's host). The IRIs of the records in them stay what they are: identifiers,
        not links."""
        if not self.moved:
            return body
        assert self.site_base is not None
        old, new = self.site_base.encode(), self.public.encode()
        if rel.startswith("changes/") and rel.endswith(".json"):
            return body.replace(b'"' + old + b"changes/", b'"' + new + b"changes/")
        if rel.startswith("pages/") and rel.endswith(".jsonld"):
            return body.replace(b'"' + old + b"pages/", b'"' + new + b"pages/")
        if rel.startswith("sitemap") and rel.endswith(".xml"):
            return body.replace(b"<loc>" + old, b"<loc>" + new)
        if rel.startswith("ldes/") and rel.endswith(".ttl"):  # the event stream's pages
            return body.replace(b"<" + old + b"ldes/", b"<" + new + b"ldes/")
        if rel == "robots.txt":
            return body.replace(b"Sitemap: " + old, b"Sitemap: " + new)
        return body

    def _serve_file(
        self, request: Request, rel: str, extra: dict[str, str] | None = None
    ) -> Response:
        f = self.files.get(rel)
        if f is None:
            raise RequestError(404, "not found")
        suffix = Path(rel).suffix
        headers = dict(extra or {})
        if suffix in DATA_SUFFIXES:
            headers.update(CORS)
        body = self._void_body(f) if rel == "void.ttl" else self._served_links(rel, f.body)
        if body is not f.body:
            tag = hashlib.sha256(body).hexdigest()[:32]
            f = File(body, f'W/"{tag}"', f.mtime)
        return file_response(
            request, f, CONTENT_TYPES.get(suffix, "application/octet-stream"), headers, body
        )

    def _variants(self, parts: list[str]) -> dict[str, str]:
        """media type → file, for an extension-less path (a record, concept or list IRI)."""
        stem = "/".join(parts)
        if stem in ("", "catalog"):
            candidates = {
                "html": "index.html",
                "ttl": "catalog.ttl",
                "jsonld": "catalog.jsonld",
                "nt": "catalog.nt",
            }
        elif stem in ("ontology", "shapes", "void"):
            candidates = {"ttl": f"{stem}.ttl"}
        else:
            candidates = {
                "html": f"{stem}/index.html",
                "ttl": f"{stem}.ttl",
                "jsonld": f"{stem}.jsonld",
                "nt": f"{stem}.nt",
            }
            if parts[0] == "resource":  # a record: its citation too
                candidates.update({f.suffix: f"{stem}.{f.suffix}" for f in CITATION_FORMATS})
        media = dict(VARIANTS)
        return {media[k]: v for k, v in candidates.items() if self.files.get(v) is not None}

    def _tombstone(self, parts: list[str]) -> str | None:
        """The id of the withdrawn record *parts* name (its IRI, page or data), or None."""
        if not self.withdrawn or len(parts) not in (2, 3) or parts[0] != "resource":
            return None
        if len(parts) == 2:
            stem, _, ext = parts[1].partition(".")
            if ext not in ("", "html", *(k for k, _ in VARIANTS)):
                return None
        elif parts[2] in ("", "index.html"):
            stem = parts[1]
        else:
            return None
        return stem if stem in self.withdrawn else None

    def _gone(self, request: Request, record_id: str) -> Response:
        """410 for a withdrawn record: its tombstone page, or a line of text."""
        chosen = negotiate(request.headers.get("accept"), ["text/html", "text/plain"])
        info = self.withdrawn[record_id]
        headers = {**CORS, "Vary": "Accept", "Cache-Control": "public, max-age=300"}
        page = self.files.get(f"resource/{record_id}/index.html")
        if chosen == "text/html" and page is not None:
            return Response(
                page.body, status_code=410, media_type=CONTENT_TYPES[".html"], headers=headers
            )
        title = info.get("title", record_id)
        return text(
            410,
            f'"{title}" was withdrawn from the catalogue on '
            f"{info.get('withdrawn', '?')}: it has no data any more",
            headers,
        )

    def _negotiated(self, request: Request, offered: dict[str, str]) -> Response:
        """The variant of *offered* (media type → file) that the request's Accept prefers."""
        chosen = negotiate(request.headers.get("accept"), list(offered))
        links = ", ".join(
            f'<{_url(rel)}>; rel="alternate"; type="{media}"' for media, rel in offered.items()
        )
        headers = {"Vary": "Accept", "Link": links}
        if chosen is None:
            raise RequestError(
                406,
                "none of the available formats is acceptable: " + ", ".join(offered),
                headers=headers,
            )
        rel = offered[chosen]
        headers["Content-Location"] = _url(rel)
        record_id = _record_of(request)
        if record_id is not None:  # a record's IRI: its signposts too
            sign = self._signposts_of(record_id, landing_page=chosen == "text/html")
            headers["Link"] = ", ".join(x for x in (links, sign) if x)
        return self._serve_file(request, rel, headers)

    def _page_links(self, request: Request) -> dict[str, str] | None:
        """The ``Link`` header of a record's HTML page (its signposts), or None."""
        record_id = _record_of(request)
        sign = self._signposts_of(record_id, landing_page=True) if record_id is not None else ""
        return {"Link": sign} if sign else None

    def _signposts_of(self, record_id: str, *, landing_page: bool) -> str:
        """The FAIR Signposting links of a record (see :mod:`csec_ld.site.signposting`), from
        its N-Triples file; "" if it has none."""
        f = self.files.get(f"resource/{record_id}.nt")
        if f is None or self.site_base is None:
            return ""
        key = (record_id, landing_page)
        cached = self._signposts.get(key)
        if cached is not None and cached[0] == f.etag:
            return cached[1]
        try:
            triples = list(pyoxigraph.parse(f.body, format=RdfFormat.N_TRIPLES))
        except SyntaxError:
            return ""  # not a file publish wrote: no signposts rather than an error
        links = record_signposts(
            f"{self.site_base}resource/{record_id}",
            triples,
            DATA_FORMATS,
            landing_page=landing_page,
        )
        if len(self._signposts) >= _KEPT_SIGNPOSTS:
            self._signposts.clear()
        value = link_header(links)
        self._signposts[key] = (f.etag, value)
        return value
