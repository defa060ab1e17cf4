"""Change-point detection on statsmodels, shaped like ruptures: a model part (`costs`), a search
part (`search`), the statistics that keep them honest on autocorrelated data (`noise`,
`inference`), and sudden shifts, a new level that arrives in one step (`jumps`).

- `detect(values)`: where a series changes (CONTRACT section 4).
- `step_test(y, break_index, exog=...)`: the size and significance of one step change, net of
  explanatory regressors, with HAC standard errors.
- `segments(values, breakpoints)`: the pieces between breaks with their levels, for charts.

Accuracy on public annotated data: `python -m analytics.changepoints.benchmark --help`.
"""

from analytics.changepoints.costs import Cost, LevelCost, TrendCost
from analytics.changepoints.detector import detect
from analytics.changepoints.exceptions import NotEnoughPoints
from analytics.changepoints.search import BinarySegmentation
from analytics.changepoints.segments import Segment, segments
from analytics.changepoints.steptest import StepTest, step_test

__all__ = [
    "BinarySegmentation", "Cost", "LevelCost", "NotEnoughPoints", "Segment", "StepTest",
    "TrendCost", "detect", "segments", "step_test",
]
