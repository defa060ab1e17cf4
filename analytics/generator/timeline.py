"""The generated window of days, and the calendar effects every category shares."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MINUTE_MS = 60_000
_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class Timeline:
    """Days ``0 .. days-1`` ending on ``end`` (inclusive); times are int64 milliseconds since 1970 UTC."""

    end: dt.date
    days: int

    @property
    def start(self) -> dt.date:
        return self.end - dt.timedelta(days=self.days - 1)

    @property
    def start_ms(self) -> int:
        return (self.start - _EPOCH).days * DAY_MS

    @property
    def end_ms(self) -> int:
        """The last millisecond of the window: nothing in the export happens after it."""
        return self.start_ms + self.days * DAY_MS - 1

    def day_ms(self, day) -> np.ndarray:
        return self.start_ms + np.asarray(day, dtype=np.int64) * DAY_MS

    def day_of(self, date: dt.date) -> int:
        return (date - self.start).days

    def date_of(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=int(day))

    @property
    def dates(self) -> np.ndarray:
        return np.datetime64(self.start, "D") + np.arange(self.days)

    @property
    def weekday(self) -> np.ndarray:
        """0 = Monday."""
        return ((np.arange(self.days) + self.start.weekday()) % 7).astype(np.int8)

    def q4_shape(self) -> np.ndarray:
        """0 outside the holiday season; rises from 1 October to 1 around 15 December, gone by 28 December."""
        dates = self.dates
        years = dates.astype("datetime64[Y]")
        day_in_year = (dates - years.astype("datetime64[D]")).astype(int)
        shape = np.zeros(self.days)
        oct1, dec15, dec28 = 273, 348, 361  # day of year (0-based, non-leap is close enough)
        rising = (day_in_year >= oct1) & (day_in_year < dec15)
        shape[rising] = ((day_in_year[rising] - oct1) / (dec15 - oct1)) ** 1.6
        falling = (day_in_year >= dec15) & (day_in_year < dec28)
        shape[falling] = 1 - (day_in_year[falling] - dec15) / (dec28 - dec15)
        return shape

    def event_days(self) -> dict[str, np.ndarray]:
        """Marketplace-wide sales events inside the window: Black Friday to Cyber Monday, and a July
        two-day event. Returns a 0/1 mask per event."""
        events = {"black_friday": np.zeros(self.days), "july_event": np.zeros(self.days)}
        for year in range(self.start.year, self.end.year + 1):
            nov1 = dt.date(year, 11, 1)
            thanksgiving = nov1 + dt.timedelta(days=(3 - nov1.weekday()) % 7 + 21)
            for offset in range(1, 5):  # Friday to Monday
                self._mark(events["black_friday"], thanksgiving + dt.timedelta(days=offset))
            jul1 = dt.date(year, 7, 1)
            second_tuesday = jul1 + dt.timedelta(days=(1 - jul1.weekday()) % 7 + 7)
            for offset in range(2):
                self._mark(events["july_event"], second_tuesday + dt.timedelta(days=offset))
        return events

    def _mark(self, mask: np.ndarray, date: dt.date) -> None:
        day = self.day_of(date)
        if 0 <= day < self.days:
            mask[day] = 1.0
