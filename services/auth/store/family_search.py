"""The SQL of staff's family search: the families of some structures matching words (or named by dossier
for their address), a page at a time, and what a list or the family page shows of each."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

__all__ = ["FamilySummary", "families_in_scope", "family_summaries", "search_families"]


@dataclass(frozen=True)
class FamilySummary:
    id: uuid.UUID
    identifiant: str
    structure_id: uuid.UUID
    guardians: tuple[str, ...]  # "DUPONT Jean-Paul", by rank
    children: tuple[str, ...]  # "DUPONT Léa", eldest first
    emails: tuple[str, ...]
    must_change_password: bool


# A family of the structures ($1; NULL: every one, an administrator's search): its own structure or a
# child's. Found when it is one of $3 (dossier's address matches) or when no word of $2 (lowercase) is
# missing from its identifiant, its guardians' and children's names and its e-mail addresses.
_MATCHING = """
FROM families f
WHERE ($1::uuid[] IS NULL OR f.structure_id = ANY($1::uuid[])
       OR EXISTS (SELECT 1 FROM children c WHERE c.family_id = f.id AND c.structure_id = ANY($1::uuid[])))
  AND (f.id = ANY($3::uuid[]) OR NOT EXISTS (
        SELECT 1 FROM unnest($2::text[]) AS w(word)
        WHERE NOT (strpos(lower(f.identifiant), w.word) > 0
                   OR EXISTS (SELECT 1 FROM guardians g WHERE g.family_id = f.id
                              AND (strpos(lower(g.first_name), w.word) > 0 OR strpos(lower(g.last_name), w.word) > 0))
                   OR EXISTS (SELECT 1 FROM children c WHERE c.family_id = f.id
                              AND (strpos(lower(c.first_name), w.word) > 0 OR strpos(lower(c.last_name), w.word) > 0))
                   OR EXISTS (SELECT 1 FROM accounts a, unnest(a.emails) AS e(address)
                              WHERE a.family_id = f.id AND strpos(lower(e.address), w.word) > 0))))
"""


async def search_families(conn: asyncpg.Connection, structures: list[uuid.UUID] | None, words: list[str],
                          also: list[uuid.UUID], limit: int, offset: int) -> tuple[int, list[FamilySummary]]:
    """(how many match, the page of them by identifiant)."""
    total = await conn.fetchval("SELECT count(*) " + _MATCHING, structures, words, also)
    ids = [r["id"] for r in await conn.fetch(
        "SELECT f.id " + _MATCHING + " ORDER BY lower(f.identifiant), f.id LIMIT $4 OFFSET $5",
        structures, words, also, limit, offset)]
    return total, await family_summaries(conn, ids)


async def family_summaries(conn: asyncpg.Connection, ids: list[uuid.UUID]) -> list[FamilySummary]:
    """These families (those that exist), in the order given."""
    rows = await conn.fetch(
        """SELECT f.id, f.identifiant, f.structure_id,
                  coalesce((SELECT array_agg(g.last_name || ' ' || g.first_name ORDER BY g.rank)
                            FROM guardians g WHERE g.family_id = f.id), '{}') AS guardians,
                  coalesce((SELECT array_agg(c.last_name || ' ' || c.first_name ORDER BY c.birth_date, c.first_name)
                            FROM children c WHERE c.family_id = f.id), '{}') AS children,
                  coalesce(a.emails, '{}') AS emails, coalesce(a.must_change_password, false) AS must_change
           FROM families f LEFT JOIN accounts a ON a.family_id = f.id WHERE f.id = ANY($1::uuid[])""", ids)
    found = {r["id"]: FamilySummary(r["id"], r["identifiant"], r["structure_id"], tuple(r["guardians"]),
                                    tuple(r["children"]), tuple(r["emails"]), r["must_change"]) for r in rows}
    return [found[i] for i in ids if i in found]


async def families_in_scope(conn: asyncpg.Connection, structures: list[uuid.UUID] | None,
                            ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """Of these families, those of the structures ($1; NULL: every one), in the order given."""
    rows = await conn.fetch(
        """SELECT f.id FROM families f WHERE f.id = ANY($2::uuid[])
             AND ($1::uuid[] IS NULL OR f.structure_id = ANY($1::uuid[]) OR EXISTS (
                  SELECT 1 FROM children c WHERE c.family_id = f.id AND c.structure_id = ANY($1::uuid[])))""",
        structures, ids)
    found = {r["id"] for r in rows}
    return [i for i in ids if i in found]
