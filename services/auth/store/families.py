"""The SQL of families: their members, their version, and what auth counts for the consistency check."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

import asyncpg

from services.auth.domain.families import ImportedChild, ImportedGuardian
from services.auth.store.accounts import BUMP, AlreadyExists

__all__ = [
    "FACT_QUERIES",
    "STRUCTURE_NAMES",
    "ChildRow",
    "FamilyRow",
    "GuardianRow",
    "add_child_if_new",
    "bump_family_version",
    "children",
    "family",
    "family_by_identifiant",
    "family_ids",
    "family_structures",
    "guardians",
    "insert_children",
    "insert_family",
    "insert_guardians",
    "touch_family",
]


@dataclass(frozen=True)
class FamilyRow:
    id: uuid.UUID
    identifiant: str
    structure_id: uuid.UUID
    updated_at: datetime | None = None


@dataclass(frozen=True)
class GuardianRow:
    id: uuid.UUID
    rank: int
    first_name: str
    last_name: str


@dataclass(frozen=True)
class ChildRow:
    id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date
    structure_id: uuid.UUID
    households: tuple[uuid.UUID, ...] = ()  # shared custody: its two families, the first one first


async def family_by_identifiant(conn: asyncpg.Connection, identifiant: str) -> FamilyRow | None:
    """Case does not count."""
    row = await conn.fetchrow("SELECT id, identifiant, structure_id, updated_at FROM families "
                              "WHERE lower(identifiant) = lower($1)", identifiant)
    return FamilyRow(**dict(row)) if row else None


async def family(conn: asyncpg.Connection, family_id: uuid.UUID) -> FamilyRow | None:
    row = await conn.fetchrow("SELECT id, identifiant, structure_id, updated_at FROM families WHERE id = $1",
                              family_id)
    return FamilyRow(**dict(row)) if row else None


async def guardians(conn: asyncpg.Connection, family_id: uuid.UUID) -> list[GuardianRow]:
    """By rank."""
    return [GuardianRow(**dict(r)) for r in await conn.fetch(
        "SELECT id, rank, first_name, last_name FROM guardians WHERE family_id = $1 ORDER BY rank", family_id)]


async def children(conn: asyncpg.Connection, family_id: uuid.UUID) -> list[ChildRow]:
    """Eldest first (then by first name); with the children it shares with another household (garde
    alternée), whichever of the two families it is."""
    return [ChildRow(**{**dict(r), "households": tuple(r["households"])}) for r in await conn.fetch(
        """SELECT c.id, c.first_name, c.last_name, c.birth_date, c.structure_id,
                  CASE WHEN h.family_id IS NULL THEN '{}'::uuid[] ELSE ARRAY[c.family_id, h.family_id] END
                  AS households
           FROM children c LEFT JOIN child_households h ON h.child_id = c.id
           WHERE c.family_id = $1 OR h.family_id = $1 ORDER BY c.birth_date, c.first_name""", family_id)]


async def family_structures(conn: asyncpg.Connection, family_id: uuid.UUID) -> set[uuid.UUID]:
    """The family's own structure and its children's; empty when there is no such family."""
    return {r["structure_id"] for r in await conn.fetch(
        "SELECT structure_id FROM families WHERE id = $1 UNION SELECT structure_id FROM children "
        "WHERE family_id = $1", family_id)}


async def insert_family(conn: asyncpg.Connection, family_id: uuid.UUID, identifiant: str,
                        structure_id: uuid.UUID) -> None:
    try:
        await conn.execute("INSERT INTO families (id, identifiant, structure_id) VALUES ($1, $2, $3)",
                           family_id, identifiant, structure_id)
    except asyncpg.UniqueViolationError as exc:
        raise AlreadyExists(identifiant) from exc


async def insert_guardians(conn: asyncpg.Connection, family_id: uuid.UUID,
                           members: tuple[ImportedGuardian, ...]) -> None:
    await conn.executemany(
        "INSERT INTO guardians (id, family_id, rank, first_name, last_name) VALUES ($1, $2, $3, $4, $5)",
        [(uuid.uuid4(), family_id, g.rank, g.first_name, g.last_name) for g in members])


async def insert_children(conn: asyncpg.Connection, family_id: uuid.UUID, kids: tuple[ImportedChild, ...]) -> None:
    await conn.executemany(
        """INSERT INTO children (id, family_id, first_name, last_name, birth_date, structure_id)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING""",
        [(uuid.uuid4(), family_id, c.first_name, c.last_name, c.birth_date, c.structure_id) for c in kids])


async def add_child_if_new(conn: asyncpg.Connection, family_id: uuid.UUID, child: ImportedChild) -> bool:
    """False when the family already has this child."""
    return bool(await conn.fetchval(
        """INSERT INTO children (id, family_id, first_name, last_name, birth_date, structure_id)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true""",
        uuid.uuid4(), family_id, child.first_name, child.last_name, child.birth_date, child.structure_id))


async def touch_family(conn: asyncpg.Connection, family_id: uuid.UUID) -> None:
    await conn.execute("UPDATE families SET updated_at = now() WHERE id = $1", family_id)


async def bump_family_version(conn: asyncpg.Connection, family_id: uuid.UUID) -> None:
    """Raise the family's version (see BUMP) before its facts are published."""
    await conn.execute(f"UPDATE families SET updated_at = {BUMP.format(column='updated_at')} WHERE id = $1",
                       family_id)


async def family_ids(conn: asyncpg.Connection, family_id: uuid.UUID | None = None,
                     structure_id: uuid.UUID | None = None) -> list[uuid.UUID]:
    """This family's id if it exists; or the families of a structure (its own or a child's); or all."""
    if family_id is not None:
        return [family_id] if await conn.fetchval("SELECT 1 FROM families WHERE id = $1", family_id) else []
    if structure_id is not None:
        return [r["id"] for r in await conn.fetch(
            """SELECT id FROM families WHERE structure_id = $1
               UNION SELECT family_id FROM children WHERE structure_id = $1 ORDER BY 1""", structure_id)]
    return [r["id"] for r in await conn.fetch("SELECT id FROM families ORDER BY id")]


# The consistency check (kit/consistency.py): (structure_id, key, version) per kind, what booking, billing,
# dossier and notify project from auth.
FACT_QUERIES = {
    "structures": "SELECT id, id::text, updated_at FROM structures",
    "families": "SELECT structure_id, id::text, updated_at FROM families",
    "children": """SELECT c.structure_id, c.id::text, f.updated_at FROM children c
                   JOIN families f ON f.id = c.family_id""",
    # notify knows no family's structure: the contacts are counted under none
    "contacts": """SELECT NULL::uuid, a.family_id::text, a.contacts_updated_at FROM accounts a
                   WHERE a.family_id IS NOT NULL""",
}
STRUCTURE_NAMES = "SELECT id, name FROM structures"
