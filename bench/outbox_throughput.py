"""How fast does an event go from a producer's outbox through RabbitMQ into a consumer's inbox?

Writes N booking.transmitted events into a scratch booking database, runs the real relay and a real
billing consumer (prefetch as configured), and prints the figures. Needs the local PostgreSQL and
RabbitMQ; uses its own databases and virtual host, removed afterwards.

    uv run python -m bench.outbox_throughput [N]      (BENCH_PREFETCH=50 to compare)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
import time
import uuid

import asyncpg

from contracts import BookingTransmittedV1, TransmittedLine
from kit import bus, db, migrations, outbox
from kit.logging import configure_logging
from services.billing import handlers as billing_handlers

PG = "postgresql://postgres@127.0.0.1:5432"
PREFETCH = int(os.environ.get("BENCH_PREFETCH", "1"))  # the consumers' default is 1 (ordered)


def event(i: int) -> BookingTransmittedV1:
    return BookingTransmittedV1(
        transmission_id=uuid.uuid4(), family_id=uuid.uuid4(), structure_id=uuid.uuid4(),
        structure_name="Mairie de CarteVille", transmitted_at=dt.datetime.now(dt.UTC),
        lines=[TransmittedLine(booking_id=uuid.uuid4(), child_id=uuid.uuid4(), child_first_name="Léa",
                               child_last_name="DUPONT", activity_id=uuid.uuid4(), activity_name="APS MATIN",
                               date=dt.date(2027, 9, 2) + dt.timedelta(days=i % 30), kind="reserve",
                               outcome="accepted")])


async def main(n: int) -> None:
    configure_logging("bench", "WARNING")
    run = uuid.uuid4().hex[:6]
    vhost = f"bench-{run}"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True)
    subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"], check=True)
    amqp = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    producer_dsn, consumer_dsn = f"{PG}/bench{run}_booking", f"{PG}/bench{run}_billing"
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "services"
    for dsn, name in ((producer_dsn, "booking"), (consumer_dsn, "billing")):
        await db.ensure_database(dsn)
        conn = await asyncpg.connect(dsn)
        await migrations.apply(conn, migrations.service_migrations(name, root / name / "migrations"))
        await conn.close()
    producer_pool, consumer_pool = await db.create_pool(producer_dsn), await db.create_pool(consumer_dsn)
    try:
        t0 = time.perf_counter()
        async with producer_pool.acquire() as conn:
            for start in range(0, n, 500):
                async with conn.transaction():
                    for i in range(start, min(n, start + 500)):
                        await outbox.add(conn, event(i), producer="booking")
        write_s = time.perf_counter() - t0

        broker = bus.make_broker(amqp, prefetch=PREFETCH)
        bus.subscribe(broker, consumer="billing", message=BookingTransmittedV1,
                      effect=billing_handlers.on_booking_transmitted, pool=lambda: consumer_pool)
        await broker.connect()
        await bus.declare_dead_letter_queues(broker, [("billing", BookingTransmittedV1)])
        await broker.start()

        relay = outbox.OutboxRelay(producer_pool, producer_dsn, amqp, poll_seconds=0.05)
        t1 = time.perf_counter()
        task = asyncio.create_task(relay.run())
        while await producer_pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL"):
            await asyncio.sleep(0.05)
        relay_s = time.perf_counter() - t1
        while await consumer_pool.fetchval("SELECT count(*) FROM inbox") < n:
            await asyncio.sleep(0.05)
        total_s = time.perf_counter() - t1
        await relay.stop()
        await task
        await broker.stop()
    finally:
        await producer_pool.close()
        await consumer_pool.close()
        admin = await asyncpg.connect(f"{PG}/postgres")
        for dsn in (producer_dsn, consumer_dsn):
            await admin.execute(f'DROP DATABASE IF EXISTS "{db.database_name(dsn)}" WITH (FORCE)')
        await admin.close()
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], check=True)

    print(f"events:                      {n}")
    print(f"outbox writes:               {n / write_s:8.0f} events/s  ({write_s:.2f} s)")
    print(f"relay (outbox → RabbitMQ):   {n / relay_s:8.0f} events/s  ({relay_s:.2f} s, confirms, persistent)")
    print(f"end to end (→ billing inbox): {n / total_s:7.0f} events/s  ({total_s:.2f} s, prefetch {PREFETCH}, one tx/event)")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000))
