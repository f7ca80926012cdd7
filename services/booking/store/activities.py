"""What staff change on an existing activity: its settings, its incompatibilities, the hours of its days to
come, the places of a range of days (locked while the change is applied); and its enrolments (the children
of the structure's families, enrolled or not)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, time

import asyncpg

from services.booking.domain.changes import ActivitySettings, DayLoad, Upcoming
from services.booking.domain.deadlines import DeadlineRule
from services.booking.domain.enrolments import Pupil

_DAY_LOAD = """SELECT s.id, s.day, s.capacity,
                      (SELECT count(*) FROM bookings b WHERE b.session_id = s.id AND b.status = 'accepted') AS accepted,
                      (SELECT count(*) FROM bookings b WHERE b.session_id = s.id AND b.status = 'waitlisted')
                          AS waitlisted
               FROM sessions s"""


@dataclass(frozen=True)
class RollEntry:
    """A child of the structure's families, and whether it is enrolled in the activity."""

    pupil: Pupil
    enrolled: bool


def _day_load(r: asyncpg.Record) -> DayLoad:
    return DayLoad(r["id"], r["day"], r["capacity"], r["accepted"], r["waitlisted"])


class ActivityQueries:
    conn: asyncpg.Connection

    async def activity_settings(self, activity_id: uuid.UUID) -> ActivitySettings | None:
        r = await self.conn.fetchrow("SELECT * FROM activities WHERE id = $1", activity_id)
        if r is None:
            return None
        others = await self.conn.fetch(
            "SELECT CASE WHEN a = $1 THEN b ELSE a END AS other FROM activity_incompatibilities WHERE $1 IN (a, b)",
            activity_id)
        return ActivitySettings(
            r["name"], r["start_time"], r["end_time"], r["default_capacity"], r["waitlist_allowed"],
            r["needs_approval"], r["requires_house_rules"], r["enrolment_required"],
            DeadlineRule(r["booking_days_before"], r["booking_working_days"], r["booking_at"]),
            DeadlineRule(r["cancel_days_before"], r["cancel_working_days"], r["cancel_at"]),
            frozenset(o["other"] for o in others))

    async def other_activity_named(self, activity_id: uuid.UUID, structure_id: uuid.UUID, name: str) -> bool:
        return bool(await self.conn.fetchval(
            "SELECT 1 FROM activities WHERE structure_id = $1 AND lower(name) = lower($2) AND id <> $3",
            structure_id, name, activity_id))

    async def update_activity(self, activity_id: uuid.UUID, s: ActivitySettings) -> None:
        b, c = s.booking_deadline, s.cancel_deadline
        await self.conn.execute(
            """UPDATE activities SET name = $2, start_time = $3, end_time = $4, default_capacity = $5,
                   waitlist_allowed = $6, needs_approval = $7, requires_house_rules = $8, enrolment_required = $9,
                   booking_days_before = $10, booking_working_days = $11, booking_at = $12,
                   cancel_days_before = $13, cancel_working_days = $14, cancel_at = $15
               WHERE id = $1""",
            activity_id, s.name, s.start_time, s.end_time, s.default_capacity, s.waitlist_allowed, s.needs_approval,
            s.requires_house_rules, s.enrolment_required, b.days_before, b.working_days, b.at, c.days_before,
            c.working_days, c.at)

    async def replace_incompatibilities(self, activity_id: uuid.UUID, structure_id: uuid.UUID,
                                        others: Collection[uuid.UUID]) -> None:
        """The activity's incompatibilities become exactly ``others`` (those of the same structure)."""
        await self.conn.execute("DELETE FROM activity_incompatibilities WHERE $1 IN (a, b)", activity_id)
        await self.declare_incompatible(activity_id, structure_id, [o for o in others if o != activity_id])

    async def move_upcoming_hours(self, activity_id: uuid.UUID, start: time, end: time, today: date) -> None:
        await self.conn.execute(
            "UPDATE sessions SET start_time = $2, end_time = $3 WHERE activity_id = $1 AND day >= $4",
            activity_id, start, end, today)

    async def upcoming(self, activity_id: uuid.UUID, today: date) -> Upcoming:
        r = await self.conn.fetchrow(
            """SELECT count(*) AS days,
                      count(*) FILTER (WHERE EXISTS (SELECT 1 FROM bookings b WHERE b.session_id = s.id
                                                     AND b.status IN ('accepted', 'pending'))) AS booked_days,
                      coalesce(sum((SELECT count(*) FROM bookings b WHERE b.session_id = s.id
                                    AND b.status = 'waitlisted')), 0) AS waitlisted,
                      coalesce(sum((SELECT count(*) FROM bookings b WHERE b.session_id = s.id
                                    AND b.status = 'pending')), 0) AS pending
               FROM sessions s WHERE s.activity_id = $1 AND s.day >= $2""", activity_id, today)
        return Upcoming(r["days"], r["booked_days"], r["waitlisted"], r["pending"])

    async def day_loads(self, activity_id: uuid.UUID, start: date, end: date, lock: bool = False) -> list[DayLoad]:
        """The activity's days in [start, end] with their places and bookings; with `lock`, their rows stay
        locked (in the order of their ids, as the baskets lock them) until the end of the transaction."""
        if lock:
            await self.conn.execute(
                "SELECT id FROM sessions WHERE activity_id = $1 AND day BETWEEN $2 AND $3 ORDER BY id FOR UPDATE",
                activity_id, start, end)
        rows = await self.conn.fetch(f"{_DAY_LOAD} WHERE s.activity_id = $1 AND s.day BETWEEN $2 AND $3 "
                                     "ORDER BY s.day", activity_id, start, end)
        return [_day_load(r) for r in rows]

    async def day_load(self, session_id: uuid.UUID) -> DayLoad | None:
        r = await self.conn.fetchrow(f"{_DAY_LOAD} WHERE s.id = $1", session_id)
        return None if r is None else _day_load(r)

    async def enrolment_roll(self, activity_id: uuid.UUID, structure_id: uuid.UUID) -> list[RollEntry]:
        """The children of the structure's families, by name, each enrolled in the activity or not."""
        rows = await self.conn.fetch(
            """SELECT c.id, c.first_name, c.last_name, c.birth_date,
                      EXISTS (SELECT 1 FROM enrolments e WHERE e.child_id = c.id AND e.activity_id = $1) AS enrolled
               FROM children c
               WHERE c.family_id IN (SELECT family_id FROM family_structures WHERE structure_id = $2)
               ORDER BY lower(c.last_name), lower(c.first_name), c.birth_date""", activity_id, structure_id)
        return [RollEntry(Pupil(r["id"], r["first_name"], r["last_name"], r["birth_date"]), r["enrolled"])
                for r in rows]

    async def enrol_many(self, child_ids: Collection[uuid.UUID], activity_id: uuid.UUID) -> int:
        """How many were not enrolled yet."""
        rows = await self.conn.fetch(
            """INSERT INTO enrolments (child_id, activity_id) SELECT c, $2 FROM unnest($1::uuid[]) AS c
               ON CONFLICT DO NOTHING RETURNING child_id""", list(child_ids), activity_id)
        return len(rows)

    async def unenrol(self, child_id: uuid.UUID, activity_id: uuid.UUID) -> bool:
        return await self.conn.fetchval(
            "DELETE FROM enrolments WHERE child_id = $1 AND activity_id = $2 RETURNING true",
            child_id, activity_id) is not None
