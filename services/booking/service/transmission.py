"""The nightly transmission: every movement not yet transmitted (and not waiting for a staff decision)
goes out, one booking.transmitted event per family and structure (v1 naming the children on the internal
exchange, v2 by identifiers on the public one), written to the outbox in the same transaction that marks the
movements transmitted. Each accepted reservation's price is settled there (domain.transmission.priced): its
line carries it, billing charges it, the booking keeps it for the follow-up. Running it twice transmits nothing twice; two runs at once share the work (SKIP
LOCKED). And the resync, which republishes each transmitted booking's state (nothing is transmitted again:
the morning digest mails are never sent twice)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from contracts import BookingTransmittedV1
from contracts.booking import BookingStateV1, BookingTransmittedV2
from contracts.pricing import child_ranks
from kit.clock import utc_now
from services.booking.domain.pricing import Pricer
from services.booking.domain.transmission import consumer_status, priced, transmitted_events
from services.booking.service import OUTBOX

FAMILIES_PER_TRANSACTION = 200
STATES_PER_TRANSACTION = 500


@dataclass
class TransmissionReport:
    transmission_id: uuid.UUID
    families: int = 0
    events: int = 0
    lines: int = 0


async def record(store, transmission_id: uuid.UUID, events: Sequence[BookingTransmittedV1], outbox=OUTBOX) -> None:
    """Record a transmission run and its already-built events in one transaction."""
    async with store.transaction():
        await store.insert_transmission(transmission_id, None, len({e.family_id for e in events}),
                                        sum(len(e.lines) for e in events))
        for event in events:
            await outbox.add(store.conn, event)
            await outbox.add(store.conn, BookingTransmittedV2.of(event))


async def pricers_for(store, families: Collection[uuid.UUID]) -> dict[uuid.UUID, Pricer]:
    """Each family's pricer, from the same facts the follow-up prices with (service.parents.family_pricer)."""
    facts = await store.families_price_facts(families)
    return {f: Pricer(facts.versions, facts.quotients.get(f), child_ranks(facts.children.get(f, [])))
            for f in families}


async def run(db, now: datetime | None = None, outbox=OUTBOX) -> TransmissionReport:
    at = now or utc_now()
    report = TransmissionReport(uuid.uuid4())
    async with db.reading() as store:
        families = await store.families_to_transmit()
    for start in range(0, len(families), FAMILIES_PER_TRANSACTION):
        async with db.transaction() as store:
            movements = await store.pick_movements(report.transmission_id,
                                                   families[start:start + FAMILIES_PER_TRANSACTION])
            if not movements:
                continue
            movements = priced(movements, await pricers_for(store, {m.family_id for m in movements}))
            await store.record_charged_prices({m.booking_id: m.price for m in movements if m.price})
            await store.mark_bookings_transmitted({m.booking_id for m in movements})
            events = transmitted_events(movements, report.transmission_id, at)
            await outbox.add_many(store.conn, [e for event in events for e in (event, BookingTransmittedV2.of(event))])
            report.families += len({e.family_id for e in events})
            report.events += len(events)
            report.lines += len(movements)
    async with db.transaction() as store:
        await store.insert_transmission(report.transmission_id, at, report.families, report.lines)
    return report


def _state(s) -> BookingStateV1:
    """A transmitted booking's state; an accepted one with the price its acceptance was charged."""
    status = consumer_status(s.kind, s.outcome)
    charged = s.charged if status == "accepted" else None
    return BookingStateV1(
        booking_id=s.booking_id, family_id=s.family_id, structure_id=s.structure_id, child_id=s.child_id,
        activity_id=s.activity_id, activity_name=s.activity_name, date=s.day, arrival=s.arrival,
        departure=s.departure, status=status, updated_at=s.created_at,
        unit_price_cents=charged.unit_price_cents if charged else None,
        quantity=charged.quantity if charged else None, total_cents=charged.total_cents if charged else None)


async def resync(db, family_id: uuid.UUID | None = None, structure_id: uuid.UUID | None = None,
                 outbox=OUTBOX) -> dict[str, int]:
    """Republish booking.booking_state for the transmitted bookings of a family, a structure, or all."""
    async with db.reading() as store:
        states = await store.transmitted_states(family_id, structure_id)
    payloads = [_state(s) for s in states]
    for start in range(0, len(payloads), STATES_PER_TRANSACTION):
        async with db.transaction() as store:
            await outbox.add_many(store.conn, payloads[start:start + STATES_PER_TRANSACTION])
    return {"bookings": len(payloads)}
