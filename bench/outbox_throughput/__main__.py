"""How fast does an event go from a producer's outbox through RabbitMQ into a consumer's inbox, beside the
floor measured in the same run?

1. the floor (bench/outbox_throughput/floor.py): raw aio-pika publishing with confirms, then a raw batched
   consume-with-inbox, same guarantees, no portal code;
2. the relay alone: N booking.transmitted events written into a scratch booking outbox, published by the
   real relay (no consumer running);
3. the consumer alone: billing's real subscription (batched, set-wise effect, `--partitions` queues),
   in a process of its own as the billing service runs it (consumer.py), applying those N events;
4. end to end: N more events, relay and consumer running together, until billing's inbox holds them all;
5. lag: `--lag-rate` events/s written for `--lag-seconds`, relay and consumer running; the time from each
   outbox row to its inbox row (p50, p99).

Then checks, in the databases, that every event written reached billing's inbox exactly once and that
each family's events were applied in the order written; any lost, duplicated or reordered event makes the
run exit with status 1. Uses its own databases and virtual host, removed afterwards, also on failure or
Ctrl-C.

    uv run python -m bench.outbox_throughput [N]      (default 5000; `make bench`)
    uv run python -m bench.outbox_throughput 300      (the smoke run, bench/smoke.sh: lag phase of 3 s)
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import asyncpg

from bench.common import Report, rabbitmqctl
from bench.outbox_throughput import floor, portal
from kit import bus, db, migrations
from kit import topology as bus_topology
from kit.logging import configure_logging
from services.billing.service import consumption_batches
from services.billing.service import consumptions as billing_consumptions

PG = "postgresql://postgres@127.0.0.1:5432"
ROOT = Path(__file__).resolve().parents[2]
STALL_S = 60  # a wait gives up when its count has not moved for this long


async def stop_process(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.terminate()
    try:
        await asyncio.wait_for(proc.wait(), 30)
    except TimeoutError:
        proc.kill()
        await proc.wait()


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, math.ceil(q * len(values)) - 1)]


async def main(args: argparse.Namespace) -> int:
    n = args.events
    configure_logging("bench", "WARNING")
    # the events name activities billing has no tariff for: one expected warning per line, not shown
    for module in (billing_consumptions, consumption_batches):
        logging.getLogger(module.__name__).setLevel(logging.ERROR)
    report = Report("bench.outbox_throughput", strict=True)  # a lost or duplicated event is never acceptable
    run = uuid.uuid4().hex[:6]
    vhost = f"bench-{run}"
    amqp = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    producer_dsn, consumer_dsn, floor_dsn = (f"{PG}/bench{run}_{name}" for name in ("booking", "billing", "floor"))
    producer = consumer = broker = relay = None
    figures: dict[str, float] = {}
    audit: dict[str, int] = {}
    lag: list[float] = []
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
        await db.ensure_database(floor_dsn)

        print("phase: 1. the floor", file=sys.stderr, flush=True)
        # 1. the floor
        figures["floor_publish_s"] = await floor.publish(amqp, n)
        figures["floor_consume_s"] = await floor.consume(amqp, floor_dsn, n)

        producer, consumer = await db.create_pool(producer_dsn), await db.create_pool(consumer_dsn)
        part = portal.billing_part(args.partitions)
        connection = await bus.connect(amqp)
        try:
            await bus_topology.declare(connection, part)
        finally:
            await connection.close()

        print("phase: 2. the relay alone", file=sys.stderr, flush=True)
        # 2. the relay alone
        t0 = time.perf_counter()
        await portal.write(producer, portal.events(n))
        figures["write_s"] = time.perf_counter() - t0
        relay = portal.Relay(producer, producer_dsn, amqp, part, args.relay_batch)
        t0 = time.perf_counter()
        relay.start()
        published = await portal.wait_until(
            lambda: producer.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL"), lambda u: u == 0, STALL_S)
        figures["relay_s"] = time.perf_counter() - t0
        report.check(published, f"the relay stopped publishing (nothing sent for {STALL_S} s)")

        print("phase: 3. the consumer alone", file=sys.stderr, flush=True)
        # 3. the consumer alone, in its own process (the relay idles: nothing left to publish), timed from
        # its first event applied (not its start-up)
        broker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.outbox_throughput.consumer", amqp, consumer_dsn, str(args.partitions),
            str(args.prefetch), str(args.batch), cwd=ROOT, stdout=asyncio.subprocess.PIPE)
        assert broker.stdout is not None
        await asyncio.wait_for(broker.stdout.readline(), 60)  # "ready"
        await portal.wait_until(lambda: consumer.fetchval("SELECT count(*) FROM inbox"), lambda c: c > 0, STALL_S)
        t0 = time.perf_counter()
        consumed = await portal.wait_until(lambda: consumer.fetchval("SELECT count(*) FROM inbox"),
                                           lambda c: c >= n, STALL_S)
        figures["consume_s"] = time.perf_counter() - t0
        report.check(consumed, f"billing stopped consuming (its inbox did not grow for {STALL_S} s)")

        print("phase: 4. end to end", file=sys.stderr, flush=True)
        # 4. end to end: written, then relay and consumer together
        await relay.stop()
        await portal.write(producer, portal.events(n))
        t0 = time.perf_counter()
        relay.start()
        consumed = await portal.wait_until(lambda: consumer.fetchval("SELECT count(*) FROM inbox"),
                                           lambda c: c >= 2 * n, STALL_S)
        figures["end_to_end_s"] = time.perf_counter() - t0
        report.check(consumed, f"end to end: billing's inbox did not grow for {STALL_S} s")

        print("phase: 5. lag at a sustained rate", file=sys.stderr, flush=True)
        # 5. lag at a sustained rate
        since = await producer.fetchval("SELECT coalesce(max(id), 0) FROM outbox")
        t0 = time.perf_counter()
        sent = await portal.sustain(producer, args.lag_rate, args.lag_seconds)
        figures["lag_write_s"] = time.perf_counter() - t0
        consumed = await portal.wait_until(lambda: consumer.fetchval("SELECT count(*) FROM inbox"),
                                           lambda c: c >= 2 * n + sent, STALL_S)
        report.check(consumed, f"lag phase: billing's inbox did not grow for {STALL_S} s")
        lag = await portal.lags(producer, consumer, since)
        figures["lag_events"] = sent

        await relay.stop()
        relay = None
        await stop_process(broker)
        broker = None
        audit = await portal.audit(producer, consumer)
        total = 2 * n + sent
        report.check(audit["written"] == total, f"{audit['written']} events in the outbox, {total} written")
        report.check(audit["unsent"] == 0, f"{audit['unsent']} events never published by the relay")
        report.check(audit["lost"] == 0, f"{audit['lost']} of {total} events never reached billing's inbox")
        report.check(audit["duplicated"] == 0, f"{audit['duplicated']} events applied more than once by billing")
        report.check(audit["unknown"] == 0, f"{audit['unknown']} events in billing's inbox that were never written")
        report.check(audit["out_of_order"] == 0, f"{audit['out_of_order']} events applied before an earlier event "
                                                  "of their family")
        report.check(audit["applied"] == total - audit["lost"] and audit["charged"] == total - audit["lost"],
                     f"{total - audit['lost']} events in the inbox but {audit['applied']} recorded in "
                     f"booking_movements and {audit['charged']} charged (every event carries one accepted line)")
        if report.failures:  # where did they go: the queues' depths (dead letters, unacknowledged)
            print(await rabbitmqctl("list_queues", "-p", vhost, "name", "messages", check=False), file=sys.stderr)
    finally:
        if relay is not None:
            try:
                await relay.stop()
            except Exception as exc:  # noqa: BLE001 - cleaning up after a failure: go on removing things
                print(f"relay stop: {exc!r}", file=sys.stderr)
        if broker is not None:
            await stop_process(broker)
        for pool in (producer, consumer):
            if pool is not None:
                await pool.close()
        admin = await asyncpg.connect(f"{PG}/postgres")
        try:
            for dsn in (producer_dsn, consumer_dsn, floor_dsn):
                await admin.execute(f'DROP DATABASE IF EXISTS "{db.database_name(dsn)}" WITH (FORCE)')
        finally:
            await admin.close()
            await rabbitmqctl("delete_vhost", vhost, check=False)

    nan = float("nan")
    rate = {k: n / figures[k] if k in figures else nan
            for k in ("floor_publish_s", "floor_consume_s", "write_s", "relay_s", "consume_s", "end_to_end_s")}
    print(f"events: {n} per phase, {args.partitions} partition(s), prefetch {args.prefetch}, batch {args.batch}")
    print(f"floor publish (raw, confirms):     {rate['floor_publish_s']:8.0f} events/s")
    print(f"floor consume (raw, batched inbox): {rate['floor_consume_s']:7.0f} events/s")
    print(f"outbox writes:                     {rate['write_s']:8.0f} events/s")
    print(f"relay (outbox → RabbitMQ):         {rate['relay_s']:8.0f} events/s")
    print(f"billing consumer (→ inbox, effect): {rate['consume_s']:7.0f} events/s")
    print(f"end to end:                        {rate['end_to_end_s']:8.0f} events/s")
    print(f"lag at {args.lag_rate}/s for {args.lag_seconds} s: p50 {percentile(lag, 0.5) * 1000:.0f} ms, "
          f"p99 {percentile(lag, 0.99) * 1000:.0f} ms over {len(lag)} events")
    report.result("pipeline_events", n)
    report.result("floor_publish_per_s", rate["floor_publish_s"])
    report.result("floor_consume_per_s", rate["floor_consume_s"])
    report.result("outbox_write_per_s", rate["write_s"])
    report.result("relay_publish_per_s", rate["relay_s"])
    report.result("relay_publish_s", figures.get("relay_s", nan))
    report.result("relay_ratio", rate["relay_s"] / rate["floor_publish_s"])
    report.result("consume_per_s", rate["consume_s"])
    report.result("consume_ratio", rate["consume_s"] / rate["floor_consume_s"])
    report.result("pipeline_end_to_end_per_s", rate["end_to_end_s"])
    report.result("pipeline_end_to_end_s", figures.get("end_to_end_s", nan))
    report.result("end_to_end_ratio", rate["end_to_end_s"] / rate["floor_consume_s"])
    report.result("lag_rate_per_s", figures.get("lag_events", nan) / figures.get("lag_write_s", nan))
    report.result("lag_events", len(lag))
    report.result("lag_p50_ms", percentile(lag, 0.5) * 1000)
    report.result("lag_p99_ms", percentile(lag, 0.99) * 1000)
    report.result("pipeline_lost", audit.get("lost", -1))
    report.result("pipeline_duplicated", audit.get("duplicated", -1))
    report.result("pipeline_out_of_order", audit.get("out_of_order", -1))
    return report.finish()


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", nargs="?", type=int, default=5000, help="events per phase (default 5000)")
    parser.add_argument("--partitions", type=int, default=2, help="billing's partitions (default 2)")
    parser.add_argument("--prefetch", type=int, default=100)
    parser.add_argument("--batch", type=int, default=100, help="events per consumer transaction (default 100)")
    parser.add_argument("--relay-batch", type=int, default=1000, help="rows per relay batch (default 1000)")
    parser.add_argument("--lag-rate", type=int, default=1000, help="events/s of the lag phase (default 1000)")
    parser.add_argument("--lag-seconds", type=float, default=None,
                        help="length of the lag phase (default 60 s; 3 s when events <= 1000)")
    args = parser.parse_args(argv)
    if args.events < 1:
        parser.error("at least one event")
    if args.lag_seconds is None:
        args.lag_seconds = 60.0 if args.events > 1000 else 3.0
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
