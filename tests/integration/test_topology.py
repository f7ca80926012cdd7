"""Nothing lost from the first second (docs/adr/0006): the topology before traffic, mandatory publishing
and the alarm for a subscriber queue that disappears, on the real PostgreSQL and RabbitMQ.

Each test has a RabbitMQ virtual host of its own, fresh (nothing declared), and databases of its own."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import aio_pika
import asyncpg
import pytest
from prometheus_client import REGISTRY

from contracts import BookingTransmittedV1
from contracts.registry import MESSAGES
from kit import bus, topology
from services.billing.app import service as billing
from services.booking.app import service as booking
from services.booking.service import transmission
from services.booking.store import Store
from services.topology import declare, main, portal_topology, services_topology
from tests.conftest import AMQP_HOST, PG_URL, RUN_ID, database_url, eventually, rabbitmqctl, running
from tests.integration.test_booking_transmitted_flow import count, transmitted

ROOT = Path(__file__).resolve().parents[2]
_numbers = itertools.count(1)


@pytest.fixture
def fresh():
    """A fresh virtual host (nothing declared in it) and a database prefix, both of this test only."""
    n = next(_numbers)
    vhost = f"portail-test-{RUN_ID}-topology-{n}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    prefix = f"pt{RUN_ID}_topo{n}_"
    yield f"amqp://guest:guest@{AMQP_HOST}/{vhost}", prefix
    rabbitmqctl("delete_vhost", vhost)
    asyncio.run(drop_databases(prefix))  # also when this file runs alone (db_prefix's clean-up not requested)


async def drop_databases(prefix: str) -> None:
    conn = await asyncpg.connect(PG_URL + "/postgres")
    try:
        for row in await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1", prefix + "%"):
            await conn.execute(f'DROP DATABASE "{row["datname"]}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
def registry_of_booking():
    """booking's relay is given the registry of the test (the service object is shared by the session)."""
    yield
    booking.topology = None


