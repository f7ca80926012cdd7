"""The inbox: an event's effect and the record that it was applied commit together.

`process_once` applies one event in its own transaction; `process_batch` applies several in one
transaction (their inbox rows in one statement, then their effects in order, or one set-wise effect for
all of them): a batch commits whole or not at all (docs/adr/0009)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg

from contracts.envelope import Envelope
from kit.context import correlation_id_var

Effect = Callable[[asyncpg.Connection, Envelope[Any]], Awaitable[None]]
# The set-wise form of an effect: the fresh events of a batch, in order, applied in bulk statements.
BatchEffect = Callable[[asyncpg.Connection, list[Envelope[Any]]], Awaitable[None]]


async def process_once(
    pool: asyncpg.Pool,
    consumer: str,
    envelope: Envelope[Any],
    effect: Effect,
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


async def process_batch(
    pool: asyncpg.Pool,
    consumer: str,
    envelopes: Sequence[Envelope[Any]],
    effect: Effect,
    effect_many: BatchEffect | None = None,
) -> list[bool]:
    """Apply the events this consumer has not applied yet, in order, in one transaction with their
    inbox rows. Returns, for each envelope, whether it was applied (False: seen before, or twice in the
    batch). Raises (and commits nothing) when an effect fails."""
    async with pool.acquire() as conn, conn.transaction():
        inserted = {r["event_id"] for r in await conn.fetch(
            """INSERT INTO inbox (consumer, event_id, event_type)
               SELECT $1, u.event_id, u.event_type FROM unnest($2::uuid[], $3::text[]) WITH ORDINALITY
                   AS u(event_id, event_type, n) ORDER BY u.n
               ON CONFLICT DO NOTHING RETURNING event_id""",
            consumer, [e.event_id for e in envelopes], [e.type for e in envelopes])}
        applied, fresh = [], []
        for envelope in envelopes:
            new = envelope.event_id in inserted
            inserted.discard(envelope.event_id)  # the same event twice in one batch: applied once
            applied.append(new)
            if new:
                fresh.append(envelope)
        if fresh and effect_many is not None:
            await effect_many(conn, fresh)
        else:
            for envelope in fresh:
                token = correlation_id_var.set(envelope.correlation_id)
                try:
                    await effect(conn, envelope)
                finally:
                    correlation_id_var.reset(token)
        return applied
