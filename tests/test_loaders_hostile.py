"""Hostile input to every loader: each is refused with a clean `file:line: record: field:
message` error and exit 1, never a traceback, a silent acceptance or invalid output.

Record attacks run over YAML, CSV, JSON and JSON Lines (those a format can carry at all:
CSV, being UTF-8 text, cannot hold a lone surrogate); then nesting, files that hold no
record, oversized files and lines, catalog.yaml and agents.yaml, symbolic links and
`import-listing`. The bad record is always the second of its file, after a good one.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from csec_ld.cli import main
from csec_ld.records import LIMITS, shown
from tests.conftest import DATA, ROOT

GOOD: dict[str, Any] = {
    "id": "good-2010",
    "title": "A good record",
    "issued": "2010",
    "type": "report",
}


def record(**fields: Any) -> dict[str, Any]:
    return {"id": "bad-2011", "title": "A record", "issued": "2011", "type": "report", **fields}


# --------------------------------------------------------------------------- writers
# Each writes the good record then *bad*, and gives the file name and the line of
# *field* in the bad record (found independently of the loaders).


def write_yaml(bad: dict[str, Any], field: str) -> tuple[str, str, int]:
    # allow_unicode=False: controls and surrogates are written as "\x00", "\ud800" escapes.
    text = yaml.safe_dump([GOOD, bad], allow_unicode=False, sort_keys=False, width=10**9)
    second = yaml.compose(text).value[1]
    line = next(k.start_mark.line + 1 for k, _ in second.value if shown(k.value) == field)
    return "records.yaml", text, line


def write_csv(bad: dict[str, Any], field: str) -> tuple[str, str, int]:
    columns = list(dict.fromkeys([*GOOD, *bad]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in (GOOD, bad):
        writer.writerow(
            ["|".join(v) if isinstance(v, list) else v for v in (row.get(c, "") for c in columns)]
        )
    return "records.csv", out.getvalue(), 3


def write_json(bad: dict[str, Any], field: str) -> tuple[str, str, int]:
    return "records.json", f"[\n{json.dumps(GOOD)},\n{json.dumps(bad)}\n]\n", 3


def write_jsonl(bad: dict[str, Any], field: str) -> tuple[str, str, int]:
    return "records.jsonl", f"{json.dumps(GOOD)}\n{json.dumps(bad)}\n", 2


WRITERS: dict[str, Callable[[dict[str, Any], str], tuple[str, str, int]]] = {
    "yaml": write_yaml,
    "csv": write_csv,
    "json": write_json,
    "jsonl": write_jsonl,
}

# --------------------------------------------------------------------------- attacks
# name → (the bad record, the field named in the error, a needle of the message,
#         formats that cannot carry it)

LONG_ID = "a" * 201
ATTACKS: dict[str, tuple[dict[str, Any], str, str, frozenset[str]]] = {
    # characters XML 1.0 forbids: C0 controls, lone surrogates, U+FFFE, U+FFFF
    "nul-in-title": (record(title="Survey\x00 of children"), "title", "U+0000", frozenset()),
    "escape-in-description": (
        record(description="Colours \x1b[31mred"),
        "description",
        "U+001B",
        frozenset(),
    ),
    "form-feed-in-title": (record(title="Page\x0cbreak"), "title", "U+000C", frozenset()),
    "lone-surrogate-in-title": (
        record(title="Survey \ud800"),
        "title",
        "U+D800",
        frozenset({"csv"}),
    ),
    "control-in-id": (record(id="bad-2011\x07"), "id", "U+0007", frozenset()),
    "ufffe-in-title": (record(title="Survey \ufffe"), "title", "U+FFFE", frozenset()),
    "uffff-in-description": (
        record(description="Texte \uffff"),
        "description",
        "U+FFFF",
        frozenset(),
    ),
    "control-in-identifier": (
        record(identifiers=["https://example.org/a\x07"]),
        "identifiers",
        "U+0007",
        frozenset(),
    ),
    "control-in-field-name": (
        record(**{"ti\x01tle": "x"}),
        "ti\\x01tle",
        "U+0001",
        frozenset({"csv"}),
    ),
    # lengths: our own outputs must load back (pyoxigraph refuses literals over 16 MiB)
    "title-too-long": (record(title="word " * 400 + "x"), "title", "2,001 characters", frozenset()),
    "description-too-long": (
        record(description="x" * 100_001),
        "description",
        "at most 100,000",
        frozenset(),
    ),
    "identifier-too-long": (
        record(identifiers=["https://example.org/" + "a" * 2000]),
        "identifiers",
        "at most 2,000",
        frozenset(),
    ),
    # ids are folder names of the site: resource/{id}/index.html
    "id-too-long": (record(id=LONG_ID), "id", "at most 200 are allowed", frozenset()),
    "id-con": (record(id="con"), "id", "Windows reserves", frozenset()),
    "id-nul": (record(id="nul"), "id", "Windows reserves", frozenset()),
    "id-lpt9": (record(id="lpt9"), "id", "Windows reserves", frozenset()),
    "id-com1": (record(id="com1"), "id", "Windows reserves", frozenset()),
    # identifiers holding what an IRI cannot
    "doi-with-angle-brackets": (
        record(identifiers=["doi:10.1234/a<b>"]),
        "identifiers",
        "percent-encode it: %3C",
        frozenset(),
    ),
    "doi-iri-with-braces": (
        record(identifiers=["https://doi.org/10.1234/{x}"]),
        "identifiers",
        "percent-encode it: %7B",
        frozenset(),
    ),
    "handle-with-quote": (
        record(identifiers=['hdl:20.500.123/a"b']),
        "identifiers",
        "percent-encode it: %22",
        frozenset(),
    ),
    "url-with-ideographic-space": (
        record(identifiers=["https://example.org/a\u3000b"]),
        "identifiers",
        "percent-encode it: %E3%80%80",
        frozenset(),
    ),
    "url-with-no-break-space": (
        record(identifiers=["https://example.org/a\u00a0b"]),
        "identifiers",
        "percent-encode it: %C2%A0",
        frozenset(),
    ),
    "license-with-line-separator": (
        record(license="https://example.org/licence\u20281"),
        "license",
        "percent-encode it: %E2%80%A8",
        frozenset(),
    ),
    # digits other than 0-9 (Python's \d and int() take them)
    # (written as escapes: "\u0662\u0660\u0661\u0662" is 2012 in Arabic-Indic digits)
    "arabic-indic-year": (
        record(issued="\u0662\u0660\u0661\u0662"),
        "issued",
        "write the date as '2012'",
        frozenset(),
    ),
    "fullwidth-modified": (
        record(modified="\uff12\uff10\uff11\uff13-\uff10\uff11"),
        "modified",
        "write the date as '2013-01'",
        frozenset(),
    ),
    "arabic-indic-doi": (
        record(identifiers=["doi:10.\u0661\u0662\u0663\u0664/x"]),
        "identifiers",
        "write the DOI as 'doi:10.1234/x'",
        frozenset(),
    ),
    "arabic-indic-bare-doi": (
        record(identifiers=["10.\u0661\u0662\u0663\u0664/x"]),
        "identifiers",
        "digits other than 0-9",
        frozenset(),
    ),
    "arabic-indic-handle": (
        record(identifiers=["hdl:\u0662\u0660.500/x"]),
        "identifiers",
        "write the handle as 'hdl:20.500/x'",
        frozenset(),
    ),
    "fullwidth-isbn": (
        record(identifiers=["isbn:\uff19\uff17\uff18-92-2-125081-4"]),
        "identifiers",
        "digits other than 0-9",
        frozenset(),
    ),
}

CASES = [
    pytest.param(fmt, attack, id=f"{fmt}-{attack}")
    for attack, (_, _, _, cannot) in ATTACKS.items()
    for fmt in WRITERS
    if fmt not in cannot
]


def catalogue(
    tmp_path: Path,
    files: dict[str, str | bytes],
    *,
    catalog: str | None = None,
    agents: str | None = None,
) -> Path:
    """A source folder with data/'s catalog.yaml and agents.yaml (or the texts given)."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "catalog.yaml").write_text(
        catalog if catalog is not None else (DATA / "catalog.yaml").read_text(), "utf-8"
    )
    (src / "agents.yaml").write_text(
        agents if agents is not None else (DATA / "agents.yaml").read_text(), "utf-8"
    )
    for name, content in files.items():
        path = src / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", errors="surrogatepass")
    return src


