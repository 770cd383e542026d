"""nginx and Apache serve a published site as ``csec-ld serve`` does (csec_ld.site.webconfig).

The same requests go to ``csec-ld serve`` and to Debian's nginx and apache2, each
started here on a free port of 127.0.0.1 with a minimal configuration that includes
the files :func:`write_web_configs` wrote into the site; their answers are compared.
One process of each serves two sites: the bundled catalogue at ``/``, and a copy with
one withdrawn record under ``/csec-ld/`` (the rules know no prefix; Apache reads them
there from its own configuration, not from the .htaccess). Without nginx or
apache2 those tests skip (in CI a skip fails: see conftest.py).

The negotiation itself is also checked without any server: :data:`PROGRAM` (what both
configurations are written from) runs here on Python's ``re`` against ``negotiate()``.
"""

from __future__ import annotations

import gzip
import os
import random
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from csec_ld.server import create_app
from csec_ld.server.negotiation import ALIASES, VARIANTS, negotiate
from csec_ld.site.publish import publish, read_withdrawn
from csec_ld.site.webconfig import (
    FORMATS,
    GONE_FOLDER,
    HTACCESS,
    NGINX_CONF,
    PROGRAM,
    Exists,
    write_web_configs,
)
from tests.conftest import DATA
from tests.server.test_app import IRIS, MATRIX, RECORD
from tests.servers import Server, free_port

BASE = "https://w3id.org/csec-ld/"
GONE = "/resource/withdrawn-report-2012"
PREFIX = "/csec-ld"  # where the withdrawn catalogue is served by nginx and Apache
ALIAS = "/elsewhere"  # and where Apache serves it too, by an Alias
MEDIA = [media for _, media in VARIANTS]

#: q-value orderings beyond the server's MATRIX, all answered as ``negotiate()`` does.
MORE_ACCEPT = [
    "text/turtle;q=0.9, text/html;q=0.8",
    "text/html;q=0.8, text/turtle;q=0.9",
    "application/n-triples;q=0.9, application/ld+json;q=0.9, text/turtle;q=0.9",
    "text/html;q=0.5, */*;q=0.6",
    "text/*;q=0.5, application/n-triples",
    "text/html;q=0, text/*",
    "text/turtle;q=0, */*;q=0.1",
    "application/json",
    "application/x-turtle;q=0.3, application/json;q=0.2",
    "TEXT/Turtle ; Q = 0.5 , application/ld+json;q=0.45",
    "text/turtle;level=1;q=0.9, text/html;q=0.85",
    "text/html;q=0.999, text/turtle;q=1.000",
    "text/html;q=0.10, text/turtle;q=0.1",
    "application/ld+json;q=0.001, image/png",
    "text/html;q=7, application/ld+json",
    "garbage, text/turtle;q=0.5",
    "garbage",
    "",
    ",,application/n-triples,,",
    "application/*",
    # a record's citation (csec_ld.site.citations.CITATION_FORMATS)
    "application/x-bibtex",
    "application/x-research-info-systems;q=0.9, application/vnd.citationstyles.csl+json",
    "application/vnd.citationstyles.csl+json;q=0.5, text/html;q=0.4",
    "application/x-bibtex;q=0.2, application/*;q=0.3",
]
#: Where nginx and Apache answer otherwise than ``serve`` (README, "known differences"):
#: (Accept, serve's choice, the web servers' choice). A rule reads one q per range:
#: a member with two q parameters is ignored (serve takes the last), and of a range
#: named twice with a q each, the first counts (serve takes the highest).
KNOWN_DIFFERENCES = [
    ("text/html;q=0.5;q=0.9, text/turtle;q=0.7", "text/html", "text/turtle"),
    ("text/turtle;q=0.1, text/turtle;q=0.9, text/html;q=0.5", "text/turtle", "text/html"),
]
WITHDRAWN_PATHS = [
    GONE,
    GONE + "/",
    GONE + "/index.html",
    GONE + ".ttl",
    GONE + ".jsonld",
    GONE + ".nt",
    GONE + ".bib",
    GONE + ".ris",
    GONE + ".csljson",
]
WITHDRAWN_ACCEPT = [
    None,
    "text/html",
    "text/turtle",
    "application/ld+json",
    "application/n-triples",
    "application/xhtml+xml,text/html;q=0.9,*/*;q=0.8",
    "image/png",
    "text/plain, text/html;q=0.5",
    "text/html, text/plain",
]


