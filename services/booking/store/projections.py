"""booking's copies of other services' facts: the rows its subscriptions write (structures, house rules and
quotients go through kit.projection's upsert; a family's structures and children, and tariffs, here), and the
queries the consistency check counts them with (kit/consistency.py)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date, datetime

import asyncpg

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
                           AND v.key = h.child_id::text || ':' || h.structure_id::text
                      WHERE NOT EXISTS (SELECT 1 FROM house_rules_versions r WHERE r.structure_id = h.structure_id
                                        AND r.school_year = h.school_year AND r.version > coalesce(h.version, 0))""",
}
NAMES = "SELECT id, name FROM structures"


class ProjectionQueries:
    conn: asyncpg.Connection

    async def replace_family_structures(self, family_id: uuid.UUID, structure_ids: Collection[uuid.UUID]) -> None:
        await self.conn.execute("DELETE FROM family_structures WHERE family_id = $1", family_id)
        await self.conn.executemany("INSERT INTO family_structures (family_id, structure_id) VALUES ($1, $2) "
                                    "ON CONFLICT DO NOTHING", [(family_id, s) for s in structure_ids])

    async def save_house_rules_version(self, structure_id: uuid.UUID, school_year: str, version: int,
                                       published_at: datetime) -> None:
        """The latest version of a structure's règlement for a school year (an older one changes nothing)."""
        await self.conn.execute(
            """INSERT INTO house_rules_versions (structure_id, school_year, version, published_at)
               VALUES ($1, $2, $3, $4) ON CONFLICT (structure_id, school_year) DO UPDATE
               SET version = EXCLUDED.version, published_at = EXCLUDED.published_at
               WHERE house_rules_versions.version < EXCLUDED.version""", structure_id, school_year, version,
            published_at)

    async def upsert_tariff(self, tariff_id: uuid.UUID, activity_id: uuid.UUID, effective_from: date,
                            body_json: str) -> None:
        await self.conn.execute(
            """INSERT INTO tariffs (id, activity_id, effective_from, body) VALUES ($1, $2, $3, $4::jsonb)
               ON CONFLICT (activity_id, effective_from) DO UPDATE SET id = $1, body = $4::jsonb""",
            tariff_id, activity_id, effective_from, body_json)
