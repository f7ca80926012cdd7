"""The outbox's relay: publishes a service's pending outbox rows (`kit.outbox`) to RabbitMQ, in id order,
with publisher confirms, in batches (two in flight: docs/adr/0009); one relay active per database (advisory
lock), so order per producer holds. A broker outage only delays it (rows stay pending, back-off). Publishing
is mandatory and gated by the bus topology (docs/adr/0006): an event leaves only once every queue registered
for its routing key exists; a returned message stays pending; a registered queue found gone after the
confirms raises the alarm (`portail_bus_subscriber_missing_total`) and holds its events. A secret row's
payload is blanked by the UPDATE that marks it sent (`kit.outbox.SCRUBBED_PAYLOAD`)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter, deque
from dataclasses import dataclass
from typing import Any

import aio_pika
import aiormq
import asyncpg
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from kit.bus import EXCHANGES, partition_key, partition_routing_key, partition_slot
from kit.logging import get_logger
from kit.metrics import EVENTS_PUBLISHED, OUTBOX_RETURNED, OUTBOX_TOPOLOGY_MISSING, SUBSCRIBER_MISSING
from kit.outbox import SCRUBBED_PAYLOAD
from kit.topology import Checker, QueueSpec, Topology

log = get_logger(__name__)
tracer = trace.get_tracer(__name__)

_RELAY_LOCK_KEY = 0x4F555442  # "OUTB"
KEEP_SENT_DAYS, PURGE_EVERY_SECONDS = 7, 3600


class TopologyNotReady(RuntimeError):
    """Registered subscriber queues are missing: the events for them wait in the outbox."""

    def __init__(self, missing: list[QueueSpec], where: str):
        self.missing, self.where = missing, where
        super().__init__(f"{where}: missing subscriber queues {[q.name for q in missing]}")


class Returned(RuntimeError):
    """The broker returned a mandatory message: no queue was bound to its routing key."""


class OutboxRelay:
    """The relay of one service's outbox. `batch_size` rows per batch and transaction, `pipeline` batches
    in flight at once (each holds a connection of `pool` while in flight)."""

    def __init__(self, pool: asyncpg.Pool, dsn: str, amqp_url: str, *, service: str = "unknown", batch_size: int = 200,
                 poll_seconds: float = 1.0, publish_timeout: float = 10.0, topology: Topology | None = None,
                 max_topology_backoff: float = 10.0, pipeline: int = 2):
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
        self.pipeline = max(1, pipeline)  # batches in flight at once (publish_pending)
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._connection: aio_pika.abc.AbstractConnection | None = None
        self._exchanges: dict[str, aio_pika.abc.AbstractExchange] = {}
        self._channel: aio_pika.abc.AbstractChannel | None = None  # the publishing channel (confirms)
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
                    await self.publish_pending()
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
            if self._channel is not None and not self._channel.is_closed:
                return
            await self._disconnect()  # the broker closed the publishing channel: start afresh
        self._connection = await aio_pika.connect(self.amqp_url, timeout=self.publish_timeout)
        # mandatory publishes: a message routed to no queue comes back as a DeliveredMessage (not raised)
        channel = await self._connection.channel(publisher_confirms=True, on_return_raises=False)
        self._checker = Checker(self._connection)
        self._verified = set()
        self._channel = channel
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
        self._channel = None

    async def _publish(self, channel: aiormq.abc.AbstractChannel, row: asyncpg.Record) -> None:
        """One row, published and confirmed, inside a PRODUCER span continuing the event's trace. The
        envelope's fields come from SQL (`_PENDING`): the body is sent as stored, never parsed here."""
        carrier = row["trace_context"]
        parent = propagate.extract(json.loads(carrier)) if carrier is not None else None
        # not made current: one task per row, nothing to attach; the span ends with the confirm
        span = tracer.start_span(f"{row['routing_key']} publish", context=parent, kind=SpanKind.PRODUCER,
                                 attributes={"messaging.system": "rabbitmq",
                                             "messaging.destination.name": row["exchange"],
                                             "messaging.message.id": row["event_id"]})
        try:
            slot = partition_slot(partition_key({"type": row["type"], "payload": {"family_id": row["family_id"]}}))
            headers: dict[str, Any] = {"type": row["type"], "version": row["version"],
                                       # the partitions of partitioned subscriptions (kit.bus, docs/adr/0009)
                                       "CC": [partition_routing_key(row["routing_key"], slot)]}
            propagate.inject(headers, context=trace.set_span_in_context(span, parent))
            # aio-pika's Message and Exchange.publish would only build these properties and call this
            result = await channel.basic_publish(
                row["body"].encode(), exchange=row["exchange"], routing_key=row["routing_key"],
                properties=aiormq.spec.Basic.Properties(
                    content_type="application/json", delivery_mode=_PERSISTENT, message_id=row["event_id"],
                    correlation_id=row["correlation_id"], message_type=row["type"], headers=headers),
                mandatory=True, timeout=self.publish_timeout)
            if isinstance(result, aiormq.abc.DeliveredMessage):  # Basic.Return: routed to no queue
                raise Returned(f"unroutable: no queue bound to {row['exchange']} {row['routing_key']}")
        except BaseException as exc:
            span.record_exception(exc)
            span.set_status(Status(StatusCode.ERROR, repr(exc)))
            raise
        finally:
            span.end()

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
        self._waiting(missing)
        if missing:
            raise TopologyNotReady(missing, "before publishing")

    def _waiting(self, missing: list[QueueSpec]) -> None:
        self.waiting_for = [q.name for q in missing]
        OUTBOX_TOPOLOGY_MISSING.labels(self.service).set(len(missing))

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

    async def publish_pending(self) -> int:
        """Publish the pending rows in id order, batch after batch, until a batch comes back short; mark
        each batch's confirmed prefix sent. Up to `pipeline` batches are in flight: while one batch's
        confirms are awaited and its rows marked, the next ones are already read and published (one
        channel keeps their order). Nothing after a failure is marked sent, in its batch or the later
        ones. Returns how many were marked sent; raises when the broker failed one."""
        inflight: deque[_Batch] = deque()
        total, after, exhausted = 0, 0, False
        try:
            while True:
                if not exhausted and len(inflight) < self.pipeline and not self._stopping.is_set():
                    try:
                        batch = await self._start(after)
                    except Exception as exc:
                        # the batches in flight come first: mark their confirmed prefixes (a failure
                        # there is raised instead), then give up
                        while inflight:
                            total += await self._settle(inflight.popleft())
                        if isinstance(exc, TopologyNotReady):
                            self._waiting(exc.missing)  # (their settling said nothing was missing)
                        raise
                    if batch is None:
                        exhausted = True
                        continue
                    inflight.append(batch)
                    after = batch.rows[-1]["id"]
                    exhausted = len(batch.rows) < self.batch_size
                elif inflight:
                    total += await self._settle(inflight.popleft())
                else:
                    return total
        finally:
            while inflight:  # behind a failure: not marked, published again later (at least once)
                await self._abandon(inflight.popleft())

    async def _start(self, after: int) -> _Batch | None:
        """Read the next pending rows (after id `after`, those of the batches in flight) and lock them
        in a transaction of their own; gate them; send their publishes without awaiting the confirms."""
        if self._channel is None:
            raise RuntimeError("outbox relay: not connected")
        channel = await self._channel.get_underlay_channel()
        conn = await self.pool.acquire()
        tx = conn.transaction()
        batch = _Batch(conn, tx, [], None)
        try:
            await tx.start()
            batch.rows = await conn.fetch(_PENDING, self.batch_size, after)
            if batch.rows:
                await self._gate(batch.rows)
                batch.confirms = asyncio.gather(*(self._publish(channel, r) for r in batch.rows),
                                                return_exceptions=True)
        except BaseException:
            await self._abandon(batch)
            raise
        if not batch.rows:
            await self._abandon(batch)
            return None
        return batch

    async def _abandon(self, batch: _Batch) -> None:
        """A batch not to be marked: its publishes still waiting are cancelled, its rows stay pending."""
        try:
            if batch.confirms is not None:
                batch.confirms.cancel()
                await asyncio.wait([batch.confirms])
        finally:
            with contextlib.suppress(Exception):  # a broken connection: its transaction is gone anyway
                await batch.tx.rollback()
            await self.pool.release(batch.conn)

    async def _settle(self, batch: _Batch) -> int:
        """Await a batch's confirms, mark its confirmed prefix sent and commit. Returns how many were
        marked; raises (after the commit) when one failed."""
        rows = batch.rows
        try:
            assert batch.confirms is not None
            results = await batch.confirms
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
                             event_id=row["event_id"], routing_key=row["routing_key"])
                elif isinstance(result, BaseException):
                    failure = result
                    break
                sent.append(row["id"])
            # every confirmed publish, counted once per batch and type (not a label lookup per row)
            for event_type, n in Counter(r["type"] for r, x in zip(rows, results)
                                         if not isinstance(x, BaseException)).items():
                EVENTS_PUBLISHED.labels(self.service, event_type).inc(n)
            if sent:
                await batch.conn.execute(
                    """UPDATE outbox SET sent_at = now(), attempts = attempts + 1,
                           body = CASE WHEN (headers->>'secret')::boolean IS TRUE
                                       THEN jsonb_set(body, '{payload}', $2::jsonb) ELSE body END
                       WHERE id = ANY($1::bigint[])""", sent, SCRUBBED_PAYLOAD)
            if failure is not None:
                await batch.conn.execute("UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1",
                                         rows[len(sent)]["id"], repr(failure)[:500])
            await batch.tx.commit()
        except BaseException:
            await self._abandon(batch)
            raise
        await self.pool.release(batch.conn)
        self.published += len(sent)
        if isinstance(failure, TopologyNotReady):
            self._waiting(failure.missing)
            raise failure
        if failure is not None:
            raise RuntimeError(f"publish failed: {failure!r}") from failure
        if self.waiting_for:
            self._waiting([])
        return len(sent)


@dataclass
class _Batch:
    """Rows read, locked in their own transaction until marked (FOR UPDATE), and their publishes."""
    conn: asyncpg.Connection
    tx: Any  # asyncpg's Transaction
    rows: list[asyncpg.Record]
    confirms: asyncio.Future | None  # the gathered publishes: one result (or exception) per row


# The pending rows after a given id, with the envelope fields the relay needs read by PostgreSQL (cheaper
# than parsing each whole body in Python only to read them).
_PENDING = """
    SELECT id, event_id::text AS event_id, exchange, routing_key, body::text AS body,
           body->>'type' AS type, (body->>'version')::int AS version, body->>'correlation_id' AS correlation_id,
           CASE WHEN jsonb_typeof(body->'trace_context') = 'object' AND body->'trace_context' <> '{}'::jsonb
                THEN (body->'trace_context')::text END AS trace_context,
           body->'payload'->>'family_id' AS family_id
    FROM outbox WHERE sent_at IS NULL AND id > $2 ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED"""
_PERSISTENT = int(aio_pika.DeliveryMode.PERSISTENT)


def _type_of(row: asyncpg.Record) -> str:
    """The event type of an outbox row (its routing key without the version)."""
    return row["routing_key"].rsplit(".v", 1)[0]
