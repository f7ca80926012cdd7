from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.booking.domain.deadlines import (
    PARIS,
    DeadlineRule,
    deadline_for,
    is_open_for_change,
    is_working_day,
    previous_working_day,
)
from services.booking.domain.openings import french_public_holidays

PH = french_public_holidays(range(2015, 2041))
TWO_WD_10H = DeadlineRule(days_before=2, working_days=True, at=time(10, 0))
ONE_H = timedelta(hours=1)
TWO_H = timedelta(hours=2)


def paris(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=PARIS)


# --- examples -----------------------------------------------------------------------------


def test_wednesday_session_two_working_days_is_monday() -> None:
    assert deadline_for(date(2027, 3, 17), TWO_WD_10H, PH) == paris(2027, 3, 15)


def test_monday_session_two_working_days_is_previous_thursday() -> None:
    dl = deadline_for(date(2027, 3, 22), TWO_WD_10H, PH)
    assert dl == paris(2027, 3, 18)
    assert dl.weekday() == 3


def test_easter_monday_2027_is_skipped() -> None:
    assert date(2027, 3, 29) in PH
    # Wednesday 31/03 → Tuesday 30, (Monday 29 is Easter Monday) → Friday 26
    assert deadline_for(date(2027, 3, 31), TWO_WD_10H, PH) == paris(2027, 3, 26)
    # Tuesday 30/03 → Friday 26, Thursday 25
    assert deadline_for(date(2027, 3, 30), TWO_WD_10H, PH) == paris(2027, 3, 25)


def test_easter_monday_is_not_skipped_without_public_holidays() -> None:
    assert deadline_for(date(2027, 3, 31), TWO_WD_10H, frozenset()) == paris(2027, 3, 29)


def test_first_of_may_is_skipped() -> None:
    assert date(2026, 5, 1) in PH  # a Friday
    # Tuesday 05/05/2026 → Monday 4, (Friday 1 May) → Thursday 30 April
    assert deadline_for(date(2026, 5, 5), TWO_WD_10H, PH) == paris(2026, 4, 30)


def test_fourteenth_of_july_is_skipped() -> None:
    assert date(2027, 7, 14) in PH  # a Wednesday
    rule = DeadlineRule(days_before=1, working_days=True, at=time(18, 0))
    assert deadline_for(date(2027, 7, 15), rule, PH) == paris(2027, 7, 13, 18)


def test_ascension_is_skipped() -> None:
    assert date(2027, 5, 6) in PH  # Ascension Thursday
    # Monday 10/05 → Friday 7, (Thursday 6 is Ascension) → Wednesday 5
    assert deadline_for(date(2027, 5, 10), TWO_WD_10H, PH) == paris(2027, 5, 5)
    # Friday 7/05 → (Thursday 6) → Wednesday 5, Tuesday 4
    assert deadline_for(date(2027, 5, 7), TWO_WD_10H, PH) == paris(2027, 5, 4)


def test_calendar_days() -> None:
    rule = DeadlineRule(days_before=2, working_days=False, at=time(10, 0))
    # Monday session → Saturday, public holidays and week-ends are counted
    assert deadline_for(date(2027, 3, 22), rule, PH) == paris(2027, 3, 20)
    assert deadline_for(date(2027, 3, 31), rule, PH) == paris(2027, 3, 29)


def test_zero_days_before_is_the_same_day() -> None:
    for working_days in (True, False):
        rule = DeadlineRule(days_before=0, working_days=working_days, at=time(9, 30))
        # even on a Saturday or a public holiday
        for day in (date(2027, 3, 17), date(2027, 3, 20), date(2027, 3, 29)):
            assert deadline_for(day, rule, PH) == datetime.combine(day, time(9, 30), tzinfo=PARIS)


def test_negative_days_before_is_rejected() -> None:
    with pytest.raises(ValueError):
        DeadlineRule(days_before=-1, working_days=True, at=time(10, 0))


