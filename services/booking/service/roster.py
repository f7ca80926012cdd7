"""The staff's rosters (listes de présence): an activity's day (who is expected, waiting, asked) and the day
of all the structure's activities (who is expected where, which activities serve a meal). Names only: the
children's flags are dossier's, composed by the gateway."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from kit.identity import Identity
from services.booking import access
from services.booking.domain import roster as rules
from services.booking.store.sessions import ActivityBrief


@dataclass(frozen=True)
class Roster:
    activity: ActivityBrief
    day: date
    opened: bool  # the activity opens that day
    capacity: int | None
    groups: list[rules.RosterGroup]


@dataclass(frozen=True)
class DayActivity:
    id: uuid.UUID
    name: str
    serves_meal: bool
    opened: bool
    expected: list[uuid.UUID]  # accepted
    waitlisted: int
    pending: int


async def roster(db, who: Identity, activity_id: uuid.UUID | None, day: date) -> Roster:
    """An activity's roster of a day, for staff of its structure (another structure's is not found)."""
    async with db.reading() as store:
        await access.require_activity(store, who, activity_id)
        activity = await store.activity_brief(activity_id)
        opened, capacity = await store.session_capacity(activity_id, day)
        lines = await store.roster_lines(activity_id, day)
    return Roster(activity, day, opened, capacity, rules.group_roster(lines))


async def day_of_structure(db, who: Identity, structure_id: uuid.UUID, day: date) -> list[DayActivity]:
    """Each activity of the structure on the day: whether it opens and serves a meal, its expected children
    and how many wait (list, decision)."""
    access.require_manages(who, structure_id)
    async with db.reading() as store:
        activities = await store.day_activities(structure_id, day)
        bookings = await store.day_bookings(structure_id, day)
    found = []
    for a in activities:
        mine = [b for b in bookings if b.activity_id == a.id]
        found.append(DayActivity(a.id, a.name, rules.serves_meal(a.name), a.opened,
                                 [b.child_id for b in mine if b.status == "accepted"],
                                 sum(b.status == "waitlisted" for b in mine), sum(b.status == "pending" for b in mine)))
    return found
