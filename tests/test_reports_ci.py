"""Reports for CI (issue 18, "Validation for CI"): SHACL's ``sh:conforms``, the severity gate,
JUnit that both JUnit schemas accept, ``--show``, SARIF rules per kind of loading error and
fingerprints, the README's example, and the pre-commit hook."""

from __future__ import annotations

import json
import logging
import re
import shlex
import shutil
from pathlib import Path
from xml.etree import ElementTree

import pytest
import rdflib
import yaml
from click.testing import CliRunner
from rdflib.namespace import RDF, SH

from csec_ld.cli import main
from csec_ld.reports import FORMATS, format_report, junit, sarif, turtle
from csec_ld.sources import RDF_SUFFIXES, RECORD_SUFFIXES
from csec_ld.validation import Severity, ValidationReport, validate
from tests.conftest import DATA, ROOT

INVALID = Path(__file__).resolve().parent / "fixtures" / "invalid"
BROKEN = ROOT / "examples" / "broken"
README = ROOT / "README.md"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="module")
def shipped() -> ValidationReport:
    """The shipped catalogue: no violation, warnings and infos."""
    report = validate([DATA])
    c = report.counts()
    assert c["violation"] == 0 and c["warning"] and c["info"], c
    return report


def _conforms(turtle_text: str) -> bool:
    g = rdflib.Graph().parse(data=turtle_text, format="turtle")
    (node,) = g.subjects(RDF.type, SH.ValidationReport)
    return bool(g.value(node, SH.conforms).toPython())


# --------------------------------------------------------------------------- sh:conforms


def test_conforms_is_false_with_warnings_only_as_pyshacl_says() -> None:
    """SHACL 1.0, 3.6.1: a report with a result (a warning here) does not conform."""
    import pyshacl

    source = INVALID / "description-missing.ttl"
    shapes = rdflib.Graph()
    for path in sorted((ROOT / "shapes").glob("*.ttl")):
        shapes.parse(path, format="turtle")
    logging.getLogger("rdflib").setLevel(logging.CRITICAL)
    theirs, _, _ = pyshacl.validate(
        rdflib.Graph().parse(source, format="turtle"), shacl_graph=shapes, advanced=True
    )
    report = validate([source])
    assert {r.severity for r in report.results} == {Severity.WARNING}
    assert theirs is False
    assert _conforms(turtle(report)) is theirs
    doc = json.loads(format_report(report, "json"))
    assert doc["conforms"] is theirs
    assert doc["passed"] is True and doc["fail_on"] == "violation"  # the gate: exit 0


def test_conforms_on_the_shipped_data_and_when_clean(shipped: ValidationReport) -> None:
    assert _conforms(turtle(shipped)) is False  # warnings and infos only
    assert _conforms(turtle(shipped, show="violation")) is False  # hidden ones count
    assert _conforms(turtle(ValidationReport(records=1))) is True
    assert json.loads(format_report(ValidationReport(records=1), "json"))["conforms"] is True


@pytest.mark.parametrize(("fail_on", "code"), [("violation", 0), ("warning", 1), ("info", 1)])
def test_json_gate_follows_fail_on(runner: CliRunner, fail_on: str, code: int) -> None:
    result = runner.invoke(main, ["validate", "data", "-f", "json", "--fail-on", fail_on])
    assert result.exit_code == code, result.output
    doc = json.loads(result.stdout)
    assert doc["version"] == 2
    assert doc["conforms"] is False
    assert doc["passed"] is (code == 0)
    assert doc["fail_on"] == fail_on


# --------------------------------------------------------------------------- junit


def _schemas(vendor_dir: Path) -> list[object]:
    import xmlschema

    return [
        xmlschema.XMLSchema(str(vendor_dir / "junit" / name))
        for name in ("JUnit.xsd", "junit-10.xsd")
    ]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> ValidationReport:
    """Violations, warnings and infos, several of them in one record, and a load error."""
    folder = tmp_path_factory.mktemp("ci") / "data"
    shutil.copytree(DATA, folder)
    for name in ("issued-future.yaml", "identifier-reused.yaml", "issued-not-a-date.yaml"):
        shutil.copy(INVALID / name, folder / "records" / name)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder.parent)
        return validate(["data"])


