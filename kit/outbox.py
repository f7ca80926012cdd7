"""The transactional outbox and its relay.

`add` writes an event in the caller's transaction, next to the state change it describes. The
relay (one active per database, by advisory lock, so that order per producer holds) publishes
pending rows in id order with publisher confirms and marks them sent. A broker outage only
delays it: rows stay pending and the relay reconnects with a back-off.

Publishing is mandatory and gated by the bus topology (docs/adr/0006): before an event leaves, every
queue the registry (`kit.topology`) says must receive its routing key exists, or the relay waits
with a back-off; a message the broker returns as unroutable stays pending; after the confirms, the
registered queues are checked again, and one that disappeared meanwhile raises the alarm (metric
`portail_bus_subscriber_missing_total`, error log naming the queue) and holds the events meant for it.

A message written with `secret=True` (a command carrying a reset link, say) keeps its payload only
until it is published: the UPDATE that marks it sent also blanks the payload, leaving the envelope
(id, type, correlation id) for audits."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import aio_pika
import aiormq
import asyncpg
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

from contracts.envelope import Envelope, Message
from kit.bus import EXCHANGES, exchange_name, partition_key, partition_routing_key, partition_slot
from kit.context import current_correlation_id
from kit.logging import get_logger
from kit.metrics import EVENTS_PUBLISHED, OUTBOX_RETURNED, OUTBOX_TOPOLOGY_MISSING, SUBSCRIBER_MISSING
from kit.telemetry import inject_context
from kit.topology import Checker, QueueSpec, Topology

log = get_logger(__name__)
tracer = trace.get_tracer(__name__)

_RELAY_LOCK_KEY = 0x4F555442  # "OUTB"
KEEP_SENT_DAYS = 7
PURGE_EVERY_SECONDS = 3600


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
    await conn.executemany(
        "INSERT INTO outbox (event_id, exchange, routing_key, body) VALUES ($1, $2, $3, $4::jsonb)", rows)


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


class TopologyNotReady(RuntimeError):
    """Registered subscriber queues are missing: the events for them wait in the outbox."""

    def __init__(self, missing: list[QueueSpec], where: str):
        self.missing, self.where = missing, where
        super().__init__(f"{where}: missing subscriber queues {[q.name for q in missing]}")


class Returned(RuntimeError):
    """The broker returned a mandatory message: no queue was bound to its routing key."""


class OutboxRelay:
    def __init__(self, pool: asyncpg.Pool, dsn: str, amqp_url: str, *, service: str = "unknown", batch_size: int = 200,
                 poll_seconds: float = 1.0, publish_timeout: float = 10.0, topology: Topology | None = None,
                 max_topology_backoff: float = 10.0):
        self.pool, self.dsn, self.amqp_url, self.service = pool, dsn, amqp_url, service
        # The subscriptions this relay knows of; an event is held until all of its registered queues exist.
        self.topology = topology if topology is not None else Topology()
        self.max_topology_backoff = max_topology_backoff
        self._checker: Checker | None = None
        self._verified: set[str] = set()  # registered queues found in place on this connection
        self._receivers_of: dict[tuple[str, str], list[QueueSpec]] = {}
        self.waiting_for: list[str] = []  # registered queues the relay waits for, now
        self.alarms: list[str] = []  # registered queues found gone after a publish (partial delivery)
        self.batch_size, self.poll_seconds, self.publish_timeout = batch_size, poll_seconds, publish_timeout
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._connection: aio_pika.abc.AbstractConnection | None = None
        self._exchanges: dict[str, aio_pika.abc.AbstractExchange] = {}
        self.connected = False
        self.published = 0
        self._last_purge = float("-inf")

    # lifecycle -------------------------------------------------------------------------------
    async def run(self) -> None:
        """Until stopped: hold the relay lock, wait for rows, publish them."""
        listener = await asyncpg.connect(self.dsn)
        try:
            await self._acquire_leadership(listener)
            await listener.add_listener("outbox", lambda *_: self._wake.set())
            backoff = 0.5
            while not self._stopping.is_set():
                try:
                    await self._ensure_connected()
                    while await self.publish_batch() == self.batch_size and not self._stopping.is_set():
                        pass
                    backoff = 0.5
                except TopologyNotReady as exc:
                    log.warning("outbox relay waiting for the bus topology: events held in the outbox",
                                where=exc.where, missing_queues=[q.name for q in exc.missing],
                                subscribers=sorted({q.subscriber for q in exc.missing}), retry_in=backoff,
                                hint="run the topology step (python -m services.topology declare) "
                                     "or start the subscriber")
                    await self._pause(backoff)
                    backoff = min(backoff * 2, self.max_topology_backoff)
                    continue
                except (TimeoutError, OSError, aio_pika.exceptions.AMQPError, RuntimeError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    log.warning("outbox relay cannot publish, will retry", error=repr(exc), retry_in=backoff)
                    await self._disconnect()
                    await self._sleep(backoff)
                    backoff = min(backoff * 2, 10.0)
                    continue
                await self._purge_if_due(listener)
                await self._sleep(self.poll_seconds)
        finally:
            await self._disconnect()
            await listener.close()

    async def _purge_if_due(self, conn: asyncpg.Connection) -> None:
        """Sent events are kept a week (for replays and audits), then deleted: internal commands may
        carry secrets such as reset links, which must not stay at rest."""
        now = asyncio.get_running_loop().time()
        if now - self._last_purge < PURGE_EVERY_SECONDS:
            return
        self._last_purge = now
        await conn.execute("DELETE FROM outbox WHERE sent_at < now() - make_interval(days => $1)", KEEP_SENT_DAYS)

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def _acquire_leadership(self, conn: asyncpg.Connection) -> None:
        while not self._stopping.is_set():
            if await conn.fetchval("SELECT pg_try_advisory_lock($1)", _RELAY_LOCK_KEY):
                return
            await self._sleep(self.poll_seconds)

    async def _pause(self, seconds: float) -> None:
        """A back-off that new rows do not shorten (only stopping does)."""
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass
        self._wake.clear()

    # broker ----------------------------------------------------------------------------------
    async def _ensure_connected(self) -> None:
        if self._connection is not None and not self._connection.is_closed:
            return
        self._connection = await aio_pika.connect(self.amqp_url, timeout=self.publish_timeout)
        # mandatory publishes: a message routed to no queue comes back as a DeliveredMessage (not raised)
        channel = await self._connection.channel(publisher_confirms=True, on_return_raises=False)
        self._checker = Checker(self._connection)
        self._verified = set()
        for name, spec in EXCHANGES.items():
            self._exchanges[name] = await channel.declare_exchange(
                name, type=spec.type.value, durable=True)
        self.connected = True
        log.info("outbox relay connected to the broker")

    async def _disconnect(self) -> None:
        self.connected = False
        if self._connection is not None:
            with contextlib.suppress(Exception):  # already broken, nothing more to do
                await self._connection.close()
        self._connection = None
        self._checker = None
        self._verified = set()
        self._exchanges = {}

    async def _publish(self, row: asyncpg.Record) -> None:
        envelope = json.loads(row["body"])
        parent = propagate.extract(envelope.get("trace_context") or {})
        with tracer.start_as_current_span(f"{row['routing_key']} publish", context=parent,
                                          kind=SpanKind.PRODUCER,
                                          attributes={"messaging.system": "rabbitmq",
                                                      "messaging.destination.name": row["exchange"],
                                                      "messaging.message.id": str(row["event_id"])}):
            slot = partition_slot(partition_key(envelope))
            headers: dict[str, Any] = {"type": envelope["type"], "version": envelope["version"],
                                       # the partitions of partitioned subscriptions (kit.bus, docs/adr/0009)
                                       "CC": [partition_routing_key(row["routing_key"], slot)]}
            headers.update(inject_context())
            message = aio_pika.Message(
                body=row["body"].encode(),
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=str(row["event_id"]),
                correlation_id=envelope.get("correlation_id"),
                type=envelope["type"],
                headers=headers,
            )
            result = await self._exchanges[row["exchange"]].publish(
                message, routing_key=row["routing_key"], mandatory=True, timeout=self.publish_timeout)
            if isinstance(result, aiormq.abc.DeliveredMessage):  # Basic.Return: routed to no queue
                raise Returned(f"unroutable: no queue bound to {row['exchange']} {row['routing_key']}")
            EVENTS_PUBLISHED.labels(self.service, envelope["type"]).inc()

    # topology --------------------------------------------------------------------------------
    def _receivers(self, row: asyncpg.Record) -> list[QueueSpec]:
        key = (row["exchange"], row["routing_key"])  # the registry does not change while the relay runs
        found = self._receivers_of.get(key)
        if found is None:
            found = self._receivers_of[key] = self.topology.receivers(*key)
        return found

    async def _gate(self, rows: list[asyncpg.Record]) -> None:
        """Before publishing: every required queue registered for these routing keys exists (passive
        declare) and is bound (asserted again); otherwise TopologyNotReady, nothing is published."""
        needed = {q.name: q for r in rows for q in self._receivers(r) if q.required and q.name not in self._verified}
        if not needed:
            return
        assert self._checker is not None
        missing = await self._checker.missing(list(needed.values()), bind=True)
        self._verified |= set(needed) - {q.name for q in missing}
        self.waiting_for = [q.name for q in missing]
        OUTBOX_TOPOLOGY_MISSING.labels(self.service).set(len(missing))
        if missing:
            raise TopologyNotReady(missing, "before publishing")

    async def _after_confirms(self, rows: list[asyncpg.Record]) -> set[str]:
        """After the confirms: the registered queues of these routing keys still exist. One that is
        gone may have missed the events (routed to the others only): the alarm. Returns its name."""
        registered = {q.name: q for r in rows for q in self._receivers(r)}
        if not registered:
            return set()
        assert self._checker is not None
        gone = await self._checker.missing(list(registered.values()))
        for q in gone:
            self._verified.discard(q.name)
            events = [r for r in rows if q.receives(r["exchange"], r["routing_key"])]
            SUBSCRIBER_MISSING.labels(self.service, q.name).inc()
            self.alarms.append(q.name)
            log.error("subscriber queue missing: events published while it was gone may have reached "
                      "only the other subscribers", queue=q.name, subscriber=q.subscriber,
                      external=q.external, routing_keys=sorted({r["routing_key"] for r in events}),
                      events=len(events), event_ids=[str(r["event_id"]) for r in events[:10]],
                      action="held in the outbox until the queue is back" if q.required
                      else "not held (required: false)")
        return {q.name for q in gone}

    async def publish_batch(self) -> int:
        """Publish the oldest pending rows, in order; mark the confirmed prefix sent.
        Returns how many were sent; raises when the broker failed one."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                """SELECT id, event_id, exchange, routing_key, body::text AS body FROM outbox
                   WHERE sent_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED""",
                self.batch_size,
            )
            if not rows:
                return 0
            await self._gate(rows)
            # Publishes in flight together (one channel keeps their order); confirms awaited as a batch.
            results = await asyncio.gather(*(self._publish(r) for r in rows), return_exceptions=True)
            gone = await self._after_confirms(rows)
            sent = []
            failure: BaseException | None = None
            for row, result in zip(rows, results):
                receivers = self._receivers(row)
                held = [q for q in receivers if q.required and (q.name in gone or isinstance(result, Returned))]
                if held:
                    # nothing is marked sent from here on: the relay waits for these queues, then publishes again
                    if isinstance(result, Returned):
                        OUTBOX_RETURNED.labels(self.service, _type_of(row), "held").inc()
                    failure = TopologyNotReady(held, "after publishing")
                    break
                if isinstance(result, Returned):
                    # no registered subscriber wants this routing key: nothing to wait for
                    OUTBOX_RETURNED.labels(self.service, _type_of(row), "no_subscriber").inc()
                    log.info("event routed to no queue (no subscriber registered for it)",
                             event_id=str(row["event_id"]), routing_key=row["routing_key"])
                elif isinstance(result, BaseException):
                    failure = result
                    break
                sent.append(row["id"])
            if sent:
                await conn.execute(
                    """UPDATE outbox SET sent_at = now(), attempts = attempts + 1,
                           body = CASE WHEN (headers->>'secret')::boolean IS TRUE
                                       THEN jsonb_set(body, '{payload}', $2::jsonb) ELSE body END
                       WHERE id = ANY($1::bigint[])""", sent, SCRUBBED_PAYLOAD)
                self.published += len(sent)
            if failure is not None:
                await conn.execute("UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1",
                                   rows[len(sent)]["id"], repr(failure)[:500])
        if isinstance(failure, TopologyNotReady):
            self.waiting_for = [q.name for q in failure.missing]
            OUTBOX_TOPOLOGY_MISSING.labels(self.service).set(len(failure.missing))
            raise failure
        if failure is not None:
            raise RuntimeError(f"publish failed: {failure!r}") from failure
        if self.waiting_for:
            self.waiting_for = []
            OUTBOX_TOPOLOGY_MISSING.labels(self.service).set(0)
        return len(sent)


def _type_of(row: asyncpg.Record) -> str:
    """The event type of an outbox row (its routing key without the version)."""
    return row["routing_key"].rsplit(".v", 1)[0]
