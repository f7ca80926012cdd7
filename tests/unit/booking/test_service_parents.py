"""What a parent reads and prepares (services/booking/service/parents.py) against the fake store: each calendar
day's legend line and allowed actions from the rules, the quick tools, the copy and the recap."""

from __future__ import annotations

import uuid
from datetime import date, time, timedelta

import pytest

from contracts.errors import NotFound
from kit.identity import Identity
from services.booking.domain.basket import Line
from services.booking.domain.states import DayState
from services.booking.service import confirm, parents
from tests.unit.booking.fake_store import NOW, FakeOutbox, FakeStore

SEPTEMBER = [date(2026, 9, d) for d in range(1, 31)]
SCHOOL_DAYS = [d for d in SEPTEMBER if d.weekday() in (0, 1, 3, 4)]
LOCKED_DAY = date(2026, 9, 3)  # a Thursday past its deadline at NOW (Tuesday 1st)
MONDAY = date(2026, 9, 14)


def parent(family_id: uuid.UUID) -> Identity:
    return Identity(subject=str(family_id), role="parent", family_id=family_id)


@pytest.fixture
def world():
    store = FakeStore()
    cantine = store.activity("Restauration scolaire")
    aps = store.activity("APS Soir", time(16, 30), time(19))
    store.open(cantine, *SCHOOL_DAYS)
    store.open(aps, *SCHOOL_DAYS, capacity=1)
    family, [child, sister] = store.family("Léa", "Jade")
    return store, family, child, sister, cantine, aps


def by_day(calendar):
    return {d.day: d for d in calendar}


async def test_each_calendar_day_carries_the_guides_line_and_its_actions(world):
    store, family, child, _sister, cantine, aps = world
    other, [hugo] = store.family("Hugo")
    # before NOW's deadlines: Hugo took the APS place on the 3rd; Léa waits for it, and is booked at the cantine
    for who, kid, activity in ((other, hugo, aps), (family, child, aps), (family, child, cantine)):
        session = store.session_of(activity, LOCKED_DAY)
        status = "accepted" if kid == hugo or activity == cantine else "waitlisted"
        await store.insert_booking(uuid.uuid4(), session.id, activity, kid, who, LOCKED_DAY, None, None, status, None)
    store.session_of(aps, LOCKED_DAY).taken = 1

    days = by_day(await parents.month_calendar(store, parent(family), child, "2026-09", NOW, aps, []))
    locked = days[LOCKED_DAY]
    assert locked.state == DayState.LOCKED and locked.actions == []
    assert locked.label == "Activité en liste d'attente ou refusée, annulable"
    free = days[MONDAY]
    assert (free.state, free.actions, free.label) == (DayState.AVAILABLE, ["reserve"], "Activité disponible")
    wednesday = days[date(2026, 9, 16)]
    assert (wednesday.state, wednesday.actions) == (DayState.CLOSED, [])

    all_activities = by_day(await parents.month_calendar(store, parent(family), child, "2026-09", NOW, None, []))
    assert all_activities[LOCKED_DAY].label == "Activité réservée, non modifiable"  # the cantine, booked

    await confirm.confirm(store, parent(family), [Line(child, cantine, MONDAY, "reserve")], NOW, FakeOutbox())
    monday = by_day(await parents.month_calendar(store, parent(family), child, "2026-09", NOW, None, []))[MONDAY]
    assert monday.state == DayState.BOOKED and monday.actions == ["reserve", "cancel"]  # the APS is still free
    assert [s.view.actions for s in monday.sessions] == [["cancel"], ["reserve"]]


async def test_quick_tools_a_day_a_week_a_weekday_the_month(world):
    store, family, child, _sister, cantine, _aps = world
    who = parent(family)

    async def quick(scope, basket, day=None, weekday=None):
        return await parents.quick(store, who, child, cantine, "2026-09", scope, day, weekday, NOW, basket)

    week = await quick("week", [], day=MONDAY)
    assert [(line.date, line.action) for line in week] == [
        (MONDAY + timedelta(days=n), "reserve") for n in (0, 1, 3, 4)]
    assert await quick("week", week, day=MONDAY + timedelta(days=2)) == []  # the first day is chosen: all undone
    fridays = await quick("weekday", [], weekday=4)
    assert [line.date for line in fridays] == [d for d in SCHOOL_DAYS if d.weekday() == 4 and d > LOCKED_DAY]
    month = await quick("month", [])
    assert len(month) == len([d for d in SCHOOL_DAYS if d > LOCKED_DAY])
    one = await quick("day", [], day=MONDAY)
    assert [(line.date, line.action) for line in one] == [(MONDAY, "reserve")]
    assert await quick("day", one, day=MONDAY) == []  # a second click takes it back
    assert await quick("day", [], day=LOCKED_DAY) == []  # nothing to do on a closed day
    with pytest.raises(ValueError):
        await quick("week", [])


async def test_copy_books_the_same_days_for_a_sister_and_says_why_not_elsewhere(world):
    store, family, child, sister, cantine, aps = world
    who = parent(family)
    outbox = FakeOutbox()
    tuesday, thursday = MONDAY + timedelta(days=1), MONDAY + timedelta(days=3)
    await confirm.confirm(store, who, [Line(child, aps, MONDAY, "reserve"), Line(child, aps, tuesday, "reserve")],
                          NOW, outbox)
    other, [hugo] = store.family("Hugo")
    await confirm.confirm(store, parent(other), [Line(hugo, aps, thursday, "reserve")], NOW, outbox)
    basket = [Line(child, aps, thursday, "reserve"), Line(child, aps, tuesday, "cancel")]

    copied, refused = await parents.copy(store, who, child, aps, MONDAY, MONDAY + timedelta(days=6), sister, aps,
                                         NOW, basket)
    # the booked Monday and the Thursday in the basket (both full: they go on the waiting list), not the
    # Tuesday being cancelled
    assert [line.date for line in copied if line.child_id == sister] == [MONDAY, thursday]
    assert copied[:2] == basket and refused == []
    stage = store.activity("Stage cirque", time(14), time(16))  # never open
    kept, refused = await parents.copy(store, who, child, aps, MONDAY, MONDAY + timedelta(days=6), sister, stage,
                                       NOW, [])
    assert kept == [] and [(n.day, n.reason) for n in refused] == [(MONDAY, "activité non ouverte ce jour"),
                                                                   (tuesday, "activité non ouverte ce jour")]
    with pytest.raises(NotFound):
        await parents.copy(store, who, hugo, aps, MONDAY, MONDAY, sister, aps, NOW, [])
    assert cantine  # the cantine is not copied: another activity


async def test_the_recap_tells_what_will_not_go_through(world):
    store, family, child, _sister, cantine, aps = world
    other, [hugo] = store.family("Hugo")
    await confirm.confirm(store, parent(other), [Line(hugo, aps, MONDAY, "reserve")], NOW, FakeOutbox())
    rows = await parents.recap(store, parent(family), [
        Line(child, aps, MONDAY, "reserve"), Line(child, cantine, LOCKED_DAY, "reserve"),
        Line(child, cantine, MONDAY, "cancel")], NOW)
    by = {(r.line.activity_id, r.line.date): r for r in rows}
    assert by[(aps, MONDAY)].note == "complet : la demande sera mise en liste d'attente"
    assert by[(aps, MONDAY)].child.first_name == "Léa" and by[(aps, MONDAY)].start == time(16, 30)
    assert by[(cantine, LOCKED_DAY)].check.reason == "hors délai de réservation"
    assert by[(cantine, MONDAY)].check.reason == "aucune réservation à annuler ce jour"
