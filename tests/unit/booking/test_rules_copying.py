from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from kit.fr import written_day
from services.booking.domain.compat import Slot
from services.booking.domain.copying import CopyTarget, NotImported, plan_copy
from services.booking.domain.states import BookingStatus, DayFacts

ALSH = UUID(int=10)
CANTINE = UUID(int=11)
APS_SOIR = UUID(int=12)
TARGET = Slot(ALSH, "ALSH 6-12 - Mercredi Journée", time(9, 0), time(17, 0))
REPAS = Slot(CANTINE, "Restauration Scolaire", time(11, 30), time(13, 30))
SOIR = Slot(APS_SOIR, "APS Soir", time(17, 0), time(19, 0))
OK = DayFacts(
    is_open=True,
    enrolled=True,
    capacity=12,
    taken=3,
    waitlist_allowed=False,
    status=None,
    before_booking_deadline=True,
    before_cancel_deadline=True,
)


def day(i: int) -> date:
    return date(2017, 5, 8) + timedelta(days=i)


def test_a_day_not_imported_is_written_as_the_guide_does() -> None:
    """The copy's answer writes each day not imported with kit.fr (services/booking/http/answers.py)."""
    assert written_day(date(2017, 5, 9)) == "Mardi 9 Mai 2017"
    assert written_day(date(2017, 5, 10)) == "Mercredi 10 Mai 2017"
    assert written_day(date(2017, 5, 11)) == "Jeudi 11 Mai 2017"
    assert written_day(date(2017, 5, 12)) == "Vendredi 12 Mai 2017"
    assert written_day(date(2019, 12, 2)) == "Lundi 2 Décembre 2019"
    assert written_day(date(2027, 8, 1)) == "Dimanche 1 Août 2027"
    assert written_day(date(2027, 2, 20)) == "Samedi 20 Février 2027"


def test_plan_copy_with_each_reason() -> None:
    targets = {
        day(0): CopyTarget(OK, ()),
        day(1): CopyTarget(None, ()),
        day(2): CopyTarget(replace(OK, is_open=False), ()),
        day(3): CopyTarget(replace(OK, enrolled=False), ()),
        day(4): CopyTarget(replace(OK, before_booking_deadline=False), ()),
        day(5): CopyTarget(replace(OK, status=BookingStatus.ACCEPTED), ()),
        day(6): CopyTarget(replace(OK, status=BookingStatus.WAITLISTED), ()),
        day(7): CopyTarget(OK, (SOIR, REPAS)),
        day(8): CopyTarget(replace(OK, taken=12), ()),
        day(9): CopyTarget(replace(OK, taken=12, waitlist_allowed=True), ()),
        day(10): CopyTarget(replace(OK, capacity=None, taken=99), (SOIR,)),
    }
    source = [day(i) for i in reversed(range(12))]  # day(11) has no target at all
    imported, rejected = plan_copy(source, TARGET, targets, [])
    assert imported == [day(0), day(9), day(10)]
    assert rejected == [
        NotImported(day(1), "activité non ouverte ce jour"),
        NotImported(day(2), "activité non ouverte ce jour"),
        NotImported(day(3), "enfant non inscrit à cette activité"),
        NotImported(day(4), "hors délai de réservation"),
        NotImported(day(5), "déjà réservé"),
        NotImported(day(6), "déjà réservé"),
        NotImported(day(7), "horaires incompatibles avec Restauration Scolaire"),
        NotImported(day(8), "plus de place disponible"),
        NotImported(day(11), "activité non ouverte ce jour"),
    ]


def test_declared_incompatibility_is_a_conflict() -> None:
    targets = {day(0): CopyTarget(OK, (SOIR,))}
    assert plan_copy([day(0)], TARGET, targets, []) == ([day(0)], [])
    imported, rejected = plan_copy([day(0)], TARGET, targets, {frozenset({ALSH, APS_SOIR})})
    assert imported == []
    assert rejected == [NotImported(day(0), "horaires incompatibles avec APS Soir")]


def test_same_activity_in_other_slots_is_not_a_conflict() -> None:
    targets = {day(0): CopyTarget(OK, (TARGET,))}
    assert plan_copy([day(0)], TARGET, targets, []) == ([day(0)], [])


def test_reasons_are_checked_in_order() -> None:
    everything_wrong = DayFacts(
        is_open=False,
        enrolled=False,
        capacity=1,
        taken=1,
        waitlist_allowed=False,
        status=BookingStatus.ACCEPTED,
        before_booking_deadline=False,
        before_cancel_deadline=False,
    )
    steps = [
        ({}, "activité non ouverte ce jour"),
        ({"is_open": True}, "enfant non inscrit à cette activité"),
        ({"enrolled": True}, "hors délai de réservation"),
        ({"before_booking_deadline": True}, "déjà réservé"),
        ({"status": None}, "horaires incompatibles avec Restauration Scolaire"),
    ]
    facts = everything_wrong
    for changes, reason in steps:
        facts = replace(facts, **changes)
        _, rejected = plan_copy([day(0)], TARGET, {day(0): CopyTarget(facts, (REPAS,))}, [])
        assert rejected == [NotImported(day(0), reason)]
    _, rejected = plan_copy([day(0)], TARGET, {day(0): CopyTarget(facts, ())}, [])
    assert rejected == [NotImported(day(0), "plus de place disponible")]
    assert plan_copy([day(0)], TARGET, {day(0): CopyTarget(replace(facts, taken=0), ())}, []) == (
        [day(0)],
        [],
    )


def test_duplicate_and_empty_sources() -> None:
    assert plan_copy([], TARGET, {}, []) == ([], [])
    targets = {day(0): CopyTarget(OK, ())}
    assert plan_copy([day(0), day(0)], TARGET, targets, []) == ([day(0)], [])


facts_st = st.builds(
    DayFacts,
    is_open=st.booleans(),
    enrolled=st.booleans(),
    capacity=st.none() | st.integers(0, 3),
    taken=st.integers(0, 4),
    waitlist_allowed=st.booleans(),
    status=st.none() | st.sampled_from(BookingStatus),
    before_booking_deadline=st.booleans(),
    before_cancel_deadline=st.booleans(),
)
targets_st = st.dictionaries(
    st.integers(0, 30).map(day),
    st.builds(CopyTarget, st.none() | facts_st, st.lists(st.sampled_from([REPAS, SOIR, TARGET])).map(tuple)),
)


@given(st.lists(st.integers(0, 30).map(day)), targets_st)
def test_plan_copy_partitions_the_source_days(source: list[date], targets: dict[date, CopyTarget]) -> None:
    imported, rejected = plan_copy(source, TARGET, targets, [])
    assert imported == sorted(imported)
    assert [r.day for r in rejected] == sorted(r.day for r in rejected)
    assert sorted(imported + [r.day for r in rejected]) == sorted(set(source))
    assert all(r.reason for r in rejected)
