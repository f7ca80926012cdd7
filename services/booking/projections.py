"""booking's copies of other services' facts, kept from their events."""

from __future__ import annotations

import asyncpg

from contracts import Envelope
from contracts.auth import AuthFamilyChangedV1, AuthStructureChangedV1
from contracts.billing import BillingTariffPublishedV1
from contracts.dossier import DossierFamilyUpdatedV1, DossierHouseRulesSignedV1


async def on_structure_changed(conn: asyncpg.Connection, envelope: Envelope[AuthStructureChangedV1]) -> None:
    e = envelope.payload
    await conn.execute(
        """INSERT INTO structures (id, name, updated_at) VALUES ($1, $2, $3)
           ON CONFLICT (id) DO UPDATE SET name = $2, updated_at = $3 WHERE structures.updated_at <= $3""",
        e.structure_id, e.name, e.updated_at)


async def on_family_changed(conn: asyncpg.Connection, envelope: Envelope[AuthFamilyChangedV1]) -> None:
    """The event carries the family's whole state: upsert its children (a child removed by auth keeps
    its bookings history; it simply stops being listed for new bookings) and replace its structures."""
    e = envelope.payload
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
    await conn.execute(
        """INSERT INTO house_rules_signed (child_id, structure_id, signed_at) VALUES ($1, $2, $3)
           ON CONFLICT (child_id, structure_id) DO UPDATE SET signed_at = greatest(house_rules_signed.signed_at, $3)""",
        e.child_id, e.structure_id, e.signed_at)


async def on_tariff_published(conn: asyncpg.Connection, envelope: Envelope[BillingTariffPublishedV1]) -> None:
    t = envelope.payload.tariff
    await conn.execute(
        """INSERT INTO tariffs (id, activity_id, effective_from, body) VALUES ($1, $2, $3, $4::jsonb)
           ON CONFLICT (activity_id, effective_from) DO UPDATE SET id = $1, body = $4::jsonb""",
        t.tariff_id, t.activity_id, t.effective_from, t.model_dump_json())


async def on_family_updated(conn: asyncpg.Connection, envelope: Envelope[DossierFamilyUpdatedV1]) -> None:
    e = envelope.payload
    await conn.execute(
        """INSERT INTO quotients (family_id, family_quotient, updated_at) VALUES ($1, $2, $3)
           ON CONFLICT (family_id) DO UPDATE SET family_quotient = $2, updated_at = $3
           WHERE quotients.updated_at <= $3""", e.family_id, e.family_quotient, e.updated_at)
