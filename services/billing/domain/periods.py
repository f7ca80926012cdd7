"""The months billing answers for: "AAAA-MM" read into its first and last days, the months around it, and
the month the invoices are issued for (a closed one: by default the one before today's)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from services.billing.domain.errors import InvalidMonth, MonthNotClosed

# A bound keeps every date computed around a month (the month before, the month after) a valid date,
# and makes a typing error ("20266-01", "0000-00") a refusal, not a crash.
FIRST_YEAR, LAST_YEAR = 2000, 2100
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def month_range(month: str) -> tuple[date, date]:
    """"2026-09" → (2026-09-01, 2026-09-30). InvalidMonth (French message) for anything else."""
    shown = str(month)[:20]
    match = _MONTH.fullmatch(str(month))
    if match is None:
        raise InvalidMonth(f"Mois invalide « {shown} » : le mois attendu est de la forme AAAA-MM (ex. 2026-09).")
    year, number = int(match[1]), int(match[2])
    if not 1 <= number <= 12:
        raise InvalidMonth(f"Mois invalide « {shown} » : le mois va de 01 à 12.")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidMonth(f"Mois invalide « {shown} » : l'année doit être comprise entre {FIRST_YEAR} et {LAST_YEAR}.")
    start = date(year, number, 1)
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return start, end


def month_key(day: date) -> str:
    """The "AAAA-MM" of the month `day` is in."""
    return day.strftime("%Y-%m")


def neighbours(start: date) -> tuple[str, str]:
    """The months before and after the one starting on `start`, as "AAAA-MM"."""
    return month_key(start - timedelta(days=1)), month_key(start + timedelta(days=32))


def last_month(today: date) -> str:
    """The month invoiced by default: the one before today's."""
    return month_key(today.replace(day=1) - timedelta(days=1))


def closed_month(month: str | None, today: date) -> tuple[str, date, date]:
    """The month invoices are issued for and its first and last days: the one asked for, by default last
    month; only once it is over (its last day is before `today`), so that an invoice bills days up to the end
    of its month and never a day still to come. MonthNotClosed (French message) for the current month or a
    later one; InvalidMonth for what is not a month."""
    month = month or last_month(today)
    start, end = month_range(month)
    if end >= today:
        opens = end + timedelta(days=1)
        raise MonthNotClosed(f"Le mois {month} n'est pas terminé : ses factures ne peuvent être émises qu'à partir "
                             f"du {opens:%d/%m/%Y} (par défaut, les factures sont celles du mois dernier).")
    return month, start, end
