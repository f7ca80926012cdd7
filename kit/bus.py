"""RabbitMQ topology and subscriptions: one topic exchange for public events, one for internal
commands, and per consumer a durable quorum queue with a bounded delivery count and a dead-letter
queue. `consumer_queue` and `dead_letter_queue` are the one definition of a service's queues: the
registry of every subscription (`kit.topology`) is built with them, and the topology step, each
service at start and each outbox relay use that registry (docs/adr/0006).

A subscription consumes in batches (`kit.batching`, `kit.consumer`, docs/adr/0009), and may be
partitioned: N queues `<service>.<event>.p<k>`, each bound on the same exchange to the partition keys of
its slots (`p<slot>.<routing key>`), which the relay adds to every event as a sender-selected routing key
(the `CC` header) computed from its family, so that replicas consume the partitions in parallel while
each family's events stay in one queue, in order. The event's own routing key is unchanged: other
subscribers (external ones included) bind as before, and a queue matched twice gets the event once."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import aio_pika
import asyncpg
from faststream import AckPolicy
from faststream.exceptions import RejectMessage
from faststream.rabbit import (
    Channel,
    ExchangeType,
    QueueType,
    RabbitBroker,
    RabbitExchange,
    RabbitMessage,
    RabbitQueue,
)
from faststream.rabbit.opentelemetry import RabbitTelemetryMiddleware
from pydantic import ValidationError

from contracts.envelope import INTERNAL, Envelope, Message
from kit import inbox
from kit.batching import Batcher
from kit.context import correlation_id_var
from kit.logging import get_logger
from kit.metrics import EVENTS_CONSUMED
from kit.telemetry import tracer_provider

log = get_logger(__name__)

EVENTS_EXCHANGE = "portail.events"
INTERNAL_EXCHANGE = "portail.internal"
DEAD_LETTER_EXCHANGE = "portail.dlx"

EXCHANGES = {
    EVENTS_EXCHANGE: RabbitExchange(EVENTS_EXCHANGE, type=ExchangeType.TOPIC, durable=True),
    INTERNAL_EXCHANGE: RabbitExchange(INTERNAL_EXCHANGE, type=ExchangeType.TOPIC, durable=True),
    DEAD_LETTER_EXCHANGE: RabbitExchange(DEAD_LETTER_EXCHANGE, type=ExchangeType.DIRECT, durable=True),
}


def exchange_name(message: type[Message]) -> str:
    return INTERNAL_EXCHANGE if message.EXCHANGE == INTERNAL else EVENTS_EXCHANGE


def queue_name(consumer: str, message: type[Message]) -> str:
    """`<service>.<event>`: who consumes what, readable in the management UI."""
    return f"{consumer}.{message.TYPE}.v{message.VERSION}"


# Partitioned subscriptions: the relay gives every event one of SLOTS slots, from its family (or, for an
# event about no family, from its type: such events keep one total order), as the extra routing key
# `p<slot>.<routing key>` (RabbitMQ's sender-selected distribution, the CC header); partition k of N binds
# the keys of the slots s with s % N == k.
SLOTS = 64


def partition_slot(key: str) -> int:
    """The slot of a partition key (a family id)."""
    return zlib.crc32(key.encode()) % SLOTS


def partition_routing_key(routing_key: str, slot: int) -> str:
    return f"p{slot}.{routing_key}"


def partition_key(body: dict[str, Any]) -> str:
    """What orders an event: its family when it has one, else its type."""
    payload = body.get("payload") or {}
    return str(payload.get("family_id") or body.get("type") or "")


def partition_queue_name(consumer: str, message: type[Message], index: int) -> str:
    return f"{queue_name(consumer, message)}.p{index}"


def consumer_queue(consumer: str, message: type[Message], delivery_limit: int,
                   partition: int | None = None) -> RabbitQueue:
    """The subscription's queue (bound to the events' exchange by its routing key), or its partition
    `partition` (bound by the topology step to its slots' partition keys, kit.topology).
    Every partition dead-letters to the subscription's one dead-letter queue."""
    name = queue_name(consumer, message)
    return RabbitQueue(
        name if partition is None else partition_queue_name(consumer, message, partition),
        queue_type=QueueType.QUORUM,
        routing_key=message.routing_key() if partition is None else "",
        arguments={
            "x-delivery-limit": delivery_limit,
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
            "x-dead-letter-routing-key": name,
            # at-least-once dead-lettering: a message is never dropped between queue and DLQ
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
            # with several replicas, one consumes (each partition) and the others stand by: events stay in order
            "x-single-active-consumer": True,
        },
    )


def dead_letter_queue(consumer: str, message: type[Message]) -> RabbitQueue:
    name = queue_name(consumer, message)
    return RabbitQueue(f"{name}.dlq", queue_type=QueueType.QUORUM, routing_key=name)


def make_broker(amqp_url: str, prefetch: int = 100) -> RabbitBroker:
    return RabbitBroker(
        amqp_url,
        default_channel=Channel(prefetch_count=prefetch, publisher_confirms=True),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        middlewares=(RabbitTelemetryMiddleware(tracer_provider=tracer_provider()),),
        graceful_timeout=15.0,
        logger=None,
    )


async def declare_dead_letter_queues(broker: RabbitBroker, pairs: list[tuple[str, type[Message]]]) -> None:
    dlx = await broker.declare_exchange(EXCHANGES[DEAD_LETTER_EXCHANGE])
    for consumer, message in pairs:
        dlq = dead_letter_queue(consumer, message)
        queue = await broker.declare_queue(dlq)
        await queue.bind(dlx, routing_key=dlq.routing_key)


Effect = inbox.Effect
BatchEffect = inbox.BatchEffect


def subscribe(
    broker: RabbitBroker,
    *,
    consumer: str,
    message: type[Message],
    effect: Effect,
    pool: Callable[[], asyncpg.Pool],
    delivery_limit: int = 5,
    effect_many: BatchEffect | None = None,
    batch_size: int = 100,
    partition: int | None = None,
) -> Batcher:
    """Consume `message` into `effect`, applied once per event_id (inbox), in batches of up to
    `batch_size` events per transaction (`effect_many`, when given, applies a batch's fresh events in
    bulk). `partition`: consume that partition's queue of a partitioned subscription.

    Invalid messages are rejected straight to the dead-letter queue; a failing effect fails its batch,
    which is applied again one event at a time: only the failing event is retried (requeued) until the
    queue's delivery limit, then dead-lettered. Each failure is logged with the event's id and type."""
    envelope_type = Envelope[message]  # type: ignore[valid-type]
    queue = consumer_queue(consumer, message, delivery_limit, partition)
    batcher = Batcher(consumer=consumer, subscription=queue_name(consumer, message), pool=pool, effect=effect,
                      effect_many=effect_many, max_batch=batch_size)

    async def consume(body: dict, msg: RabbitMessage) -> None:
        deliveries = int((msg.headers or {}).get("x-delivery-count", 0)) + 1
        try:
            envelope = envelope_type.model_validate(body)
        except ValidationError as exc:
            log.error("event rejected: invalid message", queue=queue.name, message_id=msg.message_id,
                      event_type=message.TYPE, errors=exc.errors(include_url=False, include_input=False))
            EVENTS_CONSUMED.labels(consumer, message.TYPE, "rejected").inc()
            raise RejectMessage() from exc
        token = correlation_id_var.set(envelope.correlation_id)
        try:
            applied = await batcher.submit(msg.raw_message.delivery_tag, envelope)
            EVENTS_CONSUMED.labels(consumer, message.TYPE, "applied" if applied else "duplicate").inc()
            log.info("event consumed" if applied else "event already processed, skipped",
                     queue=queue.name, event_id=str(envelope.event_id), event_type=envelope.type,
                     delivery=deliveries)
        except RejectMessage:
            EVENTS_CONSUMED.labels(consumer, message.TYPE, "rejected").inc()
            log.error("event rejected by its handler, sending to the dead-letter queue", queue=queue.name,
                      event_id=str(envelope.event_id), event_type=envelope.type, delivery=deliveries)
            raise
        except Exception as exc:
            EVENTS_CONSUMED.labels(consumer, message.TYPE, "failed").inc()
            final = deliveries > delivery_limit
            log.error("event handler failed" + (", sending to the dead-letter queue" if final else ", will retry"),
                      queue=queue.name, event_id=str(envelope.event_id), event_type=envelope.type,
                      delivery=deliveries, delivery_limit=delivery_limit, error=repr(exc))
            raise
        finally:
            correlation_id_var.reset(token)

    consume.__name__ = f"consume_{queue.name.replace('.', '_')}"
    broker.subscriber(
        queue,
        # a partition's bindings (its slots' partition keys) are the topology step's (kit.topology)
        EXCHANGES[exchange_name(message)] if partition is None else None,
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title=queue.name,
        description=message.DESCRIPTION,
    )(consume)
    return batcher


async def connect(amqp_url: str) -> aio_pika.abc.AbstractConnection:
    from kit.errors import DependencyUnavailable

    try:
        return await aio_pika.connect(amqp_url, timeout=10)
    except (OSError, aio_pika.exceptions.AMQPConnectionError) as exc:
        raise DependencyUnavailable.rabbitmq(amqp_url, exc) from exc
