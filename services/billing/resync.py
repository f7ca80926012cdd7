"""billing and the resync of its projections: a booking's transmitted state republished by booking
(booking.booking_state) repairs a missing or stray consumption, under the freshness rule of every
projection (kit/projection.py); and what the consistency check compares with the owners' digests."""

from __future__ import annotations

import uuid

import asyncpg

from contracts import Envelope
from contracts.billing import BillingConsumptionRecordedV1
from contracts.booking import BookingStateV1
from contracts.pricing import child_ranks, price
from kit import consistency, outbox, projection
from kit.logging import get_logger
from services.billing.handlers import cancel, tariff_versions

log = get_logger(__name__)

# A charge still standing: not credited (a consumption cancelled before invoicing is deleted).
STANDING = """SELECT c.id FROM consumptions c WHERE c.booking_id = $1 AND c.credit_of IS NULL
              AND NOT EXISTS (SELECT 1 FROM consumptions k WHERE k.credit_of = c.id)"""


async def on_booking_state(conn: asyncpg.Connection, envelope: Envelope[BookingStateV1]) -> None:
    """Accepted and not charged → the consumption line the transmission would have recorded; not accepted
    and still charged → cancelled as a transmitted cancellation would; otherwise nothing changes."""
    e = envelope.payload
    if not await projection.claim(conn, "bookings", e.booking_id, e.updated_at, e.structure_id):
        return
    standing = await conn.fetchval(STANDING, e.booking_id)
    if e.status != "accepted":
        if standing is not None:
            log.warning("resync: charge of a booking no longer accepted, cancelled", booking_id=str(e.booking_id))
            await cancel(conn, e.booking_id, envelope.event_id)
        return
    if standing is not None:
        return
    child = await conn.fetchrow("SELECT first_name, last_name FROM children WHERE id = $1", e.child_id)
    quotient = await conn.fetchval("SELECT family_quotient FROM quotients WHERE family_id = $1", e.family_id)
    siblings = await conn.fetch("SELECT id, birth_date FROM children WHERE family_id = $1", e.family_id)
    ranks = child_ranks([(r["id"], r["birth_date"]) for r in siblings])
    found = price(await tariff_versions(conn, e.structure_id, e.activity_id), e.date, quotient, ranks.get(e.child_id, 1),
                  e.arrival, e.departure)
    unit, quantity, total = found if found else (0, 1, 0)
    consumption_id = uuid.uuid4()
    inserted = await conn.fetchval(
        """INSERT INTO consumptions (id, family_id, structure_id, child_id, first_name, last_name, booking_id,
               activity_id, activity_name, day, unit_price_cents, quantity, total_cents, source_event_id)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)
           ON CONFLICT (booking_id) WHERE credit_of IS NULL DO NOTHING RETURNING id""",
        consumption_id, e.family_id, e.structure_id, e.child_id, child["first_name"] if child else "",
        child["last_name"] if child else "", e.booking_id, e.activity_id, e.activity_name, e.date, unit, quantity,
        total, envelope.event_id)
    if inserted:
        log.warning("resync: missing consumption recorded", booking_id=str(e.booking_id), total_cents=total)
        await outbox.add(conn, BillingConsumptionRecordedV1(
            consumption_id=consumption_id, family_id=e.family_id, structure_id=e.structure_id, child_id=e.child_id,
            booking_id=e.booking_id, activity_id=e.activity_id, activity_name=e.activity_name, date=e.date,
            unit_price_cents=unit, quantity=quantity, total_cents=total), producer="billing")


# -- the consistency check: billing's projections, counted as their owners count their facts ---------------
NAMES = "SELECT id, name FROM structures"
AUTH_FACTS = {
    "structures": """SELECT s.id, s.id::text, v.version FROM structures s
                     LEFT JOIN projection_versions v ON v.kind = 'structures' AND v.key = s.id::text""",
    "families": """SELECT v.structure_id, f.id::text, v.version FROM families f
                   LEFT JOIN projection_versions v ON v.kind = 'families' AND v.key = f.id::text""",
    "children": """SELECT s.structure_id, c.id::text, v.version FROM children c
                   LEFT JOIN projection_versions v ON v.kind = 'families' AND v.key = c.family_id::text
                   LEFT JOIN projection_versions s ON s.kind = 'children' AND s.key = c.id::text""",
}
DOSSIER_FACTS = {
    "quotients": """SELECT f.structure_id, q.family_id::text, v.version FROM quotients q
                    LEFT JOIN projection_versions v ON v.kind = 'quotients' AND v.key = q.family_id::text
                    LEFT JOIN projection_versions f ON f.kind = 'families' AND f.key = q.family_id::text""",
}
BOOKING_FACTS = {
    "bookings": """SELECT c.structure_id, c.booking_id::text, NULL::timestamptz FROM consumptions c
                   WHERE c.credit_of IS NULL AND NOT EXISTS (SELECT 1 FROM consumptions k WHERE k.credit_of = c.id)""",
}
check_auth = consistency.verdict_on_digest("billing", "auth", AUTH_FACTS, NAMES)
check_dossier = consistency.verdict_on_digest("billing", "dossier", DOSSIER_FACTS, NAMES)
check_booking = consistency.verdict_on_digest("billing", "booking", BOOKING_FACTS, NAMES)
