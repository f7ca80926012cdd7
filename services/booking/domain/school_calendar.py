"""The French school holidays of the academic zones A, B and C, as the Ministry publishes them (arrêtés of
the school calendar), for the school years this portal's demo needs; a year not in the table takes the
nearest known year's periods moved by the whole number of weeks nearest to the years between (a holiday
still starts on a Saturday, within a few days of where the calendar usually puts it).

A period runs from the first day without class (the Saturday) to the day before classes resume (inclusive);
the summer holidays end on 31 August."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from services.booking.domain.openings import Period

Zone = Literal["A", "B", "C"]
ZONES: tuple[Zone, ...] = ("A", "B", "C")


def _d(text: str) -> date:
    return date.fromisoformat(text)


# school year (its first calendar year) -> label -> (start, end) for every zone, or {zone: (start, end)}
_TABLE: dict[int, dict[str, tuple[str, str] | dict[str, tuple[str, str]]]] = {
    2024: {
        "Vacances de la Toussaint": ("2024-10-19", "2024-11-03"),
        "Vacances de Noël": ("2024-12-21", "2025-01-05"),
        "Vacances d'hiver": {"A": ("2025-02-22", "2025-03-09"), "B": ("2025-02-08", "2025-02-23"),
                             "C": ("2025-02-15", "2025-03-02")},
        "Vacances de printemps": {"A": ("2025-04-19", "2025-05-04"), "B": ("2025-04-05", "2025-04-21"),
                                  "C": ("2025-04-12", "2025-04-27")},
        "Pont de l'Ascension": ("2025-05-29", "2025-06-01"),
        "Vacances d'été": ("2025-07-05", "2025-08-31"),
    },
    2025: {
        "Vacances de la Toussaint": ("2025-10-18", "2025-11-02"),
        "Vacances de Noël": ("2025-12-20", "2026-01-04"),
        "Vacances d'hiver": {"A": ("2026-02-07", "2026-02-22"), "B": ("2026-02-14", "2026-03-01"),
                             "C": ("2026-02-21", "2026-03-08")},
        "Vacances de printemps": {"A": ("2026-04-04", "2026-04-19"), "B": ("2026-04-11", "2026-04-26"),
                                  "C": ("2026-04-18", "2026-05-03")},
        "Pont de l'Ascension": ("2026-05-14", "2026-05-17"),
        "Vacances d'été": ("2026-07-04", "2026-08-31"),
    },
    2026: {
        "Vacances de la Toussaint": ("2026-10-17", "2026-11-01"),
        "Vacances de Noël": ("2026-12-19", "2027-01-03"),
        "Vacances d'hiver": {"A": ("2027-02-13", "2027-02-28"), "B": ("2027-02-20", "2027-03-07"),
                             "C": ("2027-02-06", "2027-02-21")},
        "Vacances de printemps": {"A": ("2027-04-10", "2027-04-25"), "B": ("2027-04-17", "2027-05-02"),
                                  "C": ("2027-04-03", "2027-04-18")},
        "Pont de l'Ascension": ("2027-05-06", "2027-05-09"),
        "Vacances d'été": ("2027-07-03", "2027-08-31"),
    },
}
KNOWN_YEARS = tuple(sorted(_TABLE))


def school_year_of(day: date) -> int:
    """The school year a day belongs to, named by its first calendar year (September to August)."""
    return day.year if day.month >= 9 else day.year - 1


def zone_holidays(zone: Zone, school_year: int) -> list[Period]:
    """The zone's holidays of a school year (its first calendar year), in order. A year the table does not
    know: the nearest known year's, moved by the whole weeks nearest to the years between."""
    if zone not in ZONES:
        raise ValueError(f"unknown school zone: {zone!r}")
    known = min(KNOWN_YEARS, key=lambda y: abs(y - school_year))
    shift = timedelta(weeks=round((school_year - known) * 365.2425 / 7))
    periods = []
    for label, dates in _TABLE[known].items():
        start, end = dates[zone] if isinstance(dates, dict) else dates
        periods.append(Period(_d(start) + shift, _d(end) + shift, label))
    return periods


def holidays_between(zone: Zone, start: date, end: date) -> list[Period]:
    """The zone's holidays that meet the days start..end (inclusive)."""
    return [p for year in range(school_year_of(start), school_year_of(end) + 1) for p in zone_holidays(zone, year)
            if p.start <= end and p.end >= start]
