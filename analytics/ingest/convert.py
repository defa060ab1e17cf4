"""How a value read from a file becomes a value of the contract's type, in SQL.

DuckDB's casts are lenient where the contract is strict: ``CAST('3.5' AS INTEGER)`` is 4 and
``CAST('2024-01-05T10:00:00+08:00' AS TIMESTAMP)`` drops the offset. So every conversion here is
written out: it yields the contract's type, or NULL where the source value breaks the contract. The
loader uses each one twice: inside the typed read, where a bad value raises at once (the fast path),
and, only when that read failed, as a predicate that finds the offending rows for the message.
"""

from __future__ import annotations

from dataclasses import dataclass

INTEGER_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
                           "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"})
FLOAT_TYPES = frozenset({"FLOAT", "DOUBLE"})
NAIVE_TIMESTAMP_TYPES = frozenset({"TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"})
TZ_TIMESTAMP = "TIMESTAMP WITH TIME ZONE"

# ISO 8601 as exports write it: a date, optionally a time with optional fractional seconds, optionally
# an offset (Z, +08, +0800, +08:00). No offset means UTC (the connection's time zone is UTC).
ISO_TIMESTAMP = r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?"
ISO_DATE_FORMAT = "%Y-%m-%d"

PROBLEMS = {
    "INTEGER": "not a whole number (or out of range)",
    "DOUBLE": "not a number",
    "DATE": "not an ISO date (YYYY-MM-DD)",
    "TIMESTAMP": "not an ISO 8601 timestamp (e.g. 2024-05-01T13:45:00Z)",
    "BOOLEAN": "not a boolean (true/false, t/f, yes/no, 1/0)",
    "VARCHAR": "not text",
}


def _kind(sql_type: str) -> str:
    t = sql_type.upper()
    if t in INTEGER_TYPES:
        return "INTEGER"
    if t in FLOAT_TYPES or t.startswith("DECIMAL"):
        return "DOUBLE"
    return t


def csv_read_type(target: str) -> str:
    """The type DuckDB's CSV reader parses a column as before it is converted.

    Integers are read as DOUBLE so that ``3.5`` is seen (and refused) rather than rounded; timestamps
    as text because the CSV reader drops some offsets; dates with an explicit ISO format, which
    refuses a date with a time of day.
    """
    kind = _kind(target)
    if kind == "INTEGER":
        return "DOUBLE"
    if kind == "TIMESTAMP":
        return "VARCHAR"
    return target


@dataclass(frozen=True)
class Conversion:
    """SQL that turns source expression ``x`` into the target type, NULL where the value is bad."""

    template: str  # SQL with {x} for the source value
    target: str
    can_fail: bool = True  # False where every source value converts (same type, widening casts)

    @property
    def problem(self) -> str:
        return PROBLEMS.get(_kind(self.target), f"not a valid {self.target}")

    def value(self, x: str) -> str:
        return self.template.replace("{x}", x)

    def strict(self, x: str, label: str) -> str:
        """The converted value, raising an error on the first bad value (the typed read)."""
        value = f"CAST({self.value(x)} AS {self.target})"
        if not self.can_fail:
            return value
        message = _sql_string(f"{label}: {self.problem}")
        return f"CASE WHEN {x} IS NULL THEN NULL ELSE coalesce({value}, error({message})) END"

    def invalid(self, x: str) -> str:
        """True for a source value that is present but does not convert."""
        if not self.can_fail:
            return "false"
        return f"({x} IS NOT NULL AND ({self.value(x)}) IS NULL)"


def conversion(source: str, target: str) -> Conversion:
    """The conversion from a DuckDB source type (as DESCRIBE names it) to a contract column type."""
    src, dst = source.upper(), target.upper()
    src_kind, dst_kind = _kind(src), _kind(dst)

    def conv(template: str, can_fail: bool = True) -> Conversion:
        return Conversion(template, dst, can_fail)

    if src == dst:
        return conv("{x}", can_fail=False)
    if dst_kind == "VARCHAR":
        return conv("CAST({x} AS VARCHAR)", can_fail=False)
    if dst_kind == "INTEGER":
        if src_kind == "INTEGER":
            return conv(f"TRY_CAST({{x}} AS {dst})")
        if src_kind == "DOUBLE":
            return conv(f"CASE WHEN {{x}} = trunc({{x}}) THEN TRY_CAST({{x}} AS {dst}) END")
        if src_kind == "VARCHAR":
            number = "TRY_CAST({x} AS DOUBLE)"
            return conv(f"CASE WHEN {number} = trunc({number}) THEN TRY_CAST({number} AS {dst}) END")
    if dst_kind == "DOUBLE":
        if src_kind in ("INTEGER", "DOUBLE"):
            return conv(f"CAST({{x}} AS {dst})", can_fail=False)
        return conv(f"TRY_CAST({{x}} AS {dst})")
    if dst == "DATE":
        if src_kind == "VARCHAR":
            return conv(f"CAST(TRY_STRPTIME({{x}}, '{ISO_DATE_FORMAT}') AS DATE)")
        if src in NAIVE_TIMESTAMP_TYPES or src == TZ_TIMESTAMP:
            # A timestamp column is accepted as a date only where every value is a midnight.
            ts = _utc("{x}", src)
            return conv(f"CASE WHEN {ts} = date_trunc('day', {ts}) THEN CAST({ts} AS DATE) END")
    if dst == "TIMESTAMP":
        if src in NAIVE_TIMESTAMP_TYPES or src == TZ_TIMESTAMP or src == "DATE":
            return conv(_utc("{x}", src), can_fail=False)
        if src_kind == "VARCHAR":
            return conv(f"CASE WHEN regexp_full_match({{x}}, '{ISO_TIMESTAMP}') "
                        f"THEN timezone('UTC', TRY_CAST({{x}} AS TIMESTAMPTZ)) END")
    if dst == "BOOLEAN":
        if src_kind == "VARCHAR":
            return conv("TRY_CAST({x} AS BOOLEAN)")
        if src_kind == "INTEGER":
            return conv("CASE WHEN {x} IN (0, 1) THEN {x} = 1 END")
    return conv(f"TRY_CAST({{x}} AS {dst})")


def _utc(x: str, source: str) -> str:
    """A naive UTC TIMESTAMP from a timestamp-like value (offsets applied)."""
    if source == TZ_TIMESTAMP:
        return f"timezone('UTC', {x})"
    return f"CAST({x} AS TIMESTAMP)"


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def quote(identifier: str) -> str:
    """A SQL identifier, double-quoted (column names come from files, so never trust them bare)."""
    return '"' + identifier.replace('"', '""') + '"'

