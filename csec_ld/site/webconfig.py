"""Web-server configuration for a published site: nginx and Apache negotiate as ``serve`` does.

:func:`write_web_configs` writes three things into the site folder:

``csec-ld.nginx.conf``
    an include for an nginx ``server {}`` block whose ``root`` serves the site;
``.htaccess``
    the same rules for Apache (mod_rewrite, mod_headers, mod_mime);
``.csec-ld-gone/{id}.txt``
    the line of text a withdrawn record answers (410) to clients that do not take HTML.

Both configurations do what ``csec-ld serve`` does with the site's files:

* every extension-less IRI (``/resource/{id}``, ``/type/{id}``, ``/topic/{id}``,
  ``/country/{A3}``, ``/agent/{id}``, ``/project/{id}``, ``/catalog``, the home page)
  negotiates among the variants that exist (``{iri}/index.html``, ``{iri}.ttl``,
  ``.jsonld``, ``.nt``; a record's citation ``.bib``, ``.ris``, ``.csljson`` too) by
  ``Accept`` with q-values, with ``Vary: Accept``, ``Content-Location`` and one
  ``Link: <...>; rel="alternate"; type=...`` per variant;
  nothing acceptable gives 406;
* a withdrawn record answers 410: its tombstone page to clients that take HTML, its
  line of text to the others;
* data files carry ``Access-Control-Allow-Origin: *``; ``OPTIONS`` is a CORS preflight;
* ``catalog.nt`` (``.ttl``, ``.jsonld``) is sent as its precompressed ``.gz`` twin to
  clients that accept gzip; ``catalog.nt.gz`` is ``application/gzip`` at its own URL;
* dotfiles and the configuration files themselves are never served (404).

FAIR Signposting (:mod:`csec_ld.site.signposting`) is not sent as headers here: its links differ
per record (its DOI, class and licence), which would take one ``map`` entry per record; the
record pages carry them as ``<link>`` elements, which level 1 allows, and ``serve`` sends
them as headers too.

Neither server parses q-values by itself in a way we can use (nginx has no negotiation;
Apache's mod_negotiation needs a type map per IRI and weighs ``*/*`` differently), so
the negotiation is one small program of regular-expression steps (:data:`PROGRAM`),
written out once in nginx's ``if``/``set`` and once in mod_rewrite's
``RewriteCond``/``RewriteRule [E=...]``. A q-value is kept as a string ordered like
the number ("1", "0", "05" for 0.5, "045" for 0.45), so one regular expression with a
back-reference compares two of them. The rules know no URL prefix: the same files work
with the site at the root of a host or under a path such as ``/csec-ld/``.

>>> from csec_ld.site.publish import publish
>>> site = publish(["data"], "/tmp/csec-ld-webconfig-doctest", validate=False).out_dir
>>> [p.name for p in write_web_configs(site, "https://w3id.org/csec-ld/", {})]
['csec-ld.nginx.conf', '.htaccess']
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..serialize import DUMP_FORMATS, WRITTEN_FORMATS
from .citations import CITATION_FORMATS

__all__ = [
    "FORMATS",
    "GONE_FOLDER",
    "HTACCESS",
    "NGINX_CONF",
    "PROGRAM",
    "Exists",
    "Match",
    "Step",
    "apache_config",
    "gone_text",
    "nginx_config",
    "write_web_configs",
]

#: The nginx include, at the site's root (never served).
NGINX_CONF = "csec-ld.nginx.conf"
#: Apache's per-directory configuration, at the site's root.
HTACCESS = ".htaccess"
#: Where the 410 texts of withdrawn records go (hidden: served only as error documents).
GONE_FOLDER = ".csec-ld-gone"


@dataclass(frozen=True)
class Format:
    """A variant of an IRI: its key, media type and the other names clients use for it."""

    key: str
    media: str
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.media, *self.aliases)

    @property
    def wildcards(self) -> tuple[str, ...]:
        """The ``type/*`` ranges that match it: as in ``negotiate()``, through any of its
        names (so ``application/*`` matches HTML by ``application/xhtml+xml``)."""
        out: list[str] = []
        for name in self.names:
            wildcard = name.split("/")[0] + "/*"
            if wildcard not in out:
                out.append(wildcard)
        return tuple(out)


#: The variants, in the server's order of preference (``serve``'s ``VARIANTS`` and aliases).
FORMATS: tuple[Format, ...] = (
    Format("html", "text/html", ("application/xhtml+xml",)),
    *(Format(f.suffix, f.media_type, f.aliases) for f in WRITTEN_FORMATS.values()),
    # a record's citation: only records have these files
    *(Format(f.suffix, f.media) for f in CITATION_FORMATS),
)
_PLAIN = Format("plain", "text/plain")
#: File suffix of each variant, relative to the IRI's path.
_SUFFIX = {
    "html": "/index.html",
    **{suffix: f".{suffix}" for suffix in WRITTEN_FORMATS},
    **{f.suffix: f".{f.suffix}" for f in CITATION_FORMATS},
}
#: The dumps that have a ``.gz`` twin.
_DUMP_SUFFIXES = DUMP_FORMATS
#: Files that get ``Access-Control-Allow-Origin: *`` (``serve``'s data suffixes).
_CORS_SUFFIXES = (*_DUMP_SUFFIXES, "json", "gz", *(f.suffix for f in CITATION_FORMATS))
_EXPOSE = "ETag, Last-Modified, Content-Location, Link, Vary"
_CACHE = "public, max-age=300"
_PREFLIGHT_HEADERS = "Accept, If-None-Match, If-Modified-Since"
_METHODS = "GET, HEAD, OPTIONS"
_NOT_ACCEPTABLE = "none of the available formats is acceptable: " + ", ".join(
    f.media for f in FORMATS
)
#: Content types, as ``serve`` sends them.
_CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    **{suffix: WRITTEN_FORMATS[suffix].content_type for suffix in _DUMP_SUFFIXES},
    "json": "application/json",
    "xml": "application/xml; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "gz": "application/gzip",
    **{f.suffix: f.content_type for f in CITATION_FORMATS},
}


# --------------------------------------------------------------------------- the program

# A step's strings are templates: ``{name}`` is a variable of the program, ``{1}``.. a
# capture of the step's own expression; ``{accept}`` is the Accept header, ``{R}`` the
# request's path in the server's terms (nginx: the URL path, ``/csec-ld/resource/x``;
# Apache: the path below the .htaccess, ``resource/x``), ``{D}`` the filesystem path and
# ``{P}`` the URL path that ``{R}`` is relative to (nginx: the root and ""; Apache: the
# site's folder and URL path, each ending in "/"). A variable never set is "".


@dataclass(frozen=True)
class Match:
    """If *subject* matches *pattern*, set the variables of *assign* (in order).

    An empty *pattern* sets them unconditionally."""

    subject: str
    pattern: str
    assign: tuple[tuple[str, str], ...]
    nocase: bool = False


@dataclass(frozen=True)
class Exists:
    """If the file *path* (``{D}`` and a variable: a relative path) exists, set *assign*.

    An empty variable names the site's folder, which is not a file."""

    path: str
    assign: tuple[tuple[str, str], ...]


Step = Match | Exists

_WS = r"\s*"
_TOKEN = r"[-!#$%&'*+.^_`|~0-9a-z]+"
# parameters other than q (a q parameter, however spelt, is not one of them)
_OTHER = r"(?:;(?!\s*q\s*=)[^,;]*)*"
_QVALUE = r"(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)"
# a q-value, captured in canonical form: {1}{2}{3}{4}{5} is "1", "0", or "0" and the
# digits of its fraction without trailing zeros (0.5 -> "05", 0.050 -> "005")
_QCANON = (
    r"(?:(1)(?:\.0{0,3})?|(0)(?:\.(?:([0-9][0-9][1-9])|([0-9][1-9])0?|([1-9])0{0,2}"
    r"|0{0,3}))?)"
)
_Q = "{1}{2}{3}{4}{5}"
# canonical q-values "A:B", A > B: at their first difference A's digit is the larger,
# or B is a proper prefix of A ("" is no q at all, below every value)
_GT = (
    "^([0-9]*)(?:"
    + "|".join(f"{d}[0-9]*:\\1[0-{d - 1}]" for d in range(1, 10))
    + r"|[0-9]+:\1(?![0-9]))[0-9]*$"
)
_EMPTY = "^$"
_SEGMENTS = r"/?(?:[^/.][^/]*/)*"  # any folders above (no dot-segments, no dotfiles)


