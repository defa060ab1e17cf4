"""The loader's one refusal: a broken export, told in one line a person can act on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

MAX_EXAMPLES = 5  # offending rows quoted in a refusal


class ExportRejected(ValueError):
    """An export breaks the contract; nothing was loaded.

    The message names the file, the column(s), the problem, how many rows are affected and the first
    few of them (line numbers for CSV, where the header is line 1; row numbers for Parquet), e.g.
    ``export/product_daily.csv: column units_sold: not a whole number: 2 rows (line 3: '3.5'; line 9: 'x')``.
    """

    def __init__(self, file: Path | str, problem: str, *, columns: Sequence[str] = (),
                 count: int | None = None, examples: Sequence[tuple[int, tuple]] = (),
                 unit: str = "row"):
        self.file = Path(file)
        self.columns = tuple(columns)
        self.problem = problem
        self.count = count
        self.examples = tuple(examples)  # (line or row number, values of `columns`)
        super().__init__(_message(self.file, problem, self.columns, count, self.examples, unit))


def _message(file: Path, problem: str, columns: tuple[str, ...], count: int | None,
             examples: tuple[tuple[int, tuple], ...], unit: str) -> str:
    parts = [str(file)]
    if columns:
        parts.append(("column " if len(columns) == 1 else "columns ") + ", ".join(columns))
    parts.append(problem)
    text = ": ".join(parts)
    if count is not None:
        shown = "; ".join(f"{unit} {number}: {', '.join(show_value(v) for v in values)}"
                          for number, values in examples)
        lead = "first: " if count > len(examples) else ""
        text += f": {count:,} row{'s' if count != 1 else ''}"
        if shown:
            text += f" ({lead}{shown})"
    return text


def show_value(value: object) -> str:
    """A value as it should appear in a message: strings quoted, missing values as `empty`."""
    if value is None:
        return "empty"
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
