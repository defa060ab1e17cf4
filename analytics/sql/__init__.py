"""The SQL explorer's engine: ad-hoc read-only SQL over the marketplace, safe by construction.

Layers, each in its own module and tested on its own (Datasette is the model):
``statement_check`` (exactly one read-only statement, by DuckDB's parser), ``connection`` (the
locked-down read-only connection and the time limit), ``engine`` (row cap, timing, reasons),
``settings`` (the limits, one line of help each). Around them: ``saved_queries`` (the analysts'
store), ``examples`` (the gallery), ``schema_browser`` and ``downloads``.
"""

from analytics.sql.engine import QueryResult, execute, run_query
from analytics.sql.errors import QueryRejected

__all__ = ["QueryRejected", "QueryResult", "execute", "run_query"]
