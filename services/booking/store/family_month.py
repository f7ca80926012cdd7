"""The SQL of a family's bookings of a month as staff see them from the family's page: those of the
activities of some structures only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, time

import asyncpg


@dataclass(frozen=True)
class MonthBooking:
    id: uuid.UUID
    day: date
    status: str
    transmitted: bool
    first_name: str
    last_name: str
    activity: str
    structure_id: uuid.UUID
    arrival: time
    departure: time
    position: int | None


class FamilyMonthQueries:
    conn: asyncpg.Connection

    async def family_month(self, family_id: uuid.UUID, start: date, end: date,
                           structures: list[uuid.UUID] | None) -> list[MonthBooking]:
        """The family's bookings from `start` to `end` in activities of these structures (None: every one)."""
        rows = await self.conn.fetch(
            """SELECT b.id, b.day, b.status, b.transmitted, c.first_name, c.last_name, a.name AS activity,
                      a.structure_id, coalesce(b.arrival, s.start_time) AS arrival,
                      coalesce(b.departure, s.end_time) AS departure,
                      CASE WHEN b.status = 'waitlisted' THEN
                          (SELECT count(*) FROM bookings w WHERE w.session_id = b.session_id
                             AND w.status = 'waitlisted' AND w.request_seq <= b.request_seq) END AS position
               FROM bookings b JOIN sessions s ON s.id = b.session_id JOIN activities a ON a.id = b.activity_id
               JOIN children c ON c.id = b.child_id
               WHERE b.family_id = $1 AND b.day BETWEEN $2 AND $3
                 AND ($4::uuid[] IS NULL OR a.structure_id = ANY($4::uuid[]))
               ORDER BY b.day, a.name, c.first_name""", family_id, start, end, structures)
        return [MonthBooking(**dict(r)) for r in rows]
