"""The services' batched consumer (docs/adr/0009), on aio-pika: FastStream handles a RabbitMQ message at a
time through its middlewares and dependency injection (about 60 % of a consumer's CPU per event when
measured), and has no batch subscriber for RabbitMQ, so the services consume with this instead. The
same queues, arguments and guarantees as `kit.bus.subscribe` (which FastStream keeps for the AsyncAPI
document and small tools): an invalid message is rejected to the dead-letter queue at once; the valid
ones join their queue's `Batcher` (one transaction per batch with their inbox rows); a batch is
acknowledged once committed, in one `multiple` frame when its deliveries are the channel's oldest
unacknowledged (as the raw floor does), and an event failing alone is requeued until the queue's
delivery limit, then dead-lettered, never covered by its neighbours' acknowledgement. One channel per
subscription, its prefetch the batch's supply. Stopping is prompt: the batch being committed is awaited,
the deliveries waiting are left unacknowledged (redelivered; the inbox skips what was applied)."""

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
from kit.batching import Batcher, Delivery, Outcome
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
                               span_name=f"{bus.exchange_name(message)}.{message.routing_key()} process",
                               settle=self._settle)
        self.acks = Unacknowledged()
        self.channel: aio_pika.abc.AbstractChannel | None = None
        self._queue: aio_pika.abc.AbstractQueue | None = None
        self.tag: str | None = None
        kind = message.TYPE
        self._counted = {result: EVENTS_CONSUMED.labels(consumer, kind, result)
                         for result in ("applied", "duplicate", "failed", "rejected")}

    async def start(self, connection: aio_pika.abc.AbstractConnection, prefetch: int) -> None:
        self.channel = await connection.channel()
        await self.channel.set_qos(prefetch_count=prefetch)
        # a channel never holds more than its prefetch: a batch waiting for more would wait in vain
        self.batcher.max_batch = max(1, min(self.batcher.max_batch, prefetch))
        self._queue = await self.channel.get_queue(self.queue, ensure=True)  # declared by the topology step
        # aio-pika runs each delivery in a task of its own, in delivery order: `_deliver` validates and
        # queues it in the batch without awaiting anything first, so the batch keeps the queue's order
        self.tag = await self._queue.consume(self._deliver)

    async def _deliver(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        try:
            channel = message.channel  # the AMQP channel it came on (a new one after a reconnection)
        except aio_pika.exceptions.ChannelInvalidStateError:
            return  # its channel is gone: the broker delivers it again
        tag = message.delivery_tag
        self.acks.received(channel, tag)
        try:
            envelope = self.envelope_type.model_validate_json(message.body)
        except ValidationError as exc:
            log.error("event rejected: invalid message", queue=self.queue, message_id=message.message_id,
                      event_type=self.message.TYPE, errors=exc.errors(include_url=False, include_input=False))
            self._counted["rejected"].inc()
            await self._send(channel, tag, "reject")
            self.acks.forget(channel, tag)  # only now: no batch's `multiple` frame may go before its reject
            return
        self.batcher.add(tag, envelope, message)

    async def _settle(self, outcomes: list[tuple[Delivery, Outcome]]) -> None:
        """After a batch: the failing deliveries requeued (or dead-lettered) first, then the committed ones
        acknowledged, in one `multiple` frame when they are the oldest unacknowledged of their channel (a
        failing delivery is never covered: its nack or reject went first, and it is no longer pending)."""
        committed: dict[Any, list[int]] = {}
        applied = duplicates = 0
        for delivery, outcome in outcomes:
            message = delivery.handle
            channel = _channel_of(message)
            if isinstance(outcome, BaseException):
                await self._failed(channel, message, delivery.envelope, outcome)
                continue
            if outcome:
                applied += 1
            else:
                duplicates += 1
                log.info("event already processed, skipped", queue=self.queue, event_id=str(delivery.envelope.event_id),
                         event_type=delivery.envelope.type, delivery=_delivery_count(message))
            committed.setdefault(channel, []).append(delivery.tag)
        if applied:
            self._counted["applied"].inc(applied)
        if duplicates:
            self._counted["duplicate"].inc(duplicates)
        for channel, tags in committed.items():
            upto, singles = self.acks.settle(channel, tags)
            if upto is not None:
                await self._send(channel, upto, "ack", multiple=True)
            for tag in singles:
                await self._send(channel, tag, "ack")

    async def _failed(self, channel, message, envelope: Envelope[Any], exc: BaseException) -> None:
        from faststream.exceptions import RejectMessage

        deliveries = _delivery_count(message)
        if isinstance(exc, RejectMessage):
            self._counted["rejected"].inc()
            log.error("event rejected by its handler, sending to the dead-letter queue", queue=self.queue,
                      event_id=str(envelope.event_id), event_type=envelope.type, delivery=deliveries)
            await self._send(channel, message.delivery_tag, "reject")
        else:
            self._counted["failed"].inc()
            final = deliveries > self.delivery_limit
            log.error("event handler failed" + (", sending to the dead-letter queue" if final else ", will retry"),
                      queue=self.queue, event_id=str(envelope.event_id), event_type=envelope.type,
                      delivery=deliveries, delivery_limit=self.delivery_limit, error=repr(exc))
            await self._send(channel, message.delivery_tag, "nack")  # requeued; the quorum queue counts it
        # settled only now that its frame is written: an acknowledgement sent after it may cover its tag
        self.acks.forget(channel, message.delivery_tag)

    @staticmethod
    async def _send(channel, tag: int, verb: str, multiple: bool = False) -> None:
        """One frame, written without waiting for the socket's drain; a closed channel is harmless (its
        deliveries come again and the inbox skips what was applied)."""
        if channel is None or channel.is_closed:
            return
        with contextlib.suppress(aio_pika.exceptions.AMQPError, aio_pika.exceptions.ChannelInvalidStateError,
                                 ConnectionError):
            if verb == "ack":
                await channel.basic_ack(tag, multiple=multiple, wait=False)
            elif verb == "nack":
                await channel.basic_nack(tag, requeue=True, wait=False)
            else:
                await channel.basic_reject(tag, requeue=False, wait=False)

    async def stop(self) -> None:
        """Promptly: no new deliveries; those waiting for a batch are given up at once (left unacknowledged:
        redelivered, the inbox makes that harmless); the batch being committed is awaited and acknowledged."""
        if self._queue is not None and self.tag is not None and self.channel is not None and not self.channel.is_closed:
            with contextlib.suppress(aio_pika.exceptions.AMQPError, ConnectionError, asyncio.TimeoutError):
                await self._queue.cancel(self.tag, timeout=5)
        await self.batcher.stop()
        if self.channel is not None and not self.channel.is_closed:
            with contextlib.suppress(aio_pika.exceptions.AMQPError, ConnectionError):
                await self.channel.close()


class Unacknowledged:
    """The delivery tags received on a channel and not yet acknowledged, rejected or requeued, to decide
    when a batch can be acknowledged with one `multiple` frame (as the raw floor does): only when no other
    delivery of that channel at or below the batch's last tag is still open. Delivery tags restart on a
    new channel (after a reconnection): the set follows the latest channel."""

    def __init__(self) -> None:
        self.channel: Any = None
        self.open: set[int] = set()

    def received(self, channel: Any, tag: int) -> None:
        if channel is not self.channel:
            self.channel, self.open = channel, set()
        self.open.add(tag)

    def forget(self, channel: Any, tag: int) -> None:
        """A delivery requeued or rejected (its frame written)."""
        if channel is self.channel:
            self.open.discard(tag)

    def settle(self, channel: Any, tags: list[int]) -> tuple[int | None, list[int]]:
        """These deliveries of `channel` are acknowledged now: returns (the tag to acknowledge with
        `multiple`, or None; the tags to acknowledge one by one)."""
        if channel is not self.channel or not tags:
            return None, list(tags)  # an older channel: its frames fail harmlessly
        self.open.difference_update(tags)
        last = max(tags)
        if len(tags) > 1 and not any(t < last for t in self.open):
            return last, []
        return None, sorted(tags)


def _channel_of(message) -> Any:
    try:
        return message.channel
    except aio_pika.exceptions.ChannelInvalidStateError:
        return None


def _delivery_count(message) -> int:
    return int((message.headers or {}).get("x-delivery-count", 0) or 0) + 1


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
        await asyncio.gather(*(subscriber.stop() for subscriber in self.subscribers))
        if self.connection is not None:
            with contextlib.suppress(Exception):  # already broken: nothing more to do
                await self.connection.close()
            self.connection = None
