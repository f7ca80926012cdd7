"""Booking / cancellation deadlines ("two working days before at 10:00").

Pure functions: the current time is always passed in, never read from a clock.
All datetimes are timezone-aware, in Europe/Paris.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

__all__ = [
    "PARIS",
    "DeadlineRule",
    "deadline_for",
    "is_open_for_change",
    "is_working_day",
    "previous_working_day",
]


@dataclass(frozen=True)
class DeadlineRule:
    days_before: int  # >= 0
    working_days: bool  # count Mon–Fri excluding public holidays, else calendar days
    at: time  # local Paris time on that day, e.g. time(10, 0)

    def __post_init__(self) -> None:
        if self.days_before < 0:
            raise ValueError("days_before must be >= 0")


def is_working_day(day: date, public_holidays: Collection[date]) -> bool:
    """Monday to Friday and not a public holiday."""
    return day.weekday() < 5 and day not in public_holidays


def previous_working_day(day: date, public_holidays: Collection[date]) -> date:
    """The last working day strictly before ``day``."""
    d = day - timedelta(days=1)
    while not is_working_day(d, public_holidays):
        d -= timedelta(days=1)
    return d


def deadline_for(day: date, rule: DeadlineRule, public_holidays: Collection[date]) -> datetime:
    """The instant (aware, Europe/Paris) after which ``day`` can no longer be changed.

    ``days_before=0`` is the session day itself at ``rule.at`` (whatever kind of day it is).
    With ``working_days``, each step back lands on the previous working day, so the deadline's
    date is never a weekend day or a public holiday as soon as ``days_before >= 1``.
    """
    if rule.working_days:
        d = day
        for _ in range(rule.days_before):
            d = previous_working_day(d, public_holidays)
    else:
        d = day - timedelta(days=rule.days_before)
    local = datetime.combine(d, rule.at.replace(tzinfo=None), tzinfo=PARIS)
    # Normalise through UTC: a wall time that does not exist (spring-forward gap, e.g. 02:30 on
    # the last Sunday of March) is shown as the real local time of the same instant.
    return local.astimezone(UTC).astimezone(PARIS)


def is_open_for_change(
    day: date, rule: DeadlineRule, now: datetime, public_holidays: Collection[date]
) -> bool:
    """True while ``now`` is strictly before the deadline of ``day``."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    # Compare UTC instants: two datetimes sharing the same tzinfo are otherwise compared by
    # wall time, which is wrong during the repeated hour of the autumn change.
    if isinstance(public_holidays, frozenset):  # the usual case (openings.public_holidays): computed once
        return now.astimezone(UTC) < _deadline_utc(day, rule, public_holidays)
    return now.astimezone(UTC) < deadline_for(day, rule, public_holidays).astimezone(UTC)


@lru_cache(maxsize=8192)
def _deadline_utc(day: date, rule: DeadlineRule, public_holidays: frozenset[date]) -> datetime:
    """deadline_for as a UTC instant, kept: a month's calendar and a basket ask for the same few hundred
    (day, rule) pairs again and again (a pure function of its arguments)."""
    return deadline_for(day, rule, public_holidays).astimezone(UTC)
