"""The transaction scripts of services/booking/service/activities.py with an in-memory store: a preview
writes nothing and the apply step follows the same plan; staff of another structure change and enrol
nothing; a class is enrolled all or none; unenrolling keeps the bookings. Fixed dates only."""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from contracts.errors import Conflict, Forbidden, Invalid, NotFound
from kit.identity import Identity
from services.booking.domain.changes import ActivitySettings, DayLoad, Upcoming
from services.booking.domain.deadlines import DeadlineRule
from services.booking.domain.enrolments import Pupil
from services.booking.domain.places import Place
from services.booking.service import activities
from services.booking.service.activities import ActivityChangeIn, CapacityRangeIn
from services.booking.store import Child
from services.booking.store.activities import RollEntry

HERE, THERE = uuid.UUID(int=1), uuid.UUID(int=2)
ACTIVITY, NEIGHBOUR = uuid.UUID(int=10), uuid.UUID(int=11)
FAMILY, FOREIGN_FAMILY = uuid.UUID(int=20), uuid.UUID(int=21)
MONDAY = date(2026, 9, 7)
NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
RULE = DeadlineRule(2, True, time(10, 0))
staff = Identity(subject="s", role="staff", structures=(HERE,))
staff_elsewhere = Identity(subject="e", role="staff", structures=(THERE,))
parent = Identity(subject="p", role="parent", family_id=FAMILY)


def child(n: int, family: uuid.UUID, first: str, last: str) -> Child:
    return Child(uuid.UUID(int=100 + n), family, first, last, date(2018, 1, n), HERE)


@dataclass
class Store:
    settings: ActivitySettings = field(default_factory=lambda: ActivitySettings(
        "Cantine", time(11, 30), time(13, 30), 20, True, False, False, True, RULE, RULE, frozenset()))
    loads: list[DayLoad] = field(default_factory=lambda: [
        DayLoad(uuid.UUID(int=200 + i), MONDAY + timedelta(days=i), 20, accepted, 0)
        for i, accepted in enumerate((18, 16, 17, 9, 12))] + [
        DayLoad(uuid.UUID(int=299), MONDAY + timedelta(days=7), 10, 10, 4)])
    children: dict[uuid.UUID, Child] = field(default_factory=lambda: {c.id: c for c in (
        child(1, FAMILY, "Léa", "Dupont"), child(2, FAMILY, "Noé", "Dupont"),
        child(3, FOREIGN_FAMILY, "Jade", "Autre"))})
    enrolled: set[uuid.UUID] = field(default_factory=set)
    writes: list[tuple] = field(default_factory=list)
    conn: None = None

    @asynccontextmanager
    async def reading(self):
        yield self

    transaction = reading

    async def activity_structure(self, activity_id):
        return {ACTIVITY: HERE, NEIGHBOUR: HERE}.get(activity_id)

    async def session_structure(self, session_id):
        return HERE if any(d.session_id == session_id for d in self.loads) else None

    async def activity_settings(self, activity_id):
        return self.settings

    async def other_activity_named(self, activity_id, structure_id, name):
        return name.lower() == "garderie"

    async def activity_rows(self, structure_id):
        return [{"id": ACTIVITY}, {"id": NEIGHBOUR}]

    async def upcoming(self, activity_id, today):
        return Upcoming(len(self.loads), 5, 0, 0)

    async def update_activity(self, activity_id, s):
        self.writes.append(("activity", s))

    async def replace_incompatibilities(self, activity_id, structure_id, others):
        self.writes.append(("incompatible", frozenset(others)))

    async def move_upcoming_hours(self, activity_id, start, end, today):
        self.writes.append(("hours", start, end, today))

    async def day_loads(self, activity_id, start, end, lock=False):
        return [d for d in self.loads if start <= d.day <= end]

    async def day_load(self, session_id):
        return next(d for d in self.loads if d.session_id == session_id)

    async def lock_session(self, session_id):
        return True

    async def set_places(self, session_id, capacity, taken):
        self.writes.append(("places", session_id, capacity, taken))

    async def lock_places(self, session_ids):
        capacity = {w[1]: w[2] for w in self.writes if w[0] == "places"}
        return {d.session_id: Place(capacity.get(d.session_id, d.capacity), d.accepted, d.waitlisted, True, False)
                for d in self.loads if d.session_id in session_ids}

    async def promote_waitlisted(self, counts):
        self.writes.append(("promote", {s: n for s, n in counts.items() if n}))
        return []

    async def children_by_id(self, ids):
        return {i: self.children[i] for i in ids if i in self.children}

    async def family_structures(self, family_id):
        return {HERE} if family_id == FAMILY else {THERE}

    async def enrolment_roll(self, activity_id, structure_id):
        return [RollEntry(Pupil(c.id, c.first_name, c.last_name, c.birth_date), c.id in self.enrolled)
                for c in self.children.values() if c.family_id == FAMILY]

    async def enrol_many(self, ids, activity_id):
        new = set(ids) - self.enrolled
        self.enrolled |= new
        return len(new)

    async def unenrol(self, child_id, activity_id):
        found = child_id in self.enrolled
        self.enrolled.discard(child_id)
        return found


def change(**overrides) -> ActivityChangeIn:
    body = {"name": "Cantine", "start_time": "11:30", "end_time": "13:30", "capacity": 20,
            "enrolment_required": True, "incompatible_with": []}
    return ActivityChangeIn.model_validate(body | overrides)


RANGE = CapacityRangeIn(start=MONDAY, end=MONDAY + timedelta(days=4), capacity=15)


