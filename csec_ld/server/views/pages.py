"""The workbench's pages for people: the named queries, a form per query, the API.

They render through :class:`~csec_ld.server.workbench.Workbench`; their queries run
in the same pool, with the same limits, as ``/sparql`` and the API.
"""

from __future__ import annotations

import json
import urllib.parse

from starlette.requests import Request
from starlette.responses import Response

from ..responses import check_query_string, prefix
from ..workbench import Workbench
from .api import ApiViews

__all__ = ["PageViews"]


class PageViews:
    """``/queries/``, ``/queries/{name}`` and ``/api/openapi.html``."""

    def __init__(self, workbench: Workbench, api: ApiViews, max_query_length: int) -> None:
        self.workbench = workbench
        self.api = api
        self.max_query_length = max_query_length

    async def queries(self, request: Request) -> Response:
        check_query_string(request, self.max_query_length)
        if not request.url.path.endswith("/"):
            return Response(status_code=308, headers={"Location": prefix(request) + "queries/"})
        return self.workbench.queries_page(prefix(request))

    async def query_form(self, request: Request) -> Response:
        check_query_string(request, self.max_query_length)
        pairs = urllib.parse.parse_qsl(request.url.query, keep_blank_values=True)
        return await self.workbench.query_page(prefix(request), request.path_params["name"], pairs)

    async def openapi(self, request: Request) -> Response:
        check_query_string(request, self.max_query_length)
        doc = json.loads(self.api.documents(prefix(request))[1])
        return self.workbench.openapi_page(prefix(request), doc)