def run(command: str, src: Path, out: Path, *options: str) -> Result:
    args = [command, str(src)] + ([] if command == "validate" else ["-o", str(out)])
    return CliRunner().invoke(main, [*args, *options])


def refused(
    result: Result, out: Path, needle: str, *, where: str | None = None, field: str | None = None
) -> str:
    """Assert a clean refusal (exit 1, the place and field, no traceback, nothing
    written); the output, for further checks."""
    text = result.output
    assert result.exit_code == 1, text
    assert "Traceback" not in text
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert needle in text, text
    if where is not None:
        line = next(line for line in text.splitlines() if needle in line)
        assert where in line, line
        if field is not None:
            assert f": {field}: " in line, line
    assert not out.exists(), "nothing may be written"
    # No character XML 1.0 forbids reaches the messages either.
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", text)
    return text


@pytest.mark.parametrize(("fmt", "attack"), CASES)
def test_a_hostile_record_is_refused(fmt: str, attack: str, tmp_path: Path) -> None:
    """By the loader itself: without the shapes, which must not be what stops it."""
    bad, field, needle, _ = ATTACKS[attack]
    name, text, line = WRITERS[fmt](bad, field)
    src = catalogue(tmp_path, {name: text})
    result = run("build", src, tmp_path / "out", "--no-validate")
    refused(result, tmp_path / "out", needle, where=f"{src / name}:{line}:", field=field)


