"""Data: what is loaded (tables, rows, date ranges), the last ingests and scoring runs."""

from __future__ import annotations

import streamlit as st

from analytics import inventory
from dashboard import state

db = state.require_database()


@st.cache_data(show_spinner=False)
def _inventory(version: str):
    with db.cursor() as con:
        return inventory.table_inventory(con), inventory.ingest_history(con), inventory.score_runs(con)


tables, ingests, runs = _inventory(state.db_version())

st.title("Data")
st.caption(f"Marketplace database: `{db.path}`")

if tables["row_count"].sum() == 0:
    st.info(
        "The database exists but holds no marketplace yet. Load an export folder with "
        "`python -m analytics ingest DIR` (see the README for the format)."
    )

ROWS = st.column_config.NumberColumn("Rows", format="localized")
st.subheader("Loaded tables")
st.dataframe(
    inventory.friendly_tables(tables),
    hide_index=True,
    placeholder="",
    column_config={
        "table": st.column_config.TextColumn("Table", width="medium"),
        "rows": ROWS,
        "first_day": st.column_config.DateColumn("First day", format="YYYY-MM-DD"),
        "last_day": st.column_config.DateColumn("Last day", format="YYYY-MM-DD"),
    },
)

# One under the other, full width: side by side, their columns were cut off.
st.subheader("Ingests")
if ingests.empty:
    st.caption("No export has been loaded into this database yet.")
else:
    st.dataframe(inventory.friendly_ingests(ingests), hide_index=True, placeholder="", column_config={
        "ingested_at": st.column_config.DatetimeColumn("Loaded (UTC)", format="YYYY-MM-DD HH:mm"),
        "source": st.column_config.TextColumn("From folder", width="large"),
        "rows_in_files": st.column_config.NumberColumn("Rows in the files", format="localized"),
        "rows_inserted": st.column_config.NumberColumn("Rows added", format="localized"),
        "rows_updated": st.column_config.NumberColumn("Rows updated", format="localized"),
        "seconds": st.column_config.NumberColumn("Took (s)", format="%.1f"),
    })

st.subheader("Scoring runs")
if runs.empty:
    st.caption("No scoring run yet: `python -m analytics score`.")
else:
    st.dataframe(inventory.friendly_runs(runs), hide_index=True, placeholder="", column_config={
        "as_of": st.column_config.DateColumn("Scored as of", format="YYYY-MM-DD",
                                             help="The run used the data up to the end of this day."),
        "sellers_scored": st.column_config.NumberColumn("Sellers scored", format="localized"),
        "sellers_flagged": st.column_config.NumberColumn("Flagged", format="localized"),
        "started_at": st.column_config.DatetimeColumn("Run at (UTC)", format="YYYY-MM-DD HH:mm"),
        "seconds": st.column_config.NumberColumn("Took (s)", format="%.1f"),
        "engine_version": st.column_config.TextColumn("Engine version"),
    })
