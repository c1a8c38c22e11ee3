"""Progress of long commands (apply, export, backup, restore), drawn on stderr when it is a terminal.

Nothing is drawn when stderr is not a terminal, or when the caller says to be quiet: piped or redirected
output, and scripts reading ``--json``, see only the command's own output. The bars are transient: once the
work is done they are cleared and the command's summary takes their place. The code doing the work never
imports rich; it is handed the plain callables these context managers yield.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from .output import console


def _shown(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


def _ignore(*_: object) -> None:
    return None


@contextlib.contextmanager
def counting(label: str, *, quiet: bool = False) -> Iterator[Callable[[int, int], None]]:
    """A bar of ``done/total``; the callable yielded is told ``(done, total)`` as the work goes on."""
    if not _shown(quiet):
        yield _ignore
        return
    with Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console(True), transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


@contextlib.contextmanager
def working(label: str, *, quiet: bool = False) -> Iterator[Callable[[str], None]]:
    """A spinner, a pulsing bar and the time taken, for work that cannot be counted (one long request);
    the callable yielded changes the label as the work moves from one step to the next."""
    if not _shown(quiet):
        yield _ignore
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(),
                  TimeElapsedColumn(), console=console(True), transient=True) as bar:
        task = bar.add_task(label, total=None)
        yield lambda text: bar.update(task, description=text)