def test_junit_exit_0_means_no_failure(shipped: ValidationReport, vendor_dir: Path) -> None:
    out = junit(shipped)
    for schema in _schemas(vendor_dir):
        schema.validate(out)  # type: ignore[attr-defined]
    suite = ElementTree.fromstring(out).find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "0"
    assert suite.findall("testcase/failure") == []
    assert suite.get("tests") == "10"
    below = suite.findtext("system-out") or ""
    assert len(below.splitlines()) == len(shipped.results)  # warnings and infos, as text
    assert ": warning: " in below and ": info: " in below


@pytest.mark.parametrize("fail_on", ["violation", "warning", "info"])
def test_junit_one_failure_per_testcase_both_schemas(
    mixed: ValidationReport, vendor_dir: Path, fail_on: str
) -> None:
    out = junit(mixed, fail_on=fail_on)
    for schema in _schemas(vendor_dir):
        schema.validate(out)  # type: ignore[attr-defined]
    suite = ElementTree.fromstring(out).find("testsuite")
    assert suite is not None
    gate = Severity(fail_on).rank
    failing = [r for r in mixed.results if r.severity.rank >= gate]
    cases = suite.findall("testcase")
    assert all(len(c.findall("failure")) <= 1 for c in cases)
    failures = suite.findall("testcase/failure")
    assert len(failures) == len(failing) == int(suite.get("failures", ""))
    assert {f.get("type") for f in failures} == {r.severity.value for r in failing}
    keys = [(c.get("classname"), c.get("name")) for c in cases]
    assert len(keys) == len(set(keys)) == int(suite.get("tests", ""))
    below = (suite.findtext("system-out") or "").splitlines()
    assert len(below) == len(mixed.results) - len(failing)


# --------------------------------------------------------------------------- --show

_RESULT_MARK = {
    "text": re.compile(r"^  \S+: (violation|warning|info): ", re.M),
    "github": re.compile(r"^::(error|warning|notice) ", re.M),
}


def _severities(fmt: str, out: str) -> list[str]:
    """The severities of the results *out* (a report in *fmt*) holds."""
    if fmt in _RESULT_MARK:
        found = _RESULT_MARK[fmt].findall(out)
        return [{"error": "violation", "notice": "info"}.get(s, s) for s in found]
    if fmt == "json":
        return [r["severity"] for r in json.loads(out)["results"]]
    if fmt == "sarif":
        levels = {"error": "violation", "warning": "warning", "note": "info"}
        return [levels[r["level"]] for r in json.loads(out)["runs"][0]["results"]]
    if fmt == "turtle":
        g = rdflib.Graph().parse(data=out, format="turtle")
        return [str(o).rsplit("#", 1)[1].lower() for o in g.objects(None, SH.resultSeverity)]
    root = ElementTree.fromstring(out)
    failures = [f.get("type", "") for f in root.iter("failure")]
    text = "".join(e.text or "" for e in root.iter("system-out"))
    return failures + re.findall(r": (violation|warning|info): ", text)


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("show", ["violation", "warning"])
def test_show_hides_lower_severities_in_every_format(
    runner: CliRunner, fmt: str, show: str
) -> None:
    full = runner.invoke(main, ["validate", "examples/broken", "-f", fmt])
    assert full.exit_code == 1, full.output
    assert sorted(_severities(fmt, full.stdout)) == ["info", "violation", "warning"]
    result = runner.invoke(main, ["validate", "examples/broken", "-f", fmt, "--show", show])
    assert result.exit_code == 1, result.output
    kept = ["violation"] if show == "violation" else ["violation", "warning"]
    assert sorted(_severities(fmt, result.stdout)) == sorted(kept)
    n = 3 - len(kept)
    line = f"1 violation, 1 warning, 1 info in 1 record ({n} hidden by --show {show})"
    assert line in (result.stdout if fmt in ("text", "github") else result.stderr)


def test_show_keeps_the_exit_code_of_fail_on(runner: CliRunner, shipped: ValidationReport) -> None:
    result = runner.invoke(
        main, ["validate", "data", "--show", "violation", "--fail-on", "warning", "-f", "github"]
    )
    assert result.exit_code == 1, result.output
    (line,) = result.stdout.splitlines()  # no annotation: only the summary
    c = shipped.counts()
    assert line == (
        f"0 violations, {c['warning']} warnings, {c['info']} infos in 10 records "
        f"({c['warning'] + c['info']} hidden by --show violation)"
    )


