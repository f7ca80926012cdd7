"""Consumption lines recorded set-wise (services/billing/service/consumption_batches.py, docs/adr/0009): a
batch of transmissions gives exactly the lines, prices and events the same transmissions give one by one,
cancellations included, and charges delivered again are not recorded twice."""

from __future__ import annotations

import uuid
from datetime import date

from contracts.billing import BillingConsumptionRecordedV1
from services.billing.service import consumption_batches, consumptions
from tests.unit.billing.world import ELDEST, SECOND, THIRD, line, transmission, world

DAY = date(2026, 1, 15)


class BatchOutbox:
    """The fake outbox with the bulk write the batch uses."""

    def __init__(self, outbox):
        self.outbox = outbox

    async def add(self, conn, payload):
        return await self.outbox.add(conn, payload)

    async def add_many(self, conn, payloads):
        for payload in payloads:
            await self.outbox.add(conn, payload)


def batch():
    booking = uuid.uuid4()
    return [(transmission(line(ELDEST, DAY), line(SECOND, DAY), line(THIRD, DAY, outcome="waitlisted")), uuid.uuid4()),
            (transmission(line(SECOND, date(2026, 1, 16), booking_id=booking), line(THIRD, date(2026, 1, 16))),
             uuid.uuid4()),
            (transmission(line(SECOND, date(2026, 1, 16), kind="cancel", outcome="cancelled", booking_id=booking)),
             uuid.uuid4())]


def summary(store, outbox):
    lines = sorted((x.booking_id, x.first_name, x.day, x.total_cents, x.credit_of is not None)
                   for x in store.lines.values())
    events = sorted((e.booking_id, e.total_cents) for e in outbox.of(BillingConsumptionRecordedV1))
    return lines, events, len(store.movements)


async def test_a_batch_records_what_the_same_transmissions_record_one_by_one():
    events = batch()
    one_store, one_outbox = await world()
    for event, event_id in events:
        await consumptions.record_transmission(one_store, one_outbox, event, event_id)
    bulk_store, bulk_outbox = await world()
    await consumption_batches.record_transmissions(bulk_store, BatchOutbox(bulk_outbox), events)
    assert summary(bulk_store, bulk_outbox) == summary(one_store, one_outbox)
    lines, recorded, movements = summary(bulk_store, bulk_outbox)
    assert len(lines) == 3 and movements == 6  # the cancelled line went away before invoicing
    assert len(recorded) == 5  # 4 charges, then the removal told as a credit

    # the transmissions without a cancellation, delivered again (the inbox would skip them): nothing twice
    await consumption_batches.record_transmissions(bulk_store, BatchOutbox(bulk_outbox), events[:1])
    assert summary(bulk_store, bulk_outbox)[:2] == (lines, recorded)


async def test_a_batch_drops_the_charges_a_justified_absence_told_before_covers_as_one_by_one():
    """Issue 19 in bulk: the justified absences covering a batch's charged days are read in one query, and
    those days go as they go one by one (removed, told by a credit), under the event that charged them."""
    events = batch()
    absent = events[0][0].lines[1]  # SECOND's accepted day in the first transmission

    async def told(store):
        await store.record_justified(uuid.uuid4(), events[0][0].family_id, events[0][0].structure_id,
                                     absent.child_id, absent.child_first_name, absent.child_last_name,
                                     [(absent.booking_id, absent.activity_name, absent.date, False)], None)

    one_store, one_outbox = await world()
    await told(one_store)
    for event, event_id in events:
        await consumptions.record_transmission(one_store, one_outbox, event, event_id)
    bulk_store, bulk_outbox = await world()
    await told(bulk_store)
    await consumption_batches.record_transmissions(bulk_store, BatchOutbox(bulk_outbox), events)
    assert summary(bulk_store, bulk_outbox) == summary(one_store, one_outbox)
    lines, recorded, _movements = summary(bulk_store, bulk_outbox)
    assert absent.booking_id not in {booking for booking, *_ in lines}
    assert sorted(total for booking, total in recorded if booking == absent.booking_id) == [-298, 298]