def test_a_character_yaml_forbids_raw_in_a_record_file(tmp_path: Path) -> None:
    src = catalogue(
        tmp_path,
        {
            "x.yaml": "id: x-2010\ntitle: Survey\nissued: '2010'\n"
            "description: a\x07b\ntype: report\n"
        },
    )
    result = run("build", src, tmp_path / "out")
    refused(result, tmp_path / "out", "U+0007", where=f"{src / 'x.yaml'}:4:")


#: One attack or two of each kind, for every command that loads records.
EVERY_COMMAND = [
    "nul-in-title",
    "lone-surrogate-in-title",
    "ufffe-in-title",
    "control-in-field-name",
    "title-too-long",
    "description-too-long",
    "id-too-long",
    "id-con",
    "doi-with-angle-brackets",
    "arabic-indic-doi",
    "fullwidth-isbn",
]


@pytest.mark.parametrize("command", ["build", "validate", "publish"])
@pytest.mark.parametrize("attack", EVERY_COMMAND)
def test_every_command_refuses_it(command: str, attack: str, tmp_path: Path) -> None:
    bad, field, needle, _ = ATTACKS[attack]
    name, text, line = write_jsonl(bad, field)
    src = catalogue(tmp_path, {name: text})
    result = run(command, src, tmp_path / "out")
    refused(result, tmp_path / "out", needle, where=f"{src / name}:{line}:", field=field)


# --------------------------------------------------------------------------- nesting