def test_previous_working_day() -> None:
    assert previous_working_day(date(2027, 3, 17), PH) == date(2027, 3, 16)
    assert previous_working_day(date(2027, 3, 22), PH) == date(2027, 3, 19)  # Monday → Friday
    assert previous_working_day(date(2027, 3, 30), PH) == date(2027, 3, 26)  # skips Easter Monday
    assert previous_working_day(date(2027, 3, 21), PH) == date(2027, 3, 19)  # Sunday → Friday
    assert previous_working_day(date(2027, 1, 4), PH) == date(2026, 12, 31)  # skips 1st January


# --- summer time -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "offset", "utc"),
    [
        (date(2027, 3, 27), ONE_H, datetime(2027, 3, 27, 9, 0, tzinfo=UTC)),
        (date(2027, 3, 28), TWO_H, datetime(2027, 3, 28, 8, 0, tzinfo=UTC)),  # change day
        (date(2027, 3, 29), TWO_H, datetime(2027, 3, 29, 8, 0, tzinfo=UTC)),
        (date(2027, 10, 30), TWO_H, datetime(2027, 10, 30, 8, 0, tzinfo=UTC)),
        (date(2027, 10, 31), ONE_H, datetime(2027, 10, 31, 9, 0, tzinfo=UTC)),  # change day
        (date(2027, 11, 1), ONE_H, datetime(2027, 11, 1, 9, 0, tzinfo=UTC)),
    ],
)
def test_deadline_on_and_around_dst_days(day: date, offset: timedelta, utc: datetime) -> None:
    # a deadline landing exactly on `day`, the session being on the day after
    rule = DeadlineRule(days_before=1, working_days=False, at=time(10, 0))
    dl = deadline_for(day + timedelta(days=1), rule, PH)
    assert dl.date() == day
    assert dl.time() == time(10, 0)
    assert dl.utcoffset() == offset
    assert dl.astimezone(UTC) == utc
    same_day = deadline_for(day, DeadlineRule(0, False, time(10, 0)), PH)
    assert same_day.utcoffset() == offset
    assert same_day.astimezone(UTC) == utc


def test_deadline_across_dst_counts_calendar_days_not_hours() -> None:
    # Monday 29/03/2027 10:00 CEST, two calendar days before is Saturday 27/03 10:00 CET:
    # 47 hours only, but still 10:00 on the wall clock.
    rule = DeadlineRule(days_before=2, working_days=False, at=time(10, 0))
    dl = deadline_for(date(2027, 3, 29), rule, PH)
    assert dl == paris(2027, 3, 27)
    assert dl.utcoffset() == ONE_H


def test_deadline_in_the_spring_gap_is_normalised() -> None:
    # 02:30 does not exist on 28/03/2027: same instant as 03:30 CEST (01:30 UTC)
    dl = deadline_for(date(2027, 3, 28), DeadlineRule(0, False, time(2, 30)), PH)
    assert dl.astimezone(UTC) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert (dl.hour, dl.minute) == (3, 30)
    assert dl.utcoffset() == TWO_H


def test_is_open_in_the_repeated_autumn_hour_compares_instants() -> None:
    # 02:30 on 31/10/2027 is the first (summer time) occurrence: 00:30 UTC
    rule = DeadlineRule(0, False, time(2, 30))
    dl = deadline_for(date(2027, 10, 31), rule, PH)
    assert dl.astimezone(UTC) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    # 02:15 of the second occurrence (winter time) is 01:15 UTC: after the deadline,
    # although its wall time is earlier.
    later = datetime(2027, 10, 31, 2, 15, fold=1, tzinfo=PARIS)
    assert not is_open_for_change(date(2027, 10, 31), rule, later, PH)
    earlier = datetime(2027, 10, 31, 2, 15, fold=0, tzinfo=PARIS)
    assert is_open_for_change(date(2027, 10, 31), rule, earlier, PH)


