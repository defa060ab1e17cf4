"""Build small hand-made marketplaces straight into a database, for tests of signals and pages.

Frames carry the contract's columns; missing optional columns are filled with nulls. This bypasses
the export reader on purpose: signal tests state the behaviour, not the file format.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analytics import schema, store


def build_db(path: Path | str, **frames: pd.DataFrame) -> Path:
    """Write ``frames`` (keyword = table name) into a fresh marketplace database at ``path``."""
    path = Path(path)
    with store.rebuild(path) as con:
        for name, frame in frames.items():
            table = schema.INPUT_BY_NAME[name]
            frame = frame.copy()
            for column in table.column_names:
                if column not in frame.columns:
                    frame[column] = None
            con.register("incoming", frame[table.column_names])
            cols = ", ".join(f'"{c}"' for c in table.column_names)
            con.execute(f"insert into {name} ({cols}) select {cols} from incoming")
            con.unregister("incoming")
    return path