DEEP = 100_000
NESTED: dict[str, tuple[str, str, int, str | None]] = {
    # name → (file name, text, line, field)
    "yaml-flow-lists": (
        "x.yaml",
        "id: deep-2010\ntitle: " + "[" * DEEP + "]" * DEEP + "\n",
        2,
        "title",
    ),
    "yaml-flow-mappings": (
        "x.yaml",
        "id: deep-2010\ntitle: " + "{a: " * 5000 + "b" + "}" * 5000,
        2,
        "title",
    ),
    "yaml-block-lists": (
        "x.yaml",
        "id: deep-2010\ntitle:\n"
        + "".join(" " * i + "-\n" for i in range(2000))
        + " " * 2000
        + "- x\n",
        12,
        "title",
    ),
    "yaml-bare": ("x.yaml", "[" * DEEP + "]" * DEEP, 1, None),
    "json-deep": (
        "x.json",
        "[\n"
        + json.dumps(GOOD)
        + ',\n{"id": "deep-2010", "title": '
        + "[" * DEEP
        + "]" * DEEP
        + "}\n]",
        3,
        "title",
    ),
    "json-under-the-parser-limit": (
        "x.json",
        '[{"id": "deep-2010", "title": ' + "[" * 500 + "]" * 500 + "}]",
        1,
        "title",
    ),
    "json-bare": ("x.json", "[" * DEEP + "]" * DEEP, 1, None),
    "jsonl-deep": (
        "x.jsonl",
        json.dumps(GOOD)
        + '\n{"id": "deep-2010", "title": {"en": '
        + "[" * DEEP
        + "]" * DEEP
        + "}}\n",
        2,
        "title",
    ),
    "jsonl-under-the-parser-limit": (
        "x.jsonl",
        '{"id": "deep-2010", "title": ' + '{"a": ' * 500 + "1" + "}" * 500 + "}\n",
        1,
        "title",
    ),
}


@pytest.mark.parametrize("case", sorted(NESTED))
def test_values_nested_too_deep(case: str, tmp_path: Path) -> None:
    name, text, line, field = NESTED[case]
    src = catalogue(tmp_path, {name: text})
    result = run("build", src, tmp_path / "out")
    refused(
        result,
        tmp_path / "out",
        f"nested more than {LIMITS['nesting']} deep",
        where=f"{src / name}:{line}:",
        field=field,
    )


# --------------------------------------------------------------------------- no record

NO_RECORD: dict[str, tuple[str, str]] = {
    "yaml-comments-only": ("x.yaml", "# a record was here\n# and is gone\n"),
    "yaml-empty-list": ("x.yaml", "[]\n"),
    "json-empty-list": ("x.json", "[ ]\n"),
    "csv-header-only": ("x.csv", "id,title,issued,type\n"),
    "csv-header-and-blank-rows": ("x.csv", "id;title;issued;type\n;;;\n\n"),
}


@pytest.mark.parametrize("case", sorted(NO_RECORD))
def test_a_file_without_records_is_an_error(case: str, tmp_path: Path) -> None:
    """As an empty file is: a record must not drop out of the catalogue unseen."""
    name, text = NO_RECORD[case]
    src = catalogue(tmp_path, {name: text, "good.yaml": yaml.safe_dump(GOOD)})
    result = run("build", src, tmp_path / "out")
    refused(result, tmp_path / "out", "the file holds no record", where=f"{src / name}")


# --------------------------------------------------------------------------- sizes


