"""The inbox: an event's effect and the record that it was applied commit together."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from contracts.envelope import Envelope


async def process_once(
    pool: asyncpg.Pool,
    consumer: str,
    envelope: Envelope[Any],
    effect: Callable[[asyncpg.Connection, Envelope[Any]], Awaitable[None]],
) -> bool:
    """Apply `effect` unless this consumer already applied this event. Returns True when applied."""
    async with pool.acquire() as conn, conn.transaction():
        fresh = await conn.fetchval(
            """INSERT INTO inbox (consumer, event_id, event_type) VALUES ($1, $2, $3)
               ON CONFLICT DO NOTHING RETURNING true""",
            consumer, envelope.event_id, envelope.type,
        )
        if not fresh:
            return False
        await effect(conn, envelope)
        return True
