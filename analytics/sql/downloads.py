"""A result as a file to download: CSV for spreadsheets, Parquet to keep the types."""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def to_csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def to_parquet(frame: pd.DataFrame) -> bytes:
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError):
        # Columns of Python objects Arrow cannot type (e.g. mixed values): keep them as text.
        loose = frame.copy()
        for column in loose.columns[loose.dtypes == object]:
            loose[column] = loose[column].map(lambda v: None if v is None else str(v))
        table = pa.Table.from_pandas(loose, preserve_index=False)
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()
