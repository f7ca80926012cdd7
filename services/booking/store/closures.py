"""Mass closures' SQL, set-based: one statement marks the closed days' sessions, cancels every booking on
them (accepted, waiting list, waiting for an answer) and records their cancellation movements for the night's
transmission; re-opening keeps the closure, withdrawn, and opens its sessions again."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from services.booking.domain.closures import Cancelled

CLOSE_SQL = """
WITH closed AS (
    UPDATE sessions s SET closed_by = $1, taken = 0 FROM activities a
    WHERE a.id = s.activity_id AND a.structure_id = $2 AND ($3::uuid IS NULL OR a.id = $3)
      AND s.day BETWEEN $4 AND $5 AND s.closed_by IS NULL
    RETURNING s.id
), cancelled AS (
    UPDATE bookings b SET status = 'cancelled', changed_at = $7, transmitted = false, reason = $6
    FROM closed WHERE b.session_id = closed.id AND b.status IN ('accepted', 'waitlisted', 'pending')
    RETURNING b.id, b.family_id, b.child_id, b.activity_id, b.day
), moved AS (
    INSERT INTO movements (booking_id, family_id, kind, outcome, created_at)
    SELECT id, family_id, 'cancel', 'cancelled', $7 FROM cancelled
)
SELECT x.id, x.family_id, coalesce(c.first_name, '') AS first_name, coalesce(c.last_name, '') AS last_name,
       a.name AS activity_name, x.day
FROM cancelled x JOIN activities a ON a.id = x.activity_id LEFT JOIN children c ON c.id = x.child_id
ORDER BY x.family_id, x.day
"""

# A day another closure still covers stays closed, by that one.
REOPEN_SQL = """
UPDATE sessions s SET closed_by = (
    SELECT c.id FROM closures c JOIN activities a ON a.id = s.activity_id
    WHERE c.id <> $1 AND c.cancels_bookings AND c.reopened_at IS NULL AND c.structure_id = a.structure_id
      AND (c.activity_id IS NULL OR c.activity_id = s.activity_id) AND s.day BETWEEN c.start_day AND c.end_day
    LIMIT 1)
WHERE s.closed_by = $1
"""


@dataclass(frozen=True)
class Closure:
    id: uuid.UUID
    structure_id: uuid.UUID
    activity_id: uuid.UUID | None
    activity_name: str | None
    start: date
    end: date
    label: str
    cancels_bookings: bool
    reopened: bool = False


class ClosureQueries:
    conn: asyncpg.Connection

    async def close_days(self, closure_id: uuid.UUID, structure_id: uuid.UUID, activity_id: uuid.UUID | None,
                         start: date, end: date, label: str, reason: str, at: datetime) -> list[Cancelled]:
        """Record the closure, then close its days and cancel their bookings in one statement."""
        await self.conn.execute(
            "INSERT INTO closures (id, structure_id, activity_id, start_day, end_day, label, cancels_bookings, "
            "closed_at) VALUES ($1, $2, $3, $4, $5, $6, true, $7)",
            closure_id, structure_id, activity_id, start, end, label, at)
        rows = await self.conn.fetch(CLOSE_SQL, closure_id, structure_id, activity_id, start, end, reason, at)
        return [Cancelled(r["id"], r["family_id"], r["first_name"], r["last_name"], r["activity_name"], r["day"])
                for r in rows]

    async def closure(self, closure_id: uuid.UUID) -> Closure | None:
        r = await self.conn.fetchrow(
            """SELECT c.id, c.structure_id, c.activity_id, a.name AS activity_name, c.start_day, c.end_day, c.label,
                      c.cancels_bookings, c.reopened_at IS NOT NULL AS reopened
               FROM closures c LEFT JOIN activities a ON a.id = c.activity_id WHERE c.id = $1 FOR UPDATE OF c""",
            closure_id)
        return None if r is None else _closure(r)

    async def closures_of(self, structure_id: uuid.UUID, since: date) -> list[Closure]:
        """A structure's closures not over before `since`, first day first."""
        rows = await self.conn.fetch(
            """SELECT c.id, c.structure_id, c.activity_id, a.name AS activity_name, c.start_day, c.end_day, c.label,
                      c.cancels_bookings, false AS reopened
               FROM closures c LEFT JOIN activities a ON a.id = c.activity_id
               WHERE c.structure_id = $1 AND c.end_day >= $2 AND c.reopened_at IS NULL ORDER BY c.start_day, c.closed_at""",
            structure_id, since)
        return [_closure(r) for r in rows]

    async def reopen_closure(self, closure_id: uuid.UUID, at: datetime) -> None:
        """Re-open: the sessions it closed open again; the closure is kept, withdrawn."""
        await self.conn.execute(REOPEN_SQL, closure_id)
        await self.conn.execute("UPDATE closures SET reopened_at = $2 WHERE id = $1", closure_id, at)

    async def structure_name(self, structure_id: uuid.UUID) -> str:
        return await self.conn.fetchval("SELECT name FROM structures WHERE id = $1", structure_id) or ""


def _closure(r: asyncpg.Record) -> Closure:
    return Closure(r["id"], r["structure_id"], r["activity_id"], r["activity_name"], r["start_day"], r["end_day"],
                   r["label"], r["cancels_bookings"], r["reopened"])
