from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.booking.domain.openings import OpeningRule, Period, french_public_holidays, opening_days

PH = french_public_holidays([2026, 2027])
SCHOOL_HOLIDAYS = [
    Period(date(2026, 10, 17), date(2026, 11, 1), "Vacances de la Toussaint"),
    Period(date(2026, 12, 19), date(2027, 1, 3), "Vacances de Noël"),
    Period(date(2027, 2, 20), date(2027, 3, 7), "Vacances d'hiver"),
    Period(date(2027, 4, 17), date(2027, 5, 2), "Vacances de printemps"),
    Period(date(2027, 7, 3), date(2027, 8, 31), "Vacances d'été"),
]
CLOSURES = [Period(date(2027, 5, 7), date(2027, 5, 7), "Pont de l'Ascension")]
YEAR_START, YEAR_END = date(2026, 9, 1), date(2027, 8, 31)
WEDNESDAYS_IN_HOLIDAYS = OpeningRule(frozenset({2}), "holidays", YEAR_START, YEAR_END)
SCHOOL_PERISCOLAIRE = OpeningRule(frozenset({0, 1, 3, 4}), "school", YEAR_START, YEAR_END)


def in_holidays(d: date) -> bool:
    return any(p.start <= d <= p.end for p in SCHOOL_HOLIDAYS)


def test_french_public_holidays_2027() -> None:
    assert PH >= {
        date(2027, 1, 1),
        date(2027, 3, 29),  # Easter Monday
        date(2027, 5, 1),
        date(2027, 5, 6),  # Ascension
        date(2027, 5, 8),
        date(2027, 5, 17),  # Whit Monday
        date(2027, 7, 14),
        date(2027, 8, 15),
        date(2027, 11, 1),
        date(2027, 11, 11),
        date(2027, 12, 25),
    }
    assert len(french_public_holidays([2027])) == 11
    # metropolitan France: no Good Friday nor 26 December (Alsace-Moselle only)
    assert date(2027, 3, 26) not in PH
    assert date(2027, 12, 26) not in PH
    assert french_public_holidays([]) == frozenset()
    assert french_public_holidays(iter([2026])) == french_public_holidays([2026, 2026])


def test_every_wednesday_in_holidays() -> None:
    days = opening_days(WEDNESDAYS_IN_HOLIDAYS, SCHOOL_HOLIDAYS, PH, CLOSURES)
    assert days == sorted(days)
    assert all(d.weekday() == 2 and in_holidays(d) for d in days)
    assert days[:3] == [date(2026, 10, 21), date(2026, 10, 28), date(2026, 12, 23)]
    assert date(2027, 7, 7) in days
    assert date(2027, 7, 14) not in days  # 14 juillet, a Wednesday
    assert date(2026, 11, 4) not in days  # school period
    # brute force: every Wednesday of the holidays except the 14th of July
    expected = [
        p.start + timedelta(days=i)
        for p in SCHOOL_HOLIDAYS
        for i in range((p.end - p.start).days + 1)
        if (p.start + timedelta(days=i)).weekday() == 2
    ]
    assert days == [d for d in expected if d != date(2027, 7, 14)]


def test_mon_tue_thu_fri_in_school_periods() -> None:
    days = opening_days(SCHOOL_PERISCOLAIRE, SCHOOL_HOLIDAYS, PH, CLOSURES)
    assert days == sorted(days)
    assert all(d.weekday() in (0, 1, 3, 4) and not in_holidays(d) for d in days)
    assert days[0] == date(2026, 9, 1)  # a Tuesday
    assert days[-1] == date(2027, 7, 2)  # last Friday before summer
    assert date(2026, 9, 2) not in days  # Wednesday
    assert date(2026, 10, 19) not in days  # Toussaint holidays
    assert date(2027, 3, 29) not in days  # Easter Monday
    assert date(2027, 3, 30) in days
    assert date(2027, 5, 6) not in days  # Ascension
    assert date(2027, 5, 7) not in days  # closure (bridge day)
    assert date(2027, 5, 10) in days
    assert date(2027, 5, 17) not in days  # Whit Monday
    assert not set(days) & PH


def test_all_is_the_union_of_school_and_holidays() -> None:
    weekdays = frozenset(range(7))
    parts = [
        opening_days(OpeningRule(weekdays, kind, YEAR_START, YEAR_END), SCHOOL_HOLIDAYS, PH, CLOSURES)
        for kind in ("school", "holidays", "all")
    ]
    school, holidays_, every = parts
    assert not set(school) & set(holidays_)
    assert every == sorted(school + holidays_)
    assert len(every) == 365 - len({d for d in PH if YEAR_START <= d <= YEAR_END}) - 1


def test_period_bounds_are_inclusive() -> None:
    holiday = [Period(date(2027, 4, 19), date(2027, 4, 23), "Vacances")]
    rule = OpeningRule(frozenset(range(5)), "holidays", date(2027, 4, 1), date(2027, 4, 30))
    assert opening_days(rule, holiday, frozenset(), []) == [date(2027, 4, d) for d in range(19, 24)]
    closures = [Period(date(2027, 4, 19), date(2027, 4, 19)), Period(date(2027, 4, 23), date(2027, 4, 23))]
    assert opening_days(rule, holiday, frozenset(), closures) == [date(2027, 4, d) for d in range(20, 23)]
    rule_bounds = OpeningRule(frozenset(range(7)), "all", date(2027, 4, 20), date(2027, 4, 21))
    assert opening_days(rule_bounds, [], frozenset(), []) == [date(2027, 4, 20), date(2027, 4, 21)]


def test_empty_cases() -> None:
    assert opening_days(OpeningRule(frozenset(), "all", YEAR_START, YEAR_END), [], PH, []) == []
    assert opening_days(OpeningRule(frozenset({0}), "all", YEAR_END, YEAR_START), [], PH, []) == []


def test_unknown_period_kind_is_rejected() -> None:
    with pytest.raises(ValueError):
        OpeningRule(frozenset({0}), "weekends", YEAR_START, YEAR_END)  # type: ignore[arg-type]


@given(
    st.frozensets(st.integers(0, 6)),
    st.sampled_from(["school", "holidays", "all"]),
    st.dates(date(2026, 9, 1), date(2027, 8, 31)),
    st.integers(0, 120),
)
def test_opening_days_properties(weekdays: frozenset[int], kind: str, start: date, length: int) -> None:
    rule = OpeningRule(weekdays, kind, start, start + timedelta(days=length))  # type: ignore[arg-type]
    days = opening_days(rule, SCHOOL_HOLIDAYS, PH, CLOSURES)
    assert days == sorted(set(days))
    for d in days:
        assert rule.start <= d <= rule.end
        assert d.weekday() in weekdays
        assert d not in PH
        assert not any(c.start <= d <= c.end for c in CLOSURES)
        if kind == "school":
            assert not in_holidays(d)
        elif kind == "holidays":
            assert in_holidays(d)
