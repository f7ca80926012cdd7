"""The floor, measured in the same run as the portal (as /work/shared/bench-floor/pipeline_limit.py does):
raw aio-pika publishing with confirms (persistent, 200 in flight, mandatory, a quorum queue), and a raw
batched consume-with-inbox (prefetch 100, one transaction per batch of up to 100 writing each event's
inbox row and one effect row, the batch acknowledged after commit). The same guarantees as the portal's,
no portal code."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import aio_pika
import asyncpg

EXCHANGE, QUEUE, KEY = "floor.events", "floor.q", "booking.transmitted.v1"
IN_FLIGHT, PREFETCH, BATCH = 200, 100, 100


def body(i: int) -> bytes:
    """About the size of a one-line booking.transmitted envelope."""
    return json.dumps({"event_id": str(uuid.uuid4()), "type": "booking.transmitted", "version": 1,
                       "payload": {"family_id": str(uuid.uuid4()), "lines": [{
                           "child": "Léa DUPONT", "activity": "APS MATIN", "date": "2027-09-06",
                           "outcome": "accepted", "booking_id": str(uuid.uuid4())}]}}).encode()


async def publish(amqp_url: str, n: int) -> float:
    """N persistent messages with confirms, 200 in flight: seconds taken."""
    connection = await aio_pika.connect(amqp_url, timeout=30)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(QUEUE, durable=True, arguments={"x-queue-type": "quorum"})
        await queue.bind(exchange, KEY)
        bodies = [body(i) for i in range(n)]
        semaphore = asyncio.Semaphore(IN_FLIGHT)

        async def one(b: bytes) -> None:
            async with semaphore:
                await exchange.publish(aio_pika.Message(b, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                                        content_type="application/json"),
                                       routing_key=KEY, mandatory=True)

        t0 = time.perf_counter()
        await asyncio.gather(*(one(b) for b in bodies))
        return time.perf_counter() - t0


async def consume(amqp_url: str, dsn: str, n: int, timeout: float = 600) -> float:
    """Consume the N messages `publish` left: inbox row + effect row per event, one transaction per batch,
    the batch acknowledged after commit. Seconds taken."""
    pool = await asyncpg.create_pool(dsn, min_size=2, max_size=4)
    connection = await aio_pika.connect(amqp_url, timeout=30)
    try:
        async with pool.acquire() as c:
            await c.execute("CREATE TABLE IF NOT EXISTS floor_inbox (event_id uuid PRIMARY KEY, at timestamptz DEFAULT now());"
                            "CREATE TABLE IF NOT EXISTS floor_effect (event_id uuid, family uuid, lines int)")
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=PREFETCH)
        queue = await channel.get_queue(QUEUE)
        done, count, pending, lock = asyncio.Event(), 0, [], asyncio.Lock()

        async def flush() -> None:
            nonlocal count, pending
            msgs, pending = pending, []
            if not msgs:
                return
            events = [json.loads(m.body) for m in msgs]
            async with pool.acquire() as c, c.transaction():
                fresh = await c.fetch("INSERT INTO floor_inbox (event_id) SELECT * FROM unnest($1::uuid[]) "
                                      "ON CONFLICT DO NOTHING RETURNING event_id", [e["event_id"] for e in events])
                keep = {str(r["event_id"]) for r in fresh}
                await c.executemany("INSERT INTO floor_effect VALUES ($1, $2, $3)",
                                    [(e["event_id"], e["payload"]["family_id"], len(e["payload"]["lines"]))
                                     for e in events if e["event_id"] in keep])
            await msgs[-1].ack(multiple=True)
            count += len(msgs)
            if count >= n:
                done.set()

        async def on_message(message) -> None:
            pending.append(message)
            if len(pending) >= BATCH:
                async with lock:
                    await flush()

        async def ticker() -> None:
            while not done.is_set():
                await asyncio.sleep(0.05)
                async with lock:
                    await flush()

        t0 = time.perf_counter()
        tag = await queue.consume(on_message)
        tick = asyncio.create_task(ticker())
        try:
            await asyncio.wait_for(done.wait(), timeout)
        finally:
            tick.cancel()
            await queue.cancel(tag)
        elapsed = time.perf_counter() - t0
        await queue.delete(if_unused=False, if_empty=False)
        return elapsed
    finally:
        await connection.close()
        await pool.close()