@pytest.mark.parametrize(
    ("name", "limit"),
    [
        ("x.csv", "CSV or JSON file"),
        ("x.json", "CSV or JSON file"),
        ("x.yaml", "YAML file or listing"),
    ],
)
def test_a_file_larger_than_its_limit(
    name: str, limit: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(LIMITS, limit, 2_000)
    texts = {
        "x.csv": "id,title,issued,type\n" + "".join(f"r-{i},T,2010,report\n" for i in range(200)),
        "x.json": json.dumps([dict(GOOD, id=f"r-{i}") for i in range(100)]),
        "x.yaml": yaml.safe_dump([dict(GOOD, id=f"r-{i}") for i in range(100)]),
    }
    src = catalogue(tmp_path, {name: texts[name]})
    result = run("build", src, tmp_path / "out")
    refused(result, tmp_path / "out", "the file is larger than 2,000 bytes", where=f"{src / name}")


def test_a_json_lines_line_too_long_is_skipped_and_reading_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(LIMITS, "JSON Lines line", 1_000)
    lines = [
        json.dumps(GOOD),
        json.dumps(record(description="x" * 5_000)),
        json.dumps(record(id="after-2011", issued="2011-13")),
    ]
    src = catalogue(tmp_path, {"x.jsonl": "\n".join(lines) + "\n"})
    result = run("build", src, tmp_path / "out")
    path = src / "x.jsonl"
    text = refused(
        result, tmp_path / "out", "the line is longer than 1,000 bytes", where=f"{path}:2:"
    )
    assert f"{path}:3: after-2011: issued:" in text  # the line after it was read


def test_a_json_lines_line_over_ten_megabytes(tmp_path: Path) -> None:
    """At the real limit (and the file big enough for worker processes)."""
    long = json.dumps(record(description="x" * (LIMITS["JSON Lines line"] + 10)))
    src = catalogue(tmp_path, {"x.jsonl": json.dumps(GOOD) + "\n" + long + "\n"})
    result = run("build", src, tmp_path / "out")
    refused(
        result,
        tmp_path / "out",
        "the line is longer than 10,000,000 bytes",
        where=f"{src / 'x.jsonl'}:2:",
    )


# --------------------------------------------------------------------------- catalog.yaml

CATALOG = (DATA / "catalog.yaml").read_text()
AGENTS = (DATA / "agents.yaml").read_text()


def replace_line(text: str, start: str, new: str) -> tuple[str, int]:
    """*text* with the line starting with *start* replaced by *new*, and that line's number."""
    lines = text.splitlines()
    number = next(i for i, line in enumerate(lines) if line.startswith(start))
    lines[number] = new
    return "\n".join(lines) + "\n", number + 1


CATALOG_CASES: dict[str, tuple[str, str, str, str]] = {
    # name → (line to replace, its new text, field, needle)
    "title-map-of-lists": ("title:", "title: {en: [a, b]}", "title", "expected a text, not a list"),
    "title-bad-language": ("title:", "title: {'e n': Catalogue}", "title", "not a language tag"),
    "title-control": ("title:", 'title: "Cata\\x00logue"', "title", "U+0000"),
    "title-too-long": ("title:", "title: " + "x" * 2_001, "title", "at most 2,000"),
    "base-a-list": ("base:", "base: [https://w3id.org/csec-ld/]", "base", "not a list"),
    "publisher-a-mapping": ("publisher:", "publisher: {id: csec-ld}", "publisher", "not a mapping"),
    "license-a-list": ("license:", "license: [https://example.org/l]", "license", "not a list"),
    "license-with-no-break-space": (
        "license:",
        'license: "https://example.org/a\\xa0licence"',
        "license",
        "percent-encode",
    ),
    "registry-a-list": ("registry:", "registry: [agents.yaml]", "registry", "not a list"),
    "registry-a-folder": ("registry:", "registry: records", "registry", "is a folder"),
    "registry-missing": ("registry:", "registry: missing.yaml", "registry", "does not exist"),
}


@pytest.mark.parametrize("case", sorted(CATALOG_CASES))
def test_wrong_values_in_catalog_yaml(case: str, tmp_path: Path) -> None:
    start, new, field, needle = CATALOG_CASES[case]
    text, line = replace_line(CATALOG, start, new)
    src = catalogue(tmp_path, {"records/good.yaml": yaml.safe_dump(GOOD)}, catalog=text)
    result = run("build", src, tmp_path / "out")
    refused(result, tmp_path / "out", needle, where=f"{src / 'catalog.yaml'}:{line}:", field=field)


AGENTS_CASES: dict[str, tuple[str, str, str, str]] = {
    # name → (line to replace, its new text, field, needle)
    "name-a-list": (
        "    name: ECPAT Luxembourg",
        "    name: [ECPAT, Luxembourg]",
        "name",
        "not a list",
    ),
    "url-a-list": (
        "    url: https://ecpat.org/",
        "    url: [https://ecpat.org/]",
        "url",
        "not a list",
    ),
    "url-with-no-break-space": (
        "    url: https://ecpat.org/",
        '    url: "https://ecpat.org/a\\xa0b"',
        "url",
        "percent-encode",
    ),
    "part-of-a-list": ("    part_of: ilo", "    part_of: [ilo]", "part_of", "not a list"),
    "alt-names-a-mapping": (
        "    alt_names: [ECPAT]",
        "    alt_names: {a: b}",
        "alt_names",
        "not a mapping",
    ),
    "description-a-mapping": (
        "    description: The maintainers",
        "    description: {en: text}",
        "description",
        "not a mapping",
    ),
    "name-control": ("    name: ECPAT Luxembourg", '    name: "ECPAT\\x07"', "name", "U+0007"),
    "name-lone-surrogate": (
        "    name: ECPAT Luxembourg",
        '    name: "ECPAT\\ud800"',
        "name",
        "U+D800",
    ),
    "id-reserved": ("  - id: ecpat-luxembourg", "  - id: aux", "id", "Windows reserves"),
    "id-too-long": ("  - id: ecpat-luxembourg", "  - id: " + "a" * 201, "id", "at most 200"),
    "unknown-key": (
        "    name: ECPAT Luxembourg",
        "    nmae: ECPAT Luxembourg",
        "nmae",
        "unknown field",
    ),
}


@pytest.mark.parametrize("case", sorted(AGENTS_CASES))
def test_wrong_values_in_agents_yaml(case: str, tmp_path: Path) -> None:
    start, new, field, needle = AGENTS_CASES[case]
    text, line = replace_line(AGENTS, start, new)
    src = catalogue(tmp_path, {"records/good.yaml": yaml.safe_dump(GOOD)}, agents=text)
    result = run("build", src, tmp_path / "out")
    refused(result, tmp_path / "out", needle, where=f"{src / 'agents.yaml'}:{line}:", field=field)


@pytest.mark.parametrize("name", ["catalog.yaml", "agents.yaml"])
@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("title: Catalogue\na: \x01\n", "U+0001"),
        ("a: " + "[" * DEEP + "]" * DEEP + "\n", "nested more than"),
    ],
)
def test_a_configuration_file_that_is_not_yaml(
    name: str, text: str, needle: str, tmp_path: Path
) -> None:
    src = catalogue(
        tmp_path, {"good.yaml": yaml.safe_dump(GOOD)}, **{name.removesuffix(".yaml"): text}
    )
    result = run("build", src, tmp_path / "out")
    refused(result, tmp_path / "out", needle, where=f"{src / name}:{2 if 'U+' in needle else 1}:")