def _member(media: str, *, with_q: bool) -> str:
    """A member of Accept naming *media* (without q, or with a valid q captured)."""
    head = r"(?:^|,)\s*" + re.escape(media) + _WS + _OTHER
    if with_q:
        head += r";\s*q\s*=\s*" + _QCANON + _WS + _OTHER
    return head + r"\s*(?:,|$)"


_VALID = (
    r"(?:^|,)\s*(?!\*/[^*])"
    + _TOKEN
    + "/"
    + _TOKEN
    + _WS
    + _OTHER
    + r"(?:;\s*q\s*=\s*"
    + _QVALUE
    + _WS
    + _OTHER
    + r")?\s*(?:,|$)"
)


def _var(media: str) -> str:
    """The variable holding the q of the range *media* (``*/*`` → ``q_any_any``)."""
    return "q_" + re.sub(r"[^a-z0-9]+", "_", media.replace("*", "any")).strip("_")


def _v(name: str) -> str:
    """A variable, in a template."""
    return "{" + name + "}"


def _ranges() -> list[str]:
    names: list[str] = []
    for f in (*FORMATS, _PLAIN):
        for name in (*f.names, *f.wildcards):
            if name not in names:
                names.append(name)
    return [*names, "*/*"]


def _best_of(out: str, names: tuple[str, ...]) -> list[Step]:
    """*out* = the highest q of the ranges *names* (those present)."""
    first, *rest = names
    steps: list[Step] = [Match("", "", ((out, _v(_var(first))),))]
    for name in rest:
        steps.append(Match(f"{_v(_var(name))}:{_v(out)}", _GT, ((out, _v(_var(name))),)))
    return steps


