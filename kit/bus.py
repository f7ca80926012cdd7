"""RabbitMQ topology and subscriptions: one topic exchange for public events, one for internal
commands, and per consumer a durable quorum queue with a bounded delivery count and a dead-letter
queue. `consumer_queue` and `dead_letter_queue` are the one definition of a service's queues: the
registry of every subscription (`kit.topology`) is built with them, and the topology step, each
service at start and each outbox relay use that registry (docs/adr/0006)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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


def consumer_queue(consumer: str, message: type[Message], delivery_limit: int) -> RabbitQueue:
    name = queue_name(consumer, message)
    return RabbitQueue(
        name,
        queue_type=QueueType.QUORUM,
        routing_key=message.routing_key(),
        arguments={
            "x-delivery-limit": delivery_limit,
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
            "x-dead-letter-routing-key": name,
            # at-least-once dead-lettering: a message is never dropped between queue and DLQ
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
            # with several replicas, one consumes and the others stand by: events stay in order
            "x-single-active-consumer": True,
        },
    )


def dead_letter_queue(consumer: str, message: type[Message]) -> RabbitQueue:
    name = queue_name(consumer, message)
    return RabbitQueue(f"{name}.dlq", queue_type=QueueType.QUORUM, routing_key=name)


def make_broker(amqp_url: str, prefetch: int = 1) -> RabbitBroker:
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


Effect = Callable[[asyncpg.Connection, Envelope[Any]], Awaitable[None]]


def subscribe(
    broker: RabbitBroker,
    *,
    consumer: str,
    message: type[Message],
    effect: Effect,
    pool: Callable[[], asyncpg.Pool],
    delivery_limit: int = 5,
) -> None:
    """Consume `message` into `effect`, applied once per event_id (inbox) in one transaction.

    Invalid messages are rejected straight to the dead-letter queue; a failing effect is retried
    (requeued) until the queue's delivery limit, then dead-lettered. Each failure is logged with the
    event's id and type."""
    envelope_type = Envelope[message]  # type: ignore[valid-type]
    queue = consumer_queue(consumer, message, delivery_limit)

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
            applied = await inbox.process_once(pool(), consumer, envelope, effect)
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
        EXCHANGES[exchange_name(message)],
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title=queue.name,
        description=message.DESCRIPTION,
    )(consume)


async def connect(amqp_url: str) -> aio_pika.abc.AbstractConnection:
    from kit.errors import DependencyUnavailable

    try:
        return await aio_pika.connect(amqp_url, timeout=10)
    except (OSError, aio_pika.exceptions.AMQPConnectionError) as exc:
        raise DependencyUnavailable.rabbitmq(amqp_url, exc) from exc
