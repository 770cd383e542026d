"""Reading a SPARQL 1.1 Protocol query request (GET or POST), for every endpoint we serve.

One reader, so that the site's ``/sparql`` and ``serve --endpoint``'s forward refuse the
same things the same way: a body longer than the limit (413), one that is not UTF-8
(400), an update in any of its forms (403), a content type the protocol does not give a
query (415). Refusals are :class:`~csec_ld.errors.RequestError` with the status code.
"""

from __future__ import annotations

import urllib.parse

from starlette.requests import Request

from ..errors import RequestError

__all__ = ["UPDATE_PARAMETERS", "read_query_request"]

#: Parameters only an update request has.
UPDATE_PARAMETERS = frozenset({"update", "using-graph-uri", "using-named-graph-uri"})
_READ_ONLY = "this endpoint is read-only: updates are refused"


async def read_query_request(request: Request, max_length: int) -> list[tuple[str, str]]:
    """The request's parameters: the query string's, and a POST body's (a form, or the
    query itself as ``application/sparql-query``), read up to *max_length* bytes."""
    params = urllib.parse.parse_qsl(request.url.query, keep_blank_values=True)
    if request.method == "POST":
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > max_length:
                raise RequestError(413, f"the request body is longer than {max_length} bytes")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise RequestError(400, "the request body is not UTF-8") from None
        if ctype == "application/sparql-update":
            raise RequestError(403, _READ_ONLY)
        if ctype == "application/x-www-form-urlencoded":
            params += urllib.parse.parse_qsl(text, keep_blank_values=True)
        elif ctype == "application/sparql-query":
            params.append(("query", text))
        else:
            raise RequestError(
                415, "POST a query as application/sparql-query or application/x-www-form-urlencoded"
            )
    if any(name in UPDATE_PARAMETERS for name, _ in params):
        raise RequestError(403, _READ_ONLY)
    return params