def test_show_in_json_counts_what_it_hides(runner: CliRunner) -> None:
    result = runner.invoke(main, ["validate", "data", "-f", "json", "--show", "warning"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["show"] == "warning"
    infos = doc["summary"]["infos"]
    assert infos == doc["summary"]["hidden"] > 0
    assert {r["severity"] for r in doc["results"]} == {"warning"}
    assert f"({infos} hidden by --show warning)" in result.stderr


# --------------------------------------------------------------------------- sarif

_LOAD_ERRORS = {
    "bad-type.yaml": "id: bad-type\ntitle: T\nissued: '2010'\ntype: not-a-type\n",
    "bad-date.yaml": "id: bad-date\ntitle: T\nissued: '2010-13-01'\ntype: report\n",
    "bad-country.yaml": (
        "id: bad-country\ntitle: T\nissued: '2010'\ntype: report\ncountries: [XX]\n"
    ),
    "bad-field.yaml": "id: bad-field\ntitle: T\nissued: '2010'\ntype: report\ncolour: red\n",
}


def _sarif_of(folder: Path) -> dict[str, object]:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder.parent)
        return json.loads(sarif(validate([folder.name])))  # type: ignore[no-any-return]


@pytest.fixture
def broken_records(catalog_copy: Path) -> Path:
    for name, body in _LOAD_ERRORS.items():
        (catalog_copy / "records" / name).write_text(body, encoding="utf-8")
    return catalog_copy


def test_sarif_rule_per_kind_of_load_error(broken_records: Path, vendor_dir: Path) -> None:
    import jsonschema

    doc = _sarif_of(broken_records)
    schema = json.loads((vendor_dir / "sarif" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(doc)
    (run,) = doc["runs"]  # type: ignore[index]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    by_record = {
        res["properties"]["record"]: res["ruleId"]
        for res in run["results"]
        if res["ruleId"].startswith("csec-ld:record")
    }
    assert by_record == {
        "bad-type": "csec-ld:record/type/unknown",
        "bad-date": "csec-ld:record/issued/not-a-date",
        "bad-country": "csec-ld:record/countries/unknown",
        "bad-field": "csec-ld:record/unknown-field",
    }
    assert "csec-ld:record" not in rules
    for rid in by_record.values():
        assert rules[rid]["shortDescription"]["text"]
    for res in run["results"]:
        assert rules[res["ruleId"]] == run["tool"]["driver"]["rules"][res["ruleIndex"]]


def test_sarif_fingerprints_survive_an_edit_above(broken_records: Path) -> None:
    def results() -> dict[tuple[str, str], tuple[str, int]]:
        (run,) = _sarif_of(broken_records)["runs"]  # type: ignore[index]
        out = {}
        for res in run["results"]:
            key = (res["ruleId"], res["properties"].get("record", ""))
            loc = res["locations"][0]["physicalLocation"]
            out[key] = (res["partialFingerprints"]["csecLdResult/v1"], loc["region"]["startLine"])
        return out

    before = results()
    assert len({fp for fp, _ in before.values()}) == len(before)  # one per result
    for name in _LOAD_ERRORS:
        path = broken_records / "records" / name
        path.write_text("# a comment above every field\n\n" + path.read_text(), encoding="utf-8")
    after = results()
    assert after.keys() == before.keys()
    for key, (fp, line) in before.items():
        if key[1] in {Path(n).stem for n in _LOAD_ERRORS}:
            assert after[key] == (fp, line + 2), key  # moved two lines down, same fingerprint
        else:
            assert after[key] == (fp, line), key


# --------------------------------------------------------------------------- README


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(title)
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _readme_runs() -> list[tuple[str, str]]:
    """Every ``$ csec-ld validate`` block of the README's validate section: command, output."""
    section = _section("## Validating records: `csec-ld validate`")
    blocks = re.findall(r"```text\n(\$ csec-ld validate[^\n]*)\n(.*?)```", section, re.S)
    return [(command[2:], output) for command, output in blocks]


def test_readme_shows_examples() -> None:
    commands = [c for c, _ in _readme_runs()]
    assert "csec-ld validate examples/broken" in commands
    assert any("--show violation" in c for c in commands)


@pytest.mark.parametrize(("command", "expected"), _readme_runs())
def test_readme_example_is_what_it_prints(runner: CliRunner, command: str, expected: str) -> None:
    args = shlex.split(command)[1:]
    result = runner.invoke(main, args)
    assert result.exit_code in (0, 1), result.output
    assert result.stdout == expected


def test_readme_example_files_are_shipped() -> None:
    for name in ("catalog.yaml", "agents.yaml", "records/tracer-study-paraguay-2012.yaml"):
        assert (BROKEN / name).is_file(), name


# --------------------------------------------------------------------------- pre-commit

#: The keys pre-commit documents for a hook in .pre-commit-hooks.yaml
#: (https://pre-commit.com/#new-hooks).
HOOK_KEYS = {
    "id",
    "name",
    "entry",
    "language",
    "files",
    "exclude",
    "types",
    "types_or",
    "exclude_types",
    "always_run",
    "fail_fast",
    "verbose",
    "pass_filenames",
    "require_serial",
    "description",
    "language_version",
    "minimum_pre_commit_version",
    "args",
    "stages",
}


@pytest.fixture(scope="module")
def hook() -> dict[str, object]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (only,) = [h for h in hooks if h["id"] == "csec-ld-validate"]
    return only  # type: ignore[no-any-return]


def test_hook_uses_documented_keys(hook: dict[str, object]) -> None:
    assert set(hook) <= HOOK_KEYS
    assert {"id", "name", "entry", "language"} <= set(hook)
    assert hook["language"] == "python"


def test_hook_is_not_wired_to_data(hook: dict[str, object]) -> None:
    words = shlex.split(str(hook["entry"])) + [str(a) for a in hook.get("args", [])]  # type: ignore[attr-defined]
    assert not any(w.rstrip("/") == "data" or w.startswith("data/") for w in words), words
    assert hook.get("pass_filenames") is False  # the user's args name the catalogue


@pytest.mark.parametrize(
    "path",
    [
        "data/records/x.yaml",
        "catalogue/records/x.yml",  # a catalogue somewhere else than data/
        "records/x.csv",
        "data/records/x.jsonl",
        "data/catalog.yaml",
        "catalogue/agents.yaml",
        "shapes/records.ttl",
        "ontology/topics.ttl",
        "my-shapes/extra.ttl",
        "harvest/dump.nt",
        ".pre-commit-config.yaml",  # a new rev: new shapes and ontology
    ]
    + [f"x/y{suffix}" for suffix in sorted(RECORD_SUFFIXES | RDF_SUFFIXES)],
)
def test_hook_runs_when_what_validate_reads_changes(hook: dict[str, object], path: str) -> None:
    # pre-commit matches `files` with re.search against the path from the repository's root
    assert re.search(str(hook["files"]), path), path
    assert not re.search(str(hook.get("exclude", "^$")), path)


@pytest.mark.parametrize("path", ["README.md", "csec_ld/cli/validate.py", "docs/x.html"])
def test_hook_skips_what_validate_never_reads(hook: dict[str, object], path: str) -> None:
    assert not re.search(str(hook["files"]), path)


def test_hook_as_the_readme_sets_it_up(runner: CliRunner, hook: dict[str, object]) -> None:
    """The README's .pre-commit-config.yaml, run as pre-commit runs it: entry, then args."""
    block = re.search(r"```yaml\n(repos:.*?)```", _section("### pre-commit"), re.S)
    assert block is not None
    config = yaml.safe_load(block.group(1))
    (configured,) = config["repos"][0]["hooks"]
    assert configured["id"] == hook["id"]
    args = configured.get("args", hook.get("args", []))
    command = shlex.split(str(hook["entry"])) + list(args)
    assert command[:2] == ["csec-ld", "validate"]
    result = runner.invoke(main, command[1:])  # the README's args: data/, which passes
    assert result.exit_code == 0, result.output
    # and a broken catalogue: a few lines, not one per warning and info
    assert "data" in args
    result = runner.invoke(main, ["examples/broken" if a == "data" else a for a in command[1:]])
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert len(lines) <= 4, lines
    assert lines[-1].endswith("(2 hidden by --show violation)")