def _effective(f: Format) -> list[Step]:
    """``e_{key}``: the q of the most specific ranges matching *f* (their highest)."""
    out = "e_" + f.key
    steps = _best_of(out, f.names)
    steps += _best_of("w", f.wildcards)
    steps.append(Match(_v(out), _EMPTY, ((out, "{w}"),)))
    steps.append(Match(_v(out), _EMPTY, ((out, _v(_var("*/*"))),)))
    return steps


def _program() -> tuple[Step, ...]:
    steps: list[Step] = []
    # 1. The q of every media range Accept names: its first member with a q, but 1 if
    #    a member names it without one. No well-formed member at all means */*.
    for name in _ranges():
        steps.append(Match("{accept}", _member(name, with_q=True), ((_var(name), _Q),), True))
        steps.append(Match("{accept}", _member(name, with_q=False), ((_var(name), "1"),), True))
    steps.append(Match("{accept}", _VALID, (("ranges", "1"),), True))
    steps.append(Match("{ranges}", _EMPTY, ((_var("*/*"), "1"),)))
    # 2. Each variant's q: its own names, else its type/*, else */*.
    for f in (*FORMATS, _PLAIN):
        steps += _effective(f)

    # 3. The IRI and its variant files (r_*, relative to {D} and {P}): {iri}/index.html
    #    and {iri}.ttl ..., except the home page (a folder with catalog.ttl) and
    #    /catalog beside it: index.html and catalog.*.
    def variants(
        stem: str, page: str, formats: tuple[Format, ...] = FORMATS
    ) -> tuple[tuple[str, str], ...]:
        out = [(f"r_{f.key}", stem + _SUFFIX[f.key]) for f in formats if f.key != "html"]
        return (("r_html", page + "index.html"), ("cl_html", "{P}" + page), *out)

    steps.append(Match("{R}", f"^({_SEGMENTS}[^/.]+)$", variants("{1}", "{1}/")))
    steps.append(
        Match("{R}", f"^({_SEGMENTS})catalog$", (("t_catalog", "{1}catalog.ttl"), ("home", "{1}")))
    )
    steps.append(Exists("{D}{t_catalog}", variants("", "{home}", ())))
    steps.append(Match("{R}", f"^({_SEGMENTS})$", (("t_home", "{1}catalog.ttl"), ("home", "{1}"))))
    steps.append(Exists("{D}{t_home}", variants("{home}catalog", "{home}")))
    # 4. Those that exist, each with its q; then the best: the highest q above 0,
    #    ties to the server's order.
    for f in FORMATS:
        steps.append(
            Exists(
                "{D}" + _v(f"r_{f.key}"),
                ((f"a_{f.key}", _v(f"e_{f.key}")), ("has", "1"), (f"link_{f.key}", "1")),
            )
        )
    steps.append(Match("", "", (("best", "0"),)))
    for f in FORMATS:
        file, url = _v(f"r_{f.key}"), "{P}" + _v(f"r_{f.key}")
        location = "{cl_html}" if f.key == "html" else url
        steps.append(
            Match(
                _v(f"a_{f.key}") + ":{best}",
                _GT,
                (
                    ("best", _v(f"a_{f.key}")),
                    ("fmt", f.key),
                    ("target", url),
                    ("tfile", file),
                    ("location", location),
                ),
            )
        )
    # 5. A withdrawn record (it has a text in GONE_FOLDER) is gone, in every format:
    #    its page if the client takes HTML (and not text/plain more), else its text.
    data = "|".join(re.escape(_SUFFIX[f.key]) for f in FORMATS if f.key != "html")
    steps.append(
        Match(
            "{R}",
            f"^({_SEGMENTS})resource/([^/.]+)"
            rf"(?:/|/index\.html|\.html|{data})?$",
            (
                ("g_test", "{1}" + GONE_FOLDER + "/{2}.txt"),
                ("g_text", "{P}{1}" + GONE_FOLDER + "/{2}.txt"),
                ("g_page", "{P}{1}resource/{2}/index.html"),
            ),
        )
    )
    steps.append(Exists("{D}{g_test}", (("gone", "{g_text}"), ("g_hq", "{e_html}"))))
    steps.append(Match("{e_plain}:{g_hq}", _GT, (("g_hq", "0"),)))
    steps.append(Match("{g_hq}:0", _GT, (("gone", "{g_page}"),)))
    return tuple(steps)


