"""dossier's copies of auth's facts: structures, families (other responsables) and children, kept under one
freshness rule (kit/projection.py), and what the consistency check compares with auth's digest."""

from __future__ import annotations

import json

import asyncpg

from contracts import Envelope
from contracts.auth import AuthFamilyChangedV1, AuthStructureChangedV1
from kit import consistency, projection


async def on_structure_changed(conn: asyncpg.Connection, envelope: Envelope[AuthStructureChangedV1]) -> None:
    e = envelope.payload
    await projection.upsert(conn, "structures", {"id": e.structure_id, "name": e.name}, conflict=["id"],
                            kind="structures", key=e.structure_id, version=e.updated_at, structure_id=e.structure_id)


async def on_family_changed(conn: asyncpg.Connection, envelope: Envelope[AuthFamilyChangedV1]) -> None:
    e = envelope.payload
    if not await projection.claim(conn, "families", e.family_id, projection.version_of(envelope, e.updated_at),
                                  e.structure_ids[0] if e.structure_ids else None):
        return
    guardians = [g.model_dump(mode="json") for g in e.guardians]
    await conn.execute(
        """INSERT INTO families (id, identifiant, guardians) VALUES ($1, $2, $3::jsonb)
           ON CONFLICT (id) DO UPDATE SET identifiant = $2, guardians = $3::jsonb""",
        e.family_id, e.identifiant, json.dumps(guardians))
    await conn.executemany(
        """INSERT INTO children (id, family_id, first_name, last_name, birth_date, structure_id)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (id) DO UPDATE SET family_id = $2, first_name = $3, last_name = $4, birth_date = $5,
                                          structure_id = $6""",
        [(c.child_id, e.family_id, c.first_name, c.last_name, c.birth_date, c.structure_id) for c in e.children])


# -- the consistency check ------------------------------------------------------------------------------------
AUTH_FACTS = {
    "structures": """SELECT s.id, s.id::text, v.version FROM structures s
                     LEFT JOIN projection_versions v ON v.kind = 'structures' AND v.key = s.id::text""",
    "families": """SELECT v.structure_id, f.id::text, v.version FROM families f
                   LEFT JOIN projection_versions v ON v.kind = 'families' AND v.key = f.id::text""",
    "children": """SELECT c.structure_id, c.id::text, v.version FROM children c
                   LEFT JOIN projection_versions v ON v.kind = 'families' AND v.key = c.family_id::text""",
}
check_auth = consistency.verdict_on_digest("dossier", "auth", AUTH_FACTS, "SELECT id, name FROM structures")
