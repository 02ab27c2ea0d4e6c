"""Working days (工作日): weekends, official holidays and China's make-up working days (调休).

For China the official State Council calendar comes from ``chinesecalendar`` (which covers
2004–2026 and raises for other years). For a later year staff paste that year's official
schedule (the notice published each November/December) into the settings' ``[holidays]``
block: with such rows the year is exact — Monday to Friday, then the official days off and
make-up working days. Without them the year is *estimated* with the rule-based ``holidays``
package: fixed-date and lunar holidays (and a weekday off when one falls on a weekend), but
no make-up working days at all (checked for 2027 with holidays 0.108), and the calendar says
so (:func:`estimate_warning`). Other countries use ``holidays`` with their own weekend. The
company's extra days off and working days from the settings override everything.

Each year is turned into a boolean table once; date arithmetic then runs on
sorted arrays of working-day ordinals, so whole columns are shifted at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

import chinese_calendar
import holidays
import numpy as np

from ..errors import UsageError
from ..i18n import Text, both, tr

__all__ = ["CalendarDays", "WorkCalendar", "estimate_warning"]

_CHINESE_CALENDAR_YEARS = range(2004, 2027)  # what chinesecalendar 1.11.0 ships


@dataclass(frozen=True)
class CalendarDays:
    """Days the settings name: the official schedule staff pasted, and the company's own."""

    official_off: frozenset[dt.date] = frozenset()
    official_work: frozenset[dt.date] = frozenset()  # make-up working days (调休上班)
    extra_off: frozenset[dt.date] = frozenset()
    extra_work: frozenset[dt.date] = frozenset()

    @property
    def official_years(self) -> frozenset[int]:
        """The years the pasted official schedule covers."""
        return frozenset(day.year for day in self.official_off | self.official_work)


def estimate_warning(year: int) -> str:
    """What is estimated about a year beyond the official data, and how staff make it exact."""
    return tr(
        f"{year} 年的工作日按估算安排：内置的国务院放假安排只到 2026 年，{year} 年只按固定日期和"
        f"农历节日的规则估算放假日，不含调休上班日（周末补班）。请在「sheetcrm 设置」表的 "
        f"[holidays] 节假日调整 区块粘贴国务院办公厅公布的 {year} 年节假日安排"
        "（类型写 官方休息 或 官方上班），该年即按官方安排计算。",
        f"working days in {year} are estimated: the built-in State Council schedule ends in "
        f"2026, so {year}'s days off follow the fixed-date and lunar holiday rules only, "
        "without make-up working days (调休, weekends worked in exchange). Paste the State "
        f"Council's {year} holiday schedule into the [holidays] block of the 'sheetcrm 设置' "
        "sheet (type 官方休息 official off or 官方上班 official work) and the year becomes exact.",
    )


class WorkCalendar:
    """Which days are working days in a country, with the official and company days named."""

    def __init__(self, country: str = "CN", days: CalendarDays | None = None) -> None:
        self.country = (country or "CN").strip().upper()
        self.days = days or CalendarDays()
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
        official = year in self.days.official_years
        if self.country == "CN" and year in _CHINESE_CALENDAR_YEARS:
            table = np.array([chinese_calendar.is_workday(day) for day in days])
        elif self.country == "CN" and official:
            # The notice lists every day off and make-up day: the rest is Monday to Friday.
            table = np.array([day.weekday() < 5 for day in days])
        else:
            table = np.array([self._holidays.is_working_day(day) for day in days])
            if self.country == "CN":
                self.estimated_years.add(year)
        # The company's own days come last: they override even the official schedule.
        _mark(table, year, self.days.official_off, False)
        _mark(table, year, self.days.official_work, True)
        _mark(table, year, self.days.extra_off, False)
        _mark(table, year, self.days.extra_work, True)
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

    def estimated_between(self, first: dt.date, last: dt.date) -> tuple[int, ...]:
        """The years between two dates that are estimated (China beyond the official data)."""
        self._ensure(first.year, last.year)
        return tuple(y for y in sorted(self.estimated_years) if first.year <= y <= last.year)

    def warnings_for(self, first: dt.date, last: dt.date) -> list[Text]:
        """A warning per estimated year between two dates (see :func:`estimate_warning`), and
        one when official rows contradict the built-in schedule (a year typed wrong)."""
        warnings = [
            both(partial(estimate_warning, year)) for year in self.estimated_between(first, last)
        ]
        contrary = self._contrary_official_days()
        if contrary:
            shown = "、".join(day.isoformat() for day in contrary[:5])
            warnings.append(
                Text(
                    f"[holidays] 中的官方安排有 {len(contrary)} 天与内置的国务院安排相反（{shown}）："
                    "请检查年份——在 Excel 中输入不带年份的「2月6日」会变成今年的日期",
                    f"{len(contrary)} official days in [holidays] contradict the built-in State "
                    f"Council schedule ({shown}): check their year — Excel turns a typed "
                    "'2月6日' into a date of the current year",
                )
            )
        return warnings

    def _contrary_official_days(self) -> list[dt.date]:
        """Official rows in a year chinesecalendar covers that say the opposite of it."""
        if self.country != "CN":
            return []
        named = [(day, False) for day in self.days.official_off]
        named += [(day, True) for day in self.days.official_work]
        return sorted(
            day
            for day, working in named
            if day.year in _CHINESE_CALENDAR_YEARS and chinese_calendar.is_workday(day) != working
        )

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


def _mark(table: np.ndarray, year: int, days: Iterable[dt.date], working: bool) -> None:
    """Set the named days of a year's table to working or not."""
    for day in days:
        if day.year == year:
            table[day.timetuple().tm_yday - 1] = working
