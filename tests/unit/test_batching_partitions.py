"""Batched consumers and partitioned subscriptions (docs/adr/0009), without a broker: the registry's
partition queues and bindings, the partition keys, PORTAIL_BUS_PARTITIONS, the batcher's order and
failure isolation (fake inbox), and the SMTP rate limit."""

import asyncio
import uuid

import pytest

from contracts import BookingTransmittedV1, wrap
from kit import batching, bus
from kit import topology as bus_topology
from services.notify.mailer import RateLimit
from tests.integration.test_booking_transmitted_flow import transmitted

QUEUE = "billing.booking.transmitted.v1"


def test_a_partitioned_subscription_is_n_queues_sharing_one_dead_letter_queue():
    part = bus_topology.service_part("billing", [BookingTransmittedV1], 5, {QUEUE: 4})
    assert [q.name for q in part.queues] == [f"{QUEUE}.p{k}" for k in range(4)]
    assert [q.dead_letter.name if q.dead_letter else None for q in part.queues] == [f"{QUEUE}.dlq", None, None, None]
    assert all(q.arguments["x-dead-letter-routing-key"] == QUEUE for q in part.queues)
    assert all(q.arguments["x-single-active-consumer"] for q in part.queues)
    # every slot in exactly one partition
    slots = [s for q in part.queues for s in q.partition.slots()]
    assert sorted(slots) == list(range(bus.SLOTS))
    # the relays still wait for every partition of an event's routing key
    receivers = part.receivers(bus.exchange_name(BookingTransmittedV1), "booking.transmitted.v1")
    assert len(receivers) == 4


def test_unpartitioned_subscriptions_are_unchanged():
    assert bus_topology.service_part("billing", [BookingTransmittedV1], 5).queues == (
        bus_topology.subscription("billing", BookingTransmittedV1, 5),)


def test_a_familys_events_have_one_partition_key():
    family = uuid.uuid4()
    bodies = [wrap(transmitted(family, uuid.uuid4()), producer="booking").model_dump(mode="json") for _ in range(3)]
    assert len({bus.partition_slot(bus.partition_key(b)) for b in bodies}) == 1
    assert bus.partition_key(bodies[0]) == str(family)
    assert bus.partition_key({"type": "auth.structure_changed", "payload": {}}) == "auth.structure_changed"
    assert bus.partition_routing_key("booking.transmitted.v1", 7) == "p7.booking.transmitted.v1"
    # a partition key never matches an exact public binding, nor the usual `<domain>.#` patterns
    assert not bus_topology.topic_matches("booking.#", "p7.booking.transmitted.v1")


def test_partitions_setting():
    assert bus_topology.parse_partitions("") == {}
    assert bus_topology.parse_partitions(f"{QUEUE}=4, notify.booking.transmitted.v1=2") == {
        QUEUE: 4, "notify.booking.transmitted.v1": 2}
    for bad in (f"{QUEUE}", f"{QUEUE}=0", f"{QUEUE}=65", f"{QUEUE}=deux"):
        with pytest.raises(bus_topology.TopologyError, match="PORTAIL_BUS_PARTITIONS"):
            bus_topology.parse_partitions(bad)


def test_the_batcher_applies_in_delivery_order_and_isolates_a_failing_event(monkeypatch):
    batches: list[list[str]] = []

    async def fake_process_batch(_pool, _consumer, envelopes, _effect, _effect_many):
        names = [e.payload.structure_name for e in envelopes]
        batches.append(names)
        if "poison" in names:
            raise RuntimeError("panne simulée")
        return [True] * len(envelopes)

    monkeypatch.setattr(batching.inbox, "process_batch", fake_process_batch)

    async def scenario():
        batcher = batching.Batcher(consumer="test", subscription="test.q", pool=lambda: None, effect=None,
                                   max_batch=10)
        names = ["a", "b", "poison", "c"]
        envelopes = [wrap(transmitted(uuid.uuid4(), uuid.uuid4()).model_copy(update={"structure_name": n}),
                          producer="booking") for n in names]
        # delivered out of order within one moment: applied in delivery-tag order
        results = await asyncio.gather(*(batcher.submit(tag, e) for tag, e in reversed(list(enumerate(envelopes)))),
                                       return_exceptions=True)
        return list(reversed(results))

    results = asyncio.run(scenario())
    assert batches[0] == ["a", "b", "poison", "c"]  # one batch, in order
    assert batches[1:] == [["a"], ["b"], ["poison"], ["c"]]  # then one by one
    assert results[:2] == [True, True] and results[3] is True
    assert isinstance(results[2], RuntimeError)


