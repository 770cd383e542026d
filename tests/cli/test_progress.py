"""Progress bars: on stderr when it is a terminal, never with ``-q`` or off a terminal;
every long command advances its bar by the records it has done."""

from __future__ import annotations

import contextlib
import importlib
import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from csec_ld.cli import app as cli
from csec_ld.cli import main
from csec_ld.cli.app import progress, step_progress
from tests.conftest import ROOT

DATA = str(ROOT / "data")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _every_update_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bars that redraw on every update (tqdm waits 0.1 s between draws)."""
    real = cli._bar

    def eager(label: str, quiet: bool, unit: str) -> object:
        bar = real(label, quiet, unit)
        bar.mininterval = 0
        bar.miniters = 0
        return bar

    monkeypatch.setattr(cli, "_bar", eager)


def test_bar_shows_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    err = _Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    with progress("validate", quiet=False) as advance:
        advance(5)
        advance(7)
    assert "validate" in err.getvalue()
    assert "12 records" in err.getvalue()


@pytest.mark.parametrize("terminal, quiet", [(True, True), (False, False), (False, True)])
def test_bar_is_silent_with_quiet_or_off_a_terminal(
    monkeypatch: pytest.MonkeyPatch, terminal: bool, quiet: bool
) -> None:
    err = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    with progress("build", quiet=quiet) as advance:
        advance(3)
    with step_progress(quiet=quiet) as step:
        step("validate", 3)
        step("write", 3)
    assert err.getvalue() == ""


def test_one_bar_per_step(monkeypatch: pytest.MonkeyPatch) -> None:
    err = _Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    with step_progress(quiet=False) as step:
        step("validate", 4)
        step("validate", 6)
        step("write", 2)
    text = err.getvalue()
    assert "validate" in text and "10 records" in text
    assert "write" in text and "2 records" in text


# --------------------------------------------------------------------------- commands


def _recorder(calls: dict[str, int], quiet_seen: list[bool]) -> tuple[object, object]:
    @contextlib.contextmanager
    def fake_progress(label: str, quiet: bool, unit: str = "records") -> Iterator[object]:
        quiet_seen.append(quiet)
        calls.setdefault(label, 0)

        def advance(n: int) -> None:
            calls[label] += n

        yield advance

    @contextlib.contextmanager
    def fake_steps(quiet: bool, unit: str = "records") -> Iterator[object]:
        quiet_seen.append(quiet)

        def advance(step: str, n: int) -> None:
            calls[step] = calls.get(step, 0) + n

        yield advance

    return fake_progress, fake_steps


@pytest.mark.parametrize(
    "module, args, expected",
    [
        ("csec_ld.cli.build", ["build", DATA, "-o", "{tmp}/dist"], {"build": 10}),
        ("csec_ld.cli.validate", ["validate", DATA], {"validate": 10}),
        ("csec_ld.cli.query", ["load", "--store", "{tmp}/store", DATA], {"load": 10}),
        (
            "csec_ld.cli.publish",
            ["publish", DATA, "-o", "{tmp}/site"],
            {"write": 10},
        ),  # one pass: validated, mapped and written together
    ],
)
@pytest.mark.parametrize("quiet", [False, True])
def test_long_commands_advance_their_bars(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    module: str,
    args: list[str],
    expected: dict[str, int],
    quiet: bool,
) -> None:
    calls: dict[str, int] = {}
    quiet_seen: list[bool] = []
    fake_progress, fake_steps = _recorder(calls, quiet_seen)
    mod = importlib.import_module(module)
    if hasattr(mod, "progress"):
        monkeypatch.setattr(mod, "progress", fake_progress)
    if hasattr(mod, "step_progress"):
        monkeypatch.setattr(mod, "step_progress", fake_steps)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args] + (["-q"] if quiet else [])
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 0, result.output
    assert calls == expected
    assert quiet_seen and all(q is quiet for q in quiet_seen)
