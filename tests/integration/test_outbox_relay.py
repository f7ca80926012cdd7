"""The outbox relay with pipelined batches (docs/adr/0009, issue 18), on the real PostgreSQL and RabbitMQ:
several small batches in flight at once still leave in id order, with their envelope headers and their
trace; a publish the broker refuses (nack) or fails (channel closed) in the middle of the pipeline leaves
it and everything after it pending, the batches behind it included even when their publishes were
confirmed, only confirmed rows are marked sent, and the next run sends the rest."""

from __future__ import annotations

import asyncio
import uuid

import aio_pika
import aiormq
import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from contracts import BookingTransmittedV1
from kit import bus, outbox
from kit import topology as bus_topology
from kit.relay import OutboxRelay, TopologyNotReady
from tests.conftest import database_url, eventually
from tests.integration.test_batched_consumers import scratch_pool
from tests.integration.test_booking_transmitted_flow import transmitted

TRACE_ID = 0x5EED_0000_0000_0000_0000_0000_0000_0018


async def write(pool, n: int) -> list[uuid.UUID]:
    """n events of 4 families, in three transactions, inside a trace of ours. Their ids, in outbox order."""
    parent = NonRecordingSpan(SpanContext(TRACE_ID, 0x18, is_remote=True, trace_flags=TraceFlags(1)))
    token = otel_context.attach(trace.set_span_in_context(parent))
    try:
        families = [uuid.uuid4() for _ in range(4)]
        events = [transmitted(families[i % 4], uuid.uuid4(), 1) for i in range(n)]
        async with pool.acquire() as conn:
            for start in range(0, n, 20):
                async with conn.transaction():
                    await outbox.add_many(conn, events[start:start + 20], producer="booking")
            return [r["event_id"] for r in await conn.fetch("SELECT event_id FROM outbox ORDER BY id")]
    finally:
        otel_context.detach(token)


