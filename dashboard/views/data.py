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

st.subheader("Loaded tables")
st.dataframe(
    tables,
    hide_index=True,
    column_config={
        "table_name": "Table",
        "row_count": st.column_config.NumberColumn("Rows", format="localized"),
        "first_day": st.column_config.DateColumn("First day"),
        "last_day": st.column_config.DateColumn("Last day"),
    },
)

left, right = st.columns(2)
with left:
    st.subheader("Ingests")
    if ingests.empty:
        st.caption("No export has been loaded into this database yet.")
    else:
        st.dataframe(ingests, hide_index=True)
with right:
    st.subheader("Scoring runs")
    if runs.empty:
        st.caption("No scoring run yet: `python -m analytics score`.")
    else:
        st.dataframe(runs, hide_index=True)
