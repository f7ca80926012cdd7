"""Declared absences' SQL: the structure's waiting period, the child's booked days a declaration covers, the
absence and its days, staff's answer (set-based: every day of the absence in one statement), the lists."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from services.booking.domain.absences import DEFAULT_WAITING_DAYS


@dataclass(frozen=True)
class BookedDay:
    booking_id: uuid.UUID
    day: date
    activity_id: uuid.UUID
    activity_name: str


@dataclass(frozen=True)
class Absence:
    id: uuid.UUID
    family_id: uuid.UUID
    child_id: uuid.UUID
    structure_id: uuid.UUID
    start: date
    end: date
    certificate_id: uuid.UUID
    status: str
    reason: str | None
    declared_at: datetime
    first_name: str = ""
    last_name: str = ""
    days: int = 0
    structure_name: str = ""


_ABSENCE = """SELECT x.id, x.family_id, x.child_id, x.structure_id, x.start_day, x.end_day, x.certificate_id, x.status,
                     x.reason, x.declared_at, coalesce(c.first_name, '') AS first_name,
                     coalesce(c.last_name, '') AS last_name,
                     (SELECT count(*) FROM absence_days d WHERE d.absence_id = x.id) AS days,
                     coalesce(st.name, '') AS structure_name
              FROM absences x LEFT JOIN children c ON c.id = x.child_id LEFT JOIN structures st ON st.id = x.structure_id"""


def _absence(r: asyncpg.Record) -> Absence:
    return Absence(r["id"], r["family_id"], r["child_id"], r["structure_id"], r["start_day"], r["end_day"],
                   r["certificate_id"], r["status"], r["reason"], r["declared_at"], r["first_name"], r["last_name"],
                   r["days"], r["structure_name"])


class AbsenceQueries:
    conn: asyncpg.Connection

    async def waiting_days(self, structure_id: uuid.UUID) -> int:
        found = await self.conn.fetchval("SELECT waiting_days FROM absence_rules WHERE structure_id = $1",
                                         structure_id)
        return DEFAULT_WAITING_DAYS if found is None else found

    async def set_waiting_days(self, structure_id: uuid.UUID, days: int) -> None:
        await self.conn.execute(
            """INSERT INTO absence_rules (structure_id, waiting_days) VALUES ($1, $2)
               ON CONFLICT (structure_id) DO UPDATE SET waiting_days = $2, updated_at = now()""", structure_id, days)

    async def booked_days(self, child_id: uuid.UUID, start: date, end: date) -> list[BookedDay]:
        """The child's accepted bookings of these days not already in a declared or accepted absence, locked."""
        rows = await self.conn.fetch(
            """SELECT b.id, b.day, b.activity_id, a.name FROM bookings b JOIN activities a ON a.id = b.activity_id
               WHERE b.child_id = $1 AND b.day BETWEEN $2 AND $3 AND b.status = 'accepted'
                 AND NOT EXISTS (SELECT 1 FROM absence_days d JOIN absences x ON x.id = d.absence_id
                                 WHERE d.booking_id = b.id AND x.status <> 'refused')
               ORDER BY b.day, a.name FOR UPDATE OF b""", child_id, start, end)
        return [BookedDay(r["id"], r["day"], r["activity_id"], r["name"]) for r in rows]

    async def insert_absence(self, absence: Absence, booking_ids: list[uuid.UUID]) -> None:
        await self.conn.execute(
            """INSERT INTO absences (id, family_id, child_id, structure_id, start_day, end_day, certificate_id,
                                     declared_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
            absence.id, absence.family_id, absence.child_id, absence.structure_id, absence.start, absence.end,
            absence.certificate_id, absence.declared_at)
        await self.conn.execute(
            """WITH d AS (INSERT INTO absence_days (absence_id, booking_id) SELECT $1, unnest($2::uuid[])
                          RETURNING booking_id)
               UPDATE bookings b SET absence = 'declared' FROM d WHERE b.id = d.booking_id""",
            absence.id, booking_ids)

    async def absence_for_update(self, absence_id: uuid.UUID) -> Absence | None:
        r = await self.conn.fetchrow(f"{_ABSENCE} WHERE x.id = $1 FOR UPDATE OF x", absence_id)
        return None if r is None else _absence(r)

    async def absence(self, absence_id: uuid.UUID) -> Absence | None:
        r = await self.conn.fetchrow(f"{_ABSENCE} WHERE x.id = $1", absence_id)
        return None if r is None else _absence(r)

    async def absence_booked_days(self, absence_id: uuid.UUID) -> list[BookedDay]:
        rows = await self.conn.fetch(
            """SELECT b.id, b.day, b.activity_id, a.name FROM absence_days d JOIN bookings b ON b.id = d.booking_id
               JOIN activities a ON a.id = b.activity_id WHERE d.absence_id = $1 ORDER BY b.day, a.name""",
            absence_id)
        return [BookedDay(r["id"], r["day"], r["activity_id"], r["name"]) for r in rows]

    async def answer_absence(self, absence_id: uuid.UUID, status: str, reason: str | None, waiting_days: int | None,
                             charged: dict[uuid.UUID, bool], at: datetime) -> None:
        """Record staff's answer; every day of the absence told so in one statement."""
        await self.conn.execute(
            "UPDATE absences SET status = $2, reason = $3, waiting_days = $4, answered_at = $5 WHERE id = $1",
            absence_id, status, reason, waiting_days, at)
        await self.conn.execute(
            """WITH c AS (SELECT * FROM unnest($2::uuid[], $3::boolean[]) AS c(booking_id, charged)),
               d AS (UPDATE absence_days d SET charged = c.charged FROM c
                     WHERE d.absence_id = $1 AND d.booking_id = c.booking_id RETURNING d.booking_id, d.charged)
               UPDATE bookings b SET absence = CASE WHEN $4 = 'refused' THEN 'refused'
                                                    WHEN d.charged THEN 'justified_charged' ELSE 'justified' END
               FROM d WHERE b.id = d.booking_id""",
            absence_id, list(charged), list(charged.values()), status)

    async def absences_of_structure(self, structure_id: uuid.UUID, status: str | None) -> list[Absence]:
        rows = await self.conn.fetch(
            f"{_ABSENCE} WHERE x.structure_id = $1 AND ($2::text IS NULL OR x.status = $2) "
            "ORDER BY x.status = 'pending' DESC, x.start_day DESC", structure_id, status)
        return [_absence(r) for r in rows]

    async def absences_of_family(self, family_id: uuid.UUID) -> list[Absence]:
        rows = await self.conn.fetch(f"{_ABSENCE} WHERE x.family_id = $1 ORDER BY x.start_day DESC", family_id)
        return [_absence(r) for r in rows]
