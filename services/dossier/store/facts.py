"""The SQL of dossier as an owner of facts (kit/consistency.py): the current quotients familiaux and the
latest signed règlements intérieurs (republished by the resync), what the facts digest counts, and the
copies of auth's facts that the consistency check compares with auth's digest."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

# The current quotient of each family: its latest approved family sheet (what dossier.family_updated said).
QUOTIENTS = """SELECT DISTINCT ON (family_id) family_id, data, reviewed_at FROM sheets
               WHERE kind = 'famille' AND state = 'validee' AND reviewed_at IS NOT NULL
               ORDER BY family_id, reviewed_at DESC"""
# The latest signature of each child's règlement intérieur per structure (dossier.house_rules_signed).
HOUSE_RULES = """SELECT DISTINCT ON (s.child_id, s.structure_id) s.family_id, s.child_id, s.structure_id,
                        c.school_year, s.submitted_at, s.house_rules_version
                 FROM sheets s JOIN campaigns c ON c.id = s.campaign_id
                 WHERE s.kind = 'reglement' AND s.submitted_at IS NOT NULL AND s.child_id IS NOT NULL
                   AND s.structure_id IS NOT NULL
                 ORDER BY s.child_id, s.structure_id, s.submitted_at DESC"""

# What dossier's facts digest counts, per structure (kit.consistency).
OWNED_FACTS = {
    "quotients": f"""SELECT f.structure_id, q.family_id::text, q.reviewed_at FROM ({QUOTIENTS}) q
                     LEFT JOIN projection_versions f ON f.kind = 'families' AND f.key = q.family_id::text""",
    "house_rules": f"""SELECT h.structure_id, h.child_id::text || ':' || h.structure_id::text, h.submitted_at
                       FROM ({HOUSE_RULES}) h""",
}
STRUCTURE_NAMES = "SELECT id, name FROM structures"

# dossier's copies of auth's facts, compared with auth's digest.
AUTH_FACTS = {
    "structures": """SELECT s.id, s.id::text, v.version FROM structures s
                     LEFT JOIN projection_versions v ON v.kind = 'structures' AND v.key = s.id::text""",
    "families": """SELECT v.structure_id, f.id::text, v.version FROM families f
                   LEFT JOIN projection_versions v ON v.kind = 'families' AND v.key = f.id::text""",
    "children": """SELECT c.structure_id, c.id::text, v.version FROM children c
                   LEFT JOIN projection_versions v ON v.kind = 'families' AND v.key = c.family_id::text""",
}


@dataclass(frozen=True)
class Quotient:
    family_id: uuid.UUID
    family_quotient: int | None
    allocataire_regime: str | None
    reviewed_at: datetime


@dataclass(frozen=True)
class Signature:
    family_id: uuid.UUID
    child_id: uuid.UUID
    structure_id: uuid.UUID
    school_year: str
    signed_at: datetime
    version: int | None = None


async def families_of_structure(pool: asyncpg.Pool, structure_id: uuid.UUID) -> set[uuid.UUID]:
    """The families auth places in the structure, or with a child there."""
    return {r[0] for r in await pool.fetch(
        """SELECT key::uuid FROM projection_versions WHERE kind = 'families' AND structure_id = $1
           UNION SELECT family_id FROM children WHERE structure_id = $1""", structure_id)}


async def current_quotients(pool: asyncpg.Pool) -> list[Quotient]:
    found = []
    for row in await pool.fetch(QUOTIENTS):
        data = json.loads(row["data"]) if isinstance(row["data"], str) else dict(row["data"] or {})
        found.append(Quotient(row["family_id"], data.get("family_quotient"), data.get("allocataire_regime"),
                              row["reviewed_at"]))
    return found


async def latest_signatures(pool: asyncpg.Pool) -> list[Signature]:
    return [Signature(r["family_id"], r["child_id"], r["structure_id"], r["school_year"], r["submitted_at"],
                      r["house_rules_version"]) for r in await pool.fetch(HOUSE_RULES)]
