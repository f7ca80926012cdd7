"""Batched consumers (docs/adr/0009, kit.consumer as the services run it) on the real PostgreSQL and
RabbitMQ: a poison message in a batch fails alone (its neighbours commit, it reaches the dead-letter queue after its delivery limit, a redelivery
changes nothing), and a partitioned subscription consumed by several replicas keeps each family's events
in order."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import uuid

import aio_pika
import asyncpg
from prometheus_client import REGISTRY

from contracts import BookingTransmittedV1, wrap
from kit import bus, migrations, outbox
from kit import topology as bus_topology
from kit.consumer import Consumers
from kit.db import create_pool, ensure_database
from kit.relay import OutboxRelay
from tests.conftest import database_url, eventually
from tests.integration.test_booking_transmitted_flow import transmitted


async def scratch_pool(db_prefix: str, name: str) -> asyncpg.Pool:
    """A database with the kit's outbox and inbox, and a table of effects (one row per application)."""
    dsn = database_url(db_prefix, name)
    await ensure_database(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        await migrations.apply(conn, migrations.service_migrations(name, migrations.KIT_SQL / "none"))
        await conn.execute("""CREATE TABLE IF NOT EXISTS effects (
            seq bigserial, event_id uuid, family_id uuid, sent_at timestamptz, replica text)""")
    finally:
        await conn.close()
    return await create_pool(dsn)


def metric(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def recording_frames(monkeypatch) -> list[tuple[int, str, int, bool]]:
    """The acknowledgements the consumer writes, in order: (channel, verb, delivery tag, multiple)."""
    import aiormq

    frames: list[tuple[int, str, int, bool]] = []
    for verb in ("ack", "nack", "reject"):
        original = getattr(aiormq.Channel, f"basic_{verb}")

        def recorded(self, delivery_tag, *args, _verb=verb, _original=original, **kwargs):
            frames.append((id(self), _verb, delivery_tag, bool(kwargs.get("multiple"))))
            return _original(self, delivery_tag, *args, **kwargs)

        monkeypatch.setattr(aiormq.Channel, f"basic_{verb}", recorded)
    return frames


async def test_a_poison_message_fails_alone_in_its_batch(module_amqp_url, db_prefix, monkeypatch):
    consumer, limit = f"batch{uuid.uuid4().hex[:6]}", 2
    frames = recording_frames(monkeypatch)
    pool = await scratch_pool(db_prefix, consumer)
    poison_family, slow_family = uuid.uuid4(), uuid.uuid4()
    calls: dict[uuid.UUID, int] = {}

    async def effect(conn, envelope):
        e = envelope.payload
        calls[envelope.event_id] = calls.get(envelope.event_id, 0) + 1
        if e.family_id == slow_family:
            await asyncio.sleep(0.3)  # the first batch commits slowly: the others pile up behind it
        await conn.execute("INSERT INTO effects (event_id, family_id) VALUES ($1, $2)", envelope.event_id, e.family_id)
        if e.family_id == poison_family:
            raise RuntimeError("panne simulée")

    queue = bus.queue_name(consumer, BookingTransmittedV1)
    splits_before = metric("portail_bus_batch_split_total", service=consumer, subscription=queue)
    envelopes = [wrap(transmitted(slow_family if i == 0 else poison_family if i == 10 else uuid.uuid4(),
                                  uuid.uuid4(), 1), producer="booking") for i in range(30)]
    poison = envelopes[10]
    connection = await aio_pika.connect(module_amqp_url)
    broker = Consumers(module_amqp_url, prefetch=100)
    broker.subscribe(consumer=consumer, message=BookingTransmittedV1, effect=effect, pool=lambda: pool,
                     delivery_limit=limit, effect_many=None, batch_size=100, partition=None)
    try:
        await bus_topology.declare(connection, bus_topology.service_part(consumer, [BookingTransmittedV1], limit))
        channel = await connection.channel(publisher_confirms=True)
        for envelope in envelopes:  # all waiting in the queue before the consumer starts: they come in batches
            await channel.default_exchange.publish(aio_pika.Message(
                envelope.model_dump_json().encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=queue)
        await broker.start()

        dlq = await channel.get_queue(f"{queue}.dlq")
        dead: list[aio_pika.abc.AbstractIncomingMessage] = []

        async def poison_dead():
            message = await dlq.get(fail=False, no_ack=True)
            if message is not None:
                dead.append(message)
            return dead

        await eventually(poison_dead, timeout=30)
        good = [e.event_id for e in envelopes if e is not poison]
        await eventually(lambda: pool.fetchval("SELECT count(*) = $1 FROM inbox", len(good)))
        # the neighbours committed once each; the poison committed nothing and is dead-lettered alone
        rows = await pool.fetch("SELECT event_id, count(*) AS n FROM effects GROUP BY event_id")
        assert {r["event_id"]: r["n"] for r in rows} == dict.fromkeys(good, 1)
        assert not await pool.fetchval("SELECT count(*) FROM inbox WHERE event_id = $1", poison.event_id)
        assert [uuid.UUID(aio_pika_body_id(m)) for m in dead] == [poison.event_id]
        assert metric("portail_bus_batch_split_total", service=consumer, subscription=queue) > splits_before
        # tried alone at each of its deliveries (the first one and `limit` redeliveries), then no more
        assert calls[poison.event_id] >= limit + 1
        assert all(calls[event_id] <= 2 for event_id in good)  # in its batch, and again alone at most

        # a good event delivered again changes nothing (inbox)
        duplicates = metric("portail_events_consumed_total", service=consumer, type="booking.transmitted",
                            result="duplicate")
        await channel.default_exchange.publish(aio_pika.Message(
            envelopes[5].model_dump_json().encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=queue)
        await eventually(lambda: asyncio.sleep(0, metric("portail_events_consumed_total", service=consumer,
                                                         type="booking.transmitted", result="duplicate") > duplicates))
        assert await pool.fetchval("SELECT count(*) FROM effects WHERE event_id = $1", envelopes[5].event_id) == 1

        # the batches were acknowledged in one `multiple` frame each, never one covering the poison before
        # its requeue (or its rejection) was written: the neighbours acknowledged, the poison alone requeued
        assert any(multiple for _c, verb, _t, multiple in frames if verb == "ack")
        for i, (channel_id, verb, tag, _m) in enumerate(frames):
            if verb != "ack":
                assert not any(c == channel_id and v == "ack" and m and t >= tag for c, v, t, m in frames[:i])
        await broker.stop()
        # nothing left unacknowledged: the queue is empty once its consumer's channel is closed
        assert (await channel.declare_queue(queue, passive=True)).declaration_result.message_count == 0
    finally:
        await broker.stop()
        await connection.close()
        await pool.close()


def aio_pika_body_id(message: aio_pika.abc.AbstractIncomingMessage) -> str:
    import json

    return json.loads(message.body)["event_id"]


async def test_partitioned_subscription_keeps_each_familys_order_across_replicas(module_amqp_url, db_prefix):
    """4 partitions, two replicas owning two each and a third standing by on all four (one active consumer
    per partition); 500 events of 20 families through the real outbox relay; a subscriber bound to the
    event's own routing key (as an external one) gets each event once."""
    consumer, partitions = f"part{uuid.uuid4().hex[:6]}", 4
    queue = bus.queue_name(consumer, BookingTransmittedV1)
    part = bus_topology.service_part(consumer, [BookingTransmittedV1], 5, {queue: partitions})
    assert [q.name for q in part.queues] == [f"{queue}.p{k}" for k in range(partitions)]
    pool = await scratch_pool(db_prefix, consumer)
    producer_dsn = database_url(db_prefix, f"{consumer}_producer")
    producer = await scratch_pool(db_prefix, f"{consumer}_producer")
    families = [uuid.uuid4() for _ in range(20)]
    start = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)

    def effect_of(replica: str):
        async def effect(conn, envelope):
            await asyncio.sleep(random.random() / 500)  # shake the timings a little
            await conn.execute("INSERT INTO effects (event_id, family_id, sent_at, replica) VALUES ($1, $2, $3, $4)",
                               envelope.event_id, envelope.payload.family_id, envelope.payload.transmitted_at, replica)
        return effect

    connection = await aio_pika.connect(module_amqp_url)
    brokers = {name: Consumers(module_amqp_url, prefetch=50) for name in ("a", "b", "standby")}
    for name, owned in (("a", [0, 1]), ("b", [2, 3]), ("standby", [0, 1, 2, 3])):
        for k in owned:
            brokers[name].subscribe(consumer=consumer, message=BookingTransmittedV1, effect=effect_of(name),
                                    pool=lambda: pool, delivery_limit=5, effect_many=None, batch_size=20, partition=k)
    relay = OutboxRelay(producer, producer_dsn, module_amqp_url, service="test", poll_seconds=0.05,
                               topology=part)
    relay_task = None
    try:
        await bus_topology.declare(connection, part)
        plain = await connection.channel()
        external = await plain.declare_queue(f"{consumer}.external", durable=True, arguments={"x-queue-type": "quorum"})
        exchange = bus.exchange_name(BookingTransmittedV1)
        await external.bind(exchange, routing_key="booking.#")  # matches no partition key
        everything = await plain.declare_queue(f"{consumer}.all", durable=True, arguments={"x-queue-type": "quorum"})
        await everything.bind(exchange, routing_key="#")  # matches both: gets each event once
        for name in ("a", "b", "standby"):  # the standby subscribes last: it waits on every partition
            await brokers[name].start()
        relay_task = asyncio.create_task(relay.run())
        async with producer.acquire() as conn:
            for i in range(25):  # the families' events interleaved, each family's in time order
                async with conn.transaction():
                    for family in families:
                        event = transmitted(family, uuid.uuid4(), 1).model_copy(
                            update={"transmitted_at": start + dt.timedelta(minutes=i)})
                        await outbox.add(conn, event, producer="booking")
        await eventually(lambda: pool.fetchval("SELECT count(*) >= 500 FROM inbox"), timeout=60)
        rows = await pool.fetch("SELECT family_id, sent_at, replica FROM effects ORDER BY seq")

        async def depths_now():
            got = []
            for q in (external, everything):
                declared = await plain.declare_queue(q.name, passive=True)
                got.append(declared.declaration_result.message_count)
            return got

        depths = await depths_now()
        for q in (external, everything):
            await q.delete(if_unused=False, if_empty=False)
    finally:
        if relay_task is not None:
            await relay.stop()
            await asyncio.wait_for(relay_task, 30)
        for broker in brokers.values():
            await broker.stop()
        await connection.close()
        await pool.close()
        await producer.close()

    assert len(rows) == 500  # each event once
    assert depths == [500, 500]  # the event's own routing key is unchanged; a queue matched twice gets it once
    for family in families:
        mine = [r for r in rows if r["family_id"] == family]
        assert [r["sent_at"] for r in mine] == sorted(r["sent_at"] for r in mine)  # in order
        assert len({r["replica"] for r in mine}) == 1  # one partition, one active consumer
    replicas = {r["replica"] for r in rows}
    assert replicas == {"a", "b"}  # both replicas consumed, in parallel; the standby waited
    slots = {f: bus.partition_slot(str(f)) % partitions for f in families}
    for family in families:
        replica = next(r["replica"] for r in rows if r["family_id"] == family)
        assert replica == ("a" if slots[family] in (0, 1) else "b")
