"""Which days an activity is open: weekdays, school periods vs holidays, public holidays, closures."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

import holidays

__all__ = [
    "OpeningRule",
    "Period",
    "french_public_holidays",
    "in_periods",
    "opening_days",
    "public_holidays",
]


@dataclass(frozen=True)
class Period:
    """Inclusive dates, e.g. a school-holiday period or a closure."""

    start: date
    end: date
    label: str = ""

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


@dataclass(frozen=True)
class OpeningRule:
    weekdays: frozenset[int]  # 0=Monday … 6=Sunday
    period: Literal["school", "holidays", "all"]  # school days only, holiday days only, or both
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.period not in ("school", "holidays", "all"):
            raise ValueError(f"unknown period kind: {self.period!r}")


def french_public_holidays(years: Iterable[int]) -> frozenset[date]:
    """Public holidays of metropolitan France (no Alsace-Moselle extras) for the given years."""
    return frozenset(holidays.France(years=sorted(set(years))).keys())


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[date]:
    """The public holidays around ``year`` (the year before and after too: deadlines cross new year)."""
    return french_public_holidays([year - 1, year, year + 1])


def in_periods(day: date, periods: Iterable[Period]) -> bool:
    return any(p.start <= day <= p.end for p in periods)


def opening_days(
    rule: OpeningRule,
    school_holidays: Sequence[Period],
    public_holidays: Collection[date],
    closures: Sequence[Period],
) -> list[date]:
    """The sorted days of ``rule.start``..``rule.end`` (inclusive) on which the activity is open."""
    days: list[date] = []
    d = rule.start
    one = timedelta(days=1)
    while d <= rule.end:
        if d.weekday() in rule.weekdays and d not in public_holidays and not in_periods(d, closures):
            holiday = in_periods(d, school_holidays)
            if (
                rule.period == "all"
                or (rule.period == "holidays" and holiday)
                or (rule.period == "school" and not holiday)
            ):
                days.append(d)
        d += one
    return days
