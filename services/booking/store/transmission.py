"""The nightly transmission's SQL: the movements not yet transmitted (picked with SKIP LOCKED and marked in
the same statement), the bookings they leave transmitted, the run's record; and the latest transmitted
state of each booking, which the resync republishes and the facts digest counts."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time

import asyncpg

from services.booking.domain.transmission import Movement

MOVEMENTS_SQL = """
WITH picked AS (
    SELECT id FROM movements
    WHERE transmission_id IS NULL AND outcome <> 'pending' AND family_id = ANY($2::uuid[])
    ORDER BY id FOR UPDATE SKIP LOCKED
), marked AS (
    UPDATE movements m SET transmission_id = $1 FROM picked WHERE m.id = picked.id
    RETURNING m.id, m.booking_id, m.family_id, m.kind, m.outcome
)
SELECT mk.id, mk.booking_id, mk.family_id, mk.kind, mk.outcome, b.child_id, b.activity_id, b.day,
       coalesce(b.arrival, s.start_time) AS arrival, coalesce(b.departure, s.end_time) AS departure,
       c.first_name, c.last_name, a.name AS activity_name, a.structure_id, coalesce(st.name, '') AS structure_name
FROM marked mk
JOIN bookings b ON b.id = mk.booking_id
JOIN sessions s ON s.id = b.session_id
JOIN activities a ON a.id = b.activity_id
JOIN children c ON c.id = b.child_id
LEFT JOIN structures st ON st.id = a.structure_id
ORDER BY mk.family_id, a.structure_id, mk.id
"""

# The latest transmitted movement of each booking, with what a consumer needs to know of the booking.
STATES = """
SELECT DISTINCT ON (m.booking_id) m.booking_id, m.kind, m.outcome, m.created_at, b.family_id, b.child_id,
       b.activity_id, b.day, coalesce(b.arrival, s.start_time) AS arrival,
       coalesce(b.departure, s.end_time) AS departure, a.name AS activity_name, a.structure_id
FROM movements m
JOIN bookings b ON b.id = m.booking_id
JOIN sessions s ON s.id = b.session_id
JOIN activities a ON a.id = b.activity_id
WHERE m.transmission_id IS NOT NULL {scope}
ORDER BY m.booking_id, m.id DESC"""
SCOPED_STATES = STATES.format(
    scope="AND ($1::uuid IS NULL OR b.family_id = $1) AND ($2::uuid IS NULL OR a.structure_id = $2)")

# The facts digest (kit/consistency.py): the bookings whose latest transmitted movement is an accepted
# reservation, per structure. A billed booking never changes once made (a cancellation is another fact):
# its version is not counted.
DIGEST_QUERIES = {
    "bookings": f"""SELECT st.structure_id, st.booking_id::text, NULL::timestamptz
                    FROM ({STATES.format(scope="")}) st
                    WHERE st.kind = 'reserve' AND st.outcome = 'accepted'""",
}
STRUCTURE_NAMES = "SELECT id, name FROM structures"


@dataclass(frozen=True)
class TransmittedState:
    booking_id: uuid.UUID
    kind: str
    outcome: str
    created_at: datetime
    family_id: uuid.UUID
    child_id: uuid.UUID
    activity_id: uuid.UUID
    day: date
    arrival: time
    departure: time
    activity_name: str
    structure_id: uuid.UUID


class TransmissionQueries:
    conn: asyncpg.Connection

    async def families_to_transmit(self) -> list[uuid.UUID]:
        rows = await self.conn.fetch(
            "SELECT DISTINCT family_id FROM movements WHERE transmission_id IS NULL AND outcome <> 'pending'")
        return [r["family_id"] for r in rows]

    async def pick_movements(self, transmission_id: uuid.UUID, families: Collection[uuid.UUID]) -> list[Movement]:
        """Mark these families' movements as part of the transmission (those another run holds are skipped),
        ordered by family, structure and movement."""
        rows = await self.conn.fetch(MOVEMENTS_SQL, transmission_id, list(families))
        return [Movement(r["booking_id"], r["family_id"], r["kind"], r["outcome"], r["child_id"], r["activity_id"],
                         r["day"], r["arrival"], r["departure"], r["first_name"], r["last_name"],
                         r["activity_name"], r["structure_id"], r["structure_name"]) for r in rows]

    async def mark_bookings_transmitted(self, booking_ids: Collection[uuid.UUID]) -> None:
        """A booking is "transmitted" once its latest movement is."""
        await self.conn.execute(
            """UPDATE bookings b SET transmitted = true WHERE b.id = ANY($1::uuid[])
               AND NOT EXISTS (SELECT 1 FROM movements m WHERE m.booking_id = b.id AND m.transmission_id IS NULL)""",
            list(booking_ids))

    async def insert_transmission(self, transmission_id: uuid.UUID, started_at: datetime | None, families: int,
                                  lines: int) -> None:
        if started_at is None:
            await self.conn.execute(
                "INSERT INTO transmissions (id, families, lines, finished_at) VALUES ($1, $2, $3, now())",
                transmission_id, families, lines)
        else:
            await self.conn.execute(
                "INSERT INTO transmissions (id, started_at, families, lines, finished_at) "
                "VALUES ($1, $2, $3, $4, now())", transmission_id, started_at, families, lines)

    async def transmitted_states(self, family_id: uuid.UUID | None = None,
                                 structure_id: uuid.UUID | None = None) -> list[TransmittedState]:
        rows = await self.conn.fetch(SCOPED_STATES, family_id, structure_id)
        return [TransmittedState(r["booking_id"], r["kind"], r["outcome"], r["created_at"], r["family_id"],
                                 r["child_id"], r["activity_id"], r["day"], r["arrival"], r["departure"],
                                 r["activity_name"], r["structure_id"]) for r in rows]
