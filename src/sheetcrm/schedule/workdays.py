"""Working days (工作日): weekends, official holidays and China's make-up working days (调休).

For China the official State Council calendar comes from ``chinesecalendar``
(which covers 2004–2026 and raises for other years); for years it does not
cover sheetcrm falls back to the rule-based ``holidays`` package, which also
knows the usual make-up days, and records a warning. Other countries use
``holidays`` with their own weekend. Extra days off and extra working days from
the settings sheet override both.

Each year is turned into a boolean table once; date arithmetic then runs on
sorted arrays of working-day ordinals, so whole columns are shifted at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import chinese_calendar
import holidays
import numpy as np

from ..errors import UsageError
from ..i18n import tr

__all__ = ["WorkCalendar"]

_CHINESE_CALENDAR_YEARS = range(2004, 2027)  # what chinesecalendar 1.11.0 ships


class WorkCalendar:
    """Which days are working days in a country, with extra days off and on."""

    def __init__(
        self,
        country: str = "CN",
        extra_off: Iterable[dt.date] = (),
        extra_work: Iterable[dt.date] = (),
    ) -> None:
        self.country = (country or "CN").strip().upper()
        self.extra_off = frozenset(extra_off)
        self.extra_work = frozenset(extra_work)
        self.estimated_years: set[int] = set()  # China years taken from the fallback
        self._years: dict[int, np.ndarray] = {}  # year → bool per day of the year
        self._first_year = 0
        self._ordinals = np.empty(0, dtype=np.int64)  # sorted ordinals of working days
        try:
            self._holidays = holidays.country_holidays(self.country)
        except NotImplementedError:
            raise UsageError(
                tr(
                    f"不支持国家代码 '{country}' 的工作日历；请使用 CN、US、DE 等两位代码",
                    f"no working-day calendar for country '{country}'; use a code like CN, US, DE",
                )
            ) from None

    # ---- building the tables -----------------------------------------------
    def _year_table(self, year: int) -> np.ndarray:
        days = [
            dt.date(year, 1, 1) + dt.timedelta(days=i)
            for i in range((dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days)
        ]
        if self.country == "CN" and year in _CHINESE_CALENDAR_YEARS:
            table = np.array([chinese_calendar.is_workday(day) for day in days])
        else:
            table = np.array([self._holidays.is_working_day(day) for day in days])
            if self.country == "CN":
                self.estimated_years.add(year)
        for day in self.extra_off:
            if day.year == year:
                table[day.timetuple().tm_yday - 1] = False
        for day in self.extra_work:
            if day.year == year:
                table[day.timetuple().tm_yday - 1] = True
        return table

    def _ensure(self, first_year: int, last_year: int) -> None:
        missing = [y for y in range(first_year, last_year + 1) if y not in self._years]
        if not missing:
            return
        for year in missing:
            self._years[year] = self._year_table(year)
        # Keep a contiguous run of years so ordinals and counts line up without gaps.
        low, high = min(self._years), max(self._years)
        for year in range(low, high + 1):
            if year not in self._years:
                self._years[year] = self._year_table(year)
        self._first_year = low
        start = dt.date(low, 1, 1).toordinal()
        flags = np.concatenate([self._years[y] for y in range(low, high + 1)])
        self._ordinals = start + np.flatnonzero(flags).astype(np.int64)

    def _ensure_ordinals(self, ordinals: np.ndarray, margin_days: int = 0) -> None:
        if ordinals.size == 0:
            return
        first = dt.date.fromordinal(int(ordinals.min()) - margin_days).year
        last = dt.date.fromordinal(int(ordinals.max()) + margin_days).year
        self._ensure(first, last)

    def warnings_for(self, first: dt.date, last: dt.date) -> list[str]:
        """Warnings about estimated years between two dates (China beyond the official data)."""
        self._ensure(first.year, last.year)
        return [
            tr(
                f"{year} 年的官方放假安排尚未收录，按 holidays 包的规则估算（含调休），请核对",
                f"the official {year} holiday schedule is not available; "
                "estimated with the holidays package (make-up days included) — please check",
            )
            for year in sorted(self.estimated_years)
            if first.year <= year <= last.year
        ]

    # ---- single dates --------------------------------------------------------
    def is_workday(self, day: dt.date) -> bool:
        """True when the date is a working day."""
        return bool(self.workday_array(np.array([day.toordinal()]))[0])

    def add_workdays(self, day: dt.date, n: int) -> dt.date:
        """The date n working days after (n < 0: before) a date, like Excel's WORKDAY."""
        return dt.date.fromordinal(int(self.add_workdays_array(np.array([day.toordinal()]), n)[0]))

    def next_workday(self, day: dt.date) -> dt.date:
        """The date itself when it is a working day, else the next working day."""
        return dt.date.fromordinal(int(self.next_workday_array(np.array([day.toordinal()]))[0]))

    # ---- whole columns of ordinals ---------------------------------------------
    def workday_array(self, ordinals: np.ndarray) -> np.ndarray:
        """Working-day flags for an array of date ordinals."""
        ordinals = np.asarray(ordinals, dtype=np.int64)
        self._ensure_ordinals(ordinals)
        pos = np.searchsorted(self._ordinals, ordinals)
        pos = np.minimum(pos, len(self._ordinals) - 1)
        found: np.ndarray = self._ordinals[pos] == ordinals
        return found

    def next_workday_array(self, ordinals: np.ndarray) -> np.ndarray:
        """Each ordinal if a working day, else the next working day's ordinal."""
        return self.add_workdays_array(ordinals - 1, 1)

    def add_workdays_array(self, ordinals: np.ndarray, n: int | np.ndarray) -> np.ndarray:
        """Ordinals moved n working days (Excel WORKDAY rules: the start day is not counted)."""
        ordinals = np.asarray(ordinals, dtype=np.int64)
        steps = np.broadcast_to(np.asarray(n, dtype=np.int64), ordinals.shape)
        if ordinals.size == 0:
            return ordinals.copy()
        # Each year has at least ~100 working days; 3 calendar days per working day is ample.
        margin = int(np.abs(steps).max()) * 3 + 14
        while True:
            self._ensure_ordinals(ordinals, margin)
            forward = np.searchsorted(self._ordinals, ordinals, side="right") + steps - 1
            backward = np.searchsorted(self._ordinals, ordinals, side="left") + steps
            index = np.where(steps > 0, forward, backward)
            if index.min() >= 0 and index.max() < len(self._ordinals):
                return np.where(steps == 0, ordinals, self._ordinals[index])
            margin = margin * 2 + 366

    def positions(self, ordinals: np.ndarray) -> np.ndarray:
        """Index of each ordinal (or the next working day) among the built working days."""
        ordinals = np.asarray(ordinals, dtype=np.int64)
        self._ensure_ordinals(ordinals, 14)
        return np.searchsorted(self._ordinals, ordinals, side="left")

    def ordinals_at(self, positions: np.ndarray) -> np.ndarray:
        """The working-day ordinals at positions returned by :meth:`positions`."""
        return self._ordinals[np.asarray(positions, dtype=np.int64)]

    def count_between(self, start: dt.date, end: dt.date) -> int:
        """How many working days fall in [start, end)."""
        self._ensure(start.year, end.year)
        low = np.searchsorted(self._ordinals, start.toordinal(), side="left")
        high = np.searchsorted(self._ordinals, end.toordinal(), side="left")
        return int(high - low)
