"""Reading an HTTP answer from a server that may be hostile: a time limit, a size cap.

httpx's timeouts apply to each read, so a server that sends one byte a second never
times out; a gzip answer of 1 MB can decode to 1 GB; and a redirect can send the
request (and its credentials) anywhere. :func:`fetch` bounds all three:

* **Time.** One deadline covers the whole exchange: connecting, redirects, headers and
  body. Each request's timeouts are the time left, the deadline is checked between
  chunks, and a watchdog timer shuts the connection's socket down at the deadline
  (the only way to stop a read that is waiting in the middle of the headers).
* **Size.** The body is decoded here (gzip or deflate, with zlib's ``max_length``) and
  counted as it is decoded: at most ``max_size`` bytes are kept, plus one chunk of
  64 KiB, whatever the compression ratio. Error pages are read up to 64 KiB only.
* **Redirects.** At most :data:`MAX_REDIRECTS`, and only to the same origin (scheme,
  host, port) or from ``http`` to ``https`` on the same host; anything else is refused,
  so credentials never go to another origin. Redirect bodies are never read.

:class:`ChallengeAuth` logs in with Basic or Digest authentication, whichever the
server's ``401`` challenge asks for (Virtuoso's ``/sparql-graph-crud-auth`` asks for
Digest).

Every problem is a :class:`~csec_ld.errors.StoreError` whose message is one line and
shows URLs without their passwords (:func:`~csec_ld.urls.redact`).

>>> parse_size("16M"), parse_size("256 MiB"), parse_size("1000")
(16777216, 268435456, 1000)
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
import zlib
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from .errors import StoreError, UsageError
from .urls import redact

__all__ = [
    "AUTH_SCHEMES",
    "ERROR_BODY_SIZE",
    "MAX_REDIRECTS",
    "Answer",
    "ChallengeAuth",
    "clip",
    "fetch",
    "format_size",
    "http_error",
    "parse_size",
    "redirect_allowed",
    "refuse_foreign_redirect",
]

#: Redirects followed before giving up.
MAX_REDIRECTS = 5
#: How much of an error page (4xx, 5xx, HTML) is read: enough for its title or message.
ERROR_BODY_SIZE = 64 * 1024
_CHUNK = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


# --------------------------------------------------------------------------- messages


def clip(text: str, limit: int = 300) -> str:
    """*text* on one line, without control characters, at most *limit* characters.

    A hostile server chooses what its error pages say: newlines would forge lines of
    our output, and terminal escapes would reach the user's terminal.

    >>> clip("line one\\n\\x1b[31mred\\x1b[0m", 30)
    'line one ?[31mred?[0m'
    """
    text = " ".join(text.split())
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_size(n: int) -> str:
    """*n* bytes as a short size: ``256 MiB``, ``64 KiB``, ``100 bytes``."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value.is_integer() else f"{value:.1f} {unit}"
    return f"{n} bytes"


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:([KMG])(?:i?B)?|B)?\s*$", re.I)


def parse_size(text: str) -> int:
    """A size in bytes from ``1000``, ``64K``, ``16M``, ``256MiB`` or ``1G`` (powers of 1024)."""
    match = _SIZE.match(text)
    if not match:
        raise UsageError(f"{text!r} is not a size (write e.g. 1000, 64K, 16M or 1G)")
    number, unit = match.groups()
    size = int(
        float(number) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[(unit or "").upper()]
    )
    if size <= 0:
        raise UsageError(f"{text!r}: the size must be more than 0 bytes")
    return size


def http_error(url: str, exc: httpx.HTTPError, timeout: float) -> StoreError:
    """One line for an httpx error, naming *url* without its password."""
    detail = clip(str(exc) or type(exc).__name__)
    if isinstance(exc, httpx.TimeoutException):
        message = f"{url}: no answer within {timeout:g} s (use --timeout to wait longer)"
    elif isinstance(exc, httpx.ConnectError | httpx.NetworkError):
        message = f"{url}: cannot reach the endpoint ({detail})"
    elif isinstance(exc, httpx.DecodingError):
        message = f"{url}: the endpoint's answer cannot be decoded ({detail})"
    else:
        message = f"{url}: {detail}"
    return StoreError(redact(message))


# --------------------------------------------------------------------------- redirects


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, url.port or default


