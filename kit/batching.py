"""Batched consumption of one queue (docs/adr/0009): the deliveries of a subscription join a batch, the
batch is applied in one transaction with the events' inbox rows, and each delivery is acknowledged once
that transaction has committed (its handler returns).

Natural batching: when no batch is being applied the first delivery starts one at once (a quiet queue
adds no delay); while a batch commits, the next deliveries wait and form the next batch, up to
`max_batch`. One batch at a time per queue, its events sorted by delivery tag: a queue's events are
applied in the order the broker delivered them.

A failing batch commits nothing and is applied again one event at a time, each in its own transaction:
the good neighbours commit and are acknowledged, only the faulty delivery fails (requeued until the
queue's delivery limit, then dead-lettered)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from opentelemetry import propagate, trace

from contracts.envelope import Envelope
from kit import inbox
from kit.clock import utc_now
from kit.logging import get_logger
from kit.metrics import BUS_BATCH_SIZE, BUS_BATCH_SPLIT, BUS_LAG

log = get_logger(__name__)
tracer = trace.get_tracer(__name__)


def traced(effect: inbox.Effect, span_name: str) -> inbox.Effect:
    """The effect run inside a consumer span continuing the event's own trace (its envelope's W3C context),
    so one trace follows a click to the mail it caused and to billing, batch or not."""
    async def run(conn: asyncpg.Connection, envelope: Envelope[Any]) -> None:
        with tracer.start_as_current_span(span_name, context=propagate.extract(envelope.trace_context or {}),
                                          kind=trace.SpanKind.CONSUMER,
                                          attributes={"messaging.message.id": str(envelope.event_id)}):
            await effect(conn, envelope)
    return run


def traced_many(effect_many: inbox.BatchEffect, span_name: str) -> inbox.BatchEffect:
    """A set-wise effect inside one consumer span, a child of the batch's first event's trace and linked
    to every event's."""
    async def run(conn: asyncpg.Connection, envelopes: list[Envelope[Any]]) -> None:
        contexts = [trace.get_current_span(propagate.extract(e.trace_context or {})).get_span_context()
                    for e in envelopes]
        links = [trace.Link(c) for c in contexts if c.is_valid]
        parent = propagate.extract(envelopes[0].trace_context or {}) if envelopes else None
        with tracer.start_as_current_span(span_name, context=parent, kind=trace.SpanKind.CONSUMER, links=links,
                                          attributes={"messaging.batch.message_count": len(envelopes)}):
            await effect_many(conn, envelopes)
    return run


@dataclass(order=True)
class _Delivery:
    tag: int
    envelope: Envelope[Any] = field(compare=False)
    done: asyncio.Future = field(compare=False)


class Batcher:
    """Applies a subscription's deliveries in batches; `await submit(tag, envelope)` returns whether
    the event was applied (False: already seen) once its batch committed, or raises its failure."""

    def __init__(self, *, consumer: str, subscription: str, pool: Callable[[], asyncpg.Pool],
                 effect: inbox.Effect, effect_many: inbox.BatchEffect | None = None, max_batch: int = 100,
                 span_name: str | None = None):
        self.consumer, self.subscription, self.pool = consumer, subscription, pool
        name = span_name or f"{subscription} process"
        self.effect = traced(effect, name)
        self.effect_many = traced_many(effect_many, name) if effect_many is not None else None
        self.max_batch = max(1, max_batch)
        self._pending: list[_Delivery] = []
        self._task: asyncio.Task | None = None

    async def submit(self, tag: int, envelope: Envelope[Any]) -> bool:
        done = asyncio.get_running_loop().create_future()
        self._pending.append(_Delivery(tag, envelope, done))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(), name=f"batch-{self.subscription}")
        return await done

    async def _drain(self) -> None:
        await asyncio.sleep(0)  # the deliveries of this very moment join the first batch
        while self._pending:
            self._pending.sort()
            batch, self._pending = self._pending[:self.max_batch], self._pending[self.max_batch:]
            await self._apply(batch)

    async def _apply(self, batch: list[_Delivery]) -> None:
        try:
            applied = await inbox.process_batch(self.pool(), self.consumer, [d.envelope for d in batch],
                                                self.effect, self.effect_many)
        except Exception as exc:  # noqa: BLE001 - any failure: the batch is applied again one by one
            if len(batch) == 1:
                _fail(batch[0], exc)
                return
            BUS_BATCH_SPLIT.labels(self.consumer, self.subscription).inc()
            log.warning("batch failed, applying its events one at a time", subscription=self.subscription,
                        events=len(batch), error=repr(exc))
            for delivery in batch:
                await self._apply_one(delivery)
            return
        self._observe(batch, applied)

    async def _apply_one(self, delivery: _Delivery) -> None:
        try:
            applied = await inbox.process_batch(self.pool(), self.consumer, [delivery.envelope], self.effect,
                                                self.effect_many)
        except Exception as exc:  # noqa: BLE001 - this delivery fails alone (requeued, then dead-lettered)
            _fail(delivery, exc)
            return
        self._observe([delivery], applied)

    def _observe(self, batch: list[_Delivery], applied: list[bool]) -> None:
        now = utc_now()
        BUS_BATCH_SIZE.labels(self.consumer, self.subscription).observe(len(batch))
        lag = BUS_LAG.labels(self.consumer, self.subscription)
        for delivery, new in zip(batch, applied):
            if new:
                lag.observe(max(0.0, (now - delivery.envelope.occurred_at).total_seconds()))
            if not delivery.done.done():  # its handler may have been cancelled (stopping): redelivered later
                delivery.done.set_result(new)

    async def wait_idle(self) -> None:
        """Until the batch being applied (and those waiting) are done."""
        task = self._task
        if task is not None:
            await asyncio.shield(task)


def _fail(delivery: _Delivery, exc: BaseException) -> None:
    if not delivery.done.done():
        delivery.done.set_exception(exc)


Submit = Callable[[int, Envelope[Any]], Awaitable[bool]]
