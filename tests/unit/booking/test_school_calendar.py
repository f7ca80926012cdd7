"""The school holidays of the academic zones (services/booking/domain/school_calendar.py): the published
dates for the known years, a sensible fallback for the others, and the demo's canteen never open on them."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest

from services.booking.domain.openings import OpeningRule, opening_days
from services.booking.domain.school_calendar import (
    KNOWN_YEARS,
    holidays_between,
    school_year_of,
    zone_holidays,
)


def test_the_school_year_runs_from_september_to_august():
    assert school_year_of(date(2026, 9, 1)) == 2026 and school_year_of(date(2027, 8, 31)) == 2026
    assert school_year_of(date(2026, 8, 31)) == 2025


def test_the_published_dates_of_zone_a_2025_2026():
    periods = {p.label: (p.start, p.end) for p in zone_holidays("A", 2025)}
    assert periods["Vacances de la Toussaint"] == (date(2025, 10, 18), date(2025, 11, 2))
    assert periods["Vacances d'hiver"] == (date(2026, 2, 7), date(2026, 2, 22))
    assert periods["Vacances de printemps"] == (date(2026, 4, 4), date(2026, 4, 19))
    # zones differ in winter and spring only
    assert {p.label: p for p in zone_holidays("C", 2025)}["Vacances de Noël"] == \
        {p.label: p for p in zone_holidays("A", 2025)}["Vacances de Noël"]
    assert {p.label: p.start for p in zone_holidays("C", 2025)}["Vacances d'hiver"] == date(2026, 2, 21)


@pytest.mark.parametrize("year", [*KNOWN_YEARS, KNOWN_YEARS[0] - 3, KNOWN_YEARS[-1] + 5])
@pytest.mark.parametrize("zone", ["A", "B", "C"])
def test_every_year_has_its_holidays_in_order_within_the_school_year(zone, year):
    periods = zone_holidays(zone, year)
    assert [p.label for p in periods][:2] == ["Vacances de la Toussaint", "Vacances de Noël"]
    for before, after in pairwise(periods):
        assert before.end < after.start
    assert date(year, 9, 1) < periods[0].start and periods[-1].start < date(year + 1, 7, 31)
    assert all(p.start.weekday() in (3, 4, 5) for p in periods)  # a Saturday (the Ascension: Thursday)


def test_an_unknown_zone_is_refused():
    with pytest.raises(ValueError, match="zone"):
        zone_holidays("D", 2026)  # type: ignore[arg-type]


def test_a_canteen_open_on_school_days_is_closed_during_the_holidays():
    start, end = date(KNOWN_YEARS[-1], 9, 1), date(KNOWN_YEARS[-1] + 1, 8, 31)
    periods = holidays_between("A", start, end)
    days = opening_days(OpeningRule(frozenset({0, 1, 3, 4}), "school", start, end), periods, frozenset(), [])
    assert days and not any(p.start <= d <= p.end for d in days for p in periods)
    one = timedelta(days=1)
    assert all(p.end >= start - one and p.start <= end + one for p in periods)


def test_a_year_not_in_the_table_stays_close_to_the_calendars_habits():
    later = {p.label: p.start for p in zone_holidays("A", KNOWN_YEARS[-1] + 7)}
    known = {p.label: p.start for p in zone_holidays("A", KNOWN_YEARS[-1])}
    for label, start in later.items():
        assert abs((start - known[label].replace(year=known[label].year + 7)).days) <= 4


@pytest.mark.parametrize("month", range(1, 13))
def test_the_demo_history_covers_two_past_months_of_school(month):
    from services.booking.demo import history_months

    today = date(2027, month, 15)
    first, last = history_months(today)
    assert first.day == 1 and last == today.replace(day=1) - timedelta(days=1)
    months = {(d.year, d.month) for d in (first + timedelta(days=n) for n in range((last - first).days + 1))}
    assert len([m for m in months if m[1] not in (7, 8)]) == 2 and len(months) <= 4