#: The negotiation, as steps both configurations are written from (and tests run).
PROGRAM: tuple[Step, ...] = _program()


# --------------------------------------------------------------------------- nginx


def _nginx_value(template: str) -> str:
    """A template as an nginx string (single-quoted: the Link values hold double quotes)."""
    special = {"accept": "$http_accept", "R": "$uri", "D": "$document_root", "P": ""}

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name.isdigit():
            return "$" + name
        return special.get(name, "${csec_" + name + "}")

    return "'" + re.sub(r"\{([A-Za-z0-9_]+)\}", sub, template) + "'"


def _nginx_subject(template: str, lines: list[str]) -> str:
    """The variable to test: the one *template* names, or one set to it first."""
    single = {"{accept}": "$http_accept", "{R}": "$uri"}
    if template in single:
        return single[template]
    m = re.fullmatch(r"\{([a-z_0-9]+)\}", template)
    if m:
        return f"$csec_{m.group(1)}"
    lines.append(f"set $csec_subject {_nginx_value(template)};")
    return "$csec_subject"


def _nginx_step(step: Step, lines: list[str]) -> None:
    sets = " ".join(f"set $csec_{var} {_nginx_value(value)};" for var, value in step.assign)
    if isinstance(step, Exists):
        lines.append(f"if (-f {_nginx_value(step.path)}) {{ {sets} }}")
    elif not step.pattern:
        lines.append(sets)
    else:
        subject = _nginx_subject(step.subject, lines)
        op = "~*" if step.nocase else "~"
        lines.append(f'if ({subject} {op} "{step.pattern}") {{ {sets} }}')


def _program_variables() -> list[str]:
    names: list[str] = []
    for step in PROGRAM:
        for var, _ in step.assign:
            if var not in names:
                names.append(var)
    return names


