"""The reminder before the dossier campaign closes (issue 19): from ``days_before`` days before the closing
day (PORTAIL_REMINDER_DAYS_BEFORE) until the day before it, each family whose dossier is incomplete for a
structure (a sheet that is not transmitted or validated, or no sheet yet) is reminded. The reason's key names
the school year: notify mails it once per family, however many runs and structures.

Pure: today (Paris) is given."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from contracts.dossier_sheets import SheetKind, SheetState

from .campaign import DONE_STATES, is_school_year

__all__ = ["closing_day_refusal", "incomplete", "reason_key", "reminder_due"]


def reminder_due(closes_on: date | None, today: date, days_before: int) -> bool:
    """Within the ``days_before`` days before the closing day (the day itself is too late: it closes)."""
    if days_before < 0:
        raise ValueError("days_before must be >= 0")
    return closes_on is not None and closes_on - timedelta(days=days_before) <= today < closes_on


def incomplete(sheets: Iterable[tuple[SheetKind | str, SheetState | str]]) -> bool:
    """A family's dossier is incomplete while it has no sheet or one not transmitted nor validated."""
    states = [SheetState(state) for _, state in sheets]
    return not states or any(state not in DONE_STATES for state in states)


def reason_key(school_year: str) -> str:
    return f"dossier:{school_year}"


def closing_day_refusal(school_year: str, closes_on: date) -> str | None:
    """A closing day falls within the campaign's school year's span (1 January of its first year to 31 December
    of its second); the French refusal otherwise."""
    if not is_school_year(school_year):
        return "Année scolaire invalide : format attendu 2026-2027."
    first = int(school_year[:4])
    if not date(first, 1, 1) <= closes_on <= date(first + 1, 12, 31):
        return f"Date de clôture invalide : entre le 01/01/{first} et le 31/12/{first + 1}."
    return None
