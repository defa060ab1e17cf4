"""What each employee usually does: the yardstick an insider's action is judged against.

DOMAIN.md ("How insiders act"): a bribed employee often acts outside their usual work (someone who
rarely lifts suspensions lifts one). So a staff action of a chosen kind (a reinstatement, a
suspension) is judged against the actor's own history and against their peers:

* ``StaffHistory.peer_rarity(employees, kind, sellers)``: among all logged actions of that kind by
  *other* employees, the share done by someone for whom that kind is at most as usual as it is for
  this employee (their share of their own work, the seller in question left out, so a seller's own
  bought actions never make themselves look usual). An empirical p-value against the employee's
  peers: an account manager lifting suspensions in their own queue is ordinary, a sales analyst
  doing it is not. (Asking only "is this kind rare in the employee's own mix?" is not calibrated once
  an action has been chosen by its kind: a reinstatement is rare in almost everyone's mix, and that
  question called 42 % of the demo's honest sellers unusual.)
* An employee with fewer than ``MIN_HISTORY`` actions outside the seller has no history to judge by:
  their p-value is NaN (absent), not small because the team rarely does that kind of thing.

The history is the access log as of the run (``rivalry.staff_touches``: each action resolved to its
kind and seller, whatever the log's spelling of the action), so it never looks past the as-of day
and needs no labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.scoring.context import ScoringContext
from analytics.signals.rivalry import per_context, staff_touches

MIN_HISTORY = 20  # actions outside the seller an employee needs before their usual work is known


class StaffHistory:
    """Per employee, how many of their logged actions were of each kind, and on each seller (to leave
    a seller out)."""

    def __init__(self, touches: pd.DataFrame):
        self.employees = pd.Index(touches["employee_id"].cat.categories)
        self.sellers = pd.Index(touches["seller_id"].cat.categories)
        # A touch is listed once per category it concerns; an action is one (employee, day, kind,
        # seller, product) however many categories the seller lists in.
        action = ~touches.duplicated(["employee_id", "day_idx", "kind", "seller_id", "product_idx"]).to_numpy()
        employee = touches["employee_id"].cat.codes.to_numpy(np.int64)[action]
        seller = touches["seller_id"].cat.codes.to_numpy(np.int64)[action]
        kinds = touches["kind"][action].astype("category")
        self.kinds = pd.Index(kinds.cat.categories)
        kind = kinds.cat.codes.to_numpy(np.int64)
        known = kind >= 0
        employee, seller, kind = employee[known], seller[known], kind[known]
        self.counts = np.zeros((len(self.employees), len(self.kinds)))  # employees x kinds
        np.add.at(self.counts, (employee, kind), 1.0)
        self._own = pd.Series(1.0, index=pd.MultiIndex.from_arrays([employee, seller, kind])) \
            .groupby(level=[0, 1, 2]).sum()  # (employee, seller, kind) -> actions: what to leave out

    def share(self, employees, kind: str, sellers) -> tuple[np.ndarray, np.ndarray]:
        """Per query: the employee's own share of ``kind`` among their actions outside the seller, and
        how many such actions they have (for the analyst's reading of ``peer_rarity``)."""
        rows, usable, v = self._rows_without_seller(employees, kind, sellers)
        share = np.full(len(employees), np.nan)
        total = np.full(len(employees), np.nan)
        if usable.size:
            history = rows.sum(axis=1)
            total[usable] = history
            share[usable] = rows[:, v] / np.maximum(history, 1.0)
        return share, total

    def _rows_without_seller(self, employees, kind: str, sellers):
        """The queried employees' kind counts without the queried sellers' actions; which queries could
        be answered (employee known); the kind's column (-1 when nobody ever did it)."""
        v = int(self.kinds.get_indexer(pd.Index([kind]))[0])
        e = self.employees.get_indexer(pd.Index(employees))
        s = self.sellers.get_indexer(pd.Index(sellers))
        usable = np.flatnonzero((e >= 0) & (v >= 0))
        rows = self.counts[e[usable]].copy()
        if usable.size:
            n_kinds = len(self.kinds)
            own = self._own.reindex(pd.MultiIndex.from_arrays(
                [np.repeat(e[usable], n_kinds), np.repeat(s[usable], n_kinds),
                 np.tile(np.arange(n_kinds), usable.size)]))
            rows -= np.nan_to_num(own.to_numpy(float)).reshape(rows.shape)
        return rows, usable, v

    def peer_rarity(self, employees, kind: str, sellers) -> np.ndarray:
        """Per query (employee_id, seller_id left out): the peer p-value for an action of ``kind``
        described in the module docstring; NaN where the employee's history is too short or nobody
        else ever did that kind of thing."""
        out = np.full(len(employees), np.nan)
        rows, usable, v = self._rows_without_seller(employees, kind, sellers)
        if usable.size == 0:
            return out
        history = rows.sum(axis=1)
        own_share = rows[:, v] / np.maximum(history, 1.0)
        done = self.counts[:, v]  # actions of this kind per employee: the reference events
        totals = self.counts.sum(axis=1)
        # Each reference event is judged as the query is, without itself: its doer's share of the
        # kind among their other actions (like for like, so a one-off is compared with one-offs).
        share = np.maximum(done - 1.0, 0.0) / np.maximum(totals - 1.0, 1.0)
        order = np.argsort(share, kind="stable")
        cumulative = np.concatenate([[0.0], np.cumsum(done[order])])
        at_most = cumulative[np.searchsorted(share[order], own_share * (1 + 1e-12), side="right")]
        employee = self.employees.get_indexer(pd.Index(employees))[usable]
        at_most = at_most - np.where(share[employee] <= own_share * (1 + 1e-12), done[employee], 0.0)
        others = done.sum() - done[employee]
        p = (1.0 + at_most) / (1.0 + others)
        out[usable] = np.where((history >= MIN_HISTORY) & (others > 0), np.clip(p, 0.0, 1.0), np.nan)
        return out


@per_context
def staff_history(ctx: ScoringContext) -> StaffHistory | None:
    """The run's staff history, built once and shared; None without an access log."""
    touches = staff_touches(ctx)
    if touches.empty:
        return None
    return StaffHistory(touches)
