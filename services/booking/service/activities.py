"""What staff change on an existing activity, as transaction scripts: its settings and the places of a range
of days, each previewed then applied with the same rule (domain/changes.py: the preview reads the days, the
apply step locks them and reads them again); and its enrolments, one child or a class list at a time
(domain/enrolments.py recognises the list's names). Access: services/booking/access.py."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime

from pydantic import BaseModel, Field, model_validator

from contracts.errors import Conflict, Invalid, NotFound
from kit.identity import Identity
from services.booking import access
from services.booking.domain.changes import ActivitySettings, CapacityPlan, capacity_plan, settings_effects
from services.booking.domain.enrolments import LineMatch, match_class_list, read_class_list
from services.booking.service.catalog import ActivitySettingsIn
from services.booking.service.confirm import promote_waitlists
from services.booking.store.activities import RollEntry

MAX_RANGE_DAYS = 400


class ActivityChangeIn(ActivitySettingsIn):
    """An existing activity's settings, as the edit form sends them (its type and structure stay)."""

    def settings(self) -> ActivitySettings:
        return ActivitySettings(self.name.strip(), self.start_time, self.end_time, self.capacity,
                                self.waitlist_allowed, self.needs_approval, self.requires_house_rules,
                                self.enrolment_required, self.booking_deadline.rule(), self.cancel_deadline.rule(),
                                frozenset(self.incompatible_with))


class CapacityRangeIn(BaseModel):
    """The places of the activity's days from `start` to `end` that fall on `weekdays` (0 = Monday)."""

    start: date
    end: date
    capacity: int | None = Field(ge=0, le=10_000, description="None: unlimited")
    weekdays: list[int] = Field(default_factory=lambda: list(range(7)), min_length=1, max_length=7)

    @model_validator(mode="after")
    def _range(self):
        if self.end < self.start:
            raise ValueError("la date de fin doit être après la date de début")
        if (self.end - self.start).days > MAX_RANGE_DAYS:
            raise ValueError("une période ne dépasse pas une année scolaire")
        if any(not 0 <= d <= 6 for d in self.weekdays):
            raise ValueError("jours de la semaine : 0 (lundi) à 6 (dimanche)")
        return self


# -- settings ---------------------------------------------------------------------------------------------------
async def activity_settings(db, who: Identity, activity_id: uuid.UUID) -> ActivitySettings:
    async with db.reading() as store:
        await access.require_activity(store, who, activity_id)
        return await store.activity_settings(activity_id)


async def change_settings(db, who: Identity, activity_id: uuid.UUID, body: ActivityChangeIn, today: date,
                          apply: bool) -> list[str]:
    """What the change does to the activity's days and bookings (settings_effects); with `apply`, done:
    the settings, the incompatibilities (with the structure's activities only) and the hours of the days
    from today on. Nothing is written by a preview."""
    async with db.transaction() as store:
        structure_id = await access.require_activity(store, who, activity_id)
        before = await store.activity_settings(activity_id)
        after = body.settings()
        if after.name.lower() != before.name.lower() and await store.other_activity_named(
                activity_id, structure_id, after.name):
            raise Conflict(f"L'activité « {after.name} » existe déjà dans cette structure.")
        known = {a["id"] for a in await store.activity_rows(structure_id)} - {activity_id}
        after = replace(after, incompatible_with=frozenset(after.incompatible_with & known))
        effects = settings_effects(before, after, await store.upcoming(activity_id, today))
        if apply and effects:
            await store.update_activity(activity_id, after)
            if after.incompatible_with != before.incompatible_with:
                await store.replace_incompatibilities(activity_id, structure_id, after.incompatible_with)
            if (after.start_time, after.end_time) != (before.start_time, before.end_time):
                await store.move_upcoming_hours(activity_id, after.start_time, after.end_time, today)
        return effects


# -- places -----------------------------------------------------------------------------------------------------
async def apply_plan(store, plan: CapacityPlan, now: datetime) -> int:
    """The new places on the plan's changed days, and their waiting lists promoted (how many)."""
    for change in plan.changed:
        await store.set_places(change.load.session_id, change.capacity, change.load.accepted)
    return await promote_waitlists(store, [c.load.session_id for c in plan.changed], now)


async def change_capacity(db, who: Identity, activity_id: uuid.UUID, body: CapacityRangeIn, now: datetime,
                          apply: bool) -> tuple[CapacityPlan, int]:
    """The plan for the range (capacity_plan) and, with `apply`, the places changed under the days' locks
    and the waiting lists promoted (how many). Bookings already accepted are never removed."""
    async with db.transaction() as store:
        await access.require_activity(store, who, activity_id)
        loads = await store.day_loads(activity_id, body.start, body.end, lock=apply)
        plan = capacity_plan(loads, body.capacity, frozenset(body.weekdays))
        return plan, (await apply_plan(store, plan, now) if apply else 0)


async def set_day_capacity(db, who: Identity, session_id: uuid.UUID, capacity: int | None, now: datetime) -> int:
    """One day's places, by the same rule as a range; how many waiting requests got a place."""
    async with db.transaction() as store:
        await access.require_session(store, who, session_id)
        if not await store.lock_session(session_id):
            raise NotFound(access.SESSION_NOT_FOUND)
        return await apply_plan(store, capacity_plan([await store.day_load(session_id)], capacity), now)


# -- enrolments -------------------------------------------------------------------------------------------------
async def enrolment_roll(db, who: Identity, activity_id: uuid.UUID) -> list[RollEntry]:
    """The children of the structure's families, each enrolled in the activity or not."""
    async with db.reading() as store:
        structure_id = await access.require_activity(store, who, activity_id)
        return await store.enrolment_roll(activity_id, structure_id)


async def enrol_children(db, who: Identity, activity_id: uuid.UUID, child_ids: list[uuid.UUID]) -> int:
    """Enrol children of the structure's families (all or none: one child of elsewhere refuses the whole);
    how many were not enrolled yet."""
    async with db.transaction() as store:
        structure_id = await access.require_activity(store, who, activity_id)
        known = {c.id: c for c in (await store.children_by_id(child_ids)).values()}
        for child_id in dict.fromkeys(child_ids):
            child = known.get(child_id)
            if child is None:
                raise NotFound(access.CHILD_NOT_FOUND)
            if not access.may_enrol(who, structure_id, await store.family_structures(child.family_id)):
                raise Invalid(access.NOT_IN_STRUCTURE)
        return await store.enrol_many(list(dict.fromkeys(child_ids)), activity_id)


async def unenrol(db, who: Identity, activity_id: uuid.UUID, child_id: uuid.UUID) -> None:
    """The child can no longer book the activity (when it requires enrolment); its bookings stay."""
    async with db.transaction() as store:
        await access.require_activity(store, who, activity_id)
        if not await store.unenrol(child_id, activity_id):
            raise NotFound("Cet enfant n'est pas inscrit à cette activité.")


async def match_list(db, who: Identity, activity_id: uuid.UUID, text: str) -> tuple[list[LineMatch], set[uuid.UUID]]:
    """The class list's lines with the structure's children they name, and who is already enrolled."""
    try:
        lines = read_class_list(text)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    roll = await enrolment_roll(db, who, activity_id)
    return (match_class_list(lines, [e.pupil for e in roll]),
            {e.pupil.child_id for e in roll if e.enrolled})

