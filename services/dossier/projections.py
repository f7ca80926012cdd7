"""dossier's copies of auth's facts: structures, families (other responsables) and children."""

from __future__ import annotations

import json

import asyncpg

from contracts import Envelope
from contracts.auth import AuthFamilyChangedV1, AuthStructureChangedV1


async def on_structure_changed(conn: asyncpg.Connection, envelope: Envelope[AuthStructureChangedV1]) -> None:
    e = envelope.payload
    await conn.execute("INSERT INTO structures (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = $2",
                       e.structure_id, e.name)


async def on_family_changed(conn: asyncpg.Connection, envelope: Envelope[AuthFamilyChangedV1]) -> None:
    e = envelope.payload
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
