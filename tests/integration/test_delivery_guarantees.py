"""At-least-once without loss or double effect, on the real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid

import aio_pika
import asyncpg

from contracts import BookingTransmittedV1, wrap
from kit import bus, migrations
from services.billing.app import service as billing
from services.booking.app import service as booking
from services.booking.service import transmission
from services.booking.store import Store
from tests.conftest import database_url, eventually, running
from tests.integration.test_booking_transmitted_flow import count, transmitted


async def publish_raw(amqp_url: str, body: bytes, routing_key: str, exchange: str = bus.INTERNAL_EXCHANGE) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        ex = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        await ex.publish(aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                          content_type="application/json"), routing_key=routing_key)


async def test_same_event_delivered_twice_has_one_effect(run_service, amqp_url, db_prefix):
    family = uuid.uuid4()
    envelope = wrap(transmitted(family, uuid.uuid4(), n_lines=2), producer="booking")
    body = envelope.model_dump_json().encode()
    billing_db = database_url(db_prefix, "billing")
    async with run_service(billing):
        await publish_raw(amqp_url, body, "booking.transmitted.v1")
        await publish_raw(amqp_url, body, "booking.transmitted.v1")
        await eventually(lambda: count(billing_db, "SELECT count(*) FROM booking_movements WHERE family_id=$1", family))
        # give the duplicate every chance to be (wrongly) applied
        await asyncio.sleep(1.0)
        assert await count(billing_db, "SELECT count(*) FROM booking_movements WHERE family_id=$1", family) == 2
        assert await count(billing_db, "SELECT count(*) FROM inbox WHERE event_id=$1", envelope.event_id) == 1


async def test_nothing_lost_while_rabbitmq_is_down_and_order_is_kept(private_rabbitmq, db_prefix):
    """On a RabbitMQ node of the session's own (the machine's node is shared and never stopped)."""
    url = await private_rabbitmq.add_vhost(f"guarantees-{uuid.uuid4().hex[:6]}")  # the topology step run there
    prefix = f"{db_prefix}down_"
    booking_db, billing_db = database_url(prefix, "booking"), database_url(prefix, "billing")
    families = [uuid.uuid4() for _ in range(30)]
    async with running(billing, url, prefix), running(booking, url, prefix):
        await private_rabbitmq.stop_app()
        try:
            conn = await asyncpg.connect(booking_db)
            try:
                for family in families:  # one transmission per family, committed one after the other
                    await transmission.record(Store(conn), uuid.uuid4(), [transmitted(family, uuid.uuid4(), 1)])
            finally:
                await conn.close()
            await asyncio.sleep(2)
            # the broker is down: nothing could be sent, nothing is lost
            pending = await count(booking_db, "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
            assert pending >= len(families)
            assert booking.relay is not None and not booking.relay.connected
        finally:
            await private_rabbitmq.start_app()

        async def all_arrived():
            got = await count(billing_db, "SELECT count(*) FROM booking_movements WHERE family_id = ANY($1)", families)
            return got == len(families)

        await eventually(all_arrived, timeout=90, interval=0.5)

    conn = await asyncpg.connect(billing_db)
    try:
        applied = await conn.fetch(
            """SELECT m.family_id FROM inbox i JOIN booking_movements m USING (event_id)
               WHERE m.family_id = ANY($1) ORDER BY i.seq""", families)
    finally:
        await conn.close()
    assert [r["family_id"] for r in applied] == families
    assert await count(booking_db, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0


async def test_always_failing_handler_ends_in_dead_letter_queue(amqp_url, db_prefix, caplog):
    dsn = database_url(db_prefix, "failing")
    from kit.db import create_pool, ensure_database

    await ensure_database(dsn)
    conn = await asyncpg.connect(dsn)
    await migrations.apply(conn, migrations.service_migrations("failing", migrations.KIT_SQL / "none"))
    await conn.close()
    pool = await create_pool(dsn)
    calls: list[uuid.UUID] = []

    async def always_fails(_conn, envelope):
        calls.append(envelope.event_id)
        raise RuntimeError("panne simulée")

    limit = 3
    broker = bus.make_broker(amqp_url)
    bus.subscribe(broker, consumer="failing", message=BookingTransmittedV1, effect=always_fails,
                  pool=lambda: pool, delivery_limit=limit)
    envelope = wrap(transmitted(uuid.uuid4(), uuid.uuid4()), producer="booking")
    caplog.set_level(logging.ERROR)
    try:
        await broker.connect()
        await bus.declare_dead_letter_queues(broker, [("failing", BookingTransmittedV1)])
        await broker.start()
        await publish_raw(amqp_url, envelope.model_dump_json().encode(), "booking.transmitted.v1")
        await publish_raw(amqp_url, b'{"not": "an envelope"}', "booking.transmitted.v1")

        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel()
            dlq = await channel.get_queue("failing.booking.transmitted.v1.dlq", ensure=True)
            dead: list[aio_pika.abc.AbstractIncomingMessage] = []

            async def both_dead():
                message = await dlq.get(fail=False, no_ack=True)
                if message is not None:
                    dead.append(message)
                return len(dead) == 2

            await eventually(both_dead, timeout=30)
        bodies = [json.loads(m.body) for m in dead]
        assert {"not": "an envelope"} in bodies
        assert any(b.get("event_id") == str(envelope.event_id) for b in bodies)
        # delivered once, then redelivered until the limit, and no more
        assert calls.count(envelope.event_id) == limit + 1
        # nothing was recorded as applied
        assert await pool.fetchval("SELECT count(*) FROM inbox") == 0
    finally:
        await broker.stop()
        await pool.close()

    errors = [r.msg for r in caplog.records if r.levelno >= logging.ERROR and isinstance(r.msg, dict)]
    final = [e for e in errors if e.get("event_id") == str(envelope.event_id)
             and "dead-letter" in e.get("event", "")]
    assert final, errors
    assert final[-1]["event_type"] == "booking.transmitted"
    assert any("invalid message" in e.get("event", "") for e in errors)


async def test_sent_events_are_purged_after_a_week(run_service, db_prefix):
    """Reset links travel in internal commands: sent events do not stay at rest forever."""
    from kit.relay import OutboxRelay

    async with run_service(booking):
        dsn = database_url(db_prefix, "booking")
        conn = await asyncpg.connect(dsn)
        try:
            await transmission.record(Store(conn), uuid.uuid4(), [transmitted(uuid.uuid4(), uuid.uuid4())])
            await eventually(lambda: count(dsn, "SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL"))
            await conn.execute("UPDATE outbox SET sent_at = now() - interval '8 days'")
            relay = OutboxRelay(None, dsn, "amqp://unused")
            await relay._purge_if_due(conn)
            assert await conn.fetchval("SELECT count(*) FROM outbox") == 0
        finally:
            await conn.close()
