"""auth as an owner of facts: the resync (its current facts republished as the usual events, with their
versions) and the facts digest of the consistency check (kit/consistency.py).

    python -m services.auth resync [--family ID | --structure ID | --all]
"""

from __future__ import annotations

import uuid

import asyncpg

from contracts.consistency import AuthFactsDigestV1
from kit import consistency
from services.auth import events

OWNER = "auth"
FAMILIES_PER_TRANSACTION = 200

# (structure_id, key, version) per kind: what booking, billing, dossier and notify project from auth
QUERIES = {
    "structures": "SELECT id, id::text, updated_at FROM structures",
    "families": "SELECT structure_id, id::text, updated_at FROM families",
    "children": """SELECT c.structure_id, c.id::text, f.updated_at FROM children c
                   JOIN families f ON f.id = c.family_id""",
    # notify knows no family's structure: the contacts are counted under none
    "contacts": """SELECT NULL::uuid, a.family_id::text, a.contacts_updated_at FROM accounts a
                   WHERE a.family_id IS NOT NULL""",
}
NAMES = "SELECT id, name FROM structures"


async def resync(pool: asyncpg.Pool, family_id: uuid.UUID | None = None,
                 structure_id: uuid.UUID | None = None) -> dict[str, int]:
    """Republish the current facts — one family, one structure (itself and its families), or everything —
    as auth.structure_changed and auth.family_changed (+ contacts) with their current versions."""
    if family_id is not None:
        structures: list[uuid.UUID] = []
        families = [family_id] if await pool.fetchval("SELECT 1 FROM families WHERE id = $1", family_id) else []
    elif structure_id is not None:
        structures = [r["id"] for r in await pool.fetch("SELECT id FROM structures WHERE id = $1", structure_id)]
        families = [r["id"] for r in await pool.fetch(
            """SELECT id FROM families WHERE structure_id = $1
               UNION SELECT family_id FROM children WHERE structure_id = $1 ORDER BY 1""", structure_id)]
    else:
        structures = [r["id"] for r in await pool.fetch("SELECT id FROM structures ORDER BY name")]
        families = [r["id"] for r in await pool.fetch("SELECT id FROM families ORDER BY id")]
    async with pool.acquire() as conn, conn.transaction():
        for sid in structures:
            await events.structure_changed(conn, sid)
    for start in range(0, len(families), FAMILIES_PER_TRANSACTION):
        async with pool.acquire() as conn, conn.transaction():
            for fid in families[start:start + FAMILIES_PER_TRANSACTION]:
                await events.family_changed(conn, fid, snapshot=True)
    return {"structures": len(structures), "families": len(families)}


digest_on_request = consistency.digest_on_request(OWNER, AuthFactsDigestV1, QUERIES, NAMES)
