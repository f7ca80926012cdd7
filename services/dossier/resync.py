"""dossier as an owner of facts: the resync (quotients familiaux and signed règlements intérieurs
republished as dossier.family_updated and dossier.house_rules_signed, with their versions) and the facts
digest of the consistency check (kit/consistency.py).

    python -m services.dossier resync [--family ID | --structure ID | --all]

A family's structure is the one auth states for it (dossier's own projection of auth's families)."""

from __future__ import annotations

import json
import uuid

import asyncpg

from contracts.consistency import DossierFactsDigestV1
from contracts.dossier import DossierFamilyUpdatedV1, DossierHouseRulesSignedV1
from kit import consistency, outbox

OWNER = "dossier"
PER_TRANSACTION = 500

# The current quotient of each family: its latest approved family sheet (what dossier.family_updated said).
QUOTIENTS = """SELECT DISTINCT ON (family_id) family_id, data, reviewed_at FROM sheets
               WHERE kind = 'famille' AND state = 'validee' AND reviewed_at IS NOT NULL
               ORDER BY family_id, reviewed_at DESC"""
# The latest signature of each child's règlement intérieur per structure (dossier.house_rules_signed).
HOUSE_RULES = """SELECT DISTINCT ON (s.child_id, s.structure_id) s.family_id, s.child_id, s.structure_id,
                        c.school_year, s.submitted_at
                 FROM sheets s JOIN campaigns c ON c.id = s.campaign_id
                 WHERE s.kind = 'reglement' AND s.submitted_at IS NOT NULL AND s.child_id IS NOT NULL
                   AND s.structure_id IS NOT NULL
                 ORDER BY s.child_id, s.structure_id, s.submitted_at DESC"""

QUERIES = {
    "quotients": f"""SELECT f.structure_id, q.family_id::text, q.reviewed_at FROM ({QUOTIENTS}) q
                     LEFT JOIN projection_versions f ON f.kind = 'families' AND f.key = q.family_id::text""",
    "house_rules": f"""SELECT h.structure_id, h.child_id::text || ':' || h.structure_id::text, h.submitted_at
                       FROM ({HOUSE_RULES}) h""",
}
NAMES = "SELECT id, name FROM structures"


def _in_scope(family_id: uuid.UUID, structure_id: uuid.UUID | None, families: set[uuid.UUID] | None,
              want_family: uuid.UUID | None) -> bool:
    if want_family is not None:
        return family_id == want_family
    return families is None or family_id in families


async def resync(pool: asyncpg.Pool, family_id: uuid.UUID | None = None,
                 structure_id: uuid.UUID | None = None) -> dict[str, int]:
    """Republish the current quotients and signatures — of one family, of one structure's families, or
    all — with the versions they were published with (reviewed_at, signed_at)."""
    families: set[uuid.UUID] | None = None
    if structure_id is not None:
        families = {r[0] for r in await pool.fetch(
            """SELECT key::uuid FROM projection_versions WHERE kind = 'families' AND structure_id = $1
               UNION SELECT family_id FROM children WHERE structure_id = $1""", structure_id)}
    payloads: list = []
    quotients = signatures = 0
    for row in await pool.fetch(QUOTIENTS):
        if not _in_scope(row["family_id"], structure_id, families, family_id):
            continue
        data = json.loads(row["data"]) if isinstance(row["data"], str) else dict(row["data"] or {})
        payloads.append(DossierFamilyUpdatedV1(
            family_id=row["family_id"], family_quotient=data.get("family_quotient"),
            allocataire_regime=data.get("allocataire_regime"), updated_at=row["reviewed_at"]))
        quotients += 1
    for row in await pool.fetch(HOUSE_RULES):
        if structure_id is not None and family_id is None and row["structure_id"] != structure_id \
                and row["family_id"] not in (families or set()):
            continue
        if family_id is not None and row["family_id"] != family_id:
            continue
        payloads.append(DossierHouseRulesSignedV1(
            family_id=row["family_id"], child_id=row["child_id"], structure_id=row["structure_id"],
            school_year=row["school_year"], signed_at=row["submitted_at"]))
        signatures += 1
    for start in range(0, len(payloads), PER_TRANSACTION):
        async with pool.acquire() as conn, conn.transaction():
            await outbox.add_many(conn, payloads[start:start + PER_TRANSACTION], producer=OWNER)
    return {"quotients": quotients, "house_rules": signatures}


digest_on_request = consistency.digest_on_request(OWNER, DossierFactsDigestV1, QUERIES, NAMES)
