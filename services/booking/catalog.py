"""What staff configure: activities, their opening days (sessions), holidays and closures,
capacities, enrolments and incompatibilities."""

from __future__ import annotations

import uuid
from datetime import date, time
from typing import Literal

import asyncpg
from pydantic import BaseModel, Field, model_validator

from services.booking.confirm import promote_waitlist
from services.booking.facts import public_holidays
from services.booking.rules.openings import OpeningRule, Period, opening_days


class DeadlineIn(BaseModel):
    days_before: int = Field(default=2, ge=0, le=60)
    working_days: bool = True
    at: time = time(10, 0)


class ActivityIn(BaseModel):
    structure_id: uuid.UUID
    name: str = Field(min_length=2, max_length=120)
    kind: Literal["fixed", "time_entry"] = "fixed"
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


async def create_activity(conn: asyncpg.Connection, body: ActivityIn) -> uuid.UUID:
    activity_id = uuid.uuid4()
    b, c = body.booking_deadline, body.cancel_deadline
    await conn.execute(
        """INSERT INTO activities (id, structure_id, name, kind, start_time, end_time, default_capacity,
               waitlist_allowed, needs_approval, requires_house_rules, enrolment_required,
               booking_days_before, booking_working_days, booking_at, cancel_days_before, cancel_working_days,
               cancel_at)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)""",
        activity_id, body.structure_id, body.name, body.kind, body.start_time, body.end_time, body.capacity,
        body.waitlist_allowed, body.needs_approval, body.requires_house_rules, body.enrolment_required,
        b.days_before, b.working_days, b.at, c.days_before, c.working_days, c.at)
    others = await conn.fetch("SELECT id FROM activities WHERE id = ANY($1) AND structure_id = $2",
                              body.incompatible_with, body.structure_id)
    await conn.executemany("INSERT INTO activity_incompatibilities (a, b) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                           [tuple(sorted((activity_id, r["id"]))) for r in others])
    return activity_id


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


async def periods(conn, table: str, structure_id: uuid.UUID, activity_id: uuid.UUID | None = None) -> list[Period]:
    extra = " AND (activity_id IS NULL OR activity_id = $2)" if table == "closures" else ""
    args = (structure_id, activity_id) if table == "closures" else (structure_id,)
    rows = await conn.fetch(f"SELECT start_day, end_day, label FROM {table} WHERE structure_id = $1{extra}", *args)
    return [Period(r["start_day"], r["end_day"], r["label"]) for r in rows]


async def generate_sessions(conn, activity_id: uuid.UUID, body: OpeningIn) -> int:
    """Create the activity's sessions for the rule's days (minus public holidays and closures).
    Days that already have a session are left as they are: running it twice creates nothing twice."""
    activity = await conn.fetchrow(
        "SELECT structure_id, start_time, end_time, default_capacity FROM activities WHERE id = $1", activity_id)
    rule = OpeningRule(frozenset(body.weekdays), body.period, body.start, body.end)
    holidays = frozenset().union(*(public_holidays(y) for y in range(body.start.year, body.end.year + 1)))
    days = opening_days(rule, await periods(conn, "school_holidays", activity["structure_id"]), holidays,
                        await periods(conn, "closures", activity["structure_id"], activity_id))
    capacity = body.capacity or activity["default_capacity"]
    result = await conn.fetch(
        """INSERT INTO sessions (id, activity_id, day, start_time, end_time, capacity)
           SELECT gen_random_uuid(), $1, d, $2, $3, $4 FROM unnest($5::date[]) AS d
           ON CONFLICT (activity_id, day) DO NOTHING RETURNING id""",
        activity_id, activity["start_time"], activity["end_time"], capacity, days)
    return len(result)


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


async def add_closure(conn, structure_id: uuid.UUID, body: PeriodIn) -> int:
    """A closure removes the sessions it covers that nobody has booked; booked days are kept and
    counted so staff can contact the families."""
    await conn.execute(
        "INSERT INTO closures (id, structure_id, activity_id, start_day, end_day, label) VALUES ($1,$2,$3,$4,$5,$6)",
        uuid.uuid4(), structure_id, body.activity_id, body.start, body.end, body.label)
    await conn.execute(
        """DELETE FROM sessions s USING activities a WHERE a.id = s.activity_id AND a.structure_id = $1
           AND ($2::uuid IS NULL OR a.id = $2) AND s.day BETWEEN $3 AND $4
           AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.session_id = s.id)""",
        structure_id, body.activity_id, body.start, body.end)
    return await conn.fetchval(
        """SELECT count(*) FROM sessions s JOIN activities a ON a.id = s.activity_id WHERE a.structure_id = $1
           AND ($2::uuid IS NULL OR a.id = $2) AND s.day BETWEEN $3 AND $4""",
        structure_id, body.activity_id, body.start, body.end)


async def set_capacity(conn, session_id: uuid.UUID, capacity: int | None) -> int:
    """Change a day's number of places; extra places go to the waiting list at once."""
    row = await conn.fetchrow("SELECT id FROM sessions WHERE id = $1 FOR UPDATE", session_id)
    if row is None:
        raise LookupError("séance introuvable")
    taken = await conn.fetchval("SELECT count(*) FROM bookings WHERE session_id = $1 AND status = 'accepted'",
                                session_id)
    if capacity is not None and capacity < taken:
        raise ValueError(f"{taken} places sont déjà réservées : le nombre de places ne peut pas être inférieur")
    await conn.execute("UPDATE sessions SET capacity = $2, taken = $3 WHERE id = $1", session_id, capacity, taken)
    return await promote_waitlist(conn, session_id)
