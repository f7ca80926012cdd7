"""What booking consumes and what it answers with: the subscriptions' effects keeping its copies of other
services' facts (under kit/projection.py's freshness rule: an event older than the version kept is skipped),
the consistency check of those copies and the digest of its own facts (kit/consistency.py), and the resync
that republishes the transmitted bookings' state. What it publishes is written by the service layer through
service.OUTBOX (booking.transmitted, booking.waitlist_promoted, booking.booking_state)."""

from __future__ import annotations

import uuid

import asyncpg

from contracts import Envelope
from contracts.auth import AuthFamilyChangedV1, AuthStructureChangedV1
from contracts.billing import BillingTariffPublishedV1
from contracts.consistency import BookingFactsDigestV1
from contracts.dossier import DossierFamilyUpdatedV1, DossierHouseRulesPublishedV1, DossierHouseRulesSignedV1
from kit import consistency, projection
from kit.logging import get_logger
from services.booking.service import transmission
from services.booking.store import Child, Database, Store
from services.booking.store.projections import AUTH_FACTS, DOSSIER_FACTS, NAMES
from services.booking.store.transmission import DIGEST_QUERIES, STRUCTURE_NAMES

log = get_logger(__name__)

OWNER = "booking"


async def on_structure_changed(conn: asyncpg.Connection, envelope: Envelope[AuthStructureChangedV1]) -> None:
    e = envelope.payload
    await projection.upsert(conn, "structures", {"id": e.structure_id, "name": e.name, "updated_at": e.updated_at},
                            conflict=["id"], kind="structures", key=e.structure_id, version=e.updated_at,
                            structure_id=e.structure_id)


async def on_family_changed(conn: asyncpg.Connection, envelope: Envelope[AuthFamilyChangedV1]) -> None:
    """The event carries the family's whole state: upsert its children (a child removed by auth keeps
    its bookings history; it simply stops being listed for new bookings) and replace its structures."""
    e = envelope.payload
    if not await projection.claim(conn, "families", e.family_id, projection.version_of(envelope, e.updated_at),
                                  e.structure_ids[0] if e.structure_ids else None):
        return
    store = Store(conn)
    await store.replace_family_structures(e.family_id, {*e.structure_ids, *(c.structure_id for c in e.children)})
    # shared custody: the child is kept under its first family, with its second household beside it
    await store.upsert_children([Child(c.child_id, c.households[0] if c.households else e.family_id, c.first_name,
                                       c.last_name, c.birth_date, c.structure_id, tuple(c.households[1:]))
                                 for c in e.children])


async def on_house_rules_signed(conn: asyncpg.Connection, envelope: Envelope[DossierHouseRulesSignedV1]) -> None:
    e = envelope.payload
    await projection.upsert(
        conn, "house_rules_signed", {"child_id": e.child_id, "structure_id": e.structure_id, "signed_at": e.signed_at,
                                     "school_year": e.school_year, "version": e.version},
        conflict=["child_id", "structure_id"], kind="house_rules", key=(e.child_id, e.structure_id),
        version=e.signed_at, structure_id=e.structure_id)


async def on_house_rules_published(conn: asyncpg.Connection,
                                   envelope: Envelope[DossierHouseRulesPublishedV1]) -> None:
    """A new version of a structure's règlement for a school year: older signatures of that year stop
    opening booking (store/sessions.py) until the family signs again. Versions only go up."""
    await Store(conn).save_house_rules_version(envelope.payload.structure_id, envelope.payload.school_year,
                                               envelope.payload.version, envelope.payload.published_at)


async def on_tariff_published(conn: asyncpg.Connection, envelope: Envelope[BillingTariffPublishedV1]) -> None:
    t = envelope.payload.tariff
    store = Store(conn)
    if await store.activity_structure(t.activity_id) != envelope.payload.structure_id:
        # a tariff for an activity this structure does not run: it prices nothing here (billing ignores it too)
        log.warning("tariff of another structure ignored", activity_id=str(t.activity_id),
                    structure_id=str(envelope.payload.structure_id))
        return
    await store.upsert_tariff(t.tariff_id, t.activity_id, t.effective_from, t.model_dump_json())


async def on_family_updated(conn: asyncpg.Connection, envelope: Envelope[DossierFamilyUpdatedV1]) -> None:
    e = envelope.payload
    await projection.upsert(
        conn, "quotients", {"family_id": e.family_id, "family_quotient": e.family_quotient, "updated_at": e.updated_at},
        conflict=["family_id"], kind="quotients", key=e.family_id, version=e.updated_at)


# -- the consistency check: booking's projection, counted as its owners count their facts ---------------------
check_auth = consistency.verdict_on_digest(OWNER, "auth", AUTH_FACTS, NAMES)
check_dossier = consistency.verdict_on_digest(OWNER, "dossier", DOSSIER_FACTS, NAMES)

# -- booking as an owner of facts -----------------------------------------------------------------------------
QUERIES, DIGEST_NAMES = DIGEST_QUERIES, STRUCTURE_NAMES
digest_on_request = consistency.digest_on_request(OWNER, BookingFactsDigestV1, QUERIES, DIGEST_NAMES)


async def resync(pool: asyncpg.Pool, family_id: uuid.UUID | None = None,
                 structure_id: uuid.UUID | None = None) -> dict[str, int]:
    """`python -m services.booking resync [--family ID | --structure ID | --all]`: republish booking.booking_state
    for the transmitted bookings (service/transmission.py)."""
    return await transmission.resync(Database(pool), family_id, structure_id)
