"""What the views answer with: site files with their validators, refusals, CORS.

A view that refuses a request raises :class:`~csec_ld.errors.RequestError` (or, in the
JSON API, :class:`~csec_ld.errors.ProblemError`); :func:`refusal` is the one handler
that writes the answer: a line of text, or an RFC 9457 problem document.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from ..errors import ProblemError, RequestError

__all__ = [
    "CORS",
    "PROBLEM",
    "File",
    "Files",
    "check_query_string",
    "content_file",
    "decoded_segments",
    "file_response",
    "not_found",
    "not_modified",
    "prefix",
    "preflight",
    "problem",
    "refusal",
    "text",
]

#: The headers that open the data formats, SPARQL and the API to other origins.
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Last-Modified, Content-Location, Link, Vary",
}
PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class File:
    """A body with its weak ETag (a hash of the content) and modification time."""

    body: bytes
    etag: str
    mtime: float


def content_file(body: bytes, mtime: float) -> File:
    """*body* as a :class:`File`, its ETag made from its content."""
    return File(body, 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"', mtime)


class Files:
    """The site's files, with weak ETags (content hashes) cached by mtime and size."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._cache: dict[Path, tuple[int, int, File]] = {}

    def get(self, rel: str) -> File | None:
        path = (self.root / rel).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        st = path.stat()
        cached = self._cache.get(path)
        if cached and cached[0] == st.st_mtime_ns and cached[1] == st.st_size:
            return cached[2]
        f = content_file(path.read_bytes(), st.st_mtime)
        self._cache[path] = (st.st_mtime_ns, st.st_size, f)
        return f


def not_modified(request: Request, f: File) -> bool:
    """Whether the request's ``If-None-Match`` (weak comparison), else its
    ``If-Modified-Since``, says the client holds *f* already."""
    inm = request.headers.get("if-none-match")
    if inm is not None:
        tags = [t.strip() for t in inm.split(",")]
        strip = lambda t: t[2:] if t.startswith("W/") else t  # noqa: E731 - weak comparison
        return "*" in tags or any(strip(t) == strip(f.etag) for t in tags)
    ims = request.headers.get("if-modified-since")
    if ims:
        try:
            since = email.utils.parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
        return int(f.mtime) <= since
    return False


def file_response(
    request: Request,
    f: File,
    content_type: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Response:
    """*f* (or *body* in its place) with its validators, or 304 when the client has it."""
    h = {
        "ETag": f.etag,
        "Last-Modified": email.utils.formatdate(f.mtime, usegmt=True),
        "Cache-Control": "public, max-age=300",
    }
    h.update(headers or {})
    if not_modified(request, f):
        return Response(status_code=304, headers=h)
    return Response(f.body if body is None else body, media_type=content_type, headers=h)


def text(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """A refusal as one line of text."""
    return PlainTextResponse(message.rstrip("\n") + "\n", status_code=status, headers=headers)


def problem(
    status: int, title: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    """An RFC 9457 problem document (the API's refusals; CORS-open like the API)."""
    doc = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return Response(
        json.dumps(doc, ensure_ascii=False, indent=1) + "\n",
        status_code=status,
        media_type=PROBLEM,
        headers={**CORS, **(headers or {})},
    )


async def refusal(request: Request, exc: Exception) -> Response:
    """The exception handler of every app: a view's refusal, written out."""
    if isinstance(exc, ProblemError):
        return problem(exc.status, exc.title, str(exc), headers=exc.headers, **exc.members)
    assert isinstance(exc, RequestError)
    return text(exc.status, str(exc), exc.headers)


async def not_found(request: Request, exc: Exception) -> Response:
    """What a path that no route takes answers."""
    return text(404, "not found")


def preflight(
    methods: str, allow_headers: str, *, cors: dict[str, str] = CORS, max_age: int | None = None
) -> Response:
    """The answer to a CORS preflight (``OPTIONS``)."""
    headers = {
        **cors,
        "Allow": methods,
        "Access-Control-Allow-Methods": methods,
        "Access-Control-Allow-Headers": allow_headers,
    }
    if max_age is not None:
        headers["Access-Control-Max-Age"] = str(max_age)
    return Response(status_code=204, headers=headers)


def check_query_string(
    request: Request,
    limit: int,
    *,
    as_problem: bool = False,
    headers: dict[str, str] | None = None,
) -> None:
    """Refuse (414) a query string longer than *limit* bytes, counted percent-encoded."""
    if len(request.scope.get("query_string", b"")) <= limit:
        return
    message = f"the query string is longer than {limit} bytes"
    if as_problem:
        raise ProblemError(414, "URI too long", message)
    raise RequestError(414, message, headers=headers)


def prefix(request: Request) -> str:
    """The app's root path: links are root-relative, so no Host header reaches them."""
    return str(request.scope.get("root_path", "")).rstrip("/") + "/"


def decoded_segments(request: Request, *, hide_dotfiles: bool = False) -> list[str]:
    """The path's segments after the first ``/``, percent-decoded from the raw path;
    400 for what could leave the site (``..``, ``.``, a backslash, NUL), and with
    *hide_dotfiles* 404 for a segment starting with a dot (segments in order)."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    path = urllib.parse.unquote(raw.decode("latin-1"))
    if "\\" in path or "\x00" in path:
        raise RequestError(400, "malformed path")
    parts = path.split("/")[1:]
    for part in parts:
        if part in ("..", "."):
            raise RequestError(400, "'..' and '.' are not allowed in paths")
        if hide_dotfiles and part.startswith("."):
            raise RequestError(404, "not found")
    return parts
