"""The bus registry on RabbitMQ (docs/adr/0006): declaring it (exchanges, queues, dead-letter queues,
bindings, a partitioned subscription's headers exchange) and checking, passively, that registered queues
exist. Re-exported by `kit.topology`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from kit.topology import QueueSpec, Topology

if TYPE_CHECKING:
    import aio_pika


async def declare(connection: aio_pika.abc.AbstractConnection, topology: Topology) -> list[str]:
    """Declare the exchanges, then every queue with its arguments, its dead-letter queue and its
    bindings. Idempotent: what exists with the same definition is left as it is (a queue existing with
    other arguments is an error RabbitMQ reports, PRECONDITION_FAILED). Returns what was declared, one
    French line each."""
    from kit import bus

    done: list[str] = []
    channel = await connection.channel()
    try:
        exchanges = {}
        for name, spec in bus.EXCHANGES.items():
            exchanges[name] = await channel.declare_exchange(name, type=spec.type.value, durable=True)
            done.append(f"échange {name} ({spec.type.value}, durable)")
        for q in topology.queues:
            if q.dead_letter is not None:
                dlq = await channel.declare_queue(q.dead_letter.name, durable=True, arguments=q.dead_letter.arguments)
                await dlq.bind(exchanges[bus.DEAD_LETTER_EXCHANGE], routing_key=q.dead_letter.routing_key)
                done.append(f"file {q.dead_letter.name} (lettres mortes de {q.name})")
            queue = await channel.declare_queue(q.name, durable=True, arguments=q.arguments)
            if q.partition is not None:
                await bind_partition(channel, queue, q)
            else:
                for b in q.bindings:
                    await queue.bind(exchanges[b.exchange], routing_key=b.routing_key)
            keys = ", ".join(f"{b.exchange} {b.routing_key}" for b in q.bindings)
            if q.partition is not None:
                keys += f" (partition {q.partition.index + 1}/{q.partition.count}, clés p<n>.…)"
            done.append(f"file {q.name} [{q.subscriber}{', externe' if q.external else ''}] ← {keys}")
    finally:
        await channel.close()
    return done


async def bind_partition(channel: aio_pika.abc.AbstractChannel, queue: aio_pika.abc.AbstractQueue,
                         q: QueueSpec) -> None:
    """A partition's bindings: on the events' exchange, the partition key of each of its slots."""
    from kit import bus

    assert q.partition is not None
    for b in q.bindings:
        for slot in q.partition.slots():
            await queue.bind(b.exchange, routing_key=bus.partition_routing_key(b.routing_key, slot))


class Checker:
    """Passive checks of registered queues, on a channel of their own (a missing queue closes the
    channel it was asked on, never the relay's publishing channel)."""

    def __init__(self, connection: aio_pika.abc.AbstractConnection):
        self.connection = connection
        self._channel: aio_pika.abc.AbstractChannel | None = None

    async def _open(self) -> aio_pika.abc.AbstractChannel:
        if self._channel is None or self._channel.is_closed:
            self._channel = await self.connection.channel(publisher_confirms=False)
        return self._channel

    async def missing(self, queues: Sequence[QueueSpec], *, bind: bool = False) -> list[QueueSpec]:
        """The queues that do not exist. With `bind`, the existing ones get their registered bindings
        asserted again (a no-op when they are there: AMQP cannot check a binding passively)."""
        import aio_pika

        absent = []
        for q in queues:
            channel = await self._open()
            try:
                queue = await channel.declare_queue(q.name, passive=True)
            except aio_pika.exceptions.ChannelNotFoundEntity:
                absent.append(q)
                self._channel = None  # the broker closed it
                continue
            if bind and q.partition is not None:
                await bind_partition(channel, queue, q)
            elif bind:
                for b in q.bindings:
                    await queue.bind(b.exchange, routing_key=b.routing_key)
        return absent

    async def close(self) -> None:
        if self._channel is not None and not self._channel.is_closed:
            await self._channel.close()
        self._channel = None


async def check(connection: aio_pika.abc.AbstractConnection, queues: Sequence[QueueSpec]) -> list[QueueSpec]:
    checker = Checker(connection)
    try:
        return await checker.missing(queues)
    finally:
        await checker.close()