async def drain(channel: aio_pika.abc.AbstractChannel, name: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    """Every message in the queue, in queue order (acknowledged)."""
    queue = await channel.get_queue(name)
    got = []
    while (message := await queue.get(fail=False)) is not None:
        await message.ack()
        got.append(message)
    return got


@pytest.fixture
async def bound_queue(module_amqp_url):
    """A queue of this test bound to booking.transmitted.v1: it gets every event the relay publishes."""
    connection = await aio_pika.connect(module_amqp_url)
    channel = await connection.channel()
    name = f"relay{uuid.uuid4().hex[:6]}"
    queue = await channel.declare_queue(name, durable=True, arguments={"x-queue-type": "quorum"})
    await queue.bind(bus.exchange_name(BookingTransmittedV1), routing_key=BookingTransmittedV1.routing_key())
    yield channel, name
    await queue.delete(if_unused=False, if_empty=False)
    await connection.close()


async def test_pipelined_batches_leave_in_order_with_their_headers_and_trace(module_amqp_url, db_prefix, bound_queue):
    channel, name = bound_queue
    db = f"relay{uuid.uuid4().hex[:6]}"
    pool = await scratch_pool(db_prefix, db)
    relay = OutboxRelay(pool, database_url(db_prefix, db), module_amqp_url, service="test", batch_size=7,
                               poll_seconds=0.05, pipeline=3, topology=bus_topology.Topology())
    task = asyncio.create_task(relay.run())
    try:
        ids = await write(pool, 60)  # 9 batches of 7, up to 3 in flight
        await eventually(lambda: pool.fetchval("SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL"))
    finally:
        await relay.stop()
        await asyncio.wait_for(task, 30)
    try:
        messages = await drain(channel, name)
        bodies = {r["event_id"]: r["family"] for r in await pool.fetch(
            "SELECT event_id, body->'payload'->>'family_id' AS family FROM outbox")}
    finally:
        await pool.close()

    assert [uuid.UUID(m.message_id) for m in messages] == ids  # each once, in outbox order
    assert relay.published == 60
    for m in messages:
        assert m.type == "booking.transmitted" and m.content_type == "application/json"
        assert m.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        assert m.headers["type"] == "booking.transmitted" and m.headers["version"] == 1
        slot = bus.partition_slot(bodies[uuid.UUID(m.message_id)])
        assert m.headers["CC"] == [bus.partition_routing_key("booking.transmitted.v1", slot)]
        traceparent = m.headers["traceparent"]  # the event's trace goes on
        assert traceparent.split("-")[1] == format(TRACE_ID, "032x")


async def test_a_failure_inside_the_pipeline_leaves_it_and_all_after_it_pending(module_amqp_url, db_prefix, bound_queue):
    channel, name = bound_queue
    db = f"relay{uuid.uuid4().hex[:6]}"
    pool = await scratch_pool(db_prefix, db)
    relay = OutboxRelay(pool, database_url(db_prefix, db), module_amqp_url, service="test", batch_size=5,
                               pipeline=3, topology=bus_topology.Topology())
    try:
        ids = await write(pool, 40)
        # the 23rd row names an exchange that does not exist: the broker closes the channel on it
        bad = await pool.fetchval("SELECT id FROM outbox ORDER BY id OFFSET 22 LIMIT 1")
        await pool.execute("UPDATE outbox SET exchange = 'portail.absent' WHERE id = $1", bad)
        await relay._ensure_connected()
        with pytest.raises(RuntimeError, match="publish failed"):
            await relay.publish_pending()
        rows = await pool.fetch("SELECT id, event_id, sent_at IS NOT NULL AS sent, attempts, last_error "
                                "FROM outbox ORDER BY id")
        first_run = [uuid.UUID(m.message_id) for m in await drain(channel, name)]

        sent = [r for r in rows if r["sent"]]
        pending = [r for r in rows if not r["sent"]]
        assert sent == rows[:len(sent)]  # a prefix: nothing marked after the first failure, nor in later batches
        assert bad in {r["id"] for r in pending} and len(pending) >= 40 - 22
        assert {r["event_id"] for r in sent} <= set(first_run)  # marked only once confirmed
        assert pending[0]["attempts"] == 1 and "portail.absent" in pending[0]["last_error"]
        assert all(r["last_error"] is None for r in pending[1:])
        assert relay.published == len(sent)

        await pool.execute("UPDATE outbox SET exchange = $1 WHERE id = $2", bus.exchange_name(BookingTransmittedV1), bad)
        await relay._ensure_connected()  # the broker closed the channel: a new one
        assert await relay.publish_pending() == len(pending)
        assert await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0
        second_run = [uuid.UUID(m.message_id) for m in await drain(channel, name)]
    finally:
        await relay._disconnect()
        await pool.close()

    everything = first_run + second_run
    assert set(everything) == set(ids)  # at least once
    assert list(dict.fromkeys(everything)) == ids  # in order, counting each event's first arrival


class NackOnce(OutboxRelay):
    """The relay, with the broker refusing one publish (Basic.Nack) the first time: the others go on."""

    def __init__(self, *args, refused: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.refused: int | None = refused

    async def _publish(self, channel, row) -> None:
        if row["id"] == self.refused:
            self.refused = None
            raise aiormq.exceptions.DeliveryError(None, aiormq.spec.Basic.Nack())
        await super()._publish(channel, row)


async def test_a_nack_inside_the_pipeline_leaves_the_batches_behind_it_pending(module_amqp_url, db_prefix,
                                                                             bound_queue):
    channel, name = bound_queue
    db = f"relay{uuid.uuid4().hex[:6]}"
    pool = await scratch_pool(db_prefix, db)
    relay = None
    try:
        ids = await write(pool, 40)
        refused = await pool.fetchval("SELECT id FROM outbox ORDER BY id OFFSET 22 LIMIT 1")
        relay = NackOnce(pool, database_url(db_prefix, db), module_amqp_url, service="test", batch_size=5,
                         pipeline=3, topology=bus_topology.Topology(), refused=refused)
        await relay._ensure_connected()
        with pytest.raises(RuntimeError, match="DeliveryError"):
            await relay.publish_pending()
        rows = await pool.fetch("SELECT id, sent_at IS NOT NULL AS sent, attempts, last_error FROM outbox ORDER BY id")
        # everything before the refused row confirmed and marked; it and all after it (its batch's
        # confirmed rows, the batches published behind it) pending
        assert [r["sent"] for r in rows] == [True] * 22 + [False] * 18
        assert rows[22]["attempts"] == 1 and "DeliveryError" in rows[22]["last_error"]
        assert relay.published == 22

        assert await relay.publish_pending() == 18  # the next run sends the rest, in order
        assert await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0
        got = [uuid.UUID(m.message_id) for m in await drain(channel, name)]
    finally:
        if relay is not None:
            await relay._disconnect()
        await pool.close()

    assert set(got) == set(ids)  # at least once: rows confirmed behind the refusal come twice
    assert list(dict.fromkeys(got[:22])) == ids[:22] and got[-18:] == ids[22:]


async def test_a_batch_held_by_the_topology_lets_the_batch_in_flight_before_it_be_marked(module_amqp_url, db_prefix,
                                                                                        bound_queue):
    """The batch read behind one in flight cannot leave (a registered queue is missing): the one in flight,
    published before it, is still settled and marked; the held rows wait."""
    db = f"relay{uuid.uuid4().hex[:6]}"
    pool = await scratch_pool(db_prefix, db)
    kitchen = f"kitchen{uuid.uuid4().hex[:6]}.booking.transmitted.v2"
    registry = bus_topology.external_subscribers(
        {"subscribers": [{"name": "kitchen", "queue": kitchen, "routing_keys": ["booking.transmitted.v2"]}]},
        ["booking.transmitted.v2"], source="test")
    relay = OutboxRelay(pool, database_url(db_prefix, db), module_amqp_url, service="test", batch_size=5,
                               pipeline=2, topology=registry)
    try:
        await write(pool, 10)
        # the second batch's events are public ones for the kitchen, whose queue was never declared
        await pool.execute("UPDATE outbox SET exchange = $1, routing_key = 'booking.transmitted.v2' WHERE id > "
                           "(SELECT id FROM outbox ORDER BY id OFFSET 4 LIMIT 1)", bus.EVENTS_EXCHANGE)
        await relay._ensure_connected()
        with pytest.raises(TopologyNotReady):
            await relay.publish_pending()
        sent = await pool.fetch("SELECT sent_at IS NOT NULL AS sent FROM outbox ORDER BY id")
    finally:
        await relay._disconnect()
        await pool.close()
    assert [r["sent"] for r in sent] == [True] * 5 + [False] * 5
    assert relay.waiting_for == [kitchen] and relay.published == 5