def nginx_config(base: str = "") -> str:
    """The nginx include: put ``include .../csec-ld.nginx.conf;`` in the site's ``server {}``.

    The ``server`` must set ``root`` so that URL paths map onto the site's files (at
    the root, or a parent folder whose sub-folder is the sub-path: nothing in the rules
    names a prefix; an ``alias`` does not work). It must not have its own
    ``location /``; other prefix locations (``location /sparql { proxy_pass ...; }``)
    are fine.
    """
    cors = "|".join(_CORS_SUFFIXES)
    out = [
        "# csec-ld: the published site, negotiated as `csec-ld serve` does (nginx).",
        "# Written by `csec-ld publish`; include it in the server {} block whose root",
        f"# serves this folder{(' (at ' + base + ')') if base else ''}:",
        "#     root /srv/csec-ld/site;",
        f"#     include /srv/csec-ld/site/{NGINX_CONF};",
        "# With the site under a sub-path (/csec-ld/), set root to the parent of a folder",
        "# of that name: the rules name no prefix. No other `location /` in that server.",
        "",
        "types {",
    ]
    for ext, media in sorted(_NGINX_TYPES.items(), key=lambda kv: (kv[1], kv[0])):
        out.append(f"    {media} {ext};")
    out += [
        "}",
        "default_type application/octet-stream;",
        "charset utf-8;",
        "charset_types " + " ".join(_CHARSET_TYPES) + ";  # and text/html",
        "index index.html;",
        "gzip on;",
        "gzip_vary on;",
        "gzip_min_length 500;",
        "gzip_types text/turtle text/plain application/n-triples application/ld+json "
        "application/json application/xml;",
        "error_page 406 @csec_not_acceptable;",
        "error_page 410 @csec_gone;",
        "",
        "location / {",
        "    if ($csec_preflight) { return 204; }",
        "    # a file, or a folder's page (/type/ -> /type/index.html); /type without its",
        "    # slash is negotiated above, and other folders without it are 404, as in serve",
        "    try_files $uri ${uri}index.html =404;",
        "    gzip_static on;",
        "    add_header Vary $csec_vary;",
        "    add_header Content-Location $csec_location;",
    ]
    out += [f"    add_header Link $csec_link_{f.key};" for f in FORMATS]
    out += [
        "    add_header Access-Control-Allow-Origin $csec_cors always;",
        "    add_header Access-Control-Expose-Headers $csec_expose always;",
        "    add_header Access-Control-Allow-Methods $csec_methods always;",
        "    add_header Access-Control-Allow-Headers $csec_allow_headers always;",
        "    add_header Allow $csec_methods always;",
        "    add_header Cache-Control $csec_cache;",
        "}",
        "# Dotfiles (.htaccess, .csec-ld-*) and this file: never served.",
        f'location ~ "(?:^|/)(?:\\.|{re.escape(NGINX_CONF)}$)" {{ return 404; }}',
        "location @csec_not_acceptable {",
        "    default_type 'text/plain; charset=utf-8';",
        "    add_header Vary Accept always;",
    ]
    out += [f"    add_header Link $csec_link_{f.key} always;" for f in FORMATS]
    out += [
        f"    return 406 '{_NOT_ACCEPTABLE}\\n';",
        "}",
        "location @csec_gone {",
        "    rewrite ^ $csec_gone break;",
        "    add_header Vary Accept always;",
        "    add_header Access-Control-Allow-Origin '*' always;",
        f"    add_header Access-Control-Expose-Headers '{_EXPOSE}' always;",
        f"    add_header Cache-Control '{_CACHE}' always;",
        "}",
        "",
        "# The rules below run for every request, in order, before a location is chosen.",
        "# Every variable they set starts empty (nginx warns of unset ones).",
    ]
    for var in [
        "cors",
        "expose",
        "vary",
        "preflight",
        "methods",
        "allow_headers",
        *_program_variables(),
    ]:
        out.append(f"set $csec_{var} '';")
    out += [
        f"set $csec_cache '{_CACHE}';",
        "",
        "# A CORS preflight: 204, nothing to negotiate.",
        "if ($request_method = OPTIONS) {",
        f"    set $csec_cors '*'; set $csec_expose '{_EXPOSE}'; set $csec_preflight 1;",
        f"    set $csec_methods '{_METHODS}'; set $csec_allow_headers '{_PREFLIGHT_HEADERS}';",
        "    set $csec_cache ''; break;",
        "}",
        "",
        "# Content negotiation (see csec_ld/site/webconfig.py: one step per line).",
    ]
    for step in PROGRAM:
        _nginx_step(step, out)
    out += ["", "# The answer: 410, 406, or the chosen variant with its headers."]
    for f in FORMATS:
        target = "cl_html" if f.key == "html" else f"r_{f.key}"
        out.append(
            f"if ($csec_link_{f.key}) {{ set $csec_link_{f.key} "
            f'\'<${{csec_{target}}}>; rel="alternate"; type="{f.media}"\'; }}'
        )
    out += [
        "if ($csec_gone) { return 410; }",
        "set $csec_subject '${csec_has}:${csec_fmt}';",
        "if ($csec_subject = '1:') { return 406; }",
        "set $csec_subject $uri;",
        "if ($csec_target) { set $csec_subject $csec_target; set $csec_vary Accept; }",
        f"if ($csec_subject ~ \"\\.(?:{cors})$\") {{ set $csec_cors '*'; "
        f"set $csec_expose '{_EXPOSE}'; }}",
        "if ($csec_target) { rewrite ^ $csec_target break; }",
        "",
    ]
    return "\n".join(out)


