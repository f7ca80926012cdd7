"""What billing consumes and publishes. It consumes booking's transmissions (consumption lines) and
republished booking states (their repair), the facts of auth (families, children, structures) and of
dossier (quotients) kept as projections under kit/projection.py's freshness guard, and the owners' facts
digests (the consistency check). It publishes, through its outbox (service.OUTBOX), the consumption
lines, invoices, payments and tariffs: contracts/billing.py."""

from __future__ import annotations

import asyncpg

from contracts import BookingTransmittedV1, Envelope
from contracts.absences import BookingAbsenceJustifiedV1
from contracts.auth import AuthFamilyChangedV1, AuthStructureChangedV1
from contracts.booking import BookingStateV1
from contracts.consistency import AuthFactsDigestV1, BookingFactsDigestV1, DossierFactsDigestV1
from contracts.dossier import DossierFamilyUpdatedV1
from kit import consistency, projection
from kit.service import Subscription
from services.billing.domain.consumptions import Child
from services.billing.service import OUTBOX, absences, consumption_batches, consumptions
from services.billing.store import Tx, facts


async def on_booking_transmitted(conn: asyncpg.Connection, envelope: Envelope[BookingTransmittedV1]) -> None:
    await consumptions.record_transmission(Tx(conn), OUTBOX, envelope.payload, envelope.event_id)


async def on_booking_transmitted_many(conn: asyncpg.Connection,
                                     envelopes: list[Envelope[BookingTransmittedV1]]) -> None:
    """A batch of transmissions in bulk statements (docs/adr/0009)."""
    await consumption_batches.record_transmissions(Tx(conn), OUTBOX, [(e.payload, e.event_id) for e in envelopes])


async def on_booking_state(conn: asyncpg.Connection, envelope: Envelope[BookingStateV1]) -> None:
    await consumptions.repair(Tx(conn), OUTBOX, envelope.payload, envelope.event_id)


async def on_family_changed(conn: asyncpg.Connection, envelope: Envelope[AuthFamilyChangedV1]) -> None:
    """The family, its children (billing's children have no structure: the consistency check counts them
    per structure) and the structures it belongs to; an older state of the family is skipped."""
    e = envelope.payload
    tx = Tx(conn)
    version = projection.version_of(envelope, e.updated_at)
    if not await tx.claim("families", e.family_id, version, e.structure_ids[0] if e.structure_ids else None):
        return
    for c in e.children:
        await tx.claim("children", c.child_id, version, c.structure_id)
    first = next((g for g in e.guardians if g.rank == 1), None)
    label = f"{first.last_name.upper()} {first.first_name}" if first else e.identifiant
    await tx.save_family(e.family_id, e.identifiant, label,
                         [Child(c.child_id, c.first_name, c.last_name, c.birth_date) for c in e.children],
                         e.structure_ids, {c.child_id: c.households for c in e.children if c.households})


async def on_structure_changed(conn: asyncpg.Connection, envelope: Envelope[AuthStructureChangedV1]) -> None:
    await Tx(conn).save_structure(envelope.payload.structure_id, envelope.payload.name, envelope.payload.updated_at)


async def on_family_updated(conn: asyncpg.Connection, envelope: Envelope[DossierFamilyUpdatedV1]) -> None:
    e = envelope.payload
    await Tx(conn).save_quotient(e.family_id, e.family_quotient, e.updated_at)


# the consistency check: billing's projections, counted as their owners count their facts
check_auth = consistency.verdict_on_digest("billing", "auth", facts.AUTH_FACTS, facts.NAMES)
check_dossier = consistency.verdict_on_digest("billing", "dossier", facts.DOSSIER_FACTS, facts.NAMES)
check_booking = consistency.verdict_on_digest("billing", "booking", facts.BOOKING_FACTS, facts.NAMES)

async def on_absence_justified(conn: asyncpg.Connection, envelope: Envelope[BookingAbsenceJustifiedV1]) -> None:
    """Issue 19: the days of an accepted absence past the waiting period are not charged (removed or credited)."""
    await absences.record_justified(Tx(conn), OUTBOX, envelope.payload, envelope.event_id)


SUBSCRIPTIONS = [
    Subscription(BookingTransmittedV1, on_booking_transmitted, on_booking_transmitted_many),
    Subscription(AuthFamilyChangedV1, on_family_changed),
    Subscription(AuthStructureChangedV1, on_structure_changed),
    Subscription(DossierFamilyUpdatedV1, on_family_updated),
    Subscription(BookingStateV1, on_booking_state),
    Subscription(AuthFactsDigestV1, check_auth),
    Subscription(DossierFactsDigestV1, check_dossier),
    Subscription(BookingFactsDigestV1, check_booking),
    Subscription(BookingAbsenceJustifiedV1, on_absence_justified),
]
