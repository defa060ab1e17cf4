"""Validated, all-or-nothing loading of a marketplace export (the rules: docs/INPUT_CONTRACT.md).

``ingest(export_dir, db=None, progress=None) -> IngestSummary`` validates every file of the export
with DuckDB's own readers and set-based SQL, then merges it into the marketplace database by key;
``ExportRejected`` (a ``ValueError``) says what broke the contract, and nothing changes.

Modules: ``readers`` (files, headers, typed reads), ``convert`` (strict type conversions in SQL),
``validate`` (the rules), ``merge`` (merge by key), ``progress`` (bars or lines), ``pipeline`` (the
order of it all).
"""

from __future__ import annotations

import sys
from pathlib import Path

from analytics.ingest.errors import ExportRejected
from analytics.ingest.pipeline import IngestSummary, TableLoad, ingest

__all__ = ["ExportRejected", "IngestSummary", "TableLoad", "ingest", "ingest_command"]


def ingest_command(export_dir: Path | str, db: Path | str | None = None) -> None:
    """``python -m analytics ingest DIR``: progress on standard error, the summary on standard out."""
    summary = ingest(export_dir, db=db)
    print(summary.format(), file=sys.stdout)