def redirect_allowed(source: httpx.URL, target: httpx.URL) -> bool:
    """Whether a redirect from *source* to *target* may be followed.

    The same origin, or ``http`` to ``https`` on the same host with the default ports
    (the upgrade httpx also trusts with credentials).

    >>> redirect_allowed(httpx.URL("http://h/a"), httpx.URL("http://h:80/b"))
    True
    >>> redirect_allowed(httpx.URL("http://h/a"), httpx.URL("https://h/a"))
    True
    >>> redirect_allowed(httpx.URL("http://h:8080/a"), httpx.URL("http://h:9090/a"))
    False
    """
    if _origin(source) == _origin(target):
        return True
    return (
        (source.scheme, target.scheme) == ("http", "https")
        and source.host == target.host
        and _origin(source)[2] == 80
        and _origin(target)[2] == 443
    )


def _redirect_target(response: httpx.Response) -> httpx.URL | None:
    if response.status_code not in _REDIRECTS or "location" not in response.headers:
        return None
    try:
        return response.url.join(response.headers["location"])
    except httpx.InvalidURL as exc:
        raise StoreError(
            redact(f"{response.url}: the endpoint redirected to an invalid URL ({clip(str(exc))})")
        ) from exc


def refuse_foreign_redirect(response: httpx.Response) -> None:
    """An httpx response hook: a redirect to another origin raises :class:`StoreError`."""
    target = _redirect_target(response)
    if target is not None and not redirect_allowed(response.url, target):
        raise StoreError(
            redact(
                f"{response.url}: the endpoint redirected to {clip(str(target), 200)}, another "
                "origin; refused (csec-ld follows redirects only to the same scheme, host and "
                "port, or from http to https)"
            )
        )


def _next_request(
    client: httpx.Client, request: httpx.Request, response: httpx.Response, target: httpx.URL
) -> httpx.Request:
    """The request a redirect asks for, with httpx's rules for the method and body."""
    method = request.method
    if (response.status_code == 303 and method != "HEAD") or (
        response.status_code in (301, 302) and method == "POST"
    ):
        method = "GET"
    headers = httpx.Headers(request.headers)
    headers.pop("Host", None)
    if method == "GET" and request.method != "GET":  # the body is not sent again
        content = None
        for name in ("Content-Type", "Content-Length", "Transfer-Encoding"):
            headers.pop(name, None)
    else:
        content = request.content
    return client.build_request(
        method, target, headers=headers, content=content, extensions=request.extensions
    )


# --------------------------------------------------------------------------- authentication

#: The schemes :class:`ChallengeAuth` answers, the safer first: Digest never sends the
#: password, so it wins when a server offers both.
AUTH_SCHEMES = ("digest", "basic")
_SCHEME = re.compile(r"(?:^|,)\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?=\s+[^\s=,]|\s*(?:,|$))")


def _challenge_schemes(response: httpx.Response) -> list[str]:
    """The schemes a ``401`` answer's ``WWW-Authenticate`` headers offer, in lower case.

    >>> r = httpx.Response(401, headers=[("WWW-Authenticate", 'Digest realm="a, b", qop="auth"'),
    ...                                  ("WWW-Authenticate", "Negotiate, Basic realm=x")])
    >>> _challenge_schemes(r)
    ['digest', 'negotiate', 'basic']
    """
    found: list[str] = []
    for header in response.headers.get_list("www-authenticate"):
        # A scheme is a token followed by parameters or by the next challenge; quoted
        # strings (a realm may hold commas) are blanked out first.
        unquoted = re.sub(r'"(?:[^"\\]|\\.)*"', '""', header)
        for match in _SCHEME.finditer(unquoted):
            scheme = match.group(1).lower()
            if scheme not in found:
                found.append(scheme)
    return found


