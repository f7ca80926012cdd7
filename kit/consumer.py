"""The services' batched consumer (docs/adr/0009), on aio-pika: FastStream handles a RabbitMQ message at a
time through its middlewares and dependency injection (about 60 % of a consumer's CPU per event when
measured), and has no batch subscriber for RabbitMQ, so the services consume with this instead. The
same queues, arguments and guarantees as `kit.bus.subscribe` (which FastStream keeps for the AsyncAPI
document and small tools): an invalid message is rejected to the dead-letter queue at once; the valid
ones join their queue's `Batcher` (one transaction per batch with their inbox rows); each delivery is
acknowledged once its batch committed, or, when its event fails alone, requeued until the queue's
delivery limit, then dead-lettered. One channel per subscription, its prefetch the batch's supply."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import aio_pika
import asyncpg
from pydantic import ValidationError

from contracts.envelope import Envelope, Message
from kit import bus
from kit.batching import Batcher
from kit.context import correlation_id_var
from kit.logging import get_logger
from kit.metrics import EVENTS_CONSUMED

log = get_logger(__name__)


class Subscriber:
    """One queue (a subscription, or one partition of it) consumed in batches."""

    def __init__(self, *, consumer: str, message: type[Message], effect: bus.Effect, pool: Callable[[], asyncpg.Pool],
                 delivery_limit: int, effect_many: bus.BatchEffect | None, batch_size: int, partition: int | None):
        self.consumer, self.message, self.delivery_limit = consumer, message, delivery_limit
        self.queue = bus.consumer_queue(consumer, message, delivery_limit, partition).name
        self.envelope_type = Envelope[message]  # type: ignore[valid-type]
        self.batcher = Batcher(consumer=consumer, subscription=bus.queue_name(consumer, message), pool=pool,
                               effect=effect, effect_many=effect_many, max_batch=batch_size,
                               span_name=f"{bus.exchange_name(message)}.{message.routing_key()} process")
        self.tasks: set[asyncio.Task] = set()  # the deliveries being handled
        self.channel: aio_pika.abc.AbstractChannel | None = None
        self._queue: aio_pika.abc.AbstractQueue | None = None
        self.tag: str | None = None

    async def start(self, connection: aio_pika.abc.AbstractConnection, prefetch: int) -> None:
        self.channel = await connection.channel()
        await self.channel.set_qos(prefetch_count=prefetch)
        self._queue = await self.channel.get_queue(self.queue, ensure=True)  # declared by the topology step
        # aio-pika runs each delivery in a task of its own, in delivery order: `_handle` validates and joins
        # the batch before its first await, so the batch keeps the queue's order
        self.tag = await self._queue.consume(self._handle)

    async def _handle(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
        try:
            await self._apply(message)
        finally:
            self.tasks.discard(task)  # type: ignore[arg-type]

    async def _apply(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        kind = self.message.TYPE
        deliveries = int((message.headers or {}).get("x-delivery-count", 0) or 0) + 1
        try:
            envelope = self.envelope_type.model_validate_json(message.body)
        except ValidationError as exc:
            log.error("event rejected: invalid message", queue=self.queue, message_id=message.message_id,
                      event_type=kind, errors=exc.errors(include_url=False, include_input=False))
            EVENTS_CONSUMED.labels(self.consumer, kind, "rejected").inc()
            await message.reject(requeue=False)
            return
        token = correlation_id_var.set(envelope.correlation_id)
        try:
            applied = await self.batcher.submit(message.delivery_tag, envelope)
        except Exception as exc:  # noqa: BLE001 - this event failed alone: requeued, or dead-lettered
            await self._failed(message, envelope, exc, deliveries)
            return
        finally:
            correlation_id_var.reset(token)
        EVENTS_CONSUMED.labels(self.consumer, kind, "applied" if applied else "duplicate").inc()
        if not applied:
            log.info("event already processed, skipped", queue=self.queue, event_id=str(envelope.event_id),
                     event_type=envelope.type, delivery=deliveries)
        with contextlib.suppress(aio_pika.exceptions.AMQPError, ConnectionError):  # redelivered: the inbox skips it
            await message.ack()

    async def _failed(self, message, envelope: Envelope[Any], exc: BaseException, deliveries: int) -> None:
        from faststream.exceptions import RejectMessage

        if isinstance(exc, RejectMessage):
            EVENTS_CONSUMED.labels(self.consumer, self.message.TYPE, "rejected").inc()
            log.error("event rejected by its handler, sending to the dead-letter queue", queue=self.queue,
                      event_id=str(envelope.event_id), event_type=envelope.type, delivery=deliveries)
            await message.reject(requeue=False)
            return
        EVENTS_CONSUMED.labels(self.consumer, self.message.TYPE, "failed").inc()
        final = deliveries > self.delivery_limit
        log.error("event handler failed" + (", sending to the dead-letter queue" if final else ", will retry"),
                  queue=self.queue, event_id=str(envelope.event_id), event_type=envelope.type,
                  delivery=deliveries, delivery_limit=self.delivery_limit, error=repr(exc))
        await message.nack(requeue=True)

    async def stop(self) -> None:
        """No new deliveries; the ones received are applied (or left unacknowledged: redelivered)."""
        if self._queue is not None and self.tag is not None and self.channel is not None and not self.channel.is_closed:
            with contextlib.suppress(aio_pika.exceptions.AMQPError, ConnectionError):
                await self._queue.cancel(self.tag)
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=15)
        if self.channel is not None and not self.channel.is_closed:
            with contextlib.suppress(aio_pika.exceptions.AMQPError, ConnectionError):
                await self.channel.close()


class Consumers:
    """A service's subscribers on one robust connection (reconnects and consumes again after an outage)."""

    def __init__(self, amqp_url: str, prefetch: int = 100):
        self.amqp_url, self.prefetch = amqp_url, prefetch
        self.subscribers: list[Subscriber] = []
        self.connection: aio_pika.abc.AbstractRobustConnection | None = None

    def subscribe(self, **kwargs) -> Subscriber:
        subscriber = Subscriber(**kwargs)
        self.subscribers.append(subscriber)
        return subscriber

    async def start(self) -> None:
        self.connection = await aio_pika.connect_robust(self.amqp_url, timeout=10)
        for subscriber in self.subscribers:
            await subscriber.start(self.connection, self.prefetch)

    async def stop(self) -> None:
        for subscriber in self.subscribers:
            await subscriber.stop()
        if self.connection is not None:
            with contextlib.suppress(Exception):  # already broken: nothing more to do
                await self.connection.close()
            self.connection = None
