"""What staff configure, as transaction scripts: activities (and their incompatibilities), their opening days
(sessions), school holidays and closures, enrolments (a day's places and later changes: service/activities.py);
and the lists staff read (activities, a period's figures, the requests waiting for a decision)."""

from __future__ import annotations

import uuid
from datetime import date, time
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from contracts.errors import Conflict, NotFound
from kit.identity import Identity
from services.booking import access
from services.booking.domain.deadlines import DeadlineRule
from services.booking.domain.openings import OpeningRule, Period, opening_days, public_holidays
from services.booking.store.bookings import PendingRequest, SessionFigures
from services.booking.store.catalog import NewActivity


class DeadlineIn(BaseModel):
    days_before: int = Field(default=2, ge=0, le=60)
    working_days: bool = True
    at: time = time(10, 0)

    def rule(self) -> DeadlineRule:
        return DeadlineRule(self.days_before, self.working_days, self.at)


class ActivitySettingsIn(BaseModel):
    """An activity's settings as staff send them, on creation and on edit (service/activities.py)."""

    name: str = Field(min_length=2, max_length=120)
    start_time: time
    end_time: time
    capacity: int | None = Field(default=None, gt=0, le=10_000)
    waitlist_allowed: bool = True
    needs_approval: bool = False
    requires_house_rules: bool = False
    enrolment_required: bool = False
    booking_deadline: DeadlineIn = DeadlineIn()
    cancel_deadline: DeadlineIn = DeadlineIn()
    incompatible_with: list[uuid.UUID] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _hours(self):
        if self.end_time <= self.start_time:
            raise ValueError("l'heure de fin doit être après l'heure de début")
        return self


class ActivityIn(ActivitySettingsIn):
    structure_id: uuid.UUID
    kind: Literal["fixed", "time_entry"] = "fixed"


class OpeningIn(BaseModel):
    weekdays: list[int] = Field(min_length=1, max_length=7)
    period: Literal["school", "holidays", "all"] = "school"
    start: date
    end: date
    capacity: int | None = Field(default=None, gt=0, le=10_000, description="default: the activity's")

    @model_validator(mode="after")
    def _range(self):
        if self.end < self.start:
            raise ValueError("la date de fin doit être après la date de début")
        if (self.end - self.start).days > 400:
            raise ValueError("une période d'ouverture ne dépasse pas une année scolaire")
        if any(not 0 <= d <= 6 for d in self.weekdays):
            raise ValueError("jours de la semaine : 0 (lundi) à 6 (dimanche)")
        return self


class PeriodIn(BaseModel):
    start: date
    end: date
    label: str = Field(default="", max_length=120)
    activity_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _range(self):
        if self.end < self.start:
            raise ValueError("la date de fin doit être après la date de début")
        return self

    def period(self) -> Period:
        return Period(self.start, self.end, self.label)


async def create_activity(store, body: ActivityIn) -> uuid.UUID:
    """The activity and its declared incompatibilities (with activities of the same structure only)."""
    activity_id = uuid.uuid4()
    await store.insert_activity(activity_id, NewActivity(
        body.structure_id, body.name, body.kind, body.start_time, body.end_time, body.capacity,
        body.waitlist_allowed, body.needs_approval, body.requires_house_rules, body.enrolment_required,
        body.booking_deadline.rule(), body.cancel_deadline.rule()))
    await store.declare_incompatible(activity_id, body.structure_id, body.incompatible_with)
    return activity_id


async def add_activity(db, who: Identity, body: ActivityIn) -> uuid.UUID:
    """Staff add an activity to a structure they manage; its name is unique there."""
    access.require_manages(who, body.structure_id)
    async with db.transaction() as store:
        if await store.activity_named(body.structure_id, body.name):
            raise Conflict(f"L'activité « {body.name} » existe déjà dans cette structure.")
        return await create_activity(store, body)


async def list_activities(db, who: Identity, structure_id: uuid.UUID) -> list[dict[str, Any]]:
    access.require_manages(who, structure_id)
    async with db.reading() as store:
        return await store.activity_rows(structure_id)


async def generate_sessions(store, activity_id: uuid.UUID, body: OpeningIn) -> int:
    """Create the activity's sessions for the rule's days (minus public holidays and closures).
    Days that already have a session are left as they are: running it twice creates nothing twice."""
    activity = await store.opening_facts(activity_id)
    rule = OpeningRule(frozenset(body.weekdays), body.period, body.start, body.end)
    holidays = frozenset().union(*(public_holidays(y) for y in range(body.start.year, body.end.year + 1)))
    days = opening_days(rule, await store.periods("school_holidays", activity.structure_id), holidays,
                        await store.periods("closures", activity.structure_id, activity_id))
    return await store.insert_sessions(activity_id, activity.start_time, activity.end_time,
                                       body.capacity or activity.default_capacity, days)


async def open_sessions(db, who: Identity, activity_id: uuid.UUID, body: OpeningIn) -> int:
    async with db.transaction() as store:
        await access.require_activity(store, who, activity_id)
        return await generate_sessions(store, activity_id, body)


async def add_school_holidays(db, who: Identity, structure_id: uuid.UUID, body: PeriodIn) -> None:
    access.require_manages(who, structure_id)
    async with db.transaction() as store:
        await store.insert_school_holidays(structure_id, body.period())


async def add_closure(db, who: Identity, structure_id: uuid.UUID, body: PeriodIn) -> int:
    """A closure removes the sessions it covers that nobody has booked; booked days are kept and
    counted so staff can contact the families."""
    access.require_manages(who, structure_id)
    async with db.transaction() as store:
        if body.activity_id and await access.require_activity(store, who, body.activity_id) != structure_id:
            raise NotFound(access.ACTIVITY_NOT_FOUND)
        await store.insert_closure(structure_id, body.activity_id, body.period())
        await store.delete_unbooked_sessions(structure_id, body.activity_id, body.start, body.end)
        return await store.count_sessions(structure_id, body.activity_id, body.start, body.end)


async def enrol(db, who: Identity, child_id: uuid.UUID, activity_id: uuid.UUID) -> None:
    """Staff enrol a child of a family of the activity's structure (access.require_enrolment)."""
    async with db.transaction() as store:
        await access.require_enrolment(store, who, child_id, activity_id)
        await store.enrol(child_id, activity_id)


async def session_figures(db, who: Identity, activity_id: uuid.UUID | None, start: date,
                          end: date) -> list[SessionFigures]:
    """An activity's days with places taken, waiting list and pending requests (the kitchen's figure)."""
    async with db.reading() as store:
        await access.require_activity(store, who, activity_id)
        return await store.session_figures(activity_id, start, end)


async def pending_requests(db, who: Identity, structure_id: uuid.UUID) -> list[PendingRequest]:
    access.require_manages(who, structure_id)
    async with db.reading() as store:
        return await store.pending_requests(structure_id)
