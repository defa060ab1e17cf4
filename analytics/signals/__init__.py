"""The signals: one module each, each turning the marketplace into evidence rows.

A signal module defines:

* ``NAME`` (as stored in ``evidence.signal``), ``TITLE`` (plain words for analysts), ``COLOR``
  (the same colour for the signal everywhere in the dashboard);
* ``CORE``: whether it can flag a seller on its own. Supporting signals (a rank jump is also what an
  honest viral hit looks like) only add weight to a core one;
* ``FDR``: its false-discovery level across sellers;
* ``find(ctx) -> SignalResult``: evidence rows for the sellers it tested, with p-values.

Adding a signal = adding a module here and naming it in ``ALL``; the pipeline does the rest
(false-discovery control, score, reasons, storage).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

# Columns a signal fills in; the pipeline adds as_of, q_value and significant.
EVIDENCE_COLUMNS = (
    "seller_id", "signal", "changepoint_date", "before", "after", "effect", "p_value",
    "measure", "product_id", "related_seller_id", "detail",
)


@dataclass
class SignalResult:
    evidence: pd.DataFrame  # one row per finding, EVIDENCE_COLUMNS
    n_tests: int  # how many (seller) hypotheses were tested, for false-discovery control
    # Every seller tested with its seller-level p-value (seller_id, p_value), reported or not: what the
    # calibration check and the ranking below the flag line read. None where a signal does not say.
    tested: pd.DataFrame | None = None

    @classmethod
    def empty(cls, n_tests: int = 0, tested: pd.DataFrame | None = None) -> "SignalResult":
        return cls(pd.DataFrame({c: pd.Series(dtype="object") for c in EVIDENCE_COLUMNS}), n_tests, tested)


def tested_frame(sellers, p_values) -> pd.DataFrame:
    """A ``SignalResult.tested`` frame: one row per tested seller with its p-value."""
    return pd.DataFrame({"seller_id": pd.Series(sellers, dtype=object),
                         "p_value": pd.Series(p_values, dtype=float).to_numpy()})


def all_signals():
    """The signal modules, in the order their reasons are read out."""
    from analytics.signals import (harvested_reviewers, rank_jump, reinstatement, review_burst, review_removals,
                                   sabotage, sales_intel, staff_access)

    return [reinstatement, review_removals, harvested_reviewers, review_burst, rank_jump, sabotage, sales_intel,
            staff_access]


def by_name() -> dict:
    return {module.NAME: module for module in all_signals()}
