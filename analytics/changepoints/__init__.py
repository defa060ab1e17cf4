"""Change-point detection on statsmodels, shaped like ruptures: a model part (`costs`), a search
part (`search`), and the tests that make them honest on autocorrelated data (`noise`,
`inference`).

- `detect(values)`: where a series changes (CONTRACT section 4).
- `step_test(y, break_index, exog=...)`: the size and significance of one step change, net of
  explanatory regressors, with HAC standard errors.
- `segments(values, breakpoints)`: the pieces between breaks with their levels, for charts.
"""

from analytics.changepoints.detector import detect
from analytics.changepoints.exceptions import NotEnoughPoints

__all__ = ["detect", "NotEnoughPoints"]
