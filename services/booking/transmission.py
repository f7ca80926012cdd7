"""The nightly transmission's write side: the run and its events commit together (outbox)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

from contracts import BookingTransmittedV1
from kit import outbox


async def record(conn: asyncpg.Connection, transmission_id: uuid.UUID,
                 events: Sequence[BookingTransmittedV1]) -> None:
    """Record a transmission run and its per-family events in one transaction."""
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO transmissions (id, families, lines) VALUES ($1, $2, $3)",
            transmission_id, len(events), sum(len(e.lines) for e in events),
        )
        for event in events:
            await outbox.add(conn, event, producer="booking")
