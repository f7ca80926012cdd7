"""Batched consumption of one queue (docs/adr/0009): the deliveries of a subscription join a batch, the
batch is applied in one transaction with the events' inbox rows, and its deliveries are settled once that
transaction has committed (kit.consumer acknowledges the batch, in one frame when it can).

Natural batching: when no batch is being applied the first deliveries start one at once (a quiet queue
adds no delay); while a batch commits, the next deliveries wait and form the next batch, up to
`max_batch`, which waits a few milliseconds more for the broker's refill behind a busy batch. One batch
at a time per queue, its events sorted by delivery tag: a queue's events are applied in the order the
broker delivered them. Stopping gives up the deliveries waiting and awaits the batch being committed.

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
        parent = propagate.extract(envelopes[0].trace_context or {}) if envelopes else None
        with tracer.start_as_current_span(span_name, context=parent, kind=trace.SpanKind.CONSUMER,
                                          attributes={"messaging.batch.message_count": len(envelopes)}) as span:
            if span.is_recording():  # the links only when traces are exported (each is a context extracted)
                for e in envelopes:
                    context = trace.get_current_span(propagate.extract(e.trace_context or {})).get_span_context()
                    if context.is_valid:
                        span.add_link(context)
            await effect_many(conn, envelopes)
    return run


@dataclass(order=True, slots=True)
class Delivery:
    """One delivery waiting for (or in) a batch: its delivery tag orders the batch; `handle` is the caller's
    (the transport message to acknowledge, or the future `submit` awaits)."""
    tag: int
    envelope: Envelope[Any] = field(compare=False)
    handle: Any = field(compare=False, default=None)


QUIET_TURNS = 4  # turns of the event loop without a new delivery before a batch starts
Outcome = bool | BaseException
"""What became of a delivery: applied (True), already seen (False), or its failure alone (its batch split)."""
Settle = Callable[[list[tuple[Delivery, Outcome]]], Awaitable[None]]


class Batcher:
    """Applies a subscription's deliveries in batches. `add(tag, envelope, handle)` queues a delivery and
    returns at once; after each batch, `settle` is awaited with every delivery's outcome, in delivery-tag
    order, before the next batch starts (kit.consumer acknowledges there, a whole batch in one frame).
    Without `settle`, `await submit(tag, envelope)` returns whether the event was applied (False: already
    seen) once its batch committed, or raises its failure (kit.bus's FastStream subscriber)."""

    def __init__(self, *, consumer: str, subscription: str, pool: Callable[[], asyncpg.Pool],
                 effect: inbox.Effect, effect_many: inbox.BatchEffect | None = None, max_batch: int = 100,
                 span_name: str | None = None, settle: Settle | None = None, linger: float = 0.005):
        self.consumer, self.subscription, self.pool = consumer, subscription, pool
        name = span_name or f"{subscription} process"
        self.effect = traced(effect, name)
        self.effect_many = traced_many(effect_many, name) if effect_many is not None else None
        self.max_batch, self.linger = max(1, max_batch), linger
        self.settle = settle or _settle_futures
        self._pending: list[Delivery] = []
        self._task: asyncio.Task | None = None
        self._stopping = False
        # the labelled metrics, looked up once (a label lookup per event showed in the profile)
        self._batch_size = BUS_BATCH_SIZE.labels(consumer, subscription)
        self._lag = BUS_LAG.labels(consumer, subscription)
        self._split = BUS_BATCH_SPLIT.labels(consumer, subscription)

    def add(self, tag: int, envelope: Envelope[Any], handle: Any = None) -> None:
        """Queue a delivery; a batch starts at once unless one is being applied (it joins the next)."""
        if self._stopping:  # given up: left unacknowledged, redelivered later (the inbox makes that harmless)
            if isinstance(handle, asyncio.Future):
                handle.cancel()
            return
        self._pending.append(Delivery(tag, envelope, handle))
        if self._task is None:
            self._task = asyncio.create_task(self._drain(), name=f"batch-{self.subscription}")

    async def submit(self, tag: int, envelope: Envelope[Any]) -> bool:
        done = asyncio.get_running_loop().create_future()
        self.add(tag, envelope, done)
        return await done

    async def _drain(self) -> None:
        try:
            await self._gather(0.0)
            while self._pending and not self._stopping:
                self._pending.sort()
                batch, self._pending = self._pending[:self.max_batch], self._pending[self.max_batch:]
                outcomes = await self._apply(batch)
                try:
                    await self.settle(outcomes)
                except Exception:  # left unacknowledged: redelivered when the channel closes, the inbox skips them
                    log.exception("batch applied but not acknowledged", subscription=self.subscription)
                if self._pending and len(self._pending) < self.max_batch:
                    await self._gather(self.linger)  # deliveries came during the commit: a backlog
        finally:
            self._task = None

    async def _gather(self, linger: float) -> None:
        """Let the deliveries arriving right now join. A delivery takes a few turns of the event loop from the
        socket to `add` (frame reader, channel reader, delivery task), so a batch starts once `QUIET_TURNS`
        turns in a row brought none: after an idle moment that is at once (a lone delivery waits for
        nothing). Behind a busy batch, it also waits up to `linger` seconds for the broker's refill of the
        prefetch the last acknowledgement freed: fewer, fuller transactions (measured: with a prefetch equal
        to the batch size, batches otherwise settle into pairs such as 63 + 37)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + linger
        quiet = 0
        while len(self._pending) < self.max_batch and not self._stopping:
            seen = len(self._pending)
            await asyncio.sleep(0)
            if len(self._pending) > seen:
                quiet = 0
                continue
            quiet += 1
            if quiet >= QUIET_TURNS:
                if loop.time() >= deadline:
                    return
                await asyncio.sleep(0.0005)

    async def _apply(self, batch: list[Delivery]) -> list[tuple[Delivery, Outcome]]:
        try:
            applied = await inbox.process_batch(self.pool(), self.consumer, [d.envelope for d in batch],
                                                self.effect, self.effect_many)
        except Exception as exc:  # noqa: BLE001 - any failure: the batch is applied again one by one
            if len(batch) == 1:
                return [(batch[0], exc)]
            self._split.inc()
            log.warning("batch failed, applying its events one at a time", subscription=self.subscription,
                        events=len(batch), error=repr(exc))
            return [outcome for delivery in batch for outcome in await self._apply_one(delivery)]
        self._observe(batch, applied)
        return list(zip(batch, applied))

    async def _apply_one(self, delivery: Delivery) -> list[tuple[Delivery, Outcome]]:
        try:
            applied = await inbox.process_batch(self.pool(), self.consumer, [delivery.envelope], self.effect,
                                                self.effect_many)
        except Exception as exc:  # noqa: BLE001 - this delivery fails alone (requeued, then dead-lettered)
            return [(delivery, exc)]
        self._observe([delivery], applied)
        return [(delivery, applied[0])]

    def _observe(self, batch: list[Delivery], applied: list[bool]) -> None:
        now = utc_now()
        self._batch_size.observe(len(batch))
        observe = self._lag.observe
        for delivery, new in zip(batch, applied):
            if new:
                observe(max(0.0, (now - delivery.envelope.occurred_at).total_seconds()))

    async def stop(self) -> None:
        """No more batches: the deliveries waiting are given up at once (left unacknowledged: redelivered, and
        the inbox makes that harmless); the batch being applied is awaited, and settled."""
        self._stopping = True
        given_up, self._pending = self._pending, []
        for delivery in given_up:
            if isinstance(delivery.handle, asyncio.Future) and not delivery.handle.done():
                delivery.handle.cancel()
        await self.wait_idle()

    async def wait_idle(self) -> None:
        """Until the batch being applied (and those waiting) are done."""
        task = self._task
        if task is not None:
            await asyncio.shield(task)


async def _settle_futures(outcomes: list[tuple[Delivery, Outcome]]) -> None:
    """`submit`'s settlement: each delivery's future gets its outcome."""
    for delivery, outcome in outcomes:
        done = delivery.handle
        if done.done():  # its handler was cancelled (stopping): redelivered later
            continue
        if isinstance(outcome, BaseException):
            done.set_exception(outcome)
        else:
            done.set_result(outcome)


Submit = Callable[[int, Envelope[Any]], Awaitable[bool]]
