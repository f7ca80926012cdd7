"""billing's reactions to other services' events."""

from __future__ import annotations

import asyncpg

from contracts import BookingTransmittedV1, Envelope


async def on_booking_transmitted(conn: asyncpg.Connection, envelope: Envelope[BookingTransmittedV1]) -> None:
    event = envelope.payload
    await conn.executemany(
        """INSERT INTO booking_movements (event_id, booking_id, transmission_id, family_id, structure_id,
               child_id, activity_id, activity_name, day, kind, outcome)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
        [(envelope.event_id, line.booking_id, event.transmission_id, event.family_id, event.structure_id,
          line.child_id, line.activity_id, line.activity_name, line.date, line.kind, line.outcome)
         for line in event.lines],
    )
