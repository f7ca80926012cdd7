"""Justified absences' SQL (issue 19): the days booking's event says are justified, and which of a set of
bookings are justified and not charged (their charge must go)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg


@dataclass(frozen=True)
class JustifiedDay:
    booking_id: uuid.UUID
    structure_id: uuid.UUID
    first_name: str
    last_name: str
    activity_name: str
    day: date
    charged: bool


class AbsenceQueries:
    conn: asyncpg.Connection

    async def record_justified(self, absence_id: uuid.UUID, family_id: uuid.UUID, structure_id: uuid.UUID,
                               child_id: uuid.UUID, first_name: str, last_name: str,
                               days: Sequence[tuple[uuid.UUID, str, date, bool]], at: datetime) -> None:
        """(booking, activity name, day, charged) each, in one statement; a day told twice is kept once."""
        await self.conn.execute(
            """INSERT INTO justified_absences (booking_id, absence_id, family_id, structure_id, child_id, first_name,
                                               last_name, activity_name, day, charged, justified_at)
               SELECT b, $1, $2, $3, $4, $5, $6, n, d, c, $7
               FROM unnest($8::uuid[], $9::text[], $10::date[], $11::boolean[]) AS u(b, n, d, c)
               ON CONFLICT (booking_id) DO NOTHING""",
            absence_id, family_id, structure_id, child_id, first_name, last_name, at,
            [d[0] for d in days], [d[1] for d in days], [d[2] for d in days], [d[3] for d in days])

    async def justified_not_charged(self, booking_ids: Collection[uuid.UUID]) -> list[uuid.UUID]:
        if not booking_ids:
            return []
        rows = await self.conn.fetch("SELECT booking_id FROM justified_absences WHERE booking_id = ANY($1::uuid[]) "
                                     "AND NOT charged", list(booking_ids))
        return [r["booking_id"] for r in rows]

    async def justified_days(self, family_id: uuid.UUID, start: date, end: date) -> list[JustifiedDay]:
        rows = await self.conn.fetch(
            """SELECT booking_id, structure_id, first_name, last_name, activity_name, day, charged
               FROM justified_absences WHERE family_id = $1 AND day BETWEEN $2 AND $3
               ORDER BY day DESC, first_name, activity_name""", family_id, start, end)
        return [JustifiedDay(r["booking_id"], r["structure_id"], r["first_name"], r["last_name"], r["activity_name"],
                             r["day"], r["charged"]) for r in rows]
