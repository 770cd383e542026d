"""Incremental republish: a site republished from changed sources is byte-identical to
a full publish of those sources, reuses what did not change, and fails as a full
publish does (leaving the previous site as it was)."""

from __future__ import annotations

import importlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from csec_ld.cli import main
from csec_ld.errors import CsecLdError
from csec_ld.site import incremental
from csec_ld.site.publish import publish

EXTRA = 30  # records of the JSON Lines file, beside the ten YAML records of data/


def _extra(i: int, **changes: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "id": f"extra-{i:03d}",
        "title": f"Extra resource number {i}",
        "issued": f"20{10 + i % 10}-0{1 + i % 9}-1{i % 10}",
        "type": "survey-report",
        "description": f"A resource made up for the incremental tests, number {i}.",
        "countries": ["PHL"] if i % 2 else ["FJI", "PHL"],
        "subjects": ["commercial-sexual-exploitation-of-children"],
        "publishers": ["ilo"],
        "languages": ["en"],
    }
    if i % 3 == 0:
        rec["identifiers"] = [f"https://example.org/extra/{i}.pdf"]
    rec.update(changes)
    return rec


def _write(catalogue: Path, records: list[dict[str, Any]]) -> None:
    (catalogue / "records" / "extra.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8"
    )


@pytest.fixture(scope="module")
def package_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("snapshot") / "csec_ld"
    shutil.copytree(incremental._PACKAGE, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.fixture(autouse=True)
def _fixed_package(package_snapshot: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The package as the fingerprint sees it, fixed for the test (a checkout being
    edited meanwhile would change it between two publishes)."""
    monkeypatch.setattr(incremental, "_PACKAGE", package_snapshot)


@pytest.fixture
def catalogue(catalog_copy: Path) -> Path:
    _write(catalog_copy, [_extra(i) for i in range(EXTRA)])
    return catalog_copy


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def assert_same(a: Path, b: Path) -> None:
    ta, tb = tree(a), tree(b)
    assert sorted(ta) == sorted(tb)
    differ = [name for name in ta if ta[name] != tb[name]]
    assert not differ, differ[:10]


def republish(catalogue: Path, tmp_path: Path, change: Any, **options: Any) -> Any:
    """Publish, *change* the catalogue, publish again into the site and into a new folder
    with ``full=True``; the two sites are identical. Returns the incremental result."""
    site = tmp_path / "site"
    first = publish([catalogue], site, **options)
    assert first.reused == 0
    change()
    result = publish([catalogue], site, **options)
    publish([catalogue], tmp_path / "full", full=True, **options)
    assert_same(site, tmp_path / "full")
    return result


def _edit_line(catalogue: Path, i: int, **changes: Any) -> None:
    records = [_extra(n) for n in range(EXTRA)]
    records[i] = _extra(i, **changes)
    _write(catalogue, records)


TOTAL = 10 + EXTRA


def test_unchanged_sources_reuse_every_record(catalogue: Path, tmp_path: Path) -> None:
    result = republish(catalogue, tmp_path, lambda: None)
    assert result.reused == TOTAL
    assert result.records == TOTAL


@pytest.mark.parametrize("case", ["changed", "added", "removed", "withdrawn", "yaml-changed"])
def test_one_record_changed_is_the_only_one_redone(
    catalogue: Path, tmp_path: Path, case: str
) -> None:
    records = [_extra(n) for n in range(EXTRA)]

    def change() -> None:
        if case == "changed":
            _edit_line(catalogue, 7, title="A new title, with <markup> & more")
        elif case == "added":
            _write(catalogue, [*records[:12], _extra(99), *records[12:]])
        elif case == "removed":
            _write(catalogue, [*records[:5], *records[6:]])
        elif case == "withdrawn":
            _edit_line(catalogue, 4, status="withdrawn", withdrawn="2024-01-15")
        else:
            path = next((catalogue / "records").glob("*.yaml"))
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            data["title"] = "Another title"
            path.write_text(yaml.safe_dump(data), encoding="utf-8")

    result = republish(catalogue, tmp_path, change)
    expected = {
        "changed": TOTAL - 1,
        "added": TOTAL,
        "removed": TOTAL - 1,
        "withdrawn": TOTAL - 1,
        "yaml-changed": TOTAL - 1,
    }[case]
    assert result.reused == expected
    if case == "withdrawn":
        assert result.withdrawn == 1


@pytest.mark.parametrize("name", ["catalog.yaml", "agents.yaml"])
def test_a_changed_description_or_registry_rebuilds_everything(
    catalogue: Path, tmp_path: Path, name: str
) -> None:
    def change() -> None:
        path = catalogue / name
        text = path.read_text(encoding="utf-8")
        if name == "catalog.yaml":
            text = text.replace("Resources on", "Documents on", 1)
        else:
            text = text.replace("ECPAT International", "ECPAT Intl.", 1)
        assert text != path.read_text(encoding="utf-8")
        path.write_text(text, encoding="utf-8")

    assert republish(catalogue, tmp_path, change).reused == 0


def test_another_version_or_other_templates_or_vocabulary_rebuild_everything(
    catalogue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    publish([catalogue], site)
    version = incremental.__version__
    monkeypatch.setattr(incremental, "__version__", "99.0")
    assert publish([catalogue], site).reused == 0
    monkeypatch.setattr(incremental, "__version__", version)
    assert publish([catalogue], site).reused == 0  # the site was rewritten by 99.0
    assert publish([catalogue], site).reused == TOTAL
    # the package (code and templates) and the ontology (vocabularies) are fingerprinted
    package = tmp_path / "package"
    shutil.copytree(incremental._PACKAGE, package)
    monkeypatch.setattr(incremental, "_PACKAGE", package)
    before = publish([catalogue], site).reused
    (package / "templates" / "record.html").write_text("changed", encoding="utf-8")
    assert before == TOTAL and publish([catalogue], site).reused == 0


def test_other_options_rebuild_everything(catalogue: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    publish([catalogue], site)
    assert publish([catalogue], site, listing_size=7).reused == 0
    assert publish([catalogue], site, base="https://example.org/x/").reused == 0
    assert publish([catalogue], site, base="https://example.org/x/").reused == TOTAL


def test_full_rebuilds_everything(catalogue: Path, tmp_path: Path, runner: Any) -> None:
    site = tmp_path / "site"
    result = runner.invoke(main, ["publish", str(catalogue), "-o", str(site), "--quiet"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["publish", str(catalogue), "-o", str(site), "--quiet"])
    assert result.exit_code == 0, result.output
    assert f", {TOTAL} unchanged," in result.output
    result = runner.invoke(main, ["publish", str(catalogue), "-o", str(site), "--full", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "unchanged" not in result.output


def test_workers_do_not_change_the_incremental_site(catalogue: Path, tmp_path: Path) -> None:
    def change() -> None:
        _edit_line(catalogue, 3, title="Changed with two workers")

    result = republish(catalogue, tmp_path, change, workers=2)
    assert result.reused == TOTAL - 1


def test_the_manifest_is_hidden_and_names_each_records_files(
    catalogue: Path, tmp_path: Path
) -> None:
    import httpx

    from csec_ld.server import create_app
    from tests.servers import Server

    site = tmp_path / "site"
    publish([catalogue], site)
    lines = (site / incremental.MANIFEST).read_bytes().splitlines()
    assert len(lines) == 1 + TOTAL
    entries = {e["id"]: e for e in map(json.loads, lines[1:])}
    assert {
        "resource/extra-002/index.html",
        "resource/extra-002.ttl",
        "resource/extra-002.jsonld",
        "resource/extra-002.nt",
    } <= set(entries["extra-002"]["files"])
    assert all(f.startswith(f"resource/{rid}") for rid, e in entries.items() for f in e["files"])
    with Server(create_app(site)) as server:
        assert httpx.get(server.url + "/" + incremental.MANIFEST).status_code == 404
        assert httpx.get(server.url + "/resource/extra-002.ttl").status_code == 200


def test_the_manifest_is_split_into_files_under_a_megabyte(
    catalogue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(incremental, "PART_BYTES", 5000)
    site = tmp_path / "site"
    publish([catalogue], site)
    parts = sorted((site / incremental.CACHE_FOLDER).glob("manifest*.jsonl"))
    assert len(parts) > 3
    assert all(p.stat().st_size <= 5000 + 2000 for p in parts)
    assert publish([catalogue], site).reused == TOTAL


def test_a_damaged_manifest_or_site_falls_back_to_a_full_publish(
    catalogue: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    publish([catalogue], site)
    manifest = site / incremental.MANIFEST
    lines = manifest.read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[1])
    entry["files"].append("../../outside.txt")
    manifest.write_text(
        "\n".join([lines[0], json.dumps(entry), *lines[2:]]) + "\n", encoding="utf-8"
    )
    (tmp_path / "outside.txt").write_text("secret", encoding="utf-8")
    assert publish([catalogue], site).reused == 0  # refused: rebuilt
    assert not any("outside" in name for name in tree(site))
    # a reused file that is no longer a plain file: rebuilt too
    page = site / "resource" / "extra-001.ttl"
    page.unlink()
    page.symlink_to(tmp_path / "outside.txt")
    assert publish([catalogue], site).reused == 0
    publish([catalogue], tmp_path / "full", full=True)
    assert_same(site, tmp_path / "full")
    # an edited dump is not trusted
    with (site / "catalog.nt").open("ab") as out:
        out.write(b"\n")
    assert publish([catalogue], site).reused == 0


def _error(catalogue: Path, out: Path, runner: Any) -> tuple[int, str]:
    result = runner.invoke(main, ["publish", str(catalogue), "-o", str(out), "--quiet"])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    "bad",
    [
        {"issued": "2010-13-01"},
        {"id": "extra-001"},
        {"identifiers": ["https://example.org/extra/0.pdf"]},
        {"type": "no-such-type"},
    ],
)
def test_a_bad_edit_fails_as_a_full_publish_does_and_keeps_the_site(
    catalogue: Path, tmp_path: Path, runner: Any, bad: dict[str, Any]
) -> None:
    site = tmp_path / "site"
    publish([catalogue], site)
    before = tree(site)
    _edit_line(catalogue, 9, **bad)
    code, output = _error(catalogue, site, runner)
    assert code == 1
    assert tree(site) == before
    fresh_code, fresh_output = _error(catalogue, tmp_path / "fresh", runner)
    assert (code, output) == (fresh_code, fresh_output)
    assert "extra.jsonl:10" in output
    assert not (tmp_path / "fresh").exists()


def test_a_failure_half_way_leaves_the_previous_site_untouched(
    catalogue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish_module = importlib.import_module("csec_ld.site.publish")

    site = tmp_path / "site"
    publish([catalogue], site)
    before = tree(site)
    _edit_line(catalogue, 2, title="Changed, then the run fails")

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise CsecLdError("stopped half-way")

    monkeypatch.setattr(publish_module, "_void", fail)  # after the files were reused
    with pytest.raises(CsecLdError, match="half-way"):
        publish([catalogue], site)
    assert tree(site) == before
    assert all(os.stat(site / name).st_nlink == 1 for name in before)  # no links left
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_relative_files_is_relpath_on_plain_and_odd_paths(tmp_path: Path) -> None:
    """The short cut for the paths a worker writes gives what os.path.relpath gives,
    and anything not plainly under the root still goes through relpath."""
    from csec_ld.site.incremental import relative_files

    for root in (str(tmp_path / "site"), "site", str(tmp_path / "site") + "/"):
        paths = [
            f"{root.rstrip('/')}/resource/a.ttl",
            f"{root.rstrip('/')}/resource/a/index.html",
            f"{root.rstrip('/')}/resource/./b.nt",
            f"{root.rstrip('/')}//resource/c.nt",
            f"{root.rstrip('/')}/resource/../d.nt",
            f"{root.rstrip('/')}/../outside.nt",
            f"{root.rstrip('/')}/resource/a.ttl",
        ]
        expected: dict[str, None] = {}
        for p in paths:
            rel = os.path.relpath(os.path.abspath(p), root)
            if not rel.startswith(".."):
                expected[rel] = None
        assert relative_files(paths, root) == list(expected)
