"""The one exception the SQL explorer raises for anything it will not or could not run."""

from __future__ import annotations

# Why a query did not produce a result; the page words its notice after it.
REFUSED = "refused"        # not a single read-only statement, or it reaches outside the database
FAILED = "failed"          # DuckDB could not run it (syntax, unknown table, type error, ...)
TIMED_OUT = "timed_out"    # stopped at the time limit
TOO_BIG = "too_big"        # ran out of the memory limit
NO_DATABASE = "no_database"  # there is no marketplace database to query


class QueryRejected(ValueError):
    """A query the explorer refused, or one that failed; ``str(exc)`` is meant for the analyst.

    ``reason`` is the sentence to show, ``detail`` DuckDB's own message where there is one (it points
    at the offending spot in the SQL), ``kind`` one of the constants above.
    """

    def __init__(self, reason: str, *, kind: str = REFUSED, detail: str = ""):
        super().__init__(f"{reason}\n\n{detail}" if detail else reason)
        self.reason = reason
        self.kind = kind
        self.detail = detail
