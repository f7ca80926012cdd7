from __future__ import annotations

from datetime import time
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from services.booking.domain.compat import Slot, conflicts, overlaps

CANTINE = UUID(int=1)
APS_MATIN = UUID(int=2)
APS_SOIR = UUID(int=3)
ALSH = UUID(int=4)


def slot(aid: UUID, name: str, start: str, end: str) -> Slot:
    return Slot(aid, name, time.fromisoformat(start), time.fromisoformat(end))


MATIN = slot(APS_MATIN, "APS Matin", "07:15", "08:15")
REPAS = slot(CANTINE, "Restauration", "11:30", "13:20")
SOIR = slot(APS_SOIR, "APS Soir", "16:30", "19:00")
JOURNEE = slot(ALSH, "ALSH Journée", "09:00", "17:00")


def test_touching_slots_do_not_overlap() -> None:
    after = slot(ALSH, "Accueil", "08:15", "09:00")
    assert not overlaps(MATIN, after)
    assert not overlaps(after, MATIN)


def test_overlapping_slots() -> None:
    assert overlaps(REPAS, JOURNEE)  # contained
    assert overlaps(JOURNEE, SOIR)  # 16:30–17:00
    assert overlaps(REPAS, REPAS)
    assert overlaps(MATIN, slot(ALSH, "X", "08:14", "08:16"))
    assert not overlaps(MATIN, REPAS)
    assert not overlaps(REPAS, SOIR)


def test_empty_slot_overlaps_nothing() -> None:
    point = slot(ALSH, "Arrivée", "12:00", "12:00")
    assert not overlaps(point, REPAS)
    assert not overlaps(REPAS, point)


def test_conflicts_returns_the_first_overlapping_slot() -> None:
    assert conflicts(JOURNEE, [MATIN, REPAS, SOIR], []) == REPAS
    assert conflicts(JOURNEE, [MATIN, SOIR, REPAS], []) == SOIR
    assert conflicts(MATIN, [REPAS, SOIR], []) is None
    assert conflicts(MATIN, [], []) is None


def test_conflicts_with_declared_incompatibility() -> None:
    declared = {frozenset({APS_MATIN, APS_SOIR})}
    assert conflicts(MATIN, [REPAS, SOIR], declared) == SOIR
    assert conflicts(SOIR, [MATIN], declared) == MATIN  # order of the pair does not matter
    assert conflicts(REPAS, [MATIN, SOIR], declared) is None
    # any collection works (list of pairs)
    assert conflicts(SOIR, [MATIN], [frozenset({APS_SOIR, APS_MATIN})]) == MATIN


def test_same_activity_is_never_compared_with_itself() -> None:
    other_time = slot(CANTINE, "Restauration", "12:00", "13:00")
    assert conflicts(REPAS, [other_time], [frozenset({CANTINE})]) is None
    assert conflicts(REPAS, [REPAS, other_time], []) is None


ids = st.integers(1, 5).map(lambda i: UUID(int=i))
times = st.times()
slots = st.builds(Slot, activity_id=ids, activity_name=st.just("Activité"), start=times, end=times)
pairs = st.sets(st.frozensets(ids, min_size=2, max_size=2), max_size=4)


def minutes_overlap(a: Slot, b: Slot) -> bool:
    """Brute force on the half-open intervals."""
    return any(a.start <= t < a.end and b.start <= t < b.end for t in (a.start, b.start))


@given(slots, slots)
def test_overlaps_is_symmetric_and_half_open(a: Slot, b: Slot) -> None:
    assert overlaps(a, b) == overlaps(b, a)
    assert overlaps(a, b) == minutes_overlap(a, b)
    if a.start < a.end:
        assert overlaps(a, a)
    assert not overlaps(a, Slot(b.activity_id, "", a.end, max(a.end, b.end)))


@given(slots, st.lists(slots, max_size=6), pairs)
def test_conflicts_properties(candidate: Slot, others: list[Slot], declared: set[frozenset[UUID]]) -> None:
    found = conflicts(candidate, others, declared)
    clashing = [
        o
        for o in others
        if o.activity_id != candidate.activity_id
        and (overlaps(candidate, o) or frozenset({candidate.activity_id, o.activity_id}) in declared)
    ]
    if found is None:
        assert clashing == []
    else:
        assert found.activity_id != candidate.activity_id
        assert found is clashing[0]
