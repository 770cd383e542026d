"""A seeded synthetic catalogue: realistic field sizes, optional injected errors.

``python benchmarks/synth.py 100000 /tmp/cat`` writes ``/tmp/cat/records.jsonl`` plus the
bundled ``catalog.yaml`` and ``agents.yaml``, so the folder is a complete catalogue.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TYPES = [
    "report",
    "survey-report",
    "rapid-assessment",
    "tracer-study",
    "analytical-report",
    "guidelines",
    "code-of-conduct",
    "awareness-raising-material",
    "training-material",
    "policy-brief",
]
TOPICS = [
    "child-labour",
    "worst-forms-of-child-labour",
    "commercial-sexual-exploitation-of-children",
    "sexual-exploitation-of-children-in-travel-and-tourism",
    "child-trafficking",
    "hazardous-work",
    "child-domestic-work",
    "children-working-on-the-streets",
    "sexual-exploitation-of-children",
    "sexual-abuse-of-children",
    "legal-protection-of-child-victims",
    "awareness-raising",
    "education",
    "terminology",
    "impact-evaluation",
    "child-labour-statistics",
]
COUNTRIES = [
    "PHL",
    "PRY",
    "PNG",
    "FJI",
    "MNG",
    "CRI",
    "KH",
    "TH",
    "BR",
    "IN",
    "KEN",
    "NGA",
    "MEX",
    "COL",
    "VNM",
    "IDN",
    "LKA",
    "NPL",
    "BGD",
    "GHA",
]
AGENTS = ["ilo", "ecpat-international", "nso-philippines", "ecpat-luxembourg"]
PROJECTS = ["ipec", "tackle", "scream"]
WORDS = [
    "child",
    "labour",
    "survey",
    "report",
    "exploitation",
    "protection",
    "children",
    "sexual",
    "commercial",
    "assessment",
    "rapid",
    "national",
    "study",
    "analysis",
    "policy",
    "guidelines",
    "tourism",
    "trafficking",
    "street",
    "domestic",
    "work",
    "victims",
    "legal",
    "framework",
    "education",
    "awareness",
]

#: Kinds of injected errors, each one a rule the validator must catch: the record
#: loader's (bad-date ... empty-title) and the shapes' (future-date onwards: records
#: that load but break a SHACL rule, or earn a warning or an info).
ERRORS = [
    "bad-date",
    "unknown-type",
    "unknown-country",
    "unknown-subject",
    "future-date",
    "duplicate-id",
    "bad-isbn",
    "empty-title",
    "future-modified",
    "markup-title",
    "only-markup-title",
    "reused-identifier",
    "probable-duplicate",
    "no-description",
    "huge-description",
    "sparse",
]

#: Mutations of a record's triples (RDF input: harvested data), each breaking a rule
#: the record loader cannot let through; see :func:`mutate_rdf`.
RDF_ERRORS = [
    "name-differs",
    "date-published-differs",
    "date-published-datatype",
    "issued-twice",
    "issued-ill-typed",
    "issued-normalised",
    "issued-ill-formed",
    "type-literal",
    "type-unknown",
    "additional-type-differs",
    "title-plain",
    "title-two-english",
    "description-plain",
    "about-differs",
    "spatial-differs",
    "country-unknown",
    "language-unknown",
    "in-language-iri",
    "publisher-literal",
    "identifier-iri",
    "identifier-malformed",
    "isbn-check-digit",
    "url-not-http",
    "schema-isbn-malformed",
    "license-twice",
    "license-literal",
    "modified-ill-formed",
    "date-modified-differs",
    "record-id",
    "is-part-of-missing",
    "title-missing",
]


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize()


def record(i: int, rng: random.Random) -> dict:
    year = rng.randint(1995, 2024)
    rec: dict = {
        "id": f"resource-{i:07d}",
        "title": _sentence(rng, rng.randint(6, 16)),
        "issued": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "type": rng.choice(TYPES),
        "description": _sentence(rng, rng.randint(30, 70)) + ".",
        "countries": rng.sample(COUNTRIES, rng.randint(1, 2)),
        "subjects": rng.sample(TOPICS, rng.randint(1, 3)),
        "publishers": [rng.choice(AGENTS)],
        "languages": ["en"],
    }
    if rng.random() < 0.3:
        rec["is_part_of"] = [rng.choice(PROJECTS)]
    if rng.random() < 0.5:
        rec["identifiers"] = [f"https://example.org/resources/{i}.pdf"]
    return rec


def inject(rec: dict, kind: str) -> None:
    if kind == "bad-date":
        rec["issued"] = "2010-13-01"
    elif kind == "unknown-type":
        rec["type"] = "pamphlet"
    elif kind == "unknown-country":
        rec["countries"] = ["XQ"]
    elif kind == "unknown-subject":
        rec["subjects"] = ["no-such-topic"]
    elif kind == "future-date":
        rec["issued"] = "2999-01-01"
    elif kind == "duplicate-id":
        rec["id"] = "resource-0000000"
    elif kind == "bad-isbn":
        rec["identifiers"] = ["isbn:978-0-00-000000-1"]
    elif kind == "empty-title":
        rec["title"] = "   "
    elif kind == "future-modified":
        rec["modified"] = "2999-05"
    elif kind == "markup-title":
        rec["title"] = f"<b>{rec['title']}</b>"
    elif kind == "only-markup-title":
        rec["title"] = "<p><b></b></p>"
    elif kind == "reused-identifier":
        rec["identifiers"] = ["https://example.org/resources/reused.pdf"]
    elif kind == "probable-duplicate":
        rec["title"], rec["issued"] = "Child labour in the Pacific", "2010"
    elif kind == "no-description":
        del rec["description"]
    elif kind == "huge-description":
        rec["description"] = "word " * 2500
    elif kind == "sparse":
        for key in ("countries", "subjects", "publishers", "languages", "identifiers"):
            rec.pop(key, None)


def generate(
    n: int, out: Path, *, seed: int = 42, error_rate: float = 0.0, kinds: list[str] | None = None
) -> Path:
    """Write a catalogue of *n* records into *out*; return the records file.

    About *error_rate* of the records get an injected error, of the *kinds* (default:
    every kind of :data:`ERRORS`) in turn.
    """
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "data" / "catalog.yaml", out / "catalog.yaml")
    shutil.copy(ROOT / "data" / "agents.yaml", out / "agents.yaml")
    path = out / "records.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            rec = record(i, rng)
            if i and rng.random() < error_rate:
                chosen = kinds or ERRORS
                inject(rec, chosen[i % len(chosen)])
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path


def mutate_rdf(nt: bytes, *, seed: int = 42, rate: float = 0.2) -> bytes:
    """N-Triples of a built catalogue with about *rate* of its records mutated, each by a
    kind of :data:`RDF_ERRORS` in turn (harvested data breaking the shapes)."""
    rng = random.Random(seed)
    dct, sdo = "<http://purl.org/dc/terms/", "<http://schema.org/"
    xsd = "http://www.w3.org/2001/XMLSchema#"
    lines = nt.decode("utf-8").splitlines()
    records: dict[str, list[str]] = {}
    rest: list[str] = []
    for line in lines:
        subject = line.split(" ", 1)[0]
        if "/resource/" in subject:
            records.setdefault(subject, []).append(line)
        else:
            rest.append(line)
    out: list[str] = []
    for n, (subject, block) in enumerate(sorted(records.items())):
        if rng.random() < rate:
            block = _mutate(subject, block, RDF_ERRORS[n % len(RDF_ERRORS)], dct, sdo, xsd)
        out.extend(block)
    return ("\n".join(out + rest) + "\n").encode("utf-8")


def _mutate(subject: str, block: list[str], kind: str, dct: str, sdo: str, xsd: str) -> list[str]:
    def swap(pred: str, new_object: str) -> list[str]:
        return [f"{subject} {pred} {new_object} ." if f" {pred} " in t else t for t in block]

    def drop(pred: str) -> list[str]:
        return [t for t in block if f" {pred} " not in t]

    def add(pred: str, obj: str) -> list[str]:
        return [*block, f"{subject} {pred} {obj} ."]

    if kind == "name-differs":
        return swap(sdo + "name>", '"Another name"@en')
    if kind == "date-published-differs":
        return swap(sdo + "datePublished>", f'"1901"^^<{sdo[1:]}Date>')
    if kind == "date-published-datatype":
        return swap(sdo + "datePublished>", f'"2001"^^<{xsd}gYear>')
    if kind == "issued-twice":
        return add(dct + "issued>", f'"1999"^^<{xsd}gYear>')
    if kind == "issued-ill-typed":
        return swap(dct + "issued>", f'"2010-02-30"^^<{xsd}date>')
    if kind == "issued-normalised":  # rdflib normalises this lexical form to 2010-07-16
        return swap(dct + "issued>", f'"2010-07-16Z"^^<{xsd}date>')
    if kind == "issued-ill-formed":
        return swap(dct + "issued>", f'"2010-7"^^<{xsd}gYearMonth>')
    if kind == "type-literal":
        return swap(dct + "type>", '"report"')
    if kind == "type-unknown":
        return swap(dct + "type>", "<https://w3id.org/csec-ld/type/pamphlet>")
    if kind == "additional-type-differs":
        return swap(sdo + "additionalType>", "<https://w3id.org/csec-ld/type/report-x>")
    if kind == "title-plain":
        return swap(dct + "title>", '"A plain title"')
    if kind == "title-two-english":
        return add(dct + "title>", '"A second English title"@EN')
    if kind == "description-plain":
        return swap(dct + "description>", '"Plain"')
    if kind == "about-differs":
        return add(sdo + "about>", "<https://w3id.org/csec-ld/topic/education-x>")
    if kind == "spatial-differs":
        return drop(sdo + "spatialCoverage>")
    if kind == "country-unknown":
        return add(
            dct + "spatial>", "<http://publications.europa.eu/resource/authority/country/XQX>"
        )
    if kind == "language-unknown":
        return add(
            dct + "language>", "<http://publications.europa.eu/resource/authority/language/QQQ>"
        )
    if kind == "in-language-iri":
        return swap(sdo + "inLanguage>", "<http://example.org/en>")
    if kind == "publisher-literal":
        return swap(dct + "publisher>", '"ILO"')
    if kind == "identifier-iri":
        return add(dct + "identifier>", "<https://example.org/x>")
    if kind == "identifier-malformed":
        return add(dct + "identifier>", '"doi 10.1/x"')
    if kind == "isbn-check-digit":
        return add(dct + "identifier>", '"urn:isbn:978-0-00-000000-1"')
    if kind == "url-not-http":
        return add(sdo + "url>", "<ftp://example.org/x>")
    if kind == "schema-isbn-malformed":
        return add(sdo + "isbn>", '"97800"')
    if kind == "license-twice":
        two = [f"{subject} {dct}license> <https://example.org/l{i}> ." for i in (1, 2)]
        return [*block, *two]
    if kind == "license-literal":
        return add(dct + "license>", '"CC-BY"')
    if kind == "modified-ill-formed":
        return add(dct + "modified>", f'"2011-1"^^<{xsd}gYearMonth>')
    if kind == "date-modified-differs":
        return add(sdo + "dateModified>", f'"2012"^^<{sdo[1:]}Date>')
    if kind == "record-id":
        bad = subject.replace("/resource/", "/resource/Bad_")
        return [t.replace(subject, bad, 1) for t in block]
    if kind == "is-part-of-missing":
        return drop(dct + "isPartOf>")
    if kind == "title-missing":
        return drop(dct + "title>")
    raise ValueError(f"unknown RDF error kind {kind!r}")


if __name__ == "__main__":
    generate(
        int(sys.argv[1]),
        Path(sys.argv[2]),
        error_rate=float(sys.argv[3]) if len(sys.argv) > 3 else 0.0,
    )
