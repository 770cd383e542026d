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

#: Kinds of injected errors, each one a rule the validator must catch.
ERRORS = [
    "bad-date",
    "unknown-type",
    "unknown-country",
    "unknown-subject",
    "future-date",
    "duplicate-id",
    "bad-isbn",
    "empty-title",
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


def generate(n: int, out: Path, *, seed: int = 42, error_rate: float = 0.0) -> Path:
    """Write a catalogue of *n* records into *out*; return the records file."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "data" / "catalog.yaml", out / "catalog.yaml")
    shutil.copy(ROOT / "data" / "agents.yaml", out / "agents.yaml")
    path = out / "records.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            rec = record(i, rng)
            if i and rng.random() < error_rate:
                inject(rec, ERRORS[i % len(ERRORS)])
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return path


if __name__ == "__main__":
    generate(
        int(sys.argv[1]),
        Path(sys.argv[2]),
        error_rate=float(sys.argv[3]) if len(sys.argv) > 3 else 0.0,
    )