def test_is_open_for_change_boundaries() -> None:
    day = date(2027, 3, 17)
    dl = paris(2027, 3, 15)
    assert is_open_for_change(day, TWO_WD_10H, dl - timedelta(microseconds=1), PH)
    assert not is_open_for_change(day, TWO_WD_10H, dl, PH)
    assert not is_open_for_change(day, TWO_WD_10H, dl + timedelta(seconds=1), PH)
    # `now` in another zone: 08:59 UTC is 09:59 Paris (winter time)
    assert is_open_for_change(day, TWO_WD_10H, datetime(2027, 3, 15, 8, 59, tzinfo=UTC), PH)
    assert not is_open_for_change(day, TWO_WD_10H, datetime(2027, 3, 15, 9, 0, tzinfo=UTC), PH)


def test_is_open_for_change_rejects_naive_now() -> None:
    with pytest.raises(ValueError):
        is_open_for_change(date(2027, 3, 17), TWO_WD_10H, datetime(2027, 3, 1, 10, 0), PH)


# --- properties --------------------------------------------------------------------------

days = st.dates(min_value=date(2016, 1, 1), max_value=date(2039, 12, 31))
times = st.times()
rules = st.builds(
    DeadlineRule,
    days_before=st.integers(min_value=0, max_value=15),
    working_days=st.booleans(),
    at=times,
)


@given(days, rules)
def test_deadline_is_before_the_session_day_or_on_it(day: date, rule: DeadlineRule) -> None:
    dl = deadline_for(day, rule, PH)
    assert dl.tzinfo is PARIS
    assert dl.utcoffset() in (ONE_H, TWO_H)
    end_of_day = datetime.combine(day + timedelta(days=1), time(0), tzinfo=PARIS)
    assert dl.astimezone(UTC) < end_of_day.astimezone(UTC)
    if rule.days_before == 0:
        assert dl.date() == day
    else:
        start_of_day = datetime.combine(day, time(0), tzinfo=PARIS)
        assert dl.astimezone(UTC) < start_of_day.astimezone(UTC)
        assert dl.date() < day


@given(days, rules)
def test_deadline_counts_the_right_days(day: date, rule: DeadlineRule) -> None:
    d = deadline_for(day, rule, PH).date()
    if not rule.working_days:
        assert (day - d).days == rule.days_before
    elif rule.days_before > 0:
        # never a week-end or a public holiday, with exactly days_before working days in [d, day)
        assert d.weekday() < 5
        assert d not in PH
        span = [d + timedelta(days=i) for i in range((day - d).days)]
        assert sum(is_working_day(x, PH) for x in span) == rule.days_before


@given(days, rules)
def test_deadline_wall_time_is_rule_time_unless_in_the_gap(day: date, rule: DeadlineRule) -> None:
    dl = deadline_for(day, rule, PH)
    naive = datetime.combine(dl.date(), rule.at)
    if dl.time() != rule.at:
        # only in the spring-forward gap, shown one hour later
        assert dl.utcoffset() == TWO_H
        assert dl.replace(tzinfo=None) - naive == ONE_H
        assert dl.month == 3 and dl.weekday() == 6


@given(days, rules, st.integers(min_value=-(10**6), max_value=10**6))
def test_is_open_for_change_is_now_before_deadline(day: date, rule: DeadlineRule, seconds: int) -> None:
    dl = deadline_for(day, rule, PH)
    # absolute arithmetic (wall-clock arithmetic in PARIS would be wrong across a change)
    now = (dl.astimezone(UTC) + timedelta(seconds=seconds)).astimezone(PARIS)
    expected = seconds < 0
    assert is_open_for_change(day, rule, now, PH) is expected
    assert is_open_for_change(day, rule, now.astimezone(UTC), PH) is expected


@given(days)
def test_previous_working_day_properties(day: date) -> None:
    p = previous_working_day(day, PH)
    assert p < day
    assert is_working_day(p, PH)
    assert all(not is_working_day(p + timedelta(days=i), PH) for i in range(1, (day - p).days))
