"""How fast does an event go from a producer's outbox through RabbitMQ into a consumer's inbox?

Writes N booking.transmitted events into a scratch booking database, runs the real relay and a real
billing consumer (prefetch as configured), and prints the figures. Then checks, in the databases, that
every event written reached billing's inbox exactly once (none lost, none applied twice); any lost
or duplicated event makes the run exit with status 1. Needs the local PostgreSQL and RabbitMQ; uses
its own databases and virtual host, removed afterwards, also on failure or Ctrl-C.

    uv run python -m bench.outbox_throughput [N]      (default 5000; BENCH_PREFETCH=50 to compare)
    uv run python -m bench.outbox_throughput 300      (the smoke run, bench/smoke.sh)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import asyncpg

from bench.common import Report, rabbitmqctl
from contracts import BookingTransmittedV1, TransmittedLine
from kit import bus, db, migrations, outbox
from kit.logging import configure_logging
from services.billing import events as billing_events
from services.billing.service import consumptions as billing_consumptions

PG = "postgresql://postgres@127.0.0.1:5432"
ROOT = Path(__file__).resolve().parent.parent
PREFETCH = int(os.environ.get("BENCH_PREFETCH", "1"))  # the consumers' default is 1 (ordered)
STALL_S = 60  # a wait gives up when its count has not moved for this long


def event(i: int) -> BookingTransmittedV1:
    return BookingTransmittedV1(
        transmission_id=uuid.uuid4(), family_id=uuid.uuid4(), structure_id=uuid.uuid4(),
        structure_name="Mairie de CarteVille", transmitted_at=dt.datetime.now(dt.UTC),
        lines=[TransmittedLine(booking_id=uuid.uuid4(), child_id=uuid.uuid4(), child_first_name="Léa",
                               child_last_name="DUPONT", activity_id=uuid.uuid4(), activity_name="APS MATIN",
                               date=dt.date(2027, 9, 2) + dt.timedelta(days=i % 30), kind="reserve",
                               outcome="accepted")])


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
        await asyncio.sleep(0.05)


async def main(n: int) -> int:
    configure_logging("bench", "WARNING")
    # the events name activities billing has no tariff for: one expected warning per event, not shown
    logging.getLogger(billing_consumptions.__name__).setLevel(logging.ERROR)
    report = Report("bench.outbox_throughput", strict=True)  # a lost or duplicated event is never acceptable
    run = uuid.uuid4().hex[:6]
    vhost = f"bench-{run}"
    amqp = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    producer_dsn, consumer_dsn = f"{PG}/bench{run}_booking", f"{PG}/bench{run}_billing"
    producer_pool = consumer_pool = broker = relay = relay_task = None
    write_s = relay_s = total_s = float("nan")
    try:  # the virtual host is created inside: interrupted while rabbitmqctl runs, it is still removed
        await rabbitmqctl("add_vhost", vhost)
        await rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        for dsn, name in ((producer_dsn, "booking"), (consumer_dsn, "billing")):
            await db.ensure_database(dsn)
            conn = await asyncpg.connect(dsn)
            try:
                await migrations.apply(conn, migrations.service_migrations(name, ROOT / "services" / name / "migrations"))
            finally:
                await conn.close()
        producer_pool, consumer_pool = await db.create_pool(producer_dsn), await db.create_pool(consumer_dsn)

        t0 = time.perf_counter()
        async with producer_pool.acquire() as conn:
            for start in range(0, n, 500):
                async with conn.transaction():
                    for i in range(start, min(n, start + 500)):
                        await outbox.add(conn, event(i), producer="booking")
        write_s = time.perf_counter() - t0

        broker = bus.make_broker(amqp, prefetch=PREFETCH)
        bus.subscribe(broker, consumer="billing", message=BookingTransmittedV1,
                      effect=billing_events.on_booking_transmitted, pool=lambda: consumer_pool)
        await broker.connect()
        await bus.declare_dead_letter_queues(broker, [("billing", BookingTransmittedV1)])
        await broker.start()

        relay = outbox.OutboxRelay(producer_pool, producer_dsn, amqp, poll_seconds=0.05)
        t1 = time.perf_counter()
        relay_task = asyncio.create_task(relay.run())
        published = await wait_until(
            lambda: producer_pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL"),
            lambda unsent: unsent == 0, STALL_S)
        relay_s = time.perf_counter() - t1
        report.check(published, f"the relay stopped publishing (nothing sent for {STALL_S} s)")
        if published:
            consumed = await wait_until(lambda: consumer_pool.fetchval("SELECT count(*) FROM inbox"),
                                        lambda applied: applied >= n, STALL_S)
            total_s = time.perf_counter() - t1
            report.check(consumed, f"billing stopped consuming (its inbox did not grow for {STALL_S} s)")
        await relay.stop()
        await asyncio.wait_for(relay_task, 30)
        relay_task = None
        await broker.stop()
        broker = None

        # exactly once, counted in the databases: the producer's outbox against billing's inbox and effects
        written = {r["event_id"] for r in await producer_pool.fetch("SELECT event_id FROM outbox")}
        unsent = await producer_pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        inbox = [r["event_id"] for r in await consumer_pool.fetch(
            "SELECT event_id FROM inbox WHERE consumer = 'billing'")]
        # each event carries one line: billing records it once in booking_movements, charges it once
        applied = await consumer_pool.fetch("SELECT event_id, count(*) AS n FROM booking_movements GROUP BY event_id")
        charged = await consumer_pool.fetch(
            "SELECT source_event_id, count(*) AS n FROM consumptions GROUP BY source_event_id")
        lost = len(written - set(inbox))
        duplicated = ((len(inbox) - len(set(inbox))) + sum(r["n"] - 1 for r in applied)
                      + sum(r["n"] - 1 for r in charged))
        unknown = len(set(inbox) - written)
        report.check(len(written) == n, f"{len(written)} events in the outbox, {n} written")
        report.check(unsent == 0, f"{unsent} events never published by the relay")
        report.check(lost == 0, f"{lost} of {n} events never reached billing's inbox")
        report.check(duplicated == 0, f"{duplicated} events applied more than once by billing")
        report.check(unknown == 0, f"{unknown} events in billing's inbox that were never written")
        report.check(len(applied) == len(set(inbox)) and len(charged) == len(set(inbox)),
                     f"{len(set(inbox))} events in the inbox but {len(applied)} recorded in booking_movements and "
                     f"{len(charged)} charged (every event carries one accepted line)")
        if report.failures:  # where did they go: the queues' depths (dead letters, unacknowledged)
            print(await rabbitmqctl("list_queues", "-p", vhost, "name", "messages", check=False), file=sys.stderr)
    finally:
        if relay is not None and relay_task is not None:
            await relay.stop()
            try:
                await asyncio.wait_for(relay_task, 30)
            except Exception as exc:  # noqa: BLE001 - cleaning up after a failure: go on removing things
                print(f"relay stop: {exc!r}", file=sys.stderr)
        if broker is not None:
            await broker.stop()
        for pool in (producer_pool, consumer_pool):
            if pool is not None:
                await pool.close()
        admin = await asyncpg.connect(f"{PG}/postgres")
        try:
            for dsn in (producer_dsn, consumer_dsn):
                await admin.execute(f'DROP DATABASE IF EXISTS "{db.database_name(dsn)}" WITH (FORCE)')
        finally:
            await admin.close()
            await rabbitmqctl("delete_vhost", vhost, check=False)

    print(f"events:                      {n}")
    print(f"outbox writes:               {n / write_s:8.0f} events/s  ({write_s:.2f} s)")
    print(f"relay (outbox → RabbitMQ):   {n / relay_s:8.0f} events/s  ({relay_s:.2f} s, confirms, persistent)")
    print(f"end to end (→ billing inbox): {n / total_s:7.0f} events/s  ({total_s:.2f} s, prefetch {PREFETCH}, one tx/event)")
    print(f"lost {lost}, applied more than once {duplicated}")
    report.result("pipeline_events", n)
    report.result("outbox_write_per_s", n / write_s)
    report.result("relay_publish_per_s", n / relay_s)
    report.result("relay_publish_s", relay_s)
    report.result("pipeline_end_to_end_per_s", n / total_s)
    report.result("pipeline_end_to_end_s", total_s)
    report.result("pipeline_lost", lost)
    report.result("pipeline_duplicated", duplicated)
    return report.finish()


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", nargs="?", type=int, default=5000, help="how many events (default 5000)")
    args = parser.parse_args(argv)
    if args.events < 1:
        parser.error("at least one event")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse().events)))
