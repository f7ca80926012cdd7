"""booking's copies of other services' facts, kept from their events under one freshness rule
(kit/projection.py: an event older than the version kept is skipped), and what the consistency check
compares with their owners' digests (kit/consistency.py)."""

from __future__ import annotations

import asyncpg

from contracts import Envelope
from contracts.auth import AuthFamilyChangedV1, AuthStructureChangedV1
from contracts.billing import BillingTariffPublishedV1
from contracts.dossier import DossierFamilyUpdatedV1, DossierHouseRulesSignedV1
from kit import consistency, projection
from kit.logging import get_logger

log = get_logger(__name__)


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
    await conn.execute("DELETE FROM family_structures WHERE family_id = $1", e.family_id)
    await conn.executemany("INSERT INTO family_structures (family_id, structure_id) VALUES ($1, $2) "
                           "ON CONFLICT DO NOTHING",
                           [(e.family_id, s) for s in {*e.structure_ids, *(c.structure_id for c in e.children)}])
    await conn.executemany(
        """INSERT INTO children (id, family_id, first_name, last_name, birth_date, structure_id)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (id) DO UPDATE SET family_id = $2, first_name = $3, last_name = $4, birth_date = $5,
                                          structure_id = $6""",
        [(c.child_id, e.family_id, c.first_name, c.last_name, c.birth_date, c.structure_id) for c in e.children])


async def on_house_rules_signed(conn: asyncpg.Connection, envelope: Envelope[DossierHouseRulesSignedV1]) -> None:
    e = envelope.payload
    await projection.upsert(
        conn, "house_rules_signed", {"child_id": e.child_id, "structure_id": e.structure_id, "signed_at": e.signed_at},
        conflict=["child_id", "structure_id"], kind="house_rules", key=(e.child_id, e.structure_id),
        version=e.signed_at, structure_id=e.structure_id)


async def on_tariff_published(conn: asyncpg.Connection, envelope: Envelope[BillingTariffPublishedV1]) -> None:
    t = envelope.payload.tariff
    owner = await conn.fetchval("SELECT structure_id FROM activities WHERE id = $1", t.activity_id)
    if owner != envelope.payload.structure_id:
        # a tariff for an activity this structure does not run: it prices nothing here (billing ignores it too)
        log.warning("tariff of another structure ignored", activity_id=str(t.activity_id),
                    structure_id=str(envelope.payload.structure_id))
        return
    await conn.execute(
        """INSERT INTO tariffs (id, activity_id, effective_from, body) VALUES ($1, $2, $3, $4::jsonb)
           ON CONFLICT (activity_id, effective_from) DO UPDATE SET id = $1, body = $4::jsonb""",
        t.tariff_id, t.activity_id, t.effective_from, t.model_dump_json())


async def on_family_updated(conn: asyncpg.Connection, envelope: Envelope[DossierFamilyUpdatedV1]) -> None:
    e = envelope.payload
    await projection.upsert(
        conn, "quotients", {"family_id": e.family_id, "family_quotient": e.family_quotient, "updated_at": e.updated_at},
        conflict=["family_id"], kind="quotients", key=e.family_id, version=e.updated_at)


# -- the consistency check: booking's projection, counted as its owners count their facts ---------------------
STRUCTURES = """SELECT s.id, s.id::text, v.version FROM structures s
                LEFT JOIN projection_versions v ON v.kind = 'structures' AND v.key = s.id::text"""
CHILDREN = """SELECT c.structure_id, c.id::text, v.version FROM children c
              LEFT JOIN projection_versions v ON v.kind = 'families' AND v.key = c.family_id::text"""
QUOTIENTS = """SELECT f.structure_id, q.family_id::text, v.version FROM quotients q
               LEFT JOIN projection_versions v ON v.kind = 'quotients' AND v.key = q.family_id::text
               LEFT JOIN projection_versions f ON f.kind = 'families' AND f.key = q.family_id::text"""
AUTH_FACTS = {
    "structures": STRUCTURES,
    "families": """SELECT v.structure_id, f.family_id::text, v.version
                   FROM (SELECT DISTINCT family_id FROM family_structures) f
                   LEFT JOIN projection_versions v ON v.kind = 'families' AND v.key = f.family_id::text""",
    "children": CHILDREN,
}
DOSSIER_FACTS = {
    "quotients": QUOTIENTS,
    "house_rules": """SELECT h.structure_id, h.child_id::text || ':' || h.structure_id::text, v.version
                      FROM house_rules_signed h
                      LEFT JOIN projection_versions v ON v.kind = 'house_rules'
                           AND v.key = h.child_id::text || ':' || h.structure_id::text""",
}
NAMES = "SELECT id, name FROM structures"
check_auth = consistency.verdict_on_digest("booking", "auth", AUTH_FACTS, NAMES)
check_dossier = consistency.verdict_on_digest("booking", "dossier", DOSSIER_FACTS, NAMES)
