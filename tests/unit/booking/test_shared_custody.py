"""Shared custody (garde alternée) in booking against the fake store: a child of two households; each books
its own days, sees the other's as "Réservé par l'autre foyer" without details, can neither book nor cancel
it; a third family does not reach the child; and the domain rules that say so."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, time

import pytest

from contracts.errors import NotFound
from kit.identity import Identity
from services.booking.domain.basket import OTHER_HOUSEHOLD_DAY, Line, check_line
from services.booking.domain.sessions import SessionRow, view_of
from services.booking.domain.states import DayFacts, DayState, day_actions, day_label, day_state
from services.booking.service import confirm, parents
from tests.unit.booking.fake_store import NOW, STRUCTURE, FakeOutbox, FakeStore

MONDAY = date(2026, 9, 14)
TUESDAY = date(2026, 9, 15)


def parent(family_id: uuid.UUID) -> Identity:
    return Identity(subject=str(family_id), role="parent", family_id=family_id)


@pytest.fixture
def world():
    """Léa belongs to two households (a and b); Hugo to a third family (c)."""
    store = FakeStore()
    store.structure_names[STRUCTURE] = "Mairie de CarteVille"
    a, [lea] = store.family("Léa")
    b, _ = store.family()
    c, [hugo] = store.family("Hugo")
    store.children[lea] = dataclasses.replace(store.children[lea], other_family_ids=(b,))
    canteen = store.activity("Restauration scolaire", time(11, 30), time(13, 30))
    store.open(canteen, MONDAY, TUESDAY, capacity=10)
    return store, FakeOutbox(), a, b, c, lea, hugo, canteen


async def book(store, outbox, family, child, activity, day, action="reserve"):
    [result] = await confirm.confirm(store, parent(family), [Line(child, activity, day, action)], NOW, outbox)
    return result


def facts(**changes) -> DayFacts:
    base = DayFacts(is_open=True, enrolled=True, capacity=None, taken=1, waitlist_allowed=True, status=None,
                    before_booking_deadline=True, before_cancel_deadline=True)
    return dataclasses.replace(base, **changes)


def test_a_day_of_the_other_household_is_taken_neither_bookable_nor_cancellable():
    taken = facts(other_household=True)
    assert day_state(taken) is DayState.OTHER_HOUSEHOLD
    assert day_label(taken) == "Réservé par l'autre foyer"
    assert day_actions(taken) == []
    assert day_state(facts()) is DayState.AVAILABLE


async def test_each_household_books_its_own_days_and_sees_the_others_as_taken(world):
    store, outbox, a, b, _, lea, _, canteen = world
    assert [k.id for k in await store.children_of_family(b)] == [lea]
    assert (await book(store, outbox, a, lea, canteen, MONDAY)).outcome == "accepted"
    assert (await book(store, outbox, b, lea, canteen, TUESDAY)).outcome == "accepted"
    # a booking belongs to the household that made it
    assert {(bk.day, bk.family_id) for bk in store.bookings.values()} == {(MONDAY, a), (TUESDAY, b)}

    seen_by_b = {d.day: d for d in await parents.month_calendar(store, parent(b), lea, "2026-09", NOW, canteen, [])}
    assert seen_by_b[MONDAY].state is DayState.OTHER_HOUSEHOLD and seen_by_b[MONDAY].actions == []
    assert seen_by_b[MONDAY].label == "Réservé par l'autre foyer"
    [line] = seen_by_b[MONDAY].sessions
    assert (line.view.booking_id, line.view.status, line.view.arrival) == (None, None, None)  # no details
    assert seen_by_b[TUESDAY].state is DayState.BOOKED
    seen_by_a = {d.day: d for d in await parents.month_calendar(store, parent(a), lea, "2026-09", NOW, canteen, [])}
    assert seen_by_a[TUESDAY].state is DayState.OTHER_HOUSEHOLD and seen_by_a[MONDAY].state is DayState.BOOKED


async def test_the_other_households_day_can_be_neither_booked_again_nor_cancelled(world):
    store, outbox, a, b, _, lea, _, canteen = world
    await book(store, outbox, a, lea, canteen, MONDAY)
    again = await book(store, outbox, b, lea, canteen, MONDAY)
    assert (again.outcome, again.reason) == ("rejected", OTHER_HOUSEHOLD_DAY)
    cancel = await book(store, outbox, b, lea, canteen, MONDAY, "cancel")
    assert (cancel.outcome, cancel.reason) == ("rejected", OTHER_HOUSEHOLD_DAY)
    assert [bk.status for bk in store.bookings.values()] == ["accepted"]
    assert store.session_of(canteen, MONDAY).taken == 1


async def test_a_third_family_does_not_reach_the_shared_child(world):
    store, outbox, _, _, c, lea, hugo, canteen = world
    with pytest.raises(NotFound):
        await book(store, outbox, c, lea, canteen, MONDAY)
    with pytest.raises(NotFound):
        await parents.month_calendar(store, parent(c), lea, "2026-09", NOW, canteen, [])
    assert [k.id for k in await store.children_of_family(c)] == [hugo]


def test_check_line_refuses_the_other_households_day():
    store = FakeStore()
    canteen = store.activity("Restauration scolaire")
    store.open(canteen, MONDAY)
    activity = store.activities[canteen]
    row = SessionRow(uuid.uuid4(), activity, MONDAY, activity.start, activity.end, None, 1, True,
                     uuid.uuid4(), "accepted", None, None, other_household=True)
    view = view_of(row, NOW)
    assert view.booking_id is None and view.status is None and view.state is DayState.OTHER_HOUSEHOLD
    child = uuid.uuid4()
    for action in ("reserve", "cancel"):
        assert check_line(Line(child, canteen, MONDAY, action), view, [], set()).reason == OTHER_HOUSEHOLD_DAY