# --------------------------------------------------------------------------- symbolic links

BAD_DATE = "id: linked-2010\ntitle: Linked\nissued: 2010-13\ntype: report\n"


def test_a_symlinked_folder_is_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "bad.yaml").write_text(BAD_DATE)
    src = catalogue(tmp_path, {"good.yaml": yaml.safe_dump(GOOD)})
    (src / "linked").symlink_to(elsewhere, target_is_directory=True)
    result = run("build", src, tmp_path / "out")
    refused(
        result,
        tmp_path / "out",
        "'2010-13' is not a date",
        where=f"{src / 'linked' / 'bad.yaml'}:3:",
        field="issued",
    )


def test_a_symlink_loop_ends_and_each_file_is_read_once(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "bad.yaml").write_text(BAD_DATE)
    (elsewhere / "back").symlink_to(tmp_path, target_is_directory=True)  # a loop
    src = catalogue(tmp_path, {"records/good.yaml": yaml.safe_dump(GOOD)})
    (src / "records" / "up").symlink_to(src, target_is_directory=True)  # another
    (src / "a-link").symlink_to(elsewhere, target_is_directory=True)
    (src / "b-link").symlink_to(elsewhere, target_is_directory=True)  # the same folder again
    result = run("build", src, tmp_path / "out")
    text = refused(
        result,
        tmp_path / "out",
        "'2010-13' is not a date",
        where=f"{src / 'a-link' / 'bad.yaml'}:3:",
        field="issued",
    )
    assert text.count("is not a date") == 1, text
    assert "duplicate id" not in text