#: The types nginx sends with ``; charset=utf-8`` (as ``serve`` does; text/html always).
_CHARSET_TYPES = sorted(
    media.split(";")[0]
    for media in _CONTENT_TYPES.values()
    if "charset" in media and not media.startswith("text/html")
)
_NGINX_TYPES = {
    **{ext: media.replace("; charset=utf-8", "") for ext, media in _CONTENT_TYPES.items()},
    "jsonl": "application/jsonl",
    "yaml": "application/yaml",
    "css": "text/css",
    "js": "text/javascript",
    "svg": "image/svg+xml",
    "png": "image/png",
    "jpg": "image/jpeg",
    "ico": "image/x-icon",
    "webp": "image/webp",
    "woff2": "font/woff2",
    "pdf": "application/pdf",
}


# --------------------------------------------------------------------------- Apache

_APACHE_SPECIAL = {"accept": "%{HTTP:Accept}", "D": "%{ENV:CSEC_D}", "P": "%{ENV:CSEC_P}"}


def _apache_value(template: str, capture: str) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name.isdigit():
            return capture + name
        if name == "R":
            raise ValueError("{R} is the rule's own subject")
        return _APACHE_SPECIAL.get(name, "%{ENV:CSEC_" + name.upper() + "}")

    return re.sub(r"\{([A-Za-z0-9_]+)\}", sub, template)


def _apache_step(step: Step, lines: list[str]) -> None:
    """One step as a rule that sets variables (``{R}`` is its pattern's subject, others
    are conditions: their captures are %N, the rule's $N)."""
    capture, pattern = "%", "^"
    if isinstance(step, Exists):
        lines.append(f'RewriteCond "{_apache_value(step.path, "%")}" -f')
    elif step.subject == "{R}":
        capture, pattern = "$", step.pattern
    elif step.pattern:
        # NV: mod_rewrite would add Vary for each header a condition reads (and an
        # index page's subrequest passes it on); the rules set their own.
        flags = "NC,NV" if step.nocase else "NV"
        lines.append(f'RewriteCond "{_apache_value(step.subject, "%")}" "{step.pattern}" [{flags}]')
    sets = ",".join(
        f"E=CSEC_{var.upper()}:{_apache_value(value, capture)}" for var, value in step.assign
    )
    lines.append(f'RewriteRule "{pattern}" - [{sets}]')