def test_a_batch_is_acknowledged_in_one_frame_only_when_it_holds_the_channels_oldest_deliveries():
    from kit.consumer import Unacknowledged

    channel, reopened = object(), object()
    acks = Unacknowledged()
    for tag in range(1, 8):
        acks.received(channel, tag)
    assert acks.settle(channel, [1, 2, 3]) == (3, [])  # the oldest three: one `multiple` frame
    # 4 failed (its requeue not yet written): the committed 5 and 6 may not be covered by a `multiple` 6
    assert acks.settle(channel, [5, 6]) == (None, [5, 6])
    acks.forget(channel, 4)  # its nack written
    assert acks.settle(channel, [7]) == (None, [7])  # a lone delivery: its own frame
    acks.received(channel, 8)
    acks.received(channel, 9)
    assert acks.settle(channel, [8, 9]) == (9, [])  # 4 is settled now: nothing older stays open
    # after a reconnection the tags start again on a new channel; the old channel's are acknowledged alone
    acks.received(reopened, 1)
    acks.received(reopened, 2)
    assert acks.settle(channel, [10, 11]) == (None, [10, 11])
    assert acks.settle(reopened, [1, 2]) == (2, [])


def test_stopping_awaits_the_batch_being_committed_and_gives_up_the_waiting_deliveries(monkeypatch):
    """Subscriber.stop is prompt: the deliveries not yet in a batch are left unacknowledged (redelivered,
    the inbox makes that harmless); the batch being committed is awaited and settled."""
    applied: list[list[str]] = []
    settled: list[list[tuple[str, object]]] = []

    async def scenario():
        committing, release = asyncio.Event(), asyncio.Event()

        async def fake_process_batch(_pool, _consumer, envelopes, _effect, _effect_many):
            applied.append([e.payload.structure_name for e in envelopes])
            committing.set()
            await release.wait()
            return [True] * len(envelopes)

        async def settle(outcomes):
            settled.append([(d.envelope.payload.structure_name, outcome) for d, outcome in outcomes])

        monkeypatch.setattr(batching.inbox, "process_batch", fake_process_batch)
        batcher = batching.Batcher(consumer="test", subscription="test.q", pool=lambda: None, effect=None,
                                   max_batch=2, settle=settle)
        envelopes = [wrap(transmitted(uuid.uuid4(), uuid.uuid4()).model_copy(update={"structure_name": n}),
                          producer="booking") for n in "abcd"]
        for tag, envelope in enumerate(envelopes[:3]):
            batcher.add(tag, envelope)
        await committing.wait()  # a and b being committed, c waiting
        stopping = asyncio.create_task(batcher.stop())
        await asyncio.sleep(0)
        batcher.add(3, envelopes[3])  # delivered while stopping: given up too
        assert not stopping.done()  # the batch being committed is awaited
        release.set()
        await stopping

    asyncio.run(scenario())
    assert applied == [["a", "b"]]  # c and d were given up, never applied
    assert settled == [[("a", True), ("b", True)]]


def test_the_rate_limit_spaces_the_hand_offs():
    now = [0.0]
    slept: list[float] = []

    async def fake_sleep(seconds):
        slept.append(round(seconds, 6))

    async def scenario():
        limit = RateLimit(4, clock=lambda: now[0])
        original = asyncio.sleep
        asyncio.sleep = fake_sleep
        try:
            for _ in range(4):
                await limit.wait()
        finally:
            asyncio.sleep = original
        await RateLimit(0).wait()  # no limit: no wait

    asyncio.run(scenario())
    assert slept == [0.25, 0.5, 0.75]  # 4 per second: the 2nd, 3rd and 4th wait their slot
