"""What each employee usually does: the yardstick an insider's action is judged against.

DOMAIN.md ("How insiders act"): a bribed employee often acts outside their usual work (someone who
rarely lifts suspensions lifts one, someone who never looks at a category pulls its sales figures).
So a staff action is judged against the actor's own history, not only against the team's:

* ``StaffHistory.rarity(employees, values, sellers, field=...)`` is the chance that an action drawn
  from the employee's own mix of ``field`` values (kinds of action, or categories touched) is as rare
  for them as this one or rarer: ``sum of P(v) over the values v with P(v) <= P(this one)``. The
  employee's mix is estimated from their history *without the seller in question* (a seller's own
  bought actions never make themselves look usual), shrunk by ``PRIOR_ACTIONS`` pseudo-actions
  towards the team's mix, so an action in a category an employee touched once in a thousand is
  unusual, and one in their daily queue is not.
* ``StaffHistory.peer_rarity(...)`` asks the question a chosen kind of action needs: when an action
  *of this kind* is tested (a reinstatement, say), the kind is rare in almost everyone's mix, so
  ``rarity`` would call every reinstatement unusual. Instead: among all logged actions of that kind
  by *other* employees, what share were done by someone for whom that kind is at most as usual as it
  is for this employee (their share of their own work, the seller left out)? An empirical p-value
  against the employee's peers: an account manager lifting suspensions in their own queue is
  ordinary, a sales analyst doing it is not.
* An employee with fewer than ``MIN_HISTORY`` actions outside the seller has no history to judge by:
  their rarity is NaN (absent), not small because the team rarely does that kind of thing.

The history is the access log as of the run (``rivalry.staff_touches``: each action resolved to its
kind, seller and categories, whatever the log's spelling of the action), so it never looks past the
as-of day and needs no labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.scoring.context import ScoringContext
from analytics.signals.rivalry import per_context, staff_touches

PRIOR_ACTIONS = 1.0  # pseudo-actions of the team's mix added to each employee's own
MIN_HISTORY = 20  # actions outside the seller an employee needs before their usual work is known


@dataclass
class _Field:
    values: pd.Index  # the field's values (kinds or categories)
    counts: np.ndarray  # employees x values: actions (distinct staff touches)
    own: pd.Series  # (employee_idx, seller_idx, value_idx) -> actions: what to leave out per seller
    team_share: np.ndarray  # the team's mix over values


class StaffHistory:
    """Per employee, how many of their logged actions were of each kind and in each category, and
    on each seller (to leave a seller out)."""

    def __init__(self, touches: pd.DataFrame):
        self.employees = pd.Index(touches["employee_id"].cat.categories)
        self.sellers = pd.Index(touches["seller_id"].cat.categories)
        employee = touches["employee_id"].cat.codes.to_numpy(np.int64)
        seller = touches["seller_id"].cat.codes.to_numpy(np.int64)
        # A touch is listed once per category it concerns; an action is one (employee, day, kind,
        # seller, product) however many categories the seller lists in.
        action = ~touches.duplicated(["employee_id", "day_idx", "kind", "seller_id", "product_idx"]).to_numpy()
        self._fields = {
            "kind": self._field(employee[action], seller[action], touches["kind"][action]),
            "category": self._field(employee, seller, touches["category"]),
        }
        self.total = self._fields["kind"].counts.sum(axis=1)

    def _field(self, employee: np.ndarray, seller: np.ndarray, values: pd.Series) -> _Field:
        categorical = values.astype("category")
        names = pd.Index(categorical.cat.categories)
        code = categorical.cat.codes.to_numpy(np.int64)
        known = code >= 0
        employee, seller, code = employee[known], seller[known], code[known]
        counts = np.zeros((len(self.employees), len(names)))
        np.add.at(counts, (employee, code), 1.0)
        own = pd.Series(1.0, index=pd.MultiIndex.from_arrays([employee, seller, code])).groupby(level=[0, 1, 2]).sum()
        total = counts.sum()
        team = counts.sum(axis=0) / total if total else np.full(len(names), 1.0 / max(len(names), 1))
        return _Field(names, counts, own, team)

    def values(self, field: str) -> pd.Index:
        return self._fields[field].values

    def share(self, employees, values, sellers, *, field: str) -> tuple[np.ndarray, np.ndarray]:
        """Per query: the employee's own share of ``value`` among their actions outside the seller, and
        how many such actions they have (for the analyst's reading of ``rarity``)."""
        rows, usable, v = self._rows_without_seller(employees, values, sellers, field)
        share = np.full(len(v), np.nan)
        total = np.full(len(v), np.nan)
        if usable.size:
            history = rows.sum(axis=1)
            total[usable] = history
            share[usable] = rows[np.arange(usable.size), v[usable]] / np.maximum(history, 1.0)
        return share, total

    def _rows_without_seller(self, employees, values, sellers, field: str):
        f = self._fields[field]
        e = self.employees.get_indexer(pd.Index(employees))
        v = f.values.get_indexer(pd.Index(values))
        s = self.sellers.get_indexer(pd.Index(sellers))
        usable = np.flatnonzero((e >= 0) & (v >= 0))
        rows = f.counts[e[usable]].copy()
        if usable.size:
            own = f.own.reindex(pd.MultiIndex.from_arrays(
                [np.repeat(e[usable], len(f.values)), np.repeat(s[usable], len(f.values)),
                 np.tile(np.arange(len(f.values)), usable.size)]))
            rows -= np.nan_to_num(own.to_numpy(float)).reshape(rows.shape)
        return rows, usable, v

    def peer_rarity(self, employees, value, sellers, *, field: str) -> np.ndarray:
        """Per query (employee_id, seller_id left out): the peer p-value for an action of ``value``
        described in the module docstring; NaN where the employee's history is too short or nobody
        else ever did that kind of thing."""
        f = self._fields[field]
        v = f.values.get_indexer(pd.Index([value]))[0]
        out = np.full(len(employees), np.nan)
        if v < 0:
            return out
        rows, usable, _ = self._rows_without_seller(employees, [value] * len(employees), sellers, field)
        if usable.size == 0:
            return out
        history = rows.sum(axis=1)
        own_share = rows[:, v] / np.maximum(history, 1.0)
        done = f.counts[:, v]  # actions of this kind per employee: the reference events
        totals = f.counts.sum(axis=1)
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

    def rarity(self, employees, values, sellers, *, field: str) -> np.ndarray:
        """Per query (employee_id, value of ``field``, seller_id left out): the own-history rarity
        p-value described in the module docstring; NaN where the employee's history outside the
        seller is too short, or the employee or value never appears in the log."""
        f = self._fields[field]
        rows, usable, v = self._rows_without_seller(employees, values, sellers, field)
        out = np.full(len(v), np.nan)
        if usable.size == 0:
            return out
        history = rows.sum(axis=1)
        share = (rows + PRIOR_ACTIONS * f.team_share[None, :]) / (history + PRIOR_ACTIONS)[:, None]
        this = share[np.arange(usable.size), v[usable]]
        p = np.where(share <= this[:, None] * (1 + 1e-12), share, 0.0).sum(axis=1)
        out[usable] = np.where(history >= MIN_HISTORY, np.clip(p, 0.0, 1.0), np.nan)
        return out


@per_context
def staff_history(ctx: ScoringContext) -> StaffHistory | None:
    """The run's staff history, built once and shared; None without an access log."""
    touches = staff_touches(ctx)
    if touches.empty:
        return None
    return StaffHistory(touches)
