"""What staff configure: activities and their incompatibilities, sessions, school holidays and closures,
capacities, enrolments; and the structure an activity or a session belongs to (for access checks)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Any, Literal

import asyncpg

from services.booking.domain.deadlines import DeadlineRule
from services.booking.domain.openings import Period


@dataclass(frozen=True)
class NewActivity:
    structure_id: uuid.UUID
    name: str
    kind: str
    start_time: time
    end_time: time
    capacity: int | None
    waitlist_allowed: bool
    needs_approval: bool
    requires_house_rules: bool
    enrolment_required: bool
    booking_deadline: DeadlineRule
    cancel_deadline: DeadlineRule


@dataclass(frozen=True)
class OpeningFacts:
    structure_id: uuid.UUID
    start_time: time
    end_time: time
    default_capacity: int | None


class CatalogQueries:
    conn: asyncpg.Connection

    async def activity_named(self, structure_id: uuid.UUID, name: str) -> bool:
        """Whether the structure already has an activity of that name (whatever the case)."""
        return bool(await self.conn.fetchval(
            "SELECT 1 FROM activities WHERE structure_id = $1 AND lower(name) = lower($2)", structure_id, name))

    async def insert_activity(self, activity_id: uuid.UUID, a: NewActivity) -> None:
        b, c = a.booking_deadline, a.cancel_deadline
        await self.conn.execute(
            """INSERT INTO activities (id, structure_id, name, kind, start_time, end_time, default_capacity,
                   waitlist_allowed, needs_approval, requires_house_rules, enrolment_required,
                   booking_days_before, booking_working_days, booking_at, cancel_days_before, cancel_working_days,
                   cancel_at)
               VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17)""",
            activity_id, a.structure_id, a.name, a.kind, a.start_time, a.end_time, a.capacity,
            a.waitlist_allowed, a.needs_approval, a.requires_house_rules, a.enrolment_required,
            b.days_before, b.working_days, b.at, c.days_before, c.working_days, c.at)

    async def declare_incompatible(self, activity_id: uuid.UUID, structure_id: uuid.UUID,
                                   others: Collection[uuid.UUID]) -> None:
        """Declare the activity incompatible with those of ``others`` that belong to the same structure."""
        rows = await self.conn.fetch("SELECT id FROM activities WHERE id = ANY($1) AND structure_id = $2",
                                     list(others), structure_id)
        await self.conn.executemany(
            "INSERT INTO activity_incompatibilities (a, b) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            [tuple(sorted((activity_id, r["id"]))) for r in rows])

    async def change_activity_id(self, activity_id: uuid.UUID, new_id: uuid.UUID) -> None:
        """For fixed demo identifiers."""
        await self.conn.execute("UPDATE activities SET id = $2 WHERE id = $1", activity_id, new_id)

    async def activity_rows(self, structure_id: uuid.UUID) -> list[dict[str, Any]]:
        """Every column of the structure's activities, as staff's list shows them."""
        rows = await self.conn.fetch("SELECT * FROM activities WHERE structure_id = $1 ORDER BY start_time, name",
                                     structure_id)
        return [dict(r) for r in rows]

    async def activity_structure(self, activity_id: uuid.UUID) -> uuid.UUID | None:
        return await self.conn.fetchval("SELECT structure_id FROM activities WHERE id = $1", activity_id)

    async def session_structure(self, session_id: uuid.UUID) -> uuid.UUID | None:
        return await self.conn.fetchval(
            "SELECT a.structure_id FROM sessions s JOIN activities a ON a.id = s.activity_id WHERE s.id = $1",
            session_id)

    async def family_structures(self, family_id: uuid.UUID) -> set[uuid.UUID]:
        rows = await self.conn.fetch("SELECT structure_id FROM family_structures WHERE family_id = $1", family_id)
        return {r["structure_id"] for r in rows}

    async def opening_facts(self, activity_id: uuid.UUID) -> OpeningFacts | None:
        r = await self.conn.fetchrow(
            "SELECT structure_id, start_time, end_time, default_capacity FROM activities WHERE id = $1", activity_id)
        return None if r is None else OpeningFacts(r["structure_id"], r["start_time"], r["end_time"],
                                                   r["default_capacity"])

    async def periods(self, table: Literal["school_holidays", "closures"], structure_id: uuid.UUID,
                      activity_id: uuid.UUID | None = None) -> list[Period]:
        """A structure's school holidays, or its closures (the whole structure's and the activity's)."""
        if table == "closures":
            rows = await self.conn.fetch(
                "SELECT start_day, end_day, label FROM closures WHERE structure_id = $1 "
                "AND (activity_id IS NULL OR activity_id = $2) AND reopened_at IS NULL", structure_id, activity_id)
        else:
            rows = await self.conn.fetch("SELECT start_day, end_day, label FROM school_holidays WHERE structure_id = $1",
                                         structure_id)
        return [Period(r["start_day"], r["end_day"], r["label"]) for r in rows]

    async def insert_sessions(self, activity_id: uuid.UUID, start: time, end: time, capacity: int | None,
                              days: Sequence[date]) -> int:
        """Sessions for the days that have none yet; how many were created."""
        result = await self.conn.fetch(
            """INSERT INTO sessions (id, activity_id, day, start_time, end_time, capacity)
               SELECT gen_random_uuid(), $1, d, $2, $3, $4 FROM unnest($5::date[]) AS d
               ON CONFLICT (activity_id, day) DO NOTHING RETURNING id""",
            activity_id, start, end, capacity, list(days))
        return len(result)

    async def insert_school_holidays(self, structure_id: uuid.UUID, period: Period) -> None:
        await self.conn.execute(
            "INSERT INTO school_holidays (id, structure_id, start_day, end_day, label) VALUES ($1, $2, $3, $4, $5)",
            uuid.uuid4(), structure_id, period.start, period.end, period.label)

    async def insert_closure(self, structure_id: uuid.UUID, activity_id: uuid.UUID | None, period: Period) -> None:
        await self.conn.execute(
            "INSERT INTO closures (id, structure_id, activity_id, start_day, end_day, label) "
            "VALUES ($1,$2,$3,$4,$5,$6)", uuid.uuid4(), structure_id, activity_id, period.start, period.end,
            period.label)

    async def delete_unbooked_sessions(self, structure_id: uuid.UUID, activity_id: uuid.UUID | None,
                                       start: date, end: date) -> None:
        await self.conn.execute(
            """DELETE FROM sessions s USING activities a WHERE a.id = s.activity_id AND a.structure_id = $1
               AND ($2::uuid IS NULL OR a.id = $2) AND s.day BETWEEN $3 AND $4
               AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.session_id = s.id)""",
            structure_id, activity_id, start, end)

    async def count_sessions(self, structure_id: uuid.UUID, activity_id: uuid.UUID | None,
                             start: date, end: date) -> int:
        return await self.conn.fetchval(
            """SELECT count(*) FROM sessions s JOIN activities a ON a.id = s.activity_id WHERE a.structure_id = $1
               AND ($2::uuid IS NULL OR a.id = $2) AND s.day BETWEEN $3 AND $4""",
            structure_id, activity_id, start, end)

    async def lock_session(self, session_id: uuid.UUID) -> bool:
        """Lock the session row; False when there is none."""
        return await self.conn.fetchrow("SELECT id FROM sessions WHERE id = $1 FOR UPDATE", session_id) is not None

    async def accepted_count(self, session_id: uuid.UUID) -> int:
        return await self.conn.fetchval(
            "SELECT count(*) FROM bookings WHERE session_id = $1 AND status = 'accepted'", session_id)

    async def set_places(self, session_id: uuid.UUID, capacity: int | None, taken: int) -> None:
        await self.conn.execute("UPDATE sessions SET capacity = $2, taken = $3 WHERE id = $1",
                                session_id, capacity, taken)

    async def enrol(self, child_id: uuid.UUID, activity_id: uuid.UUID) -> None:
        await self.conn.execute("INSERT INTO enrolments (child_id, activity_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                                child_id, activity_id)

    async def activity_exists(self, activity_id: uuid.UUID) -> bool:
        return bool(await self.conn.fetchval("SELECT 1 FROM activities WHERE id = $1", activity_id))
