"""What a long load tells the person waiting: a bar per table on a terminal, plain lines otherwise.

A reporter hears about each table (begin, phase, end) and about warnings. While DuckDB reads a file,
``follow`` polls the connection's own query progress from a second thread, so the bar moves with the
real read rather than a guess.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import duckdb

POLL_SECONDS = 0.1


class Reporter:
    """Says nothing (the base: library use without output)."""

    def __enter__(self) -> Reporter:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def warn(self, text: str) -> None:
        pass

    def begin(self, table: str, file: Path) -> None:
        pass

    def phase(self, table: str, text: str) -> None:
        pass

    def fraction(self, table: str, done: float) -> None:
        pass

    def end(self, table: str, summary: str, seconds: float) -> None:
        """A table is done; ``summary`` says what happened to its rows (``TableLoad.describe``)."""

    @contextlib.contextmanager
    def follow(self, con: duckdb.DuckDBPyConnection, table: str) -> Iterator[None]:
        """Report the progress of the query ``con`` runs inside the block."""
        yield


class Lines(Reporter):
    """One line per step, for logs and pipes."""

    def __init__(self, stream: IO[str] | None = None):
        self.stream = stream or sys.stderr

    def _say(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def warn(self, text: str) -> None:
        self._say(f"warning: {text}")

    def begin(self, table: str, file: Path) -> None:
        self._say(f"ingest: {table}: reading {file}")

    def end(self, table: str, summary: str, seconds: float) -> None:
        self._say(f"ingest: {table}: {summary} in {seconds:.1f} s")


class Bars(Reporter):
    """A rich progress bar per table, on standard error."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

        self.console = Console(stderr=True)
        self.bars = Progress(TextColumn("{task.description:<16}"), BarColumn(), TaskProgressColumn(),
                             TimeElapsedColumn(), TextColumn("{task.fields[status]}"),
                             console=self.console)
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> Bars:
        self.bars.start()
        return self

    def __exit__(self, *exc) -> None:
        self.bars.stop()

    def warn(self, text: str) -> None:
        self.console.print(f"[yellow]warning:[/] {text}", highlight=False, markup=True)

    def begin(self, table: str, file: Path) -> None:
        self.tasks[table] = self.bars.add_task(table, total=100, status=f"reading {file.name}")

    def phase(self, table: str, text: str) -> None:
        self.bars.update(self.tasks[table], status=text)

    def fraction(self, table: str, done: float) -> None:
        self.bars.update(self.tasks[table], completed=100 * done)

    def end(self, table: str, summary: str, seconds: float) -> None:
        self.bars.update(self.tasks[table], completed=100, status=summary)
        self.bars.stop_task(self.tasks[table])

    @contextlib.contextmanager
    def follow(self, con: duckdb.DuckDBPyConnection, table: str) -> Iterator[None]:
        stop = threading.Event()

        def poll() -> None:
            while not stop.wait(POLL_SECONDS):
                with contextlib.suppress(duckdb.Error):
                    percent = con.query_progress()
                    if percent >= 0:
                        self.fraction(table, min(percent, 100.0) / 100)

        watcher = threading.Thread(target=poll, name=f"ingest-progress-{table}", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            stop.set()
            watcher.join()
        self.fraction(table, 1.0)


def reporter(progress: Reporter | bool | None) -> Reporter:
    """``None`` or ``True``: bars on a terminal, plain lines on standard error otherwise;
    ``False``: silent; a ``Reporter``: itself."""
    if isinstance(progress, Reporter):
        return progress
    if progress is False:
        return Reporter()
    return Bars() if sys.stderr.isatty() else Lines()