def metric(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def record(dsn: str, families: list[uuid.UUID], lines: int = 2) -> None:
    """One transmission for these families, committed at once (booking.transmitted v1 and v2 each)."""
    conn = await asyncpg.connect(dsn)
    try:
        await transmission.record(Store(conn), uuid.uuid4(), [transmitted(f, uuid.uuid4(), lines) for f in families])
    finally:
        await conn.close()


async def queue_depth(url: str, name: str) -> int | None:
    """Messages ready in a queue, None when it does not exist."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        try:
            queue = await channel.declare_queue(name, passive=True)
        except aio_pika.exceptions.ChannelNotFoundEntity:
            return None
        return queue.declaration_result.message_count


def movements(billing_db: str, families: list[uuid.UUID]):
    return count(billing_db, "SELECT count(*) FROM booking_movements WHERE family_id = ANY($1)", families)


def pending(dsn: str):
    return count(dsn, "SELECT count(*) FROM outbox WHERE sent_at IS NULL")


def records(caplog, level: int, text: str) -> list[dict]:
    return [r.msg for r in caplog.records if r.levelno == level and isinstance(r.msg, dict)
            and text in r.msg.get("event", "")]


# (a) ------------------------------------------------------------------------------------------------


async def test_a_producer_started_before_its_consumer_holds_its_events_then_delivers_them_all(
        fresh, registry_of_booking, caplog):
    url, prefix = fresh
    booking_db, billing_db = database_url(prefix, "booking"), database_url(prefix, "billing")
    queue = bus.queue_name("billing", BookingTransmittedV1)
    # the registry the relay knows of: billing consumes booking.transmitted.v1 (v2: nobody registered)
    booking.topology = topology.service_part("billing", [BookingTransmittedV1], 5)
    families = [uuid.uuid4() for _ in range(20)]
    caplog.set_level(logging.INFO)
    async with running(booking, url, prefix):
        for chunk in (families[:10], families[10:]):
            await record(booking_db, chunk)
        await asyncio.sleep(2.0)
        # no queue yet (no topology step, no consumer): nothing marked sent, nothing lost
        assert await pending(booking_db) == 2 * len(families)
        assert await queue_depth(url, queue) is None
        assert booking.relay.waiting_for == [queue]
        assert metric("portail_outbox_topology_missing_queues", service="booking") == 1
        waits = records(caplog, logging.WARNING, "waiting for the bus topology")
        assert waits and waits[-1]["missing_queues"] == [queue] and waits[-1]["subscribers"] == ["billing"]

        async with running(billing, url, prefix):  # declares its queue: the relay goes on
            await eventually(lambda: movements(billing_db, families), timeout=40, interval=0.3)

            async def all_applied():
                return await movements(billing_db, families) == 2 * len(families)

            await eventually(all_applied, timeout=40, interval=0.3)
            await eventually(lambda: count(booking_db, "SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL"))
        assert booking.relay.waiting_for == []
        assert metric("portail_outbox_topology_missing_queues", service="booking") == 0
    assert await count(billing_db, "SELECT count(DISTINCT family_id) FROM booking_movements "
                                   "WHERE family_id = ANY($1)", families) == len(families)  # 0 lost


# (b) ------------------------------------------------------------------------------------------------


async def test_with_the_topology_step_first_events_published_before_consumers_start_are_all_consumed(
        fresh, registry_of_booking):
    url, prefix = fresh
    booking_db, billing_db = database_url(prefix, "booking"), database_url(prefix, "billing")
    registry = services_topology() + topology.external_subscribers(
        {"subscribers": [{"name": "kitchen", "queue": "kitchen.booking.transmitted.v2",
                          "routing_keys": ["booking.transmitted.v2"]}]},
        topology.public_routing_keys(MESSAGES), source="test")
    await declare(url, registry)  # the topology step, before anything runs
    booking.topology = registry
    families = [uuid.uuid4() for _ in range(25)]
    consumed_before = metric("portail_events_consumed_total", service="billing", type="booking.transmitted",
                             result="applied")
    published_before = metric("portail_events_published_total", service="booking", type="booking.transmitted")
    async with running(booking, url, prefix):
        for family in families:
            await record(booking_db, [family])
        # published while no consumer runs: the queues keep them
        await eventually(lambda: count(booking_db, "SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL"))
        assert metric("portail_events_published_total", service="booking", type="booking.transmitted") \
            - published_before == 2 * len(families)
        assert await queue_depth(url, "billing.booking.transmitted.v1") == len(families)
        assert await queue_depth(url, "notify.booking.transmitted.v1") == len(families)
        assert await queue_depth(url, "kitchen.booking.transmitted.v2") == len(families)

    async with running(billing, url, prefix):
        async def all_applied():
            return await movements(billing_db, families) == 2 * len(families)

        await eventually(all_applied, timeout=40, interval=0.3)
    consumed = metric("portail_events_consumed_total", service="billing", type="booking.transmitted",
                      result="applied") - consumed_before
    assert consumed == len(families)  # every one, once: 0 lost
    assert await queue_depth(url, "billing.booking.transmitted.v1") == 0


# (c) ------------------------------------------------------------------------------------------------


async def test_a_registered_queue_deleted_while_events_flow_raises_the_alarm_and_loses_nothing_for_the_others(
        fresh, registry_of_booking, caplog):
    url, prefix = fresh
    booking_db, billing_db = database_url(prefix, "booking"), database_url(prefix, "billing")
    registry = services_topology() + topology.external_subscribers(
        {"subscribers": [{"name": "kitchen", "queue": "kitchen.booking.transmitted.v2",
                          "routing_keys": ["booking.transmitted.v2"]}]},
        ["booking.transmitted.v2"], source="test")
    await declare(url, registry)
    booking.topology = registry
    gone = "notify.booking.transmitted.v1"
    first, second = [uuid.uuid4() for _ in range(5)], [uuid.uuid4() for _ in range(5)]
    alarms_before = metric("portail_bus_subscriber_missing_total", service="booking", queue=gone)
    caplog.set_level(logging.INFO)
    async with running(billing, url, prefix), running(booking, url, prefix):
        await record(booking_db, first)
        await eventually(lambda: count(booking_db, "SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL"))
        assert await queue_depth(url, gone) == len(first)

        connection = await aio_pika.connect(url)  # an operator deletes notify's queue
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(gone)

        await record(booking_db, second)  # one batch, published while the queue is gone

        async def alarm():
            return metric("portail_bus_subscriber_missing_total", service="booking", queue=gone) > alarms_before

        await eventually(alarm, timeout=20)
        errors = records(caplog, logging.ERROR, "subscriber queue missing")
        assert errors and errors[-1]["queue"] == gone and errors[-1]["subscriber"] == "notify"
        assert errors[-1]["routing_keys"] == ["booking.transmitted.v1"]
        # the still-present subscriber got every event
        async def billing_has_all():
            return await movements(billing_db, first + second) == 2 * len(first + second)

        await eventually(billing_has_all, timeout=30, interval=0.3)
        # and the events meant for the missing queue are held, the relay waits for it
        assert await pending(booking_db) > 0
        await eventually(lambda: asyncio.sleep(0, result=booking.relay.waiting_for == [gone]))
        assert records(caplog, logging.WARNING, "waiting for the bus topology")

        await declare(url, registry)  # the topology step again: the queue is back
        await eventually(lambda: count(booking_db, "SELECT count(*) = 0 FROM outbox WHERE sent_at IS NULL"),
                         timeout=30)
        # the events published since the deletion reached the re-created queue
        assert await queue_depth(url, gone) == len(second)
        await asyncio.sleep(0.5)
    # republished events were applied once by billing (inbox): no double effect
    assert await movements(billing_db, first + second) == 2 * len(first + second)
    assert await count(billing_db, "SELECT count(*) FROM inbox WHERE event_type = 'booking.transmitted'") \
        == len(first + second)


# (d) ------------------------------------------------------------------------------------------------


def test_the_topology_command_is_idempotent_and_declares_the_external_subscribers(fresh, tmp_path, monkeypatch,
                                                                                 capsys):
    url, _prefix = fresh
    external = tmp_path / "external-subscribers.yaml"
    external.write_text((ROOT / "deploy/topology/external-subscribers.yaml").read_text(encoding="utf-8")
                        + "  - name: archives\n    queue: archives.tout\n    routing_keys: ['billing.#', "
                          "'*.transmitted.v2']\n    dead_letter: true\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PORTAIL_TOPOLOGY_SUBSCRIBERS"}
    env["PORTAIL_AMQP_URL"] = url
    first = subprocess.run([sys.executable, "-m", "services.topology", "declare", "--external", str(external)],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert first.returncode == 0, first.stderr
    assert "Topologie du bus déclarée" in first.stdout
    assert "file kitchen.booking.transmitted.v2 [kitchen, externe] ← portail.events booking.transmitted.v2" \
        in first.stdout
    assert "file treasury.billing.dlq (lettres mortes de treasury.billing)" in first.stdout

    monkeypatch.setenv("PORTAIL_AMQP_URL", url)
    monkeypatch.delenv("PORTAIL_TOPOLOGY_SUBSCRIBERS", raising=False)
    assert main(["declare", "--external", str(external)]) == 0  # again: nothing changes, nothing fails
    assert "Topologie du bus déclarée" in capsys.readouterr().out

    monkeypatch.setenv("PORTAIL_TOPOLOGY_EXTERNAL", str(external))
    registry = portal_topology()
    names = {q.name for q in registry.queues} | {q.dead_letter.name for q in registry.queues if q.dead_letter}
    assert {"kitchen.booking.transmitted.v2", "treasury.billing", "treasury.billing.dlq", "archives.tout"} <= names

    async def check() -> None:
        connection = await aio_pika.connect(url)
        async with connection:
            assert await topology.check(connection, registry.queues) == []  # every queue is there
            channel = await connection.channel(publisher_confirms=True)
            # the queues of the vhost are exactly the registry's: declaring twice made no other
            exchange = await channel.get_exchange(bus.EVENTS_EXCHANGE)
            await exchange.publish(aio_pika.Message(b"{}", message_id=str(uuid.uuid4())),
                                   routing_key="booking.transmitted.v2", mandatory=True)
            for name in ("kitchen.booking.transmitted.v2", "archives.tout"):
                queue = await channel.declare_queue(name, passive=True)
                assert queue.declaration_result.message_count == 1, name  # bound as configured
            # the kitchen example declares its own queue the same way: RabbitMQ accepts both
            await channel.declare_queue("kitchen.booking.transmitted.v2", durable=True,
                                        arguments={"x-queue-type": "quorum"})

    asyncio.run(check())
    listed = subprocess.run(["rabbitmqctl", "-q", "list_queues", "-p", url.rsplit("/", 1)[1], "name"],
                            capture_output=True, text=True, timeout=60, check=True).stdout.split()
    assert sorted(q for q in listed if q != "name") == sorted(names)


def test_the_topology_command_says_what_rabbitmq_refused(fresh, tmp_path, monkeypatch, capsys):
    url, _prefix = fresh

    async def classic_queue() -> None:
        connection = await aio_pika.connect(url)
        async with connection:
            channel = await connection.channel()
            await channel.declare_queue("kitchen.booking.transmitted.v2", durable=True)  # classic, not quorum

    asyncio.run(classic_queue())
    monkeypatch.setenv("PORTAIL_AMQP_URL", url)
    monkeypatch.delenv("PORTAIL_TOPOLOGY_SUBSCRIBERS", raising=False)
    monkeypatch.delenv("PORTAIL_TOPOLOGY_EXTERNAL", raising=False)
    assert main(["declare"]) == 1
    assert "Topologie non déclarée : RabbitMQ a refusé" in capsys.readouterr().err
