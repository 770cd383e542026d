"""A release is one version in three places: the package, the changelog's section, and the
``rev:`` the README's pre-commit set-up tells users to pin. (The git tag ``v{version}``
is made at release time, see CONTRIBUTING.md: CI's clone carries no tags.)"""

from __future__ import annotations

import re
from pathlib import Path

from csec_ld import __version__

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_pins_the_current_release() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.findall(r"^\s+rev: (\S+)$", readme, flags=re.M) == [f"v{__version__}"]


def test_the_changelog_has_a_section_for_the_release() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    heads = re.findall(r"^## \[([^\]]+)\]", changelog, flags=re.M)
    assert heads[0] == "Unreleased" and heads[1] == __version__
    assert re.search(
        rf"^## \[{re.escape(__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", changelog, flags=re.M
    )
