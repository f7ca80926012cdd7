"""The portal's side of bench.outbox_throughput: booking.transmitted events written into a scratch
booking outbox, the real outbox relay, and billing's real subscription (batched, set-wise effect,
partitioned as asked) consuming them; then, in the databases, every event applied exactly once and each
family's events applied in the order they were written."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import Awaitable, Callable

import asyncpg

from contracts import BookingTransmittedV1, TransmittedLine
from kit import bus, outbox
from kit import topology as bus_topology
from kit.consumer import Consumers
from kit.relay import OutboxRelay
from services.billing import events as billing_events

START = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
PER_FAMILY = 5  # events per family: the order check has something to check


def event(family: uuid.UUID, i: int) -> BookingTransmittedV1:
    return BookingTransmittedV1(
        transmission_id=uuid.uuid4(), family_id=family, structure_id=uuid.uuid4(),
        structure_name="Mairie de CarteVille", transmitted_at=START + dt.timedelta(seconds=i),
        lines=[TransmittedLine(booking_id=uuid.uuid4(), child_id=uuid.uuid4(), child_first_name="Léa",
                               child_last_name="DUPONT", activity_id=uuid.uuid4(), activity_name="APS MATIN",
                               date=dt.date(2027, 9, 2) + dt.timedelta(days=i % 30), kind="reserve",
                               outcome="accepted")])


def events(n: int) -> list[BookingTransmittedV1]:
    families = [uuid.uuid4() for _ in range(max(1, n // PER_FAMILY))]
    return [event(families[i % len(families)], i) for i in range(n)]


async def write(pool: asyncpg.Pool, batch: list[BookingTransmittedV1], per_tx: int = 500) -> None:
    async with pool.acquire() as conn:
        for start in range(0, len(batch), per_tx):
            async with conn.transaction():
                await outbox.add_many(conn, batch[start:start + per_tx], producer="booking")


def billing_part(partitions: int) -> bus_topology.Topology:
    queue = bus.queue_name("billing", BookingTransmittedV1)
    return bus_topology.service_part("billing", [BookingTransmittedV1], 5, {queue: partitions})


async def start_consumer(amqp_url: str, pool: asyncpg.Pool, partitions: int, prefetch: int, batch: int) -> Consumers:
    """billing's subscription as the service runs it (kit.consumer): one subscriber per partition."""
    consumers = Consumers(amqp_url, prefetch=prefetch)
    for k in ([None] if partitions <= 1 else range(partitions)):
        consumers.subscribe(consumer="billing", message=BookingTransmittedV1, effect=billing_events.on_booking_transmitted,
                            effect_many=billing_events.on_booking_transmitted_many, pool=lambda: pool,
                            delivery_limit=5, batch_size=batch, partition=k)
    await consumers.start()
    return consumers


class Relay:
    """booking's relay, started and stopped (a stopped OutboxRelay does not run again: a new one each time)."""

    def __init__(self, pool: asyncpg.Pool, dsn: str, amqp_url: str, topology: bus_topology.Topology, batch: int):
        self.args = (pool, dsn, amqp_url)
        self.kwargs = {"service": "booking", "poll_seconds": 0.05, "batch_size": batch, "topology": topology}
        self.task: asyncio.Task | None = None

    def start(self) -> None:
        self.relay = OutboxRelay(*self.args, **self.kwargs)
        self.task = asyncio.create_task(self.relay.run())

    async def stop(self) -> None:
        if self.task is not None:
            await self.relay.stop()
            await asyncio.wait_for(self.task, 30)
            self.task = None


async def wait_until(count: Callable[[], Awaitable[int]], done: Callable[[int], bool], stall_s: float) -> bool:
    """Poll `count()` until `done(count)`; False when the count has not changed for `stall_s` seconds."""
    last, last_change = None, time.monotonic()
    while True:
        value = await count()
        if done(value):
            return True
        if value != last:
            last, last_change = value, time.monotonic()
        elif time.monotonic() - last_change > stall_s:
            return False
        await asyncio.sleep(0.02)


async def sustain(pool: asyncpg.Pool, rate: int, seconds: float) -> int:
    """Write `rate` events per second for `seconds`, in ticks of 20 ms (as many transactions). Returns how
    many were written."""
    tick, written = 0.02, 0
    per_tick = max(1, round(rate * tick))
    families = [uuid.uuid4() for _ in range(max(1, rate))]
    t0 = time.perf_counter()
    async with pool.acquire() as conn:
        while (now := time.perf_counter() - t0) < seconds:
            due = min(int(now / tick) + 1, int(seconds / tick)) * per_tick
            if written < due:
                batch = [event(families[(written + i) % len(families)], written + i) for i in range(due - written)]
                async with conn.transaction():
                    await outbox.add_many(conn, batch, producer="booking")
                written = due
            await asyncio.sleep(max(0.0, (int(now / tick) + 1) * tick - (time.perf_counter() - t0)))
    return written


async def lags(producer: asyncpg.Pool, consumer: asyncpg.Pool, since_id: int) -> list[float]:
    """Seconds from each outbox row (written after `since_id`) to its consumer's inbox row (the start of the
    transaction that applied it: the same PostgreSQL clock on both sides)."""
    written = {r["event_id"]: r["created_at"] for r in await producer.fetch(
        "SELECT event_id, created_at FROM outbox WHERE id > $1", since_id)}
    applied = await consumer.fetch("SELECT event_id, received_at FROM inbox WHERE event_id = ANY($1::uuid[])",
                                   list(written))
    return sorted((r["received_at"] - written[r["event_id"]]).total_seconds() for r in applied)


async def audit(producer: asyncpg.Pool, consumer: asyncpg.Pool) -> dict[str, int]:
    """Exactly once and in order per family, counted in the databases."""
    written = await producer.fetch("SELECT id, event_id, body->'payload'->>'family_id' AS family FROM outbox ORDER BY id")
    unsent = await producer.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
    inbox = await consumer.fetch("SELECT event_id, seq FROM inbox WHERE consumer = 'billing' ORDER BY seq")
    applied = await consumer.fetch("SELECT event_id, count(*) AS n FROM booking_movements GROUP BY event_id")
    charged = await consumer.fetch("SELECT source_event_id, count(*) AS n FROM consumptions GROUP BY source_event_id")
    ids = {r["event_id"] for r in written}
    seen = [r["event_id"] for r in inbox]
    position = {event_id: i for i, event_id in enumerate(seen)}
    out_of_order = 0
    last: dict[str, int] = {}
    for r in written:  # each family's events, in the order written, must be applied in that order
        p = position.get(r["event_id"])
        if p is None:
            continue
        if p < last.get(r["family"], -1):
            out_of_order += 1
        last[r["family"]] = p
    return {
        "written": len(ids), "unsent": unsent, "lost": len(ids - set(seen)), "unknown": len(set(seen) - ids),
        "duplicated": (len(seen) - len(set(seen))) + sum(r["n"] - 1 for r in applied) + sum(r["n"] - 1 for r in charged),
        "applied": len(applied), "charged": len(charged), "out_of_order": out_of_order,
    }