def apache_config(base: str = "") -> str:
    """The ``.htaccess``: the same negotiation for Apache 2.4.

    It needs mod_rewrite, mod_headers, mod_mime and mod_dir, ``AllowOverride FileInfo
    Indexes`` (or ``All``) and ``Options FollowSymLinks`` (or ``SymLinksIfOwnerMatch``)
    for the site's folder, and MultiViews off; the same lines work in the server's
    ``<Directory>`` block (parsed once, not on every request). It works at any URL path
    (a sub-folder, an ``Alias``): the rules find the site's URL path and folder from
    each request.
    """
    out = [
        "# csec-ld: the published site, negotiated as `csec-ld serve` does (Apache 2.4).",
        f"# Written by `csec-ld publish`{(' for ' + base) if base else ''}.",
        "# Needs mod_rewrite, mod_headers, mod_mime, mod_dir; for this folder AllowOverride",
        "# FileInfo Indexes (or All), Options FollowSymLinks, no MultiViews.",
        "# It can move into the server's <Directory> block as it is (then AllowOverride None).",
        "",
    ]
    for ext, media in _CONTENT_TYPES.items():
        out.append(f'AddType "{media}" .{ext}')
    out += [
        "RemoveEncoding .gz",
        "DirectoryIndex index.html",
        "# An IRI that is also a folder (resource/x/) is negotiated, not redirected to x/",
        "# (mod_dir would redirect before any rewrite; `serve` never redirects either).",
        "DirectorySlash Off",
        f'ErrorDocument 406 "{_NOT_ACCEPTABLE}"',
        "# A withdrawn record's page or text, chosen by the rules below.",
        "ErrorDocument 410 /%{reqenv:CSEC_GONE_PATH}",
        "",
        "RewriteEngine On",
        "# The chosen variant, an error document: served as they are.",
        "RewriteCond %{ENV:REDIRECT_STATUS} .",
        'RewriteRule "^" - [L]',
        "# Dotfiles (.htaccess, .csec-ld-*) and the nginx include: never served.",
        f'RewriteRule "(?:^|/)(?:\\.|{re.escape(NGINX_CONF)}$)" - [R=404,L]',
        "# A CORS preflight.",
        "RewriteCond %{REQUEST_METHOD} =OPTIONS",
        'RewriteRule "^" - [E=CSEC_PREFLIGHT:1,R=204,L]',
        "# Where the site is: its URL path and its folder, each ending in /.",
        'RewriteCond "$0#%{REQUEST_URI}" "^([^#]*)#(.*)\\1$"',
        'RewriteRule "^.*$" - [E=CSEC_P:%2]',
        'RewriteCond "$0#%{REQUEST_FILENAME}" "^([^#]*)#(.*)\\1$"',
        'RewriteRule "^.*$" - [E=CSEC_D:%2]',
        "",
        "# Content negotiation (see csec_ld/site/webconfig.py: one step per rule).",
    ]
    for step in PROGRAM:
        _apache_step(step, out)
    dumps = "|".join(_DUMP_SUFFIXES)
    out += [
        "",
        "RewriteCond %{ENV:CSEC_GONE} .",
        'RewriteCond "%{ENV:CSEC_GONE}" "^/(.*)$"',
        # the negotiation's headers are not the tombstone's
        'RewriteRule "^" - [E=CSEC_GONE_PATH:%1,E=!CSEC_FMT,'
        + ",".join(f"E=!CSEC_LINK_{f.key.upper()}" for f in FORMATS)
        + ",R=410,L]",
        "RewriteCond %{ENV:CSEC_HAS} .",
        "RewriteCond %{ENV:CSEC_FMT} ^$",
        'RewriteRule "^" - [R=406,L]',
        "# A dump by its own name; any dump as its .gz twin to clients that take gzip.",
        "RewriteCond %{ENV:CSEC_TARGET} ^$",
        'RewriteCond "%{ENV:CSEC_D}$0.gz" -f',
        f'RewriteRule "^.*\\.(?:{dumps})$" - [E=CSEC_TARGET:%{{ENV:CSEC_P}}$0,E=CSEC_TFILE:$0]',
        'RewriteCond "%{ENV:CSEC_D}%{ENV:CSEC_TFILE}.gz" -f',
        f'RewriteCond "%{{ENV:CSEC_TFILE}}" "\\.({dumps})$"',
        'RewriteRule "^" - [E=CSEC_VARY_AE:%1]',
        "RewriteCond %{ENV:CSEC_VARY_AE} .",
        'RewriteCond "%{HTTP:Accept-Encoding}" '
        r'"(?:^|,)\s*gzip\s*(?:;\s*q\s*=\s*(?:1(?:\.0{0,3})?|0?\.[0-9]{0,2}[1-9])\s*)?(?:,|$)"'
        " [NC,NV]",
        'RewriteRule "^" - [E=CSEC_TARGET:%{ENV:CSEC_TARGET}.gz,E=CSEC_GZ:%{ENV:CSEC_VARY_AE}]',
        "RewriteCond %{ENV:CSEC_TARGET} .",
        'RewriteRule "^" "%{ENV:CSEC_TARGET}" [END]',
        "",
        "# Headers of a negotiated answer (its env has gone through one internal redirect).",
        "Header merge Vary Accept \"expr=-n reqenv('REDIRECT_CSEC_FMT')\"",
        'Header set Content-Location "expr=%{reqenv:REDIRECT_CSEC_LOCATION}" '
        "\"expr=-n reqenv('REDIRECT_CSEC_FMT')\"",
    ]
    for f in FORMATS:
        for prefix, always in (("REDIRECT_", ""), ("", "always ")):
            url = (
                f"%{{{prefix}CSEC_CL_HTML}}e"
                if f.key == "html"
                else f"%{{{prefix}CSEC_P}}e%{{{prefix}CSEC_R_{f.key.upper()}}}e"
            )
            out.append(
                f'Header {always}add Link "<{url}>; rel=\\"alternate\\"; '
                f'type=\\"{f.media}\\"" env={prefix}CSEC_LINK_{f.key.upper()}'
            )
    out += [
        "# Nothing acceptable (406), a withdrawn record (410).",
        "Header always merge Vary Accept env=CSEC_HAS",
        "Header always merge Vary Accept env=REDIRECT_CSEC_GONE",
        'Header always set Access-Control-Allow-Origin "*" env=REDIRECT_CSEC_GONE',
        f'Header always set Access-Control-Expose-Headers "{_EXPOSE}" env=REDIRECT_CSEC_GONE',
        "# A dump as its .gz twin: the dump's type, gzip-encoded.",
        "Header merge Vary Accept-Encoding env=REDIRECT_CSEC_VARY_AE",
        "Header merge Vary Accept-Encoding env=CSEC_VARY_AE",
    ]
    for ext in _DUMP_SUFFIXES:
        out += [
            f"<If \"%{{reqenv:REDIRECT_CSEC_GZ}} == '{ext}'\">",
            f'    ForceType "{_CONTENT_TYPES[ext]}"',
            "    Header set Content-Encoding gzip",
            "    <IfModule mod_env.c>",
            "        SetEnv no-gzip 1",
            "    </IfModule>",
            "</If>",
        ]
    cors = "|".join(_CORS_SUFFIXES)
    out += [
        "# CORS on data files; the preflight.",
        f'<FilesMatch "\\.(?:{cors})$">',
        '    Header set Access-Control-Allow-Origin "*"',
        f'    Header set Access-Control-Expose-Headers "{_EXPOSE}"',
        "</FilesMatch>",
        'Header always set Access-Control-Allow-Origin "*" env=CSEC_PREFLIGHT',
        f'Header always set Access-Control-Allow-Methods "{_METHODS}" env=CSEC_PREFLIGHT',
        f'Header always set Access-Control-Allow-Headers "{_PREFLIGHT_HEADERS}" env=CSEC_PREFLIGHT',
        f'Header always set Allow "{_METHODS}" env=CSEC_PREFLIGHT',
        f'Header set Cache-Control "{_CACHE}"',
        "",
    ]
    return "\n".join(out)


