"""The guide's quick tools: select / cancel a whole week, every Monday…, or the whole month.

"si le 1er jour réservable de la semaine n'est pas réservé, tous les jours seront réservés,
s'il est déjà réservé, tous les jours seront annulés"
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from services.booking.domain.states import DayState

__all__ = [
    "BOOKABLE",
    "CANCELLABLE",
    "Cell",
    "Pending",
    "actionable",
    "effectively_booked",
    "quick_toggle",
    "same_weekday",
    "toggle_day",
    "week_of",
]

Pending = Literal["reserve", "cancel"] | None

BOOKABLE = frozenset({DayState.AVAILABLE, DayState.WAITLIST_ONLY})
CANCELLABLE = frozenset({DayState.BOOKED, DayState.REQUESTED})


@dataclass(frozen=True)
class Cell:
    day: date
    state: DayState
    pending: Pending = None  # what the parent already clicked (not yet confirmed)


def effectively_booked(cell: Cell) -> bool:
    """Booked once the parent's pending clicks are confirmed."""
    return (cell.state in CANCELLABLE and cell.pending != "cancel") or cell.pending == "reserve"


def actionable(cell: Cell) -> bool:
    return cell.state in BOOKABLE or cell.state in CANCELLABLE


def quick_toggle(cells: Sequence[Cell]) -> dict[date, Pending]:
    """The new pending value of every actionable day of the set.

    The first actionable day (by date) decides: booked → every day becomes not booked,
    not booked → every day becomes booked. Non-actionable days are left out.
    """
    ordered = sorted((c for c in cells if actionable(c)), key=lambda c: c.day)
    if not ordered:
        return {}
    if effectively_booked(ordered[0]):
        return {c.day: ("cancel" if c.state in CANCELLABLE else None) for c in ordered}
    return {c.day: ("reserve" if c.state in BOOKABLE else None) for c in ordered}


def toggle_day(cell: Cell) -> Pending:
    """A single click on a day."""
    if cell.state in BOOKABLE:
        return None if cell.pending == "reserve" else "reserve"
    if cell.state in CANCELLABLE:
        return None if cell.pending == "cancel" else "cancel"
    return None


def week_of(day: date, days: Sequence[date]) -> list[date]:
    """The days of ``days`` in the same Monday–Sunday week as ``day``, sorted."""
    year, week, _ = day.isocalendar()
    return sorted({d for d in days if d.isocalendar()[:2] == (year, week)})


def same_weekday(weekday: int, days: Sequence[date]) -> list[date]:
    """The days of ``days`` falling on ``weekday`` (0=Monday … 6=Sunday), sorted."""
    return sorted({d for d in days if d.weekday() == weekday})