# --------------------------------------------------------------------------- the program, in Python


def run_program(accept: str | None, path: str, site: Path) -> dict[str, str]:
    """PROGRAM's variables for a request, as nginx computes them (``{R}`` the URL path)."""
    env: dict[str, str] = {}
    special = {"accept": accept or "", "R": path, "D": str(site), "P": ""}

    def value(template: str, captures: tuple[str | None, ...]) -> str:
        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name.isdigit():
                return captures[int(name) - 1] or ""
            return special[name] if name in special else env.get(name, "")

        return re.sub(r"\{([A-Za-z0-9_]+)\}", sub, template)

    for step in PROGRAM:
        captures: tuple[str | None, ...] = ()
        if isinstance(step, Exists):
            if not Path(value(step.path, ())).is_file():
                continue
        elif step.pattern:
            m = re.search(step.pattern, value(step.subject, ()), re.I if step.nocase else 0)
            if m is None:
                continue
            captures = m.groups()
        for var, template in step.assign:
            env[var] = value(template, captures)
    return env


def random_accept(rng: random.Random) -> str | None:
    names = [*MEDIA, *ALIASES, "text/*", "application/*", "*/*", "image/png", "text/plain"]
    qs = [
        None,
        "1",
        "1.0",
        "0",
        "0.0",
        "0.5",
        "0.50",
        "0.9",
        "0.85",
        "0.1",
        "0.001",
        "0.05",
        "1.000",
        "0.",
        "2",
        "abc",
        "0.1234",
    ]
    members = []
    for name in rng.sample(names, rng.randint(0, 4)):  # each range once: see KNOWN_DIFFERENCES
        q = rng.choice(qs)
        params = rng.choice(["", ";level=1"]) + (f";{rng.choice(['', ' '])}q={q}" if q else "")
        members.append(name + params)
    return rng.choice([",", ", "]).join(members) if members else rng.choice([None, ""])


@pytest.fixture(scope="module")
def plain_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = publish([DATA], tmp_path_factory.mktemp("webconf") / "site", validate=False).out_dir
    write_web_configs(site, BASE, read_withdrawn(site))
    return site


def test_formats_are_the_servers() -> None:
    assert [(f.key, f.media) for f in FORMATS] == list(VARIANTS)
    assert {alias: f.media for f in FORMATS for alias in f.aliases} == ALIASES


def test_program_negotiates_as_serve(plain_site: Path) -> None:
    rng = random.Random(20240115)
    headers = [a for a, _, _ in MATRIX] + MORE_ACCEPT + [random_accept(rng) for _ in range(3000)]
    for accept in headers:
        env = run_program(accept, f"/resource/{RECORD}", plain_site)
        chosen = dict(VARIANTS).get(env.get("fmt", ""))
        assert chosen == negotiate(accept, MEDIA), accept
    for accept, by_serve, by_rules in KNOWN_DIFFERENCES:
        assert negotiate(accept, MEDIA) == by_serve
        env = run_program(accept, f"/resource/{RECORD}", plain_site)
        assert dict(VARIANTS)[env["fmt"]] == by_rules


@pytest.mark.parametrize(
    ("path", "offered"),
    [
        ("/", ["html", "ttl", "jsonld", "nt"]),
        ("/catalog", ["html", "ttl", "jsonld", "nt"]),
        ("/ontology", ["ttl"]),
        ("/type", ["html"]),
        ("/pages/1", ["jsonld"]),
        ("/type/", []),
        ("/sparql", []),
        ("/catalog.ttl", []),
    ],
)
def test_program_offers_the_files_there_are(
    plain_site: Path, path: str, offered: list[str]
) -> None:
    env = run_program("image/png", path, plain_site)
    assert [f.key for f in FORMATS if env.get(f"link_{f.key}")] == offered


def test_hostile_accept_is_cheap(plain_site: Path) -> None:
    start = time.monotonic()
    for accept in [
        "text/html;" + "a=b;" * 2000 + "q=x",
        ",".join(["text/html;level=1"] * 500) + "x",
        " " * 8000 + ";",
        "text/turtle;q=0." + "0" * 5000,
    ]:
        run_program(accept, f"/resource/{RECORD}", plain_site)
    assert time.monotonic() - start < 2


