"""The views of ``serve --endpoint`` that read records from the store: record IRIs,
pages and data files (:class:`StoreFileViews`), and what the workbench needs to know
of the site (:class:`StoreFacts`).

The rest of the server (``/sparql``, the query API, the workbench, ``/oai``) is the
same views as for a site folder, over :class:`~csec_ld.server.remote.StorePool`.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from ...errors import CsecLdError, RequestError
from ...http import clip
from ...site.citations import CITATION_FORMATS
from ...site.publish import DATA_FORMATS
from ...sources import Catalog
from ..negotiation import CONTENT_TYPES, VARIANTS, negotiate
from ..remote import RemoteSite
from ..responses import CORS, check_query_string, decoded_segments, preflight
from ..store_pages import StorePages

__all__ = ["StoreFacts", "StoreFileViews"]

#: The suffixes of a record's files (``html``: its page, at ``resource/{id}/``).
RECORD_SUFFIXES = ("html", *DATA_FORMATS, *(f.suffix for f in CITATION_FORMATS))


def store_failed(exc: CsecLdError, headers: dict[str, str] | None = None) -> RequestError:
    """The 502 of a store that did not answer, in one line."""
    return RequestError(502, f"the store did not answer: {clip(str(exc))}", headers=headers)


class StoreFacts:
    """The workbench's :class:`~csec_ld.server.workbench.SiteFacts` of a store: its
    catalogue (kept as :class:`RemoteSite` keeps it) and which IRIs have pages here."""

    def __init__(self, remote: RemoteSite) -> None:
        self.remote = remote

    def catalog(self) -> Catalog:
        try:
            return self.remote.catalog()
        except CsecLdError:
            return Catalog()  # the page still renders; its queries will say what failed

    def has_page(self, rel: str) -> bool:
        """Records, agents and projects by the form of their ids, concepts by the
        vocabulary, countries by their code: no query per link of a results table."""
        m = re.fullmatch(r"(resource|agent|project|type|topic|country)/([^/]+)", rel)
        if m is None:
            return False
        kind, key = m.groups()
        if kind == "country":
            return re.fullmatch(r"[A-Z]{3}", key) is not None
        if kind in ("type", "topic"):
            try:
                vocab = self.remote.vocabulary
            except CsecLdError:
                return False
            return key in (vocab.types if kind == "type" else vocab.topics).concepts
        return RemoteSite.valid_id(key)


class StoreFileViews:
    """``/resource/{id}`` (negotiated), ``/resource/{id}/`` and its files, from the store.

    Strong ETags (the body's hash: every instance gives the same tag), 304 on
    ``If-None-Match``; a store that cannot be reached gives 502 in one line.
    """

    def __init__(self, remote: RemoteSite, max_query_length: int, listing_size: int) -> None:
        self.remote = remote
        self.pages = StorePages(remote, listing_size)
        self.max_query_length = max_query_length
        self.offered = {media: suffix for suffix, media in VARIANTS if suffix in RECORD_SUFFIXES}

    def record_path(self, parts: list[str]) -> tuple[str, str]:
        """(id, suffix or "") of a record URL's segments; a 4xx for anything else."""
        if len(parts) == 3 and parts[0] == "resource" and parts[2] in ("", "index.html"):
            stem, suffix = parts[1], "html"
        elif len(parts) == 2 and parts[0] == "resource":
            stem, dot, suffix = parts[1].partition(".")
            if dot and (suffix not in RECORD_SUFFIXES or suffix == "html"):
                raise RequestError(404, "not found")
        else:
            raise RequestError(404, "not found")
        if not RemoteSite.valid_id(stem):
            raise RequestError(404, "not found")
        return stem, suffix

    @staticmethod
    def url(record_id: str, suffix: str) -> str:
        return f"/resource/{record_id}/" if suffix == "html" else f"/resource/{record_id}.{suffix}"

    async def resource(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return preflight("GET, HEAD, OPTIONS", "Accept, If-None-Match", cors=CORS)
        check_query_string(request, self.max_query_length)
        parts = decoded_segments(request)
        if len(parts) == 2 and parts[0] == "changes":
            return await self.feed(request, parts[1])
        if not parts or parts[0] != "resource":
            return await self.listing(request, parts)
        record_id, suffix = self.record_path(parts)
        headers: dict[str, Any] = dict(CORS) if suffix != "html" else {}
        if not suffix:
            links = ", ".join(
                f'<{self.url(record_id, sfx)}>; rel="alternate"; type="{media}"'
                for media, sfx in self.offered.items()
            )
            headers = {"Vary": "Accept", "Link": links}
            chosen = negotiate(request.headers.get("accept"), list(self.offered))
            if chosen is None:
                raise RequestError(
                    406,
                    "none of the available formats is acceptable: " + ", ".join(self.offered),
                    headers=headers,
                )
            suffix = self.offered[chosen]
            headers["Content-Location"] = self.url(record_id, suffix)
            if suffix != "html":
                headers.update(CORS)
        try:
            files = await anyio.to_thread.run_sync(self.remote.record, record_id, suffix)
        except CsecLdError as exc:
            raise store_failed(exc, headers) from exc
        if files is None:
            raise RequestError(404, "not found", headers=headers)
        etag = files.etag(suffix)
        headers.update({"ETag": etag, "Cache-Control": "public, max-age=300"})
        inm = request.headers.get("if-none-match")
        if inm is not None and ("*" in inm or etag in [t.strip() for t in inm.split(",")]):
            return Response(status_code=304, headers=headers)
        return Response(
            files.bodies[suffix], media_type=CONTENT_TYPES[f".{suffix}"], headers=headers
        )

    async def feed(self, request: Request, name: str) -> Response:
        """``changes/index.json`` and its pages (Activity Streams), from the store."""
        try:
            body = await anyio.to_thread.run_sync(self.pages.feed, name)
        except CsecLdError as exc:
            raise store_failed(exc, dict(CORS)) from exc
        if body is None:
            raise RequestError(404, "not found", headers=dict(CORS))
        return _page(request, body, CONTENT_TYPES[".json"], CORS)

    async def listing(self, request: Request, parts: list[str]) -> Response:
        """A listing page (home, type, topic, country, agent, project, their indexes)."""
        try:
            body = await anyio.to_thread.run_sync(self.pages.page, parts)
            if body is None and parts and parts[-1] not in ("", "index.html"):
                # a folder's page asked for without its slash: where the static site has it
                folder = await anyio.to_thread.run_sync(self.pages.page, [*parts, ""])
                if folder is not None:
                    location = request.url.path + "/"
                    return Response(status_code=308, headers={"Location": location})
        except CsecLdError as exc:
            raise store_failed(exc) from exc
        if body is None:
            raise RequestError(404, "not found")
        return _page(request, body)


def _page(
    request: Request,
    body: bytes,
    media: str = "text/html; charset=utf-8",
    cors: dict[str, str] | None = None,
) -> Response:
    """A page with a strong ETag (its hash), 304 when the client has it."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {**(cors or {}), "ETag": etag, "Cache-Control": "public, max-age=60"}
    inm = request.headers.get("if-none-match")
    if inm is not None and ("*" in inm or etag in [t.strip() for t in inm.split(",")]):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media, headers=headers)
