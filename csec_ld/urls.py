"""URLs as they may be shown: credentials never leave in a message or a log line.

An endpoint given as ``http://user:secret@host/sparql`` works (httpx sends the
credentials), but every message that names it shows ``http://user:***@host/sparql``.

>>> redact_url("http://alice:s3cret@127.0.0.1:7878/store?graph=x")
'http://alice:***@127.0.0.1:7878/store?graph=x'
>>> redact("cannot reach http://bob:pw@h/q (refused)")
'cannot reach http://bob:***@h/q (refused)'
"""

from __future__ import annotations

import re
import urllib.parse

__all__ = ["redact", "redact_url"]

# scheme://userinfo@ — userinfo holds no '/', '@' or whitespace (RFC 3986 §3.2.1).
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<info>[^/@\s]*)@")


def redact_url(url: str) -> str:
    """*url* with the password of its userinfo (if any) replaced by ``***``."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return redact(url)
    if parts.password is None and "@" not in parts.netloc:
        return url
    return redact(url)


def _mask(match: re.Match[str]) -> str:
    user, colon, _ = match.group("info").partition(":")
    # A userinfo with no password may itself be a token (https://TOKEN@host/): hide it.
    return f"{match.group('scheme')}{user + ':***' if colon else '***'}@"


def redact(text: str) -> str:
    """*text* with the password of every URL in it replaced by ``***``."""
    return _USERINFO.sub(_mask, text)
