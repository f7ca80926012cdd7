"""The booking reminder's rule (services/booking/domain/reminders.py): due within the days before a booking
period's deadline (the deadline of its first day), for the enrolled families that booked none of its days.
Fixed dates only."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time

import pytest

from services.booking.domain.deadlines import PARIS, DeadlineRule
from services.booking.domain.reminders import BookingPeriod, due_reminders, reason_key

HERE, ALSH = uuid.UUID(int=1), uuid.UUID(int=2)
BOOKED, NOT_BOOKED, NOT_ENROLLED = uuid.UUID(int=11), uuid.UUID(int=12), uuid.UUID(int=13)
# the winter holidays 2027: first day Monday 15 February; two working days before at 10:00: Thursday 11 at 10:00
WINTER = BookingPeriod(HERE, "Mairie de CarteVille", ALSH, "ALSH VACANCES", "Vacances d'hiver", date(2027, 2, 15),
                       date(2027, 2, 26), date(2027, 2, 15), DeadlineRule(2, True, time(10, 0)))
ENROLLED = {ALSH: {BOOKED, NOT_BOOKED}}
HAS_BOOKED = {(ALSH, date(2027, 2, 15)): {BOOKED}}


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2027, 2, day, hour, 0, tzinfo=PARIS)


def test_due_within_the_days_before_the_deadline_for_families_that_booked_nothing():
    [due] = due_reminders([WINTER], ENROLLED, HAS_BOOKED, at(4, 11), 7, frozenset())
    assert due.family_id == NOT_BOOKED and due.deadline == datetime(2027, 2, 11, 10, 0, tzinfo=PARIS)
    assert due.reason_key == reason_key(WINTER) == f"reservation:{ALSH}:2027-02-15"


@pytest.mark.parametrize(("now", "days_before"), [(at(3), 7), (at(11, 10), 7), (at(12), 7), (at(9), 1)])
def test_not_due_before_the_window_nor_once_the_deadline_is_past(now, days_before):
    assert due_reminders([WINTER], ENROLLED, HAS_BOOKED, now, days_before, frozenset()) == []


def test_the_days_before_are_configurable_and_the_clock_must_be_aware():
    assert [d.family_id for d in due_reminders([WINTER], ENROLLED, {}, at(10, 11), 1, frozenset())] == sorted(
        [BOOKED, NOT_BOOKED], key=str)
    with pytest.raises(ValueError):
        due_reminders([WINTER], ENROLLED, {}, datetime(2027, 2, 4), 7, frozenset())
    with pytest.raises(ValueError):
        due_reminders([WINTER], ENROLLED, {}, at(4), -1, frozenset())
