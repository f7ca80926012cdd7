"""Consumption lines recorded set-wise (docs/adr/0009): a batch of booking transmissions, already in the
consumer's inbox transaction, recorded with a handful of bulk statements whatever its number of lines:
the movements in one, the families' quotients, children and tariffs read in one each, every charge
priced by the same domain rule as one by one (consumptions.booked_line, rules.charge) and inserted in
one, their events written in one; the justified absences covering its charged days read in one.
Cancellations, rare, go through consumptions.cancel after the charges (a booking is accepted before it is
cancelled, never the reverse)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from contracts.booking import BookingTransmittedV1
from kit.logging import get_logger
from services.billing.domain import consumptions as rules
from services.billing.service import consumptions
from services.billing.store import Tx

log = get_logger(__name__)


async def record_transmissions(tx: Tx, outbox, events: Sequence[tuple[BookingTransmittedV1, uuid.UUID]]) -> None:
    """Each (transmission, event id) as `consumptions.record_transmission` records it, in bulk."""
    await tx.record_movements_of([
        (event_id, line.booking_id, event.transmission_id, event.family_id, event.structure_id, line.child_id,
         line.activity_id, line.activity_name, line.date, line.kind, line.outcome)
        for event, event_id in events for line in event.lines])
    charged = [(event, event_id, line) for event, event_id in events for line in event.lines
               if rules.is_charged(line.kind, line.outcome)]
    if charged:
        families = {event.family_id for event, _, _ in charged}
        quotients = await tx.quotients_of(families)
        children = await tx.children_of_families(families)
        versions = await tx.tariff_versions_of((event.structure_id, line.activity_id) for event, _, line in charged)
        ranks = {family: rules.ranks(children.get(family, [])) for family in families}
        charges = []
        unpriced: dict[uuid.UUID, set] = {}  # activity -> its days without a tariff
        for event, event_id, line in charged:
            charge, priced = rules.charge(consumptions.booked_line(event, line), uuid.uuid4(),
                                          versions[(event.structure_id, line.activity_id)],
                                          quotients.get(event.family_id), ranks[event.family_id].get(line.child_id, 1))
            if not priced:
                unpriced.setdefault(line.activity_id, set()).add(line.date)
            charges.append((charge, event_id))
        if unpriced:  # one warning per batch, not per line (a log line per event showed in the profile)
            log.warning("no tariff for these days: recorded at 0 until staff set one",
                        days={str(activity): [d.isoformat() for d in sorted(days)] for activity, days in unpriced.items()})
        inserted = await tx.insert_charges(charges)
        await outbox.add_many(tx.conn, [rules.recorded(charge) for charge, _ in charges if charge.id in inserted])
    for event, event_id in events:
        for line in event.lines:
            if line.kind == "cancel":
                await consumptions.cancel(tx, outbox, line.booking_id, event_id)
    # issue 19: the charged days a justified absence covers (told before the charge came), found for the
    # whole batch in one query, go as a cancellation's would, under the event that charged them
    source: dict[uuid.UUID, uuid.UUID] = {}
    for _event, event_id, line in charged:
        source.setdefault(line.booking_id, event_id)
    if source:
        justified = set(await tx.justified_not_charged(list(source)))
        for booking_id, event_id in source.items():
            if booking_id in justified:
                await consumptions.cancel(tx, outbox, booking_id, event_id)