# --------------------------------------------------------------------------- writing


def gone_text(record_id: str, info: Mapping[str, Any]) -> str:
    """What a withdrawn record answers to a client that does not take HTML (as ``serve``)."""
    title = info.get("title", record_id)
    return (
        f'"{title}" was withdrawn from the catalogue on '
        f"{info.get('withdrawn', '?')}: it has no data any more\n"
    )


def write_web_configs(
    site_root: str | Path, base: str = "", withdrawn: Mapping[str, Mapping[str, Any]] | None = None
) -> list[Path]:
    """Write the nginx include, the ``.htaccess`` and the withdrawn records' texts.

    *base* is the catalogue's base IRI (named in the files' comments only: the rules
    work at any URL path); *withdrawn* maps a withdrawn record's id to its
    ``{"withdrawn": date, "title": ...}`` (the site's ``.csec-ld-withdrawn.json``).
    Returns the configuration files written (the texts are under :data:`GONE_FOLDER`).
    """
    root = Path(site_root)
    nginx = root / NGINX_CONF
    nginx.write_text(nginx_config(base), encoding="utf-8")
    htaccess = root / HTACCESS
    htaccess.write_text(apache_config(base), encoding="utf-8")
    gone = root / GONE_FOLDER
    if gone.exists():
        shutil.rmtree(gone)
    for record_id, info in sorted((withdrawn or {}).items()):
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", record_id):
            continue  # publish never writes such an id; its IRI cannot be matched anyway
        gone.mkdir(exist_ok=True)
        (gone / f"{record_id}.txt").write_text(gone_text(record_id, info), encoding="utf-8")
    return [nginx, htaccess]
