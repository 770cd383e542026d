"""`import-listing`: the seed's format (numbered titles, dates, descriptions) to record files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from csec_ld.cli import main
from csec_ld.errors import DataError
from csec_ld.listing import ListingEntry, parse_listing, slugify
from csec_ld.sources import load_records
from tests.conftest import DATA

VERBATIM = ("title", "issued", "description")


def read_yaml(path: Path) -> dict[str, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return {k: str(v) for k, v in data.items()}


def test_seed_listing_gives_the_ten_records(
    seed_listing: Path, runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "records"
    result = runner.invoke(main, ["import-listing", str(seed_listing), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "10 records written" in result.stderr
    written = sorted(p.name for p in out.iterdir())
    expected = sorted(p.name for p in (DATA / "records").glob("*.yaml"))
    assert written == expected
    assert sorted(Path(line).name for line in result.stdout.splitlines()) == expected
    for name in expected:
        got, want = read_yaml(out / name), read_yaml(DATA / "records" / name)
        for field in VERBATIM:
            assert got.get(field) == want.get(field), (name, field)
        # The type recognised from the title is the one the curated record has.
        assert got["type"] == want["type"], name
    # The imported files are records the loaders accept.
    records = load_records([out], catalog_file=DATA / "catalog.yaml")
    assert len(records) == 10


def test_numbering_restarts_and_a_title_wraps() -> None:
    text = (
        "A heading\n"
        "\n"
        "  1. First title\n"
        "\n"
        "    14 June 2016\n"
        "\n"
        "  1. A title that is long enough\n"
        "     to wrap on a second line\n"
        "    01 December 2011\n"
        "\n"
        "    A description\n"
        "    in two lines.\n"
        "\n"
        "  2. Third\n"
        "    1 May 2010\n"
    )
    assert parse_listing(text) == [
        ListingEntry("First title", "2016-06-14", None, 3),
        ListingEntry(
            "A title that is long enough to wrap on a second line",
            "2011-12-01",
            "A description in two lines.",
            7,
        ),
        ListingEntry("Third", "2010-05-01", None, 14),
    ]


def test_an_entry_without_a_date_is_an_error() -> None:
    text = (
        "1. Dated\n"
        "14 June 2016\n"
        "\n"
        "2. Not dated\n"
        "\n"
        "Some words.\n"
        "\n"
        "3. Also not dated\n"
        "31 June 2010\n"  # not a day of June: not a date line
        "4. Dated again\n"
        "1 May 2010\n"
    )
    with pytest.raises(DataError) as info:
        parse_listing(text, "listing.txt")
    errors = info.value.errors
    assert [(e.path, e.line, e.field) for e in errors] == [
        ("listing.txt", 4, "issued"),
        ("listing.txt", 8, "issued"),
    ]
    assert all("no date line" in e.message for e in errors)


def test_an_undated_entry_through_the_cli(runner: CliRunner, tmp_path: Path) -> None:
    listing = tmp_path / "listing.txt"
    listing.write_text("1. Dated\n14 June 2016\n\n2. Not dated\n")
    out = tmp_path / "out"
    result = runner.invoke(main, ["import-listing", str(listing), "-o", str(out)])
    assert result.exit_code == 1
    assert f"error: {listing}:4: issued: no date line" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    ("text", "needle"),
    [("", "the file is empty"), ("Only a heading\n\nand words\n", "no entries found")],
)
def test_a_listing_without_entries(
    text: str, needle: str, runner: CliRunner, tmp_path: Path
) -> None:
    listing = tmp_path / "listing.txt"
    listing.write_text(text)
    result = runner.invoke(main, ["import-listing", str(listing), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert needle in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_listing_that_does_not_exist(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["import-listing", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2
    assert "nope.txt" in result.stderr


def test_refuses_to_overwrite_without_the_flag(runner: CliRunner, tmp_path: Path) -> None:
    listing = tmp_path / "listing.txt"
    listing.write_text("1. Tracer Study - PARAGUAY\n16 July 2012\n\n2. Other\n1 May 2010\n")
    out = tmp_path / "out"
    first = runner.invoke(main, ["import-listing", str(listing), "-o", str(out)])
    assert first.exit_code == 0, first.output
    target = out / "tracer-study-paraguay-2012.yaml"
    target.write_text("edited by hand\n")
    (out / "other-2010.yaml").unlink()

    second = runner.invoke(main, ["import-listing", str(listing), "-o", str(out)])
    assert second.exit_code == 1
    assert "tracer-study-paraguay-2012.yaml" in second.stderr
    assert "--overwrite" in second.stderr
    assert target.read_text() == "edited by hand\n"
    assert not (out / "other-2010.yaml").exists(), "nothing is written when one file exists"

    third = runner.invoke(main, ["import-listing", str(listing), "-o", str(out), "--overwrite"])
    assert third.exit_code == 0, third.output
    assert read_yaml(target)["title"] == "Tracer Study - PARAGUAY"
    assert (out / "other-2010.yaml").exists()


def test_slugify() -> None:
    assert slugify("Tracer Study - PARAGUAY", "2012") == "tracer-study-paraguay-2012"
    assert slugify("2009 Pilot Survey on Children and Youth (SCY) - Final Report", "2010") == (
        "2009-pilot-survey-children-youth-scy-2010"
    )
    assert slugify("Côte d'Ivoire: the report", "2010") == "cote-d-ivoire-report-2010"


def test_entries_with_the_same_slug_get_numbered(runner: CliRunner, tmp_path: Path) -> None:
    listing = tmp_path / "listing.txt"
    listing.write_text("1. Annual report\n1 May 2010\n2. Annual report\n2 May 2010\n")
    out = tmp_path / "out"
    result = runner.invoke(main, ["import-listing", str(listing), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "annual-report-2010-2.yaml",
        "annual-report-2010.yaml",
    ]
    assert read_yaml(out / "annual-report-2010-2.yaml")["issued"] == "2010-05-02"


# ------------------------------------------------------------------ countries, --update, folder


def test_countries_named_in_titles_and_descriptions(
    seed_listing: Path, runner: CliRunner, tmp_path: Path
) -> None:
    """Each imported record names the countries its curated record has (from data/)."""
    out = tmp_path / "records"
    result = runner.invoke(main, ["import-listing", str(seed_listing), "-o", str(out)])
    assert result.exit_code == 0, result.output
    named = 0
    for curated in sorted((DATA / "records").glob("*.yaml")):
        want = yaml.safe_load(curated.read_text(encoding="utf-8")).get("countries")
        got = yaml.safe_load((out / curated.name).read_text(encoding="utf-8")).get("countries")
        assert got == want, curated.name
        named += bool(want)
    assert named >= 8  # the seed names a country for most of its publications


def test_a_title_naming_a_country_wins_over_the_description() -> None:
    from csec_ld.listing import guess_countries

    entry = ListingEntry("Tracer Study - PARAGUAY", "2012-07-16", "Unlike Brazil and Peru.", 1)
    assert guess_countries(entry) == ["PRY"]
    entry = ListingEntry("A survey", "2012-07-16", "Children in Côte d'Ivoire and Ghana.", 1)
    assert guess_countries(entry) == ["CIV", "GHA"]
    assert guess_countries(ListingEntry("Nigeria, not Niger", "2012-01-01", None, 1)) == [
        "NGA",
        "NER",
    ]
    assert guess_countries(ListingEntry("Guidelines", "2016-06-14", None, 1)) == []


GROWN = (
    "1. Tracer Study - PARAGUAY\n16 July 2012\n\n"
    "2. Annual report\n1 May 2010\n\n"
    "3. A new survey in Mongolia\n2 March 2020\n\nAbout Mongolia.\n"
)


def test_update_adds_the_new_entries_only(runner: CliRunner, tmp_path: Path) -> None:
    listing, out = tmp_path / "listing.txt", tmp_path / "records"
    listing.write_text(GROWN.split("3. ")[0], encoding="utf-8")
    first = runner.invoke(main, ["import-listing", str(listing), "-o", str(out)])
    assert first.exit_code == 0, first.output
    curated = out / "tracer-study-paraguay-2012.yaml"
    curated.write_text(curated.read_text(encoding="utf-8") + "subjects: [impact-evaluation]\n")
    # A curator renamed the other file (and its id): it is still that entry.
    (out / "annual-report-2010.yaml").rename(out / "ilo-annual-report-2010.yaml")
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    listing.write_text(GROWN, encoding="utf-8")  # the listing grew
    plain = runner.invoke(main, ["import-listing", str(listing), "-o", str(out)])
    assert plain.exit_code == 1 and "--overwrite" in plain.stderr  # as before, without --update
    result = runner.invoke(main, ["import-listing", str(listing), "-o", str(out), "--update"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [str(out / "new-survey-mongolia-2020.yaml")]
    assert "1 new records written" in result.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.name in before} == before
    new = read_yaml(out / "new-survey-mongolia-2020.yaml")
    assert (new["issued"], new["countries"]) == ("2020-03-02", "['MNG']")

    again = runner.invoke(main, ["import-listing", str(listing), "-o", str(out), "--update"])
    assert again.exit_code == 0, again.output
    assert again.stdout == "" and "0 new records written" in again.stderr


def test_update_and_overwrite_do_not_go_together(runner: CliRunner, tmp_path: Path) -> None:
    listing = tmp_path / "listing.txt"
    listing.write_text(GROWN, encoding="utf-8")
    out = tmp_path / "records"
    result = runner.invoke(
        main, ["import-listing", str(listing), "-o", str(out), "--update", "--overwrite"]
    )
    assert result.exit_code == 2 and "--update" in result.stderr, result.output
    assert not out.exists()


def _catalogue(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name in ("catalog.yaml", "agents.yaml"):
        (folder / name).write_bytes((DATA / name).read_bytes())
    return folder / "catalog.yaml"


@pytest.mark.parametrize(
    ("catalogue", "cwd"),
    [("w/data", "w"), ("w", "w"), ("w", "w/b/c")],
    ids=["data-here", "here", "two-up"],
)
def test_writes_into_the_catalogues_records_folder(
    catalogue: str,
    cwd: str,
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Found as every command finds catalog.yaml: in data/, here or the two folders above."""
    catalog = _catalogue(tmp_path / catalogue)
    (tmp_path / cwd).mkdir(parents=True, exist_ok=True)
    listing = tmp_path / "listing.txt"
    listing.write_text(GROWN, encoding="utf-8")
    monkeypatch.chdir(tmp_path / cwd)
    result = runner.invoke(main, ["import-listing", str(listing)])
    assert result.exit_code == 0, result.output
    assert len(list((catalog.parent / "records").iterdir())) == 3
    assert len(load_records([catalog.parent / "records"], catalog=catalog)) == 3


def test_catalog_option_names_the_folder(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = _catalogue(tmp_path / "elsewhere")
    _catalogue(tmp_path / "here" / "data")  # not this one: --catalog wins
    listing = tmp_path / "listing.txt"
    listing.write_text(GROWN, encoding="utf-8")
    monkeypatch.chdir(tmp_path / "here")
    result = runner.invoke(main, ["import-listing", str(listing), "--catalog", str(catalog)])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "elsewhere" / "records").iterdir())) == 3
    assert not (tmp_path / "here" / "data" / "records").exists()


def test_never_a_stray_data_folder(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "data").mkdir()  # a data/ folder, but no catalogue anywhere
    listing = tmp_path / "listing.txt"
    listing.write_text(GROWN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["import-listing", str(listing)])
    assert result.exit_code == 2, result.output
    assert "no catalog.yaml found" in result.stderr and "--catalog" in result.stderr
    assert list((tmp_path / "data").iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "listing.txt"]
