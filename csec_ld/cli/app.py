"""The command line's group, shared options and error handling.

Each command turns options into one library call and prints the result; every
:class:`~csec_ld.errors.CsecLdError` becomes a clean message on stderr and its
exit code (1 for data problems, 2 for usage problems). The commands are in the
modules beside this one, one per concern; they import what they share from here.
"""

from __future__ import annotations

import contextlib
import functools
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import click

from .. import __version__
from ..errors import CsecLdError, DataError

F = TypeVar("F", bound=Callable[..., Any])


def _fail(exc: CsecLdError) -> None:
    if isinstance(exc, DataError):
        for err in exc.errors:
            click.echo(f"error: {err}", err=True)
        n = len(exc.errors)
        click.echo(f"{n} problem{'s' if n != 1 else ''} found; nothing written.", err=True)
    else:
        click.echo(f"error: {exc}", err=True)
    sys.exit(exc.exit_code)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread: every cleanup that Ctrl-C runs runs for it too."""


#: Exit codes of an interrupted command: 128 + the signal's number, as shells report.
EXIT_INTERRUPTED = 130  # SIGINT (Ctrl-C)
EXIT_TERMINATED = 143  # SIGTERM


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    # A second SIGTERM, while the first one's cleanup runs, ends the process at once.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise Terminated


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` in the block (main thread only: elsewhere
    Python cannot install a handler), as Ctrl-C raises KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def reports_errors(fn: F) -> F:
    """Turn library errors into a message and an exit code, never a traceback.

    Ctrl-C and SIGTERM remove the temporary output and leave the previous one as it
    was: ``interrupted; nothing written.``, exit code 130 (Ctrl-C) or 143 (SIGTERM).
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with _sigterm_as_interrupt():
                return fn(*args, **kwargs)
        except CsecLdError as exc:
            _fail(exc)
        except KeyboardInterrupt as exc:
            click.echo("interrupted; nothing written.", err=True)
            sys.exit(EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED)

    return wrapper  # type: ignore[return-value]


def csv_list(ctx: click.Context, param: click.Parameter, value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


quiet_option = click.option(
    "-q", "--quiet", is_flag=True, help="No progress bars (they only show on a terminal anyway)."
)
workers_option = click.option(
    "-j",
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes for mapping and checking (default: one per core for large catalogues).",
)


def _bar(label: str, quiet: bool, unit: str) -> Any:
    from tqdm import tqdm

    return tqdm(
        desc=label,
        unit=f" {unit}",
        disable=quiet or not sys.stderr.isatty(),
        file=sys.stderr,
        leave=False,
        dynamic_ncols=True,
    )


@contextlib.contextmanager
def progress(label: str, quiet: bool, unit: str = "records") -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr when it is a terminal; yields an ``advance(n)`` callback."""
    with _bar(label, quiet, unit) as bar:
        yield bar.update


@contextlib.contextmanager
def step_progress(quiet: bool, unit: str = "records") -> Iterator[Callable[[str, int], None]]:
    """One bar per step of a command of several: yields ``advance(step, n)``."""
    bars: dict[str, Any] = {}
    try:

        def advance(step: str, n: int) -> None:
            bar = bars.get(step)
            if bar is None:
                for other in bars.values():
                    other.close()
                bar = bars[step] = _bar(step, quiet, unit)
            bar.update(n)

        yield advance
    finally:
        for bar in bars.values():
            bar.close()


sources_argument = click.argument("sources", nargs=-1, type=click.Path(path_type=Path))


def output_option(default: str, help: str) -> Callable[[F], F]:
    """``-o/--output FOLDER``: where a command writes, with its default shown."""
    return click.option(
        "-o",
        "--output",
        "out_dir",
        type=click.Path(path_type=Path),
        default=Path(default),
        show_default=True,
        help=help,
    )


base_option = click.option(
    "--base", metavar="IRI", help="Base IRI of the catalogue (default: from catalog.yaml)."
)
catalog_option = click.option(
    "--catalog",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="The catalogue's catalog.yaml; its registry: names agents.yaml, relative to it "
    "(default: the catalog.yaml next to SOURCES or in the two folders above them).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="csec-ld")
def main() -> None:
    """Publish a catalogue of resources on the commercial sexual exploitation of
    children as validated linked data (Dublin Core Terms + schema.org).

    Records live in data/ (YAML, CSV, JSON or JSON Lines); start with
    `csec-ld build` and look at dist/.
    """
