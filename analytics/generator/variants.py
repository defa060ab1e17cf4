"""Named ways to make the sample marketplace as messy as real ones (issue 11).

Each variant switches on one kind of mess; any of them combine (``parse("lags,slow")``). ``plain`` is
none of them; ``default`` is what the demo builds: lags, rare, crowded, slow and sessions.

* ``lags``: a staff action's access_log line lands seconds to six hours before or after the account
  event or review removal it caused (each employee's tool has its own typical lag and direction:
  queues, batch jobs, skewed clocks), instead of a few seconds before it.
* ``rare``: insider buyers are 0.5 % of sellers in all (0.1 % per insider scenario) instead of 1 % per
  scenario, but never fewer than 15 per scenario (nor more than the usual 1 %), so that recall still
  means something. The rare-ness therefore shows from 15,000 sellers up: at the demo's 1,500 sellers
  each scenario keeps its usual 15 buyers, and ``evaluate --variants`` builds ``rare`` at ten times
  the sellers it is given. In the 100,000-seller benchmark buyers are 0.5 %.
* ``crowded``: a tenth of one category's sellers bought insider services (served mostly by one or
  two insiders, one of whom works on that category), and a tenth of one account-health team's
  reinstatements were bought, done by the team's own corrupt members for sellers of its own region.
* ``slow``: sales intelligence acts two to eight weeks after the look-up (otherwise 1-10 days).
* ``sessions``: staff look at sales figures in sittings of 1 to 40 sellers: category managers going
  through many of their sellers at once as well as single look-ups, support and account-health staff
  now and then too; an insider's look-up may sit inside such a session.
* ``spellings``: access_log actions and account_events reasons are written in several case and
  separator styles (``reinstate_account``, ``Reinstate Account``, ``REINSTATE-ACCOUNT``,
  ``reinstateAccount``, ...), by the tool that wrote them; ``event`` stays as the contract fixes it.
* ``nolog``: no access_log table at all; every other file and the labels are byte for byte those of
  the same marketplace with its log (a ``sales_intel`` buyer's look-up was logged, in a log that is
  not exported).

Whatever the variant, honest staff work their own queues, teams and categories and now and then act
outside them; corrupt ones, of every role, often act outside their own work, serve several buyers,
and some buyers come back to the same insider for a second, smaller service.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

import numpy as np

VARIANTS = ("lags", "rare", "crowded", "slow", "sessions", "spellings", "nolog")
DEFAULT = ("lags", "rare", "crowded", "slow", "sessions")
# How many times the requested sellers `evaluate --variants` builds a variant at, so that it keeps
# at least 15 buyers per insider scenario (rare: 0.1 % per scenario needs 15,000 sellers).
SIZE_FACTOR = {"rare": 10}


@dataclass(frozen=True)
class Mess:
    lags: bool = False
    rare: bool = False
    crowded: bool = False
    slow: bool = False
    sessions: bool = False
    spellings: bool = False
    nolog: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self) if getattr(self, f.name))

    @property
    def label(self) -> str:
        if set(self.names) == set(DEFAULT):
            return "default"
        return ",".join(self.names) or "plain"


def parse(spec) -> Mess:
    """``"default"``, ``"plain"``, a comma-separated list of variant names, an iterable of names, or a
    ``Mess``. ``default`` may be combined with more names (``default,spellings``)."""
    if isinstance(spec, Mess):
        return spec
    if spec is None:
        spec = "default"
    names = spec.split(",") if isinstance(spec, str) else list(spec)
    chosen: set[str] = set()
    for name in (n.strip().lower() for n in names):
        if name == "default":
            chosen.update(DEFAULT)
        elif name in ("plain", "none", ""):
            continue
        elif name in VARIANTS:
            chosen.add(name)
        else:
            raise ValueError(f"unknown generator variant {name!r}: choose from default, plain, {', '.join(VARIANTS)}")
    return Mess(**{name: True for name in chosen})


# --- spellings ----------------------------------------------------------------------------------

# Case and separator styles. Style 0 is the canonical one (snake_case for actions; the reasons'
# own lower-case words).
STYLES = ("canonical", "title", "upper_kebab", "camel", "lower_space", "pascal", "upper_snake", "kebab")
# How common each style is among the tools that write the logs.
STYLE_SHARE = np.array([0.34, 0.16, 0.1, 0.12, 0.08, 0.08, 0.06, 0.06])


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s_\-]+", text) if w]


def _cap(word: str) -> str:
    return word if word.isupper() and len(word) > 1 else word[:1].upper() + word[1:].lower()


def spell(text: str, style: int) -> str:
    """``text`` written in one of ``STYLES``. Acronyms (``IP``) keep their capitals where words are
    capitalised. All styles of one text agree once lower-cased with separators removed."""
    words = _words(text)
    name = STYLES[style]
    if name == "canonical":
        return text
    if name == "title":
        return " ".join(_cap(w) for w in words)
    if name == "upper_kebab":
        return "-".join(w.upper() for w in words)
    if name == "camel":
        return words[0].lower() + "".join(_cap(w) for w in words[1:])
    if name == "lower_space":
        return " ".join(w.lower() for w in words)
    if name == "pascal":
        return "".join(_cap(w) for w in words)
    if name == "upper_snake":
        return "_".join(w.upper() for w in words)
    if name == "kebab":
        return "-".join(w.lower() for w in words)
    raise ValueError(style)


def tool_styles(rng: np.random.Generator, n: int) -> np.ndarray:
    """The style each of ``n`` writers (employees' tools, source systems) mostly uses."""
    return rng.choice(len(STYLES), n, p=STYLE_SHARE / STYLE_SHARE.sum()).astype(np.int8)


def row_styles(rng: np.random.Generator, writer_style: np.ndarray, stray: float = 0.15) -> np.ndarray:
    """Per row: the writer's own style, or now and then another one (a second tool, a migration)."""
    other = rng.choice(len(STYLES), writer_style.size, p=STYLE_SHARE / STYLE_SHARE.sum()).astype(np.int8)
    return np.where(rng.random(writer_style.size) < stray, other, writer_style).astype(np.int8)


# --- lags ---------------------------------------------------------------------------------------

SECOND_MS = 1000
MAX_LAG_MS = 6 * 3_600_000


def employee_lags(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each employee's tool: a typical lag (2 s to 2 h, log-uniform) and its usual direction
    (+1: the line is written after the event, -1: before it, as a skewed clock or a queued event)."""
    typical = np.exp(rng.uniform(np.log(2 * SECOND_MS), np.log(2 * 3_600_000), n))
    direction = np.where(rng.random(n) < 0.6, 1, -1)
    return typical, direction


def draw_lags(rng: np.random.Generator, employee: np.ndarray, typical: np.ndarray,
              direction: np.ndarray) -> np.ndarray:
    """Milliseconds from each event to its log line: around the employee's typical lag (log sd 1.2),
    in their usual direction four times in five, always within one second to six hours."""
    employee = np.asarray(employee, dtype=np.int64)
    size = np.clip(typical[employee] * np.exp(rng.normal(0, 1.2, employee.size)), SECOND_MS, MAX_LAG_MS)
    sign = np.where(rng.random(employee.size) < 0.8, direction[employee], -direction[employee])
    return (sign * size).astype(np.int64)