class ChallengeAuth(httpx.Auth):
    """HTTP Basic or Digest authentication, chosen from the server's challenge.

    The first request to an origin goes without credentials. When its answer is a
    ``401``, its ``WWW-Authenticate`` header names the scheme: Digest (preferred, as it
    never sends the password) or Basic; any other scheme is a
    :class:`~csec_ld.errors.StoreError`. The request is sent again with credentials,
    and later requests to that origin carry them at once (Digest with the last nonce,
    by :class:`httpx.DigestAuth`, which also answers a stale nonce's new challenge).
    The credentials are *user* and *password*, or else those in the request's URL
    (``http://user:password@host/``); without any, requests go as they are.

    >>> client = httpx.Client(auth=ChallengeAuth("alice", "s3cret"))
    """

    requires_request_body = True  # a request may be sent twice

    def __init__(self, user: str | None = None, password: str | None = None) -> None:
        self._user = user
        self._password = password or ""
        self._chosen: dict[tuple[tuple[str, str, int | None], str, str], httpx.Auth] = {}
        self._lock = threading.Lock()

    def _credentials(self, request: httpx.Request) -> tuple[str, str] | None:
        if self._user:
            return self._user, self._password
        if request.url.username or request.url.password:
            return request.url.username, request.url.password
        return None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        credentials = self._credentials(request)
        if credentials is None:
            yield request
            return
        key = (_origin(request.url), *credentials)
        with self._lock:
            chosen = self._chosen.get(key)
        if chosen is not None:
            yield from _guarded(chosen.auth_flow(request), request)
            return
        response = yield request
        if response.status_code != 401:
            return
        offered = _challenge_schemes(response)
        scheme = next((s for s in AUTH_SCHEMES if s in offered), None)
        if scheme is None:
            if not offered:
                return  # no challenge: the caller reports the 401
            raise StoreError(
                redact(
                    f"{request.url}: the server asks for {', '.join(clip(s, 40) for s in offered)} "
                    "authentication; csec-ld answers Basic and Digest challenges (or sends a "
                    "bearer token: CSEC_LD_ENDPOINT_TOKEN)"
                )
            )
        chosen = (
            httpx.DigestAuth(*credentials) if scheme == "digest" else httpx.BasicAuth(*credentials)
        )
        with self._lock:
            self._chosen[key] = chosen
        flow = chosen.auth_flow(request)
        if scheme == "basic":
            yield from flow
            return
        next(flow)  # the request as it was sent; the digest flow now reads the challenge
        yield from _guarded(flow, request, response)


def _guarded(
    flow: Generator[httpx.Request, httpx.Response, None],
    request: httpx.Request,
    response: httpx.Response | None = None,
) -> Generator[httpx.Request, httpx.Response, None]:
    """Run an httpx auth *flow* (already started when *response* is given); a challenge
    it cannot answer (malformed, an unknown algorithm or qop) is a StoreError."""
    try:
        if response is None:
            response = yield next(flow)
        while True:
            response = yield flow.send(response)
    except StopIteration:
        return
    except (httpx.ProtocolError, KeyError, NotImplementedError, ValueError) as exc:
        raise StoreError(
            redact(
                f"{request.url}: cannot answer the server's Digest challenge "
                f"({clip(str(exc) or type(exc).__name__, 100)})"
            )
        ) from None


# --------------------------------------------------------------------------- time


class _Watchdog:
    """Shuts down the sockets a request opened when its deadline passes.

    The sockets are collected from httpcore's ``trace`` extension as they connect, so a
    request must use a fresh connection (no keep-alive) for the watchdog to see it.
    """

    def __init__(self, seconds: float | None) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire) if seconds is not None else None
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        if event not in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            return
        sock = info["return_value"].get_extra_info("socket")
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                self._shutdown(sock)

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                self._shutdown(sock)

    @staticmethod
    def _shutdown(sock: socket.socket) -> None:
        # shutdown(), not close(): it wakes a recv() blocked in another thread.
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


# --------------------------------------------------------------------------- size


class _Decoder:
    """Content-Encoding decoded with bounded output: no chunk is larger than 64 KiB."""

    def __init__(self, url: str, coding: str) -> None:
        self.url = url
        self.coding = coding
        self._zlib: Any = None
        self._raw_deflate = False
        self._produced = False
        if coding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS)
        elif coding not in ("", "identity"):
            raise StoreError(
                redact(
                    f"{url}: the endpoint's answer is compressed as {clip(coding, 40)!r}, which "
                    "csec-ld does not read (it asks for gzip or deflate)"
                )
            )

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self._zlib is None:
            yield data
            return
        while True:
            try:
                out = self._zlib.decompress(data, _CHUNK)
            except zlib.error as exc:
                if self.coding == "deflate" and not self._produced and not self._raw_deflate:
                    # "deflate" is zlib-wrapped by the standard, raw by some servers.
                    self._raw_deflate = True
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise StoreError(
                    redact(
                        f"{self.url}: the endpoint's {self.coding} answer "
                        f"cannot be decoded ({clip(str(exc))})"
                    )
                ) from exc
            if out:
                self._produced = True
                yield out
            if self._zlib.eof and self._zlib.unused_data and self.coding != "deflate":
                data = self._zlib.unused_data  # another gzip member
                self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
                continue
            data = self._zlib.unconsumed_tail
            if not data and len(out) < _CHUNK:
                return

    def finish(self) -> None:
        if self._zlib is not None and self._produced and not self._zlib.eof:
            raise StoreError(
                redact(f"{self.url}: the endpoint's {self.coding} answer is truncated")
            )


