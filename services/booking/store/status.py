"""The SQL of the transmission's status as a structure's staff see it: the latest run, when the
structure's movements last went out and how many, and how many are still waiting for the next run."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.booking.domain.transmission import WAITING_FOR_ANSWER


@dataclass(frozen=True)
class TransmissionStatus:
    last_run_at: datetime | None  # the latest run, whoever's movements it carried
    last_run_lines: int
    structure_sent_at: datetime | None  # the latest run that carried a movement of the structure
    structure_sent_lines: int  # how many of the structure's movements that run carried
    structure_waiting: int  # the structure's movements waiting for the next run


class StatusQueries:
    conn: asyncpg.Connection

    async def transmission_status(self, structure_id: uuid.UUID) -> TransmissionStatus:
        last = await self.conn.fetchrow("SELECT coalesce(finished_at, started_at) AS at, lines FROM transmissions "
                                        "ORDER BY started_at DESC LIMIT 1")
        sent = await self.conn.fetchrow(
            """SELECT m.transmission_id, coalesce(t.finished_at, t.started_at) AS at
               FROM movements m JOIN bookings b ON b.id = m.booking_id JOIN activities a ON a.id = b.activity_id
               JOIN transmissions t ON t.id = m.transmission_id
               WHERE a.structure_id = $1 ORDER BY t.started_at DESC LIMIT 1""", structure_id)
        lines = await self.conn.fetchval(
            """SELECT count(*) FROM movements m JOIN bookings b ON b.id = m.booking_id
               JOIN activities a ON a.id = b.activity_id WHERE a.structure_id = $1 AND m.transmission_id = $2""",
            structure_id, sent["transmission_id"]) if sent else 0
        waiting = await self.conn.fetchval(
            """SELECT count(*) FROM movements m JOIN bookings b ON b.id = m.booking_id
               JOIN activities a ON a.id = b.activity_id
               WHERE a.structure_id = $1 AND m.transmission_id IS NULL AND m.outcome <> ALL($2::text[])""",
            structure_id, list(WAITING_FOR_ANSWER))
        return TransmissionStatus(last["at"] if last else None, last["lines"] if last else 0,
                                  sent["at"] if sent else None, lines, waiting)
