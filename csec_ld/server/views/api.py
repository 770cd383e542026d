"""``/api/queries``: the named queries as a JSON API, and its OpenAPI document.

Parameter values get the same typed, injection-safe binding as ``csec-ld query``
and the queries the same limits as ``/sparql`` (they run in the same pool).
Refusals are RFC 9457 problem documents (:class:`~csec_ld.errors.ProblemError`).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from typing import Any, Protocol

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from ...errors import CsecLdError, ParameterError, ProblemError, QueryError, StoreError
from ...query import NamedQuery, format_result, named_queries, to_term
from ...vocab import Vocabulary
from ..negotiation import negotiate
from ..responses import CORS, check_query_string, content_file, file_response, prefix, preflight
from ..sandbox import Answer, Busy, Refused, TimeLimit
from .openapi import (
    API_TABLE_FORMATS,
    FORMAT_PARAM,
    api_formats,
    openapi_document,
    param_doc,
    query_kind,
    query_listing,
)

__all__ = ["Api", "ApiViews", "JobRunner"]


class JobRunner(Protocol):
    """Where queries run: the sandboxed :class:`~csec_ld.server.sandbox.QueryPool` over
    the site's store, or :class:`~csec_ld.server.remote.StorePool` over a remote store."""

    async def run(self, job: tuple[Any, ...]) -> Answer: ...


class Api:
    """The named-query API over the server's store."""

    def __init__(
        self,
        pool: JobRunner,
        timeout: float,
        row_limit: int,
        queries: dict[str, NamedQuery] | None = None,
        vocabulary: Vocabulary | None = None,
        *,
        vocabulary_of: Callable[[], Vocabulary] | None = None,
    ) -> None:
        self.pool = pool
        self.queries = named_queries() if queries is None else dict(queries)
        self.kinds = {name: query_kind(q) for name, q in self.queries.items()}
        self._vocabulary = vocabulary
        #: where the concepts come from when they are not given (a store: asked when
        #: first needed, and again after a failure, so a store down at start is no harm)
        self._vocabulary_of = vocabulary_of
        self._allowed: dict[str, list[dict[str, Any]]] | None = None
        #: the query list and OpenAPI document by root path, made from :attr:`vocabulary`
        self._documents: dict[str, tuple[bytes, bytes]] = {}
        self.timeout = timeout
        self.row_limit = row_limit

    @property
    def vocabulary(self) -> Vocabulary | None:
        """The site's concepts (its catalogue's own too): what concept parameters accept.

        None (the shipped concepts) while a store that holds them cannot be asked."""
        if self._vocabulary_of is not None:
            try:
                vocabulary = self._vocabulary_of()  # kept by its source, for a while
            except CsecLdError:
                return None
            if vocabulary is not self._vocabulary:
                self._vocabulary = vocabulary
                self._allowed = None
                self._documents.clear()
        return self._vocabulary

    @property
    def settled(self) -> bool:
        """Whether the concepts are known (what is made of them may be kept)."""
        return self.vocabulary is not None or self._vocabulary_of is None

    def documents(self, base: str) -> tuple[bytes, bytes]:
        """The query list and the OpenAPI document for the root path *base*."""
        vocabulary = self.vocabulary
        kept = self._documents.get(base)
        if kept is None:
            listing = query_listing(self.queries, base, self.kinds, vocabulary)
            openapi = openapi_document(self.queries, base, self.kinds, vocabulary)

            def dump(doc: dict[str, Any]) -> bytes:
                return json.dumps(doc, ensure_ascii=False, indent=1).encode() + b"\n"

            kept = (dump(listing), dump(openapi))
            if self.settled:
                if len(self._documents) >= 8:  # root paths come from the ASGI server
                    self._documents.clear()
                self._documents[base] = kept
        return kept

    @property
    def allowed(self) -> dict[str, list[dict[str, Any]]]:
        """What a 400 lists: each query's parameters, as ``GET /api/queries`` gives them."""
        vocabulary = self.vocabulary
        if self._allowed is None or not self.settled:
            self._allowed = {
                name: [param_doc(p, vocabulary) for p in q.parameters]
                for name, q in self.queries.items()
            }
        return self._allowed

    def check(
        self, query: NamedQuery, pairs: list[tuple[str, str]]
    ) -> tuple[dict[str, list[str]], str | None]:
        """The parameter values and the ``format`` of a request; a 400 problem if they
        do not fit the query."""
        allowed = self.allowed.get(query.name, [])
        names = {p.name: p for p in query.parameters}
        values: dict[str, list[str]] = {}
        fmt: list[str] = []
        for key, value in pairs:
            if key == FORMAT_PARAM and key not in names:
                fmt.append(value)
            elif key not in names:
                listed = ", ".join(p.describe() for p in query.parameters) or "none"
                raise ProblemError(
                    400,
                    "Unknown parameter",
                    f"{query.name}: unknown parameter {key!r} (allowed: {listed})",
                    parameter=key,
                    allowed=allowed,
                )
            elif value != "":  # an empty value counts as not given, as in the CLI
                values.setdefault(key, []).append(value)
        for p in query.parameters:
            given = values.get(p.name, [])
            if not given and p.required and not p.default:
                raise ProblemError(
                    400,
                    "Missing parameter",
                    f"{query.name}: missing required parameter {p.name!r} "
                    f"({p.describe()}): give it as ?{p.name}=VALUE",
                    parameter=p.name,
                    expected=p.type_label,
                    allowed=allowed,
                )
            if len(given) > 1 and not p.multi:
                raise ProblemError(
                    400,
                    "Too many values",
                    f"{query.name}: parameter {p.name!r} takes one value, got {len(given)}",
                    parameter=p.name,
                    expected=p.type_label,
                    allowed=allowed,
                )
            for value in given:
                try:
                    # the CLI's own check: run_query binds the same way, with the data's
                    # concepts (the site's ontology.ttl holds its catalogue's own)
                    to_term(p, value, self.vocabulary)
                except ParameterError as exc:
                    raise ProblemError(
                        400,
                        "Bad parameter value",
                        str(exc),
                        parameter=p.name,
                        expected=p.type_label,
                        allowed=allowed,
                    ) from exc
        if len(fmt) > 1:
            raise ProblemError(
                400, "Too many values", "give at most one 'format'", parameter=FORMAT_PARAM
            )
        return values, (fmt[0] if fmt else None)

    async def run(self, query: NamedQuery, values: dict[str, list[str]]) -> Answer:
        """The query's result, from a sandboxed worker (limits as for ``/sparql``)."""
        return await self.pool.run(("named", query, values, self.row_limit))