# --------------------------------------------------------------------------- fetch


@dataclass(frozen=True)
class Answer:
    """An HTTP answer read within the limits: status, headers and (decoded) content.

    ``content`` holds a successful answer of at most ``max_size`` bytes (nothing if it
    was larger), or the first :data:`ERROR_BODY_SIZE` bytes of an error or HTML page;
    ``truncated`` says more was sent.
    """

    status_code: int
    headers: httpx.Headers
    url: str
    content: bytes
    truncated: bool

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


def _is_error_page(response: httpx.Response) -> bool:
    return response.status_code >= 300 or "html" in response.headers.get("content-type", "")


def fetch(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    timeout: float,
    total: bool = True,
    max_size: int,
    shown: str | None = None,
    **kwargs: Any,
) -> Answer:
    """Send one request and read its answer within *timeout* and *max_size*.

    With *total* (the default) *timeout* is a deadline for the whole exchange; without,
    it applies to each read and write, as httpx does (for uploads of any size). With
    *total*, the *client* must not keep connections alive (see :class:`_Watchdog`).
    Redirects are followed here, whatever the client's setting. *shown* is the URL as
    messages name it (default: *url*, redacted). Other keywords go to
    :meth:`httpx.Client.build_request`.
    """
    shown = redact(shown or url)
    # Only what _Decoder reads (httpx would add br or zstd when their packages are there).
    kwargs["headers"] = {"Accept-Encoding": "gzip, deflate", **dict(kwargs.get("headers") or {})}
    deadline = time.monotonic() + timeout if total else None
    watchdog = _Watchdog(timeout if total else None)
    extensions = {"trace": watchdog.trace}
    try:
        request = client.build_request(
            method, url, timeout=timeout, extensions=extensions, **kwargs
        )
        for _hop in range(MAX_REDIRECTS + 1):
            response = client.send(request, stream=True, follow_redirects=False)
            try:
                target = _redirect_target(response)
                if target is None:
                    return _read(response, shown, deadline, watchdog, timeout, max_size)
                refuse_foreign_redirect(response)
            finally:
                response.close()
            request = _next_request(client, request, response, target)
            if deadline is not None:
                left = max(deadline - time.monotonic(), 0.001)
                request.extensions = {
                    **request.extensions,
                    "timeout": httpx.Timeout(left).as_dict(),
                }
        raise StoreError(f"{shown}: more than {MAX_REDIRECTS} redirects; refused")
    except httpx.InvalidURL as exc:  # not an HTTPError
        raise StoreError(redact(f"{shown}: not a usable URL ({clip(str(exc))})")) from exc
    except httpx.HTTPError as exc:
        if watchdog.expired:
            raise _late(shown, timeout) from exc
        raise http_error(shown, exc, timeout) from exc
    finally:
        watchdog.cancel()


def _late(shown: str, timeout: float) -> StoreError:
    return StoreError(
        f"{shown}: no answer within {timeout:g} s (the time limit covers the "
        "whole answer; use --timeout to wait longer)"
    )


def _read(
    response: httpx.Response,
    shown: str,
    deadline: float | None,
    watchdog: _Watchdog,
    timeout: float,
    max_size: int,
) -> Answer:
    error_page = _is_error_page(response)
    limit = ERROR_BODY_SIZE if error_page else max_size
    coding = response.headers.get("content-encoding", "").strip().lower()
    decoder = _Decoder(shown, coding)
    declared = response.headers.get("content-length", "")
    chunks: list[bytes] = []
    size = 0
    truncated = False
    if not error_page and not coding and declared.isdigit() and int(declared) > limit:
        truncated = True  # too large, by its own account: not worth reading
    else:
        for raw in response.iter_raw():
            if deadline is not None and (watchdog.expired or time.monotonic() > deadline):
                raise _late(shown, timeout)
            for piece in decoder.decode(raw):
                chunks.append(piece)
                size += len(piece)
                if size > limit:
                    truncated = True
                    break
            if truncated:
                break
        else:
            decoder.finish()
    if watchdog.expired:
        raise _late(shown, timeout)
    # A successful answer over the cap is refused whole: no need to join (copy) its bytes.
    content = b"" if truncated and not error_page else b"".join(chunks)[:limit]
    return Answer(response.status_code, response.headers, shown, content, truncated)
