"""Finding the catalogue: ``--catalog FILE`` on every command, and a plain error without one.

Records may live away from their catalog.yaml (``--catalog`` names it; its ``registry:``
names agents.yaml relative to it). Without one, record files are refused with exit
code 2 and nothing is written: never a made-up title, no publisher, no licence.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from csec_ld.cli import main
from csec_ld.errors import UsageError
from csec_ld.sources import open_catalog
from tests.conftest import DATA

TITLE = "A catalogue kept apart from its records"
NO_CATALOG = "no catalog.yaml found next to"
#: Whether validation.validate threads catalog= through (its module is changed apart).


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def one_error(result: Result, needle: str) -> None:
    """Exit 2, one line on stderr that says *needle*, no traceback (serve's banner aside)."""
    assert result.exit_code == 2, result.output
    lines = [x for x in result.stderr.strip().splitlines() if not x.startswith("serving on ")]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert needle in lines[0], result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.fixture
def apart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(records folder with no catalog.yaml near it, a catalog.yaml elsewhere).

    The catalogue names its registry by a relative path of another name, to show that
    it is read relative to catalog.yaml, not to the records or the current folder.
    """
    records = tmp_path / "work" / "deep" / "records"
    shutil.copytree(DATA / "records", records)
    config = tmp_path / "config"
    (config / "people").mkdir(parents=True)
    shutil.copy(DATA / "agents.yaml", config / "people" / "registry.yaml")
    text = (DATA / "catalog.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "title: Resources on commercial sexual exploitation of children", f"title: {TITLE}"
    )
    text = text.replace("registry: agents.yaml", "registry: people/registry.yaml")
    (config / "catalog.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # no ./data to fall back on
    return records, config / "catalog.yaml"


# --------------------------------------------------------------------------- the library


def test_open_catalog_with_catalog_reads_it_and_its_registry(apart: tuple[Path, Path]) -> None:
    records, catalog = apart
    cat = open_catalog([records], catalog=catalog)
    assert cat.catalog.title[0].value == TITLE
    assert cat.catalog.publisher == "csec-ld"
    assert "ilo" in cat.registry
    assert len(list(cat.records())) == 10
    cat.check()


def test_open_catalog_without_a_catalogue_is_a_usage_error(apart: tuple[Path, Path]) -> None:
    records, _ = apart
    with pytest.raises(UsageError, match=NO_CATALOG) as info:
        open_catalog([records])
    assert str(records) in str(info.value) and "--catalog FILE" in str(info.value)


def test_rdf_files_alone_need_no_catalogue(tmp_path: Path) -> None:
    dump = tmp_path / "dump.ttl"
    dump.write_text("<https://example.org/a> a <https://example.org/B> .\n")
    cat = open_catalog([tmp_path], rdf=True)
    assert cat.files == [dump]


@pytest.mark.parametrize(
    ("given", "needle"),
    [
        ("missing.yaml", "--catalog missing.yaml: no such file"),
        ("config", "is a folder"),
        ("config/people/registry.yaml", None),  # any YAML file that is no catalogue
    ],
)
def test_bad_catalog_option(apart: tuple[Path, Path], given: str, needle: str | None) -> None:
    records, _ = apart
    if needle is None:
        result = run("build", records, "--catalog", given, "-o", "dist")
        assert result.exit_code == 1, result.output  # its fields are checked, key by key
        assert "unknown field" in result.stderr
    else:
        one_error(run("build", records, "--catalog", given, "-o", "dist"), needle)
    assert not Path("dist").exists()


def test_agents_yaml_as_catalog_is_refused(apart: tuple[Path, Path], tmp_path: Path) -> None:
    records, _ = apart
    shutil.copy(DATA / "agents.yaml", tmp_path / "agents.yaml")
    one_error(
        run("build", records, "--catalog", tmp_path / "agents.yaml", "-o", "dist"),
        "agents.yaml is the registry of agents",
    )


# --------------------------------------------------------------------------- --catalog works


def test_build_with_catalog(apart: tuple[Path, Path]) -> None:
    records, catalog = apart
    result = run("build", records, "--catalog", catalog, "-o", "dist", "--format", "ttl", "-j", "2")
    assert result.exit_code == 0, result.output
    ttl = Path("dist/catalog.ttl").read_text(encoding="utf-8")
    assert TITLE in ttl
    assert "creativecommons.org/licenses/by/4.0" in ttl


def test_publish_with_catalog(apart: tuple[Path, Path]) -> None:
    records, catalog = apart
    result = run("publish", records, "--catalog", catalog, "-o", "site", "-q", "-j", "2")
    assert result.exit_code == 0, result.output
    assert TITLE in Path("site/index.html").read_text(encoding="utf-8")
    assert TITLE in Path("site/source/catalog.yaml").read_text(encoding="utf-8")


def test_query_with_catalog(apart: tuple[Path, Path]) -> None:
    records, catalog = apart
    result = run(
        "query",
        "--sparql",
        "SELECT (COUNT(*) AS ?n) WHERE { ?c <http://purl.org/dc/terms/title> ?t "
        f"FILTER(STR(?t) = '{TITLE}') }}",
        "--data",
        records,
        "--catalog",
        catalog,
        "-f",
        "csv",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == ["n", "1"]


def test_load_with_catalog(apart: tuple[Path, Path]) -> None:
    records, catalog = apart
    result = run("load", records, "--catalog", catalog, "--store", "store", "-q")
    assert result.exit_code == 0, result.output
    assert Path("store").is_dir()


def test_query_catalog_goes_with_data_only(apart: tuple[Path, Path]) -> None:
    _, catalog = apart
    one_error(
        run(
            "query",
            "count-by-year",
            "--endpoint",
            "http://127.0.0.1:9/sparql",
            "--catalog",
            catalog,
        ),
        "--catalog describes the records of --data",
    )


def test_serve_catalog_with_a_published_site_is_refused(apart: tuple[Path, Path]) -> None:
    records, catalog = apart
    assert run("publish", records, "--catalog", catalog, "-o", "site", "-q").exit_code == 0
    one_error(run("serve", "site", "--catalog", catalog, "--port", "0"), "is a published site")


def test_validate_with_catalog(apart: tuple[Path, Path]) -> None:
    records, catalog = apart
    result = run("validate", records, "--catalog", catalog, "-q", "-f", "json")
    assert result.exit_code == 0, result.output
    assert NO_CATALOG not in result.output


# --------------------------------------------------------------------------- no catalogue


COMMANDS = {
    "build": ("build", "{records}", "-o", "out"),
    "validate": ("validate", "{records}", "-o", "out"),
    "publish": ("publish", "{records}", "-o", "out", "-q"),
    "serve": ("serve", "{records}", "--port", "0"),
    "query": ("query", "count-by-year", "--data", "{records}"),
    "load": ("load", "{records}", "--store", "out", "-q"),
    "push": ("push", "{records}", "--graph-store", "http://127.0.0.1:9/store", "-q"),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_catalogue_is_a_plain_usage_error(apart: tuple[Path, Path], command: str) -> None:
    records, _ = apart
    result = run(*(a.format(records=records) for a in COMMANDS[command]))
    one_error(result, NO_CATALOG)
    assert "give --catalog FILE" in result.stderr
    assert not Path("out").exists()
    assert not any(p.name.startswith(".out") for p in Path.cwd().iterdir())


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("name", ["catalog.yaml", "agents.yaml"])
def test_config_file_as_a_source_is_refused(
    apart: tuple[Path, Path], command: str, name: str
) -> None:
    _, catalog = apart
    source = catalog if name == "catalog.yaml" else catalog.parent / name
    if name == "agents.yaml":
        shutil.copy(DATA / "agents.yaml", source)
    args = [a.format(records=source) for a in COMMANDS[command]]
    args += ["--catalog", str(catalog)]
    result = run(*args)
    what = "description" if name == "catalog.yaml" else "registry of agents"
    needle = f"{name} is the catalogue's {what}, not a record file"
    assert result.exit_code == 2, result.output
    assert needle in result.stderr
    if name == "catalog.yaml":
        assert "give it with --catalog" in result.stderr
    assert not Path("out").exists()
