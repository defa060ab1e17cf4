"""SQL: the analysts' own read-only SQL over the marketplace (engine: ``analytics.sql``).

Links: ``/sql?q=<saved query id>`` reopens a saved query, ``/sql?sql=<text>`` any SQL; both run it.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import plotly.express as px
import streamlit as st

from analytics import audit
from analytics import sql as engine
from analytics.sql import downloads, errors, examples, saved_queries, schema_browser, settings
from dashboard import auth_gate, state

EDITOR = "sql_editor"        # the editor's text (session state key of the text area)
RESULT = "sql_result"        # the last QueryResult, or the QueryRejected it raised
HISTORY = "sql_history"      # this session's runs, newest first
LINK = "sql_applied_link"    # the URL parameters already loaded into the editor
PENDING = "sql_run_pending"  # set by buttons that load a query and want it run
MAX_ROWS = settings.MAX_RETURNED_ROWS.default
TIME_LIMIT_S = settings.SQL_TIME_LIMIT_S.default
STARTER = "show tables"

db = state.require_database()
signed_in = auth_gate.current_user()
actor = signed_in.username if signed_in else "anonymous"  # the audit log names whoever ran it
st.session_state.setdefault(EDITOR, STARTER)
st.session_state.setdefault(HISTORY, [])


# --- actions --------------------------------------------------------------------------------------------

def _load(sql: str, *, run: bool = True) -> None:
    st.session_state[EDITOR] = sql
    st.session_state[PENDING] = run


def _run(sql: str) -> None:
    try:
        with st.spinner("Running..."):
            outcome = engine.execute(sql, db, max_rows=MAX_ROWS, timeout_s=TIME_LIMIT_S)
        status, rows, seconds = "ok", len(outcome.frame), outcome.elapsed_s
    except engine.QueryRejected as exc:
        outcome, status, rows, seconds = exc, exc.kind, None, None
    st.session_state[RESULT] = outcome
    audit.ran_query(actor, sql, rows=rows)
    history = st.session_state[HISTORY]
    history.insert(0, {"ran_at": datetime.now().strftime("%H:%M:%S"), "sql": sql, "status": status,
                       "rows": rows, "seconds": seconds})
    del history[settings.HISTORY_LENGTH.default:]


def _open_link() -> None:
    """Load the query a pasted link names (``?q=`` saved id, ``?sql=`` text), once per link."""
    link = (st.query_params.get("q"), st.query_params.get("sql"))
    if link == (None, None) or link == st.session_state.get(LINK):
        return
    st.session_state[LINK] = link
    saved_id, text = link
    if saved_id is not None:
        saved = saved_queries.get(saved_id)
        if saved is None:
            st.warning(f"No saved query with id `{saved_id}`: it may have been deleted. "
                       "The saved queries are listed below.")
            return
        _open_saved(saved)
    else:
        _load(text)


def _remember_link(**params: str) -> None:
    st.query_params.from_dict(params)
    st.session_state[LINK] = (params.get("q"), params.get("sql"))


def _open_saved(saved: saved_queries.SavedQuery) -> None:
    st.session_state["sql_opened"] = saved
    _remember_link(q=saved.query_id)
    _load(saved.sql)


# --- the editor -----------------------------------------------------------------------------------------

_open_link()
st.title("SQL")
st.caption(
    f"Read-only SQL over `{db.path.name}`: one statement (SELECT, WITH, FROM, DESCRIBE, SHOW, SUMMARIZE, "
    f"EXPLAIN, PIVOT), at most {MAX_ROWS:,} rows and {TIME_LIMIT_S} seconds. Ctrl+Enter runs it."
)
opened = st.session_state.get("sql_opened")
if opened is not None and opened.sql == st.session_state[EDITOR]:
    st.caption(f"Saved query **{opened.name}** by {opened.author}, {opened.created_at:%Y-%m-%d %H:%M} UTC")

with st.form("sql_form", border=False):
    st.text_area("SQL", key=EDITOR, height=220, label_visibility="collapsed",
                 placeholder="select * from sellers limit 10")
    submitted = st.form_submit_button("Run", type="primary", icon=":material/play_arrow:")

if submitted or st.session_state.pop(PENDING, False):
    text = st.session_state[EDITOR]
    if opened is None or opened.sql != text:
        _remember_link(sql=text)
    _run(text)


# --- the result -----------------------------------------------------------------------------------------

def _rows(n: int) -> str:
    return f"{n:,} row" if n == 1 else f"{n:,} rows"


def _show_refusal(exc: engine.QueryRejected) -> None:
    notice = st.warning if exc.kind in (errors.TIMED_OUT, errors.TOO_BIG) else st.error
    notice(exc.reason, icon=":material/block:" if exc.kind == errors.REFUSED else None)
    if exc.detail:
        st.code(exc.detail, language=None)


def _show_result(result: engine.QueryResult) -> None:
    frame = result.frame
    st.caption(f"{_rows(len(frame))} · {result.elapsed_s:.2f} s")
    if result.truncated:
        st.warning(
            f"Truncated at {result.max_rows:,} rows: the query returns more. Filter or aggregate it, "
            "or run it from the duckdb command line for the full result (see the README)."
        )
    if frame.empty and len(frame.columns):
        st.info("The query ran and returned no rows.")
    st.dataframe(frame, hide_index=True, placeholder="NULL")  # SQL's word for a missing value, not Python's None
    buttons = st.container(horizontal=True)
    buttons.download_button("CSV", data=lambda: downloads.to_csv(frame), file_name="query.csv",
                            mime="text/csv", icon=":material/download:", on_click=audit.exported,
                            args=(actor, "query.csv", result.sql))
    buttons.download_button("Parquet", data=lambda: downloads.to_parquet(frame), file_name="query.parquet",
                            mime="application/vnd.apache.parquet", icon=":material/download:",
                            on_click=audit.exported, args=(actor, "query.parquet", result.sql))


outcome = st.session_state.get(RESULT)
if isinstance(outcome, engine.QueryRejected):
    _show_refusal(outcome)
elif isinstance(outcome, engine.QueryResult):
    _show_result(outcome)
else:
    st.caption("Run a query, or open one from the examples below.")


# --- around it: chart, schema, examples, saved queries, history ----------------------------------------

def _quick_chart(frame: pd.DataFrame, kind: str, x: str, y: str, colour: str | None):
    draw = {"Line": px.line, "Bar": px.bar, "Scatter": px.scatter}[kind]
    data = frame.sort_values(x) if kind == "Line" else frame
    return draw(data, x=x, y=y, color=colour)


@st.cache_data(show_spinner=False)
def _schema(version: str) -> list[schema_browser.Relation]:
    with db.cursor() as con:
        return schema_browser.browse(con)


chart_tab, schema_tab, examples_tab, saved_tab, history_tab = st.tabs(
    ["Chart", "Schema", "Examples", "Saved queries", "History"]
)

with chart_tab:
    frame = outcome.frame if isinstance(outcome, engine.QueryResult) else pd.DataFrame()
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])]
    if frame.empty or not numeric:
        st.caption("A chart needs a result with rows and at least one numeric column.")
    else:
        columns = list(frame.columns)
        c1, c2, c3, c4 = st.columns(4)
        kind = c1.segmented_control("Chart", ["Line", "Bar", "Scatter"], default="Bar", required=True)
        x = c2.selectbox("x", columns, index=0)
        y = c3.selectbox("y", numeric, index=len(numeric) - 1)
        colour = c4.selectbox("Colour", [None, *columns], format_func=lambda c: "(none)" if c is None else c)
        st.plotly_chart(_quick_chart(frame, kind, x, y, colour))

with schema_tab:
    st.caption("Also from SQL: `SHOW TABLES`, `DESCRIBE reviews`, `SUMMARIZE sellers`, "
               "`from duckdb_columns()`.")
    for relation in _schema(state.db_version()):
        rows = "view" if relation.rows is None else _rows(relation.rows)
        with st.expander(f"**{relation.name}** · {rows}"):
            if relation.description:
                st.markdown(relation.description)
            st.dataframe(relation.columns, hide_index=True, placeholder="")

with examples_tab:
    for example in examples.gallery():
        st.markdown(f"**{example.title}**")
        st.caption(example.description)
        c1, c2 = st.columns([1, 5])
        c1.button("Run it", key=f"example_{example.slug}", on_click=_load, args=(example.sql,))
        with c2.expander("SQL"):
            st.code(example.sql, language="sql")

with saved_tab:
    with st.form("save_form", clear_on_submit=False):
        st.markdown("Save the query in the editor (as last run), to reopen it or share a link.")
        c1, c2 = st.columns(2)
        name = c1.text_input("Name", placeholder="1-star removals in Toys")
        author = c2.text_input("Author", key="sql_author", placeholder="your name")
        if st.form_submit_button("Save", icon=":material/bookmark_add:"):
            try:
                saved = saved_queries.save(name, st.session_state[EDITOR], author)
            except ValueError as exc:  # QueryRejected is one too
                st.error(getattr(exc, "reason", str(exc)))
            else:
                st.session_state["sql_opened"] = saved
                _remember_link(q=saved.query_id)
                st.success(f"Saved as **{saved.name}**. Link: `/sql?q={saved.query_id}`")

    saved_list = saved_queries.list_saved()
    if not saved_list:
        st.caption("No saved queries yet.")
    else:
        st.dataframe(
            pd.DataFrame({
                "name": [s.name for s in saved_list],
                "author": [s.author for s in saved_list],
                "created (UTC)": [s.created_at for s in saved_list],
                "link": [f"/sql?q={s.query_id}" for s in saved_list],
                "sql": [s.sql for s in saved_list],
            }),
            hide_index=True,
            column_config={"link": st.column_config.LinkColumn("Link", display_text="open")},
        )
        by_id = {s.query_id: s for s in saved_list}
        c1, c2, c3 = st.columns([4, 1, 1], vertical_alignment="bottom")
        chosen = c1.selectbox("Saved query", list(by_id), format_func=lambda i: f"{by_id[i].name} ({by_id[i].author})")
        c2.button("Open", key="open_saved", on_click=_open_saved, args=(by_id[chosen],))
        if c3.button("Delete", key="delete_saved"):
            saved_queries.delete(chosen)
            st.rerun()

with history_tab:
    history = st.session_state[HISTORY]
    if not history:
        st.caption("Queries you run in this session appear here.")
    else:
        st.dataframe(pd.DataFrame(history), hide_index=True, placeholder="",
                     column_config={"seconds": st.column_config.NumberColumn(format="%.2f")})
        c1, c2 = st.columns([5, 1], vertical_alignment="bottom")
        pick = c1.selectbox("Earlier query", range(len(history)),
                            format_func=lambda i: f"{history[i]['ran_at']}  {history[i]['sql'][:80]}")
        c2.button("Back in editor", key="history_load", on_click=_load, args=(history[pick]["sql"],),
                  kwargs={"run": False})