class ApiViews:
    """The views of ``/api/``: the query list, the OpenAPI document, one query's answer."""

    def __init__(self, api: Api, max_query_length: int, data_mtime: float) -> None:
        self.api = api
        self.max_query_length = max_query_length
        #: the ETags' time: the answers change only with the data
        self.data_mtime = data_mtime

    def documents(self, base: str) -> tuple[bytes, bytes]:
        """The query list and the OpenAPI document (they change with the code, and with
        the concepts of a store)."""
        return self.api.documents(base)

    def _opened(self, request: Request) -> Response | None:
        """The preflight answer to ``OPTIONS``; else checks the query string's length."""
        if request.method == "OPTIONS":
            return preflight("GET, HEAD, OPTIONS", "Accept, If-None-Match", max_age=600)
        check_query_string(request, self.max_query_length, as_problem=True)
        return None

    def _answer(
        self, request: Request, body: bytes, media: str, headers: dict[str, str] | None = None
    ) -> Response:
        """*body* with a weak ETag of its content (the data cannot change while served)."""
        if media.startswith("text/"):
            media += "; charset=utf-8"
        f = content_file(body, self.data_mtime)
        return file_response(request, f, media, {**CORS, **(headers or {})})

    async def listing(self, request: Request) -> Response:
        opened = self._opened(request)
        if opened is not None:
            return opened
        return self._answer(request, self.documents(prefix(request))[0], "application/json")

    async def openapi(self, request: Request) -> Response:
        opened = self._opened(request)
        if opened is not None:
            return opened
        return self._answer(request, self.documents(prefix(request))[1], "application/json")

    async def query(self, request: Request) -> Response:
        opened = self._opened(request)
        if opened is not None:
            return opened
        api = self.api
        name = request.path_params["name"]
        query = api.queries.get(name)
        if query is None:
            raise ProblemError(
                404,
                "Unknown query",
                f"there is no query {name!r} (known: {', '.join(api.queries)})",
                queries=list(api.queries),
            )
        values, fmt = api.check(
            query, urllib.parse.parse_qsl(request.url.query, keep_blank_values=True)
        )
        formats = api_formats(api.kinds[name])
        by_media = {media: key for key, media in formats.items()}
        if formats is API_TABLE_FORMATS:
            by_media["application/json"] = "json"  # the SPARQL JSON format, by its generic name
        if fmt is not None:
            key = fmt if fmt in formats else by_media.get(fmt)
            if key is None:
                raise ProblemError(
                    400,
                    "Unknown format",
                    f"{name}: format {fmt!r} is not one of {', '.join(formats)}",
                    parameter=FORMAT_PARAM,
                    formats=list(formats),
                )
            media = formats[key] if fmt in formats else fmt
        else:
            chosen = negotiate(request.headers.get("accept"), list(by_media))
            if chosen is None:
                raise ProblemError(
                    406,
                    "Not acceptable",
                    "none of the result formats is acceptable: " + ", ".join(by_media),
                    formats=list(by_media),
                )
            key, media = by_media[chosen], chosen
        try:
            answer = await api.run(query, values)
        except Busy as exc:
            raise ProblemError(
                503,
                "Busy",
                f"the endpoint is busy ({exc}): try again shortly",
                headers={"Retry-After": "5"},
            ) from exc
        except TimeLimit as exc:
            raise ProblemError(503, "Time limit", str(exc), headers={"Retry-After": "60"}) from exc
        except ParameterError as exc:
            raise ProblemError(400, "Bad parameter value", str(exc)) from exc
        except Refused as exc:
            if exc.status == 502:  # the store behind serve --endpoint did not answer
                raise ProblemError(502, "Store unreachable", str(exc)) from exc
            raise ProblemError(500, "Query failed", str(exc)) from exc
        except (QueryError, StoreError) as exc:
            raise ProblemError(500, "Query failed", str(exc)) from exc
        headers = {
            "Vary": "Accept",
            "Link": f"<{prefix(request)}api/openapi.json>; "
            'rel="service-desc"; type="application/vnd.oai.openapi+json;version=3.1"',
        }
        if answer.truncated:
            headers["X-Row-Limit"] = str(api.row_limit)
            headers["X-Results-Truncated"] = "true"
        body = (await anyio.to_thread.run_sync(format_result, answer.result, key)).encode()
        return self._answer(request, body, media, headers)