async def test_the_capacity_preview_writes_nothing_and_the_apply_step_follows_it():
    store = Store()
    plan, promoted = await activities.change_capacity(store, staff, ACTIVITY, RANGE, NOW, apply=False)
    assert store.writes == [] and promoted == 0
    assert plan.sentences()[1].startswith("3 jours ont déjà plus de réservations acceptées que la nouvelle capacité")
    applied, _ = await activities.change_capacity(store, staff, ACTIVITY, RANGE, NOW, apply=True)
    assert applied == plan
    # every day changes; the days over keep their accepted count (nothing removed)
    assert [w[2:] if w[0] == "places" else () for w in store.writes] == [(15, 18), (15, 16), (15, 17), (15, 9), (15, 12), ()]


async def test_more_places_promote_as_many_waiting_requests_as_the_preview_said():
    store = Store()
    wider = CapacityRangeIn(start=MONDAY, end=MONDAY + timedelta(days=13), capacity=12, weekdays=[0])
    plan, _ = await activities.change_capacity(store, staff, ACTIVITY, wider, NOW, apply=False)
    assert plan.promoted == 2 and "2 demandes en liste d'attente obtiennent une place aussitôt." in plan.sentences()
    await activities.change_capacity(store, staff, ACTIVITY, wider, NOW, apply=True)
    assert store.writes[-1] == ("promote", {uuid.UUID(int=299): 2})


async def test_one_day_lowered_below_its_bookings_is_kept_not_refused():
    store = Store()
    await activities.set_day_capacity(store, staff, store.loads[0].session_id, 10, NOW)
    assert store.writes[0] == ("places", store.loads[0].session_id, 10, 18)


async def test_staff_of_another_structure_neither_preview_nor_change_nor_enrol():
    store = Store()
    for attempt in (activities.change_capacity(store, staff_elsewhere, ACTIVITY, RANGE, NOW, apply=True),
                    activities.change_settings(store, staff_elsewhere, ACTIVITY, change(), MONDAY, apply=True),
                    activities.enrol_children(store, staff_elsewhere, ACTIVITY, [uuid.UUID(int=101)]),
                    activities.unenrol(store, staff_elsewhere, ACTIVITY, uuid.UUID(int=101)),
                    activities.enrolment_roll(store, parent, ACTIVITY)):
        with pytest.raises(Forbidden):
            await attempt
    with pytest.raises(NotFound):
        await activities.change_capacity(store, staff, uuid.UUID(int=99), RANGE, NOW, apply=False)
    assert store.writes == [] and store.enrolled == set()


async def test_settings_previewed_then_applied_with_hours_of_the_days_to_come():
    store = Store()
    body = change(start_time="11:45", incompatible_with=[str(NEIGHBOUR), str(uuid.UUID(int=77))])
    effects = await activities.change_settings(store, staff, ACTIVITY, body, MONDAY, apply=False)
    assert store.writes == [] and effects[0].startswith("Les 6 jours ouverts à venir passent à 11:45 – 13:30")
    assert await activities.change_settings(store, staff, ACTIVITY, body, MONDAY, apply=True) == effects
    kinds = [w[0] for w in store.writes]
    assert kinds == ["activity", "incompatible", "hours"]
    assert store.writes[1] == ("incompatible", frozenset({NEIGHBOUR}))  # another structure's id is dropped
    assert store.writes[2] == ("hours", time(11, 45), time(13, 30), MONDAY)


async def test_nothing_changed_writes_nothing_and_a_taken_name_is_refused():
    store = Store()
    assert await activities.change_settings(store, staff, ACTIVITY, change(), MONDAY, apply=True) == []
    assert store.writes == []
    with pytest.raises(Conflict):
        await activities.change_settings(store, staff, ACTIVITY, change(name="Garderie"), MONDAY, apply=True)
    store.settings = replace(store.settings, name="CANTINE")  # a change of case only is not a taken name
    assert await activities.change_settings(store, staff, ACTIVITY, change(), MONDAY, apply=True)


async def test_a_class_is_enrolled_all_or_none_and_unenrolling_twice_is_not_found():
    store = Store()
    lea, noe, jade = uuid.UUID(int=101), uuid.UUID(int=102), uuid.UUID(int=103)
    with pytest.raises(Invalid):  # a child of another structure's family refuses the whole class
        await activities.enrol_children(store, staff, ACTIVITY, [lea, jade])
    with pytest.raises(NotFound):
        await activities.enrol_children(store, staff, ACTIVITY, [lea, uuid.UUID(int=999)])
    assert store.enrolled == set()
    assert await activities.enrol_children(store, staff, ACTIVITY, [lea, noe, lea]) == 2
    assert await activities.enrol_children(store, staff, ACTIVITY, [lea]) == 0
    await activities.unenrol(store, staff, ACTIVITY, lea)
    with pytest.raises(NotFound):
        await activities.unenrol(store, staff, ACTIVITY, lea)
    assert store.enrolled == {noe}


async def test_a_pasted_class_list_is_recognised_among_the_structure_children():
    store = Store()
    store.enrolled = {uuid.UUID(int=102)}
    matches, enrolled = await activities.match_list(store, staff, ACTIVITY, "DUPONT Léa\nNoé Dupont\nAutre Jade\n")
    assert [m.recognised.first_name if m.recognised else None for m in matches] == ["Léa", "Noé", None]
    assert enrolled == {uuid.UUID(int=102)}
    with pytest.raises(Invalid):
        await activities.match_list(store, staff, ACTIVITY, "\n".join(f"X{i} Y" for i in range(1001)))
