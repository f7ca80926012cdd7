"""The transactional outbox: `add` writes an event in the caller's transaction, next to the state change
it describes; the relay (`kit.relay`) publishes it.

A message written with `secret=True` (a command carrying a reset link, say) keeps its payload only
until it is published: the UPDATE that marks it sent also blanks the payload, leaving the envelope
(id, type, correlation id) for audits."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from contracts.envelope import Envelope, Message
from kit.bus import exchange_name
from kit.context import current_correlation_id
from kit.telemetry import inject_context

SECRET_HEADERS = json.dumps({"secret": True})
# Once published, a secret message's payload is replaced by this (the envelope is kept).
SCRUBBED_PAYLOAD = json.dumps({"retire_apres_envoi": True})


async def add(conn: asyncpg.Connection, payload: Message, *, producer: str, secret: bool = False) -> Envelope[Any]:
    """Write `payload` as an event in the caller's transaction. Returns its envelope. `secret`: the
    payload carries a secret (a reset link...) and is blanked as soon as it is published."""
    from contracts.envelope import wrap

    envelope = wrap(payload, producer=producer, correlation_id=current_correlation_id(),
                    trace_context=inject_context())
    await conn.execute(
        "INSERT INTO outbox (event_id, exchange, routing_key, body, headers) VALUES ($1, $2, $3, $4::jsonb, $5::jsonb)",
        envelope.event_id, exchange_name(type(payload)), payload.routing_key(),
        envelope.model_dump_json(), SECRET_HEADERS if secret else "{}",
    )
    return envelope


async def add_many(conn: asyncpg.Connection, payloads, *, producer: str) -> None:
    """Several events in the caller's transaction, in one round trip; order is kept."""
    from contracts.envelope import wrap

    correlation_id, trace_context = current_correlation_id(), inject_context()
    rows = []
    for payload in payloads:
        envelope = wrap(payload, producer=producer, correlation_id=correlation_id, trace_context=trace_context)
        rows.append((envelope.event_id, exchange_name(type(payload)), payload.routing_key(),
                     envelope.model_dump_json()))
    if not rows:
        return
    # one statement for the set (not one per event), ids assigned in the payloads' order
    await conn.execute(
        """INSERT INTO outbox (event_id, exchange, routing_key, body)
           SELECT event_id, exchange, routing_key, body::jsonb
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY
                AS r(event_id, exchange, routing_key, body, n)
           ORDER BY n""",
        *(list(column) for column in zip(*rows)))


class Producer:
    """The outbox of one service: `OUTBOX = Producer("booking")`, then `await OUTBOX.add(conn, event)`;
    the producer's name is written once."""

    def __init__(self, name: str):
        self.name = name

    async def add(self, conn: asyncpg.Connection, payload: Message, *, secret: bool = False) -> Envelope[Any]:
        return await add(conn, payload, producer=self.name, secret=secret)

    async def add_many(self, conn: asyncpg.Connection, payloads) -> None:
        await add_many(conn, payloads, producer=self.name)


async def pending_count(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
