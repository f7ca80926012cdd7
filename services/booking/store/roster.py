"""The SQL of the rosters (listes de présence): an activity's bookings of a day with the children's names
(booking's projection of auth's children), and the bookings of a structure's activities of a day."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, time

import asyncpg

from services.booking.domain.roster import RosterLine

_LIVE = ("accepted", "waitlisted", "pending")


@dataclass(frozen=True)
class DayBooking:
    activity_id: uuid.UUID
    child_id: uuid.UUID
    status: str


@dataclass(frozen=True)
class DayActivity:
    id: uuid.UUID
    name: str
    start: time
    end: time
    opened: bool  # a session that day


class RosterQueries:
    conn: asyncpg.Connection

    async def roster_lines(self, activity_id: uuid.UUID, day: date) -> list[RosterLine]:
        rows = await self.conn.fetch(
            """SELECT b.child_id, c.first_name, c.last_name, b.status, b.request_seq,
                      coalesce(b.arrival, s.start_time) AS arrival, coalesce(b.departure, s.end_time) AS departure
               FROM sessions s JOIN bookings b ON b.session_id = s.id JOIN children c ON c.id = b.child_id
               WHERE s.activity_id = $1 AND s.day = $2 AND b.status = ANY($3::text[])""",
            activity_id, day, list(_LIVE))
        return [RosterLine(r["child_id"], r["first_name"], r["last_name"], r["status"], r["arrival"],
                           r["departure"], r["request_seq"]) for r in rows]

    async def session_capacity(self, activity_id: uuid.UUID, day: date) -> tuple[bool, int | None]:
        """Whether the activity opens that day, and its places (None: unlimited)."""
        row = await self.conn.fetchrow("SELECT capacity FROM sessions WHERE activity_id = $1 AND day = $2",
                                       activity_id, day)
        return (row is not None, row["capacity"] if row else None)

    async def day_activities(self, structure_id: uuid.UUID, day: date) -> list[DayActivity]:
        rows = await self.conn.fetch(
            """SELECT a.id, a.name, a.start_time, a.end_time,
                      EXISTS (SELECT 1 FROM sessions s WHERE s.activity_id = a.id AND s.day = $2) AS opened
               FROM activities a WHERE a.structure_id = $1 ORDER BY a.start_time, a.name""", structure_id, day)
        return [DayActivity(r["id"], r["name"], r["start_time"], r["end_time"], r["opened"]) for r in rows]

    async def day_bookings(self, structure_id: uuid.UUID, day: date) -> list[DayBooking]:
        rows = await self.conn.fetch(
            """SELECT s.activity_id, b.child_id, b.status
               FROM sessions s JOIN activities a ON a.id = s.activity_id JOIN bookings b ON b.session_id = s.id
               WHERE a.structure_id = $1 AND s.day = $2 AND b.status = ANY($3::text[])""",
            structure_id, day, list(_LIVE))
        return [DayBooking(r["activity_id"], r["child_id"], r["status"]) for r in rows]