def test_write_web_configs(plain_site: Path, tmp_path: Path) -> None:
    from tests.site.test_publish import withdrawn_catalogue

    site = publish([withdrawn_catalogue(tmp_path)], tmp_path / "site", validate=False).out_dir
    withdrawn = read_withdrawn(site)
    written = write_web_configs(site, BASE, withdrawn)
    assert written == [site / NGINX_CONF, site / HTACCESS]
    text = (site / GONE_FOLDER / "withdrawn-report-2012.txt").read_text(encoding="utf-8")
    assert "2024-01-15" in text and "withdrawn" in text
    before = {p: p.read_bytes() for p in [*written, *sorted((site / GONE_FOLDER).iterdir())]}
    write_web_configs(site, BASE, withdrawn)  # deterministic
    assert {p: p.read_bytes() for p in before} == before
    write_web_configs(site, BASE, {})  # none withdrawn any more: no stale texts
    assert not (site / GONE_FOLDER).exists()
    assert (plain_site / NGINX_CONF).read_bytes() == (site / NGINX_CONF).read_bytes()


# --------------------------------------------------------------------------- real servers


def _binary(name: str) -> str | None:
    return shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/usr/bin") / name) if p.is_file()), None
    )


def _wait(process: subprocess.Popen[bytes], url: str, log: Path, what: str) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            _http.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    output = process.stderr.read().decode() if process.stderr and process.poll() is not None else ""
    errors = log.read_text(errors="replace") if log.is_file() else ""
    raise RuntimeError(f"{what} did not start within 15 s: {output}{errors}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stderr:
        process.stderr.close()


@pytest.fixture(scope="module")
def work() -> Iterator[Path]:
    """``site/`` (served at /) and ``www/csec-ld/`` (a withdrawn record; served at /csec-ld/).

    Not under pytest's tmp: Apache started as root reads the files as www-data.
    """
    from tests.site.test_publish import withdrawn_catalogue

    root = Path(tempfile.mkdtemp(prefix="csec-ld-webservers-"))
    try:
        root.chmod(0o755)
        site = publish([DATA], root / "site", validate=False).out_dir
        write_web_configs(site, BASE, read_withdrawn(site))
        data = withdrawn_catalogue(root / "src")
        sub = publish([data], root / "www" / PREFIX.strip("/"), validate=False).out_dir
        write_web_configs(sub, BASE, read_withdrawn(sub))
        for path in [root, *root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def serve(work: Path) -> Iterator[dict[str, str]]:
    """``csec-ld serve`` on the two sites: what the web servers are compared with."""
    apps = [create_app(work / "site"), create_app(work / "www" / PREFIX.strip("/"))]
    try:
        with Server(apps[0]) as main, Server(apps[1]) as gone:
            yield {"root": main.url, "sub": gone.url}
    finally:
        for app in apps:
            app.state.pool.close()


@pytest.fixture(scope="module")
def nginx(work: Path) -> Iterator[dict[str, str]]:
    binary = _binary("nginx")
    if binary is None:
        pytest.skip("nginx is not installed (Debian: apt-get install nginx)")
    conf = work / "nginx"
    conf.mkdir()
    ports = free_port(), free_port()
    temp = "\n".join(
        f"    {kind}_temp_path {conf}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (conf / "nginx.conf").write_text(f"""
worker_processes 1;
error_log {conf}/error.log warn;
pid {conf}/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log off;
{temp}
    server {{
        listen 127.0.0.1:{ports[0]};
        root {work}/site;
        include {work}/site/{NGINX_CONF};
    }}
    server {{
        listen 127.0.0.1:{ports[1]};
        root {work}/www;
        include {work}/www{PREFIX}/{NGINX_CONF};
    }}
}}
""")
    process = subprocess.Popen(
        [
            binary,
            "-p",
            str(conf),
            "-c",
            str(conf / "nginx.conf"),
            "-g",
            "daemon off; master_process off;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait(process, f"http://127.0.0.1:{ports[0]}/", conf / "error.log", "nginx")
        yield {"root": f"http://127.0.0.1:{ports[0]}", "sub": f"http://127.0.0.1:{ports[1]}"}
        errors = (conf / "error.log").read_text(errors="replace")
        assert "[warn]" not in errors and "[error]" not in errors, errors
    finally:
        _stop(process)


APACHE_MODULES = ["mpm_event", "authz_core", "mime", "dir", "rewrite", "headers", "alias"]


@pytest.fixture(scope="module")
def apache(work: Path) -> Iterator[dict[str, str]]:
    binary = _binary("apache2")
    modules = Path("/usr/lib/apache2/modules")
    if binary is None:
        pytest.skip("apache2 is not installed (Debian: apt-get install apache2)")
    missing = [m for m in APACHE_MODULES if not (modules / f"mod_{m}.so").is_file()]
    if missing:
        pytest.skip(f"apache2 modules missing under {modules}: {', '.join(missing)}")
    conf = work / "apache"
    conf.mkdir()
    ports = free_port(), free_port()
    loads = "\n".join(f"LoadModule {m}_module {modules}/mod_{m}.so" for m in APACHE_MODULES)
    user = ""
    if os.geteuid() == 0:  # Apache refuses to serve as root: www-data reads the files
        user = "User www-data\nGroup www-data" if _has_user("www-data") else "User nobody"
    types = "/etc/mime.types" if Path("/etc/mime.types").is_file() else "/dev/null"
    (conf / "httpd.conf").write_text(f"""
ServerRoot {conf}
{loads}
ServerName 127.0.0.1
Listen 127.0.0.1:{ports[0]}
Listen 127.0.0.1:{ports[1]}
PidFile {conf}/httpd.pid
ErrorLog {conf}/error.log
LogLevel warn
DefaultRuntimeDir {conf}
TypesConfig {types}
{user}
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory {work}>
    Options FollowSymLinks
    AllowOverride All
    Require all granted
</Directory>
# the sub-path site: the same rules from the server's configuration, parsed once
<Directory {work}/www{PREFIX}>
    AllowOverride None
    Include {work}/www{PREFIX}/{HTACCESS}
</Directory>
<VirtualHost 127.0.0.1:{ports[0]}>
    DocumentRoot {work}/site
    Alias {ALIAS} {work}/www{PREFIX}
</VirtualHost>
<VirtualHost 127.0.0.1:{ports[1]}>
    DocumentRoot {work}/www
</VirtualHost>
""")
    process = subprocess.Popen(
        [binary, "-X", "-f", str(conf / "httpd.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait(process, f"http://127.0.0.1:{ports[0]}/", conf / "error.log", "apache2")
        yield {"root": f"http://127.0.0.1:{ports[0]}", "sub": f"http://127.0.0.1:{ports[1]}"}
        errors = (conf / "error.log").read_text(errors="replace")
        assert ":error]" not in errors and ":alert]" not in errors, errors
    finally:
        _stop(process)


def _has_user(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture(params=["nginx", "apache"])
def web(request: pytest.FixtureRequest) -> dict[str, str]:
    servers: dict[str, str] = request.getfixturevalue(request.param)
    return servers


# --------------------------------------------------------------------------- comparing answers

_LINK = re.compile(r'<([^>]*)>;\s*rel="alternate";\s*type="([^"]+)"')


_http = httpx.Client(timeout=10)  # one client: making one costs ~50 ms (its SSL context)


@pytest.fixture(scope="module", autouse=True)
def _close_client() -> Iterator[None]:
    yield
    _http.close()


def answer(url: str, accept: str | None, prefix: str = "") -> dict[str, Any]:
    """What a comparison looks at, with *prefix* taken off the URLs the answer names."""
    r = _http.get(url, headers={"Accept": accept} if accept is not None else {})

    def unprefixed(u: str | None) -> str | None:
        return u[len(prefix) :] or "/" if u and prefix and u.startswith(prefix) else u

    vary = {v.strip().lower() for v in ",".join(r.headers.get_list("vary")).split(",")}
    out: dict[str, Any] = {
        "status": r.status_code,
        "vary": "accept" in vary,
        "location": unprefixed(r.headers.get("content-location")),
        "links": sorted(
            (unprefixed(u), t) for u, t in _LINK.findall(",".join(r.headers.get_list("link")))
        ),
        "cors": r.headers.get("access-control-allow-origin"),
    }
    if r.status_code in (200, 410):
        out["type"] = r.headers.get("content-type")
        out["body"] = r.content
    return out


_serve_answers: dict[tuple[str, str | None], dict[str, Any]] = {}


def served(serve_url: str, path: str, accept: str | None) -> dict[str, Any]:
    key = (serve_url + path, accept)
    if key not in _serve_answers:
        _serve_answers[key] = answer(serve_url + path, accept)
    return dict(_serve_answers[key])


@pytest.mark.parametrize("path", IRIS)
@pytest.mark.parametrize(("accept", "status", "media"), MATRIX)
def test_negotiation_matrix(
    web: dict[str, str],
    serve: dict[str, str],
    path: str,
    accept: str | None,
    status: int,
    media: str | None,
) -> None:
    got = answer(web["root"] + path, accept)
    assert got == served(serve["root"], path, accept)
    assert got["status"] == status and got["vary"]
    if media is not None:
        assert got["type"].split(";")[0] == media
        again = _http.get(web["root"] + got["location"])
        assert again.status_code == 200 and again.content == got["body"]


@pytest.mark.parametrize("path", [f"/resource/{RECORD}", "/", "/ontology", "/type", "/pages/1"])
@pytest.mark.parametrize("accept", MORE_ACCEPT)
def test_more_q_values(web: dict[str, str], serve: dict[str, str], path: str, accept: str) -> None:
    assert answer(web["root"] + path, accept) == served(serve["root"], path, accept)


@pytest.mark.parametrize(("accept", "by_serve", "by_rules"), KNOWN_DIFFERENCES)
def test_known_differences(
    web: dict[str, str], serve: dict[str, str], accept: str, by_serve: str, by_rules: str
) -> None:
    path = f"/resource/{RECORD}"
    assert served(serve["root"], path, accept)["type"].split(";")[0] == by_serve
    assert answer(web["root"] + path, accept)["type"].split(";")[0] == by_rules


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/type/",
        f"/resource/{RECORD}/",
        f"/resource/{RECORD}/index.html",
        "/catalog.ttl",
        f"/resource/{RECORD}.nt",
        f"/resource/{RECORD}.bib",
        f"/resource/{RECORD}.ris",
        f"/resource/{RECORD}.csljson",
        "/agent/ilo.jsonld",
        "/sitemap.xml",
        "/robots.txt",
        "/context/1.0.jsonld",
        "/void.ttl",
        "/no-such-page",
        "/resource/no-such-record",
        "/source",
        "/source/",
        "/changes",
        "/changes/index.json",
    ],
)
def test_files_as_serve(web: dict[str, str], serve: dict[str, str], path: str) -> None:
    got = answer(web["root"] + path, "text/html")
    want = served(serve["root"], path, "text/html")
    if path == "/void.ttl":  # serve names its own SPARQL endpoint in it
        got.pop("body"), want.pop("body")
    if got["status"] == 404:  # each server words its own 404
        got.pop("type", None), want.pop("type", None)
    assert got == want


@pytest.mark.parametrize("path", WITHDRAWN_PATHS)
@pytest.mark.parametrize("accept", WITHDRAWN_ACCEPT)
def test_withdrawn_record_is_gone_under_a_sub_path(
    web: dict[str, str], serve: dict[str, str], path: str, accept: str | None
) -> None:
    got = answer(web["sub"] + PREFIX + path, accept, prefix=PREFIX)
    assert got == served(serve["sub"], path, accept)
    assert got["status"] == 410 and got["vary"] and got["cors"] == "*"


@pytest.mark.parametrize(
    "path", ["/", "/catalog", f"/resource/{RECORD}", "/country/PRY", "/ontology", "/type"]
)
@pytest.mark.parametrize(
    "accept",
    ["text/html", "text/turtle;q=0.9, text/html;q=0.8", "application/n-triples", "image/png"],
)
def test_negotiation_under_a_sub_path(
    web: dict[str, str], serve: dict[str, str], path: str, accept: str
) -> None:
    got = answer(
        web["sub"] + PREFIX + path.rstrip("/") + ("/" if path == "/" else ""), accept, prefix=PREFIX
    )
    assert got == served(serve["sub"], path, accept)


def test_conditional_get(web: dict[str, str]) -> None:
    url = web["root"] + f"/resource/{RECORD}"
    first = _http.get(url, headers={"Accept": "text/turtle"})
    etag = first.headers["etag"]
    again = _http.get(url, headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    since = _http.get(
        url, headers={"Accept": "text/turtle", "If-Modified-Since": first.headers["last-modified"]}
    )
    assert since.status_code == 304
    html = _http.get(url, headers={"Accept": "text/html", "If-None-Match": etag})
    assert html.status_code == 200  # each variant has its own validator


def test_precompressed_dumps(web: dict[str, str], work: Path) -> None:
    nt = (work / "site" / "catalog.nt").read_bytes()
    r = _http.get(web["root"] + "/catalog.nt.gz", headers={"Accept-Encoding": "identity"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/gzip"
    assert "content-encoding" not in r.headers and r.headers["access-control-allow-origin"] == "*"
    assert gzip.decompress(r.content) == nt
    for path, accept in [("/catalog.nt", None), ("/catalog", "application/n-triples")]:
        headers = {"Accept-Encoding": "gzip", **({"Accept": accept} if accept else {})}
        with _http.stream("GET", web["root"] + path, headers=headers) as r:
            raw = b"".join(r.iter_raw())
            assert r.headers["content-encoding"] == "gzip", path
            assert r.headers["content-type"] == "application/n-triples"
            assert "accept-encoding" in r.headers["vary"].lower()
        assert raw == (work / "site" / "catalog.nt.gz").read_bytes()  # the twin, as it is
        plain = _http.get(web["root"] + path, headers={**headers, "Accept-Encoding": "gzip;q=0"})
        assert "content-encoding" not in plain.headers and plain.content == nt


def test_cors(web: dict[str, str]) -> None:
    page = _http.get(web["root"] + f"/resource/{RECORD}/")
    assert "access-control-allow-origin" not in page.headers
    data = _http.get(web["root"] + "/topic/child-labour.jsonld")
    assert data.headers["access-control-allow-origin"] == "*"
    assert "Content-Location" in data.headers["access-control-expose-headers"]
    r = _http.options(
        web["root"] + f"/resource/{RECORD}",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert "If-None-Match" in r.headers["access-control-allow-headers"]
    assert "GET" in r.headers["access-control-allow-methods"]


@pytest.mark.parametrize(
    "path",
    [
        "/.csec-ld-site",
        "/.csec-ld-withdrawn.json",
        "/.htaccess",
        f"/{NGINX_CONF}",
        f"/{GONE_FOLDER}/withdrawn-report-2012.txt",
        "/resource/.hidden",
    ],
)
def test_dotfiles_and_configs_are_not_served(web: dict[str, str], path: str) -> None:
    assert _http.get(web["root"] + path).status_code == 404
    assert _http.get(web["sub"] + PREFIX + path).status_code == 404


@pytest.mark.parametrize("path", ["/", f"/resource/{RECORD}", "/catalog", GONE, GONE + ".nt"])
@pytest.mark.parametrize("accept", ["text/html", "text/turtle;q=0.9, text/html;q=0.8", "image/png"])
def test_apache_under_an_alias(
    apache: dict[str, str], serve: dict[str, str], path: str, accept: str
) -> None:
    got = answer(apache["root"] + ALIAS + path, accept, prefix=ALIAS)
    assert got == served(serve["sub"], path, accept)


@pytest.mark.parametrize("path", [f"/resource/{RECORD}", f"/resource/{RECORD}/"])
def test_signposting_in_the_page_as_serve_sends_it(
    web: dict[str, str], serve: dict[str, str], path: str
) -> None:
    """nginx and Apache send no signposting headers (a Link per record would be one map
    entry per record): the record page's <link> elements carry the same signposts as
    the Link headers of ``serve``, as the PyPI signposting client reads them."""
    signposting = pytest.importorskip("signposting")
    in_page = signposting.find_signposting_html(web["root"] + path)
    in_headers = signposting.find_signposting_http(serve["root"] + path)
    assert in_page.citeAs is not None and in_page.describedBy and in_page.types
    drop = lambda s: {(str(x.rel), str(x.target), x.type) for x in s}  # noqa: E731 - no context
    assert drop(in_page) == drop(in_headers)