def test_a_broken_symlink_is_reported(tmp_path: Path) -> None:
    src = catalogue(tmp_path, {"good.yaml": yaml.safe_dump(GOOD)})
    (src / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    result = run("build", src, tmp_path / "out")
    refused(result, tmp_path / "out", "cannot read the file", where=f"{src / 'gone.yaml'}")


def test_a_file_linked_twice_is_read_once(tmp_path: Path) -> None:
    src = catalogue(tmp_path, {"good.yaml": yaml.safe_dump(GOOD)})
    (src / "same.yaml").symlink_to(src / "good.yaml")
    result = run("build", src, tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "1 records" in result.output


# --------------------------------------------------------------------------- import-listing

LISTING_CASES: dict[str, tuple[str, int, str, str]] = {
    # name → (listing text, line, field, needle)
    "nul-in-title": ("1. Survey\x00 of children\n14 June 2016\n", 1, "title", "U+0000"),
    "form-feed-in-title": ("1. Survey\x0cof children\n14 June 2016\n", 1, "title", "U+000C"),
    "control-in-wrapped-title": (
        "1. Survey of\n   chil\x1fdren\n14 June 2016\n",
        2,
        "title",
        "U+001F",
    ),
    "ufffe-in-description": (
        "1. Survey\n14 June 2016\n\nA text\ufffe here.\n",
        4,
        "description",
        "U+FFFE",
    ),
    "arabic-indic-day": (
        "1. Survey\n\u0661\u0664 June 2016\n",
        2,
        "issued",
        "write '14 June 2016'",
    ),
    "arabic-indic-year": (
        "1. Survey\n14 June \u0662\u0660\u0661\u0666\n",
        2,
        "issued",
        "write '14 June 2016'",
    ),
    "title-too-long": ("1. " + "word " * 500 + "\n14 June 2016\n", 1, "title", "at most 2,000"),
    "description-too-long": (
        "1. Survey\n14 June 2016\n\n" + "words here\n" * 10_000,
        4,
        "description",
        "at most 100,000",
    ),
}


@pytest.mark.parametrize("case", sorted(LISTING_CASES))
def test_a_hostile_listing(case: str, tmp_path: Path) -> None:
    text, line, field, needle = LISTING_CASES[case]
    listing = tmp_path / "listing.txt"
    listing.write_text("Publications\n\n" + text, encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["import-listing", str(listing), "-o", str(out)])
    refused(result, out, needle, where=f"{listing}:{line + 2}:", field=field)


def test_a_listing_larger_than_its_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(LIMITS, "YAML file or listing", 100)
    listing = tmp_path / "listing.txt"
    listing.write_text("".join(f"{i}. Title {i}\n1 May 2010\n" for i in range(1, 20)))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["import-listing", str(listing), "-o", str(out)])
    refused(result, out, "the file is larger than 100 bytes", where=str(listing))


def test_a_title_of_one_long_word_still_makes_a_file_name(tmp_path: Path) -> None:
    """The id is a file name: 255 bytes at most, and ours 200 characters."""
    listing = tmp_path / "listing.txt"
    listing.write_text(
        "1. " + "a" * 1_500 + "\n14 June 2016\n2. " + "a" * 1_500 + "\n15 June 2016\n"
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["import-listing", str(listing), "-o", str(out)])
    assert result.exit_code == 0, result.output
    ids = sorted(p.name.removesuffix(".yaml") for p in out.iterdir())
    assert len(ids) == 2
    assert all(len(i) <= LIMITS["id"] for i in ids), ids
    assert ids[0].endswith("-2016") and ids[1].endswith("-2016-2"), ids


# --------------------------------------------------------------------------- the README


def test_the_readme_lists_the_limits() -> None:
    """The README's "Limits on input" table shows the numbers of LIMITS, one row each."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("**Limits on input.**", 1)[1].split("\n\n", 2)[1]  # the table
    rows = section.splitlines()
    assert len(rows) == 2 + len(LIMITS), section
    for name, value in LIMITS.items():
        row = next((line for line in rows if line.startswith(f"| {name} |")), None)
        assert row is not None, f"no row for {name!r}"
        assert f"{value:,}" in row, (name, value, row)
