"""The SQL of shared custody (garde alternée): a child's second household."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

import asyncpg

__all__ = ["ChildHome", "child_home", "identifiants", "link_household"]


@dataclass(frozen=True)
class ChildHome:
    id: uuid.UUID
    family_id: uuid.UUID  # its first family
    structure_id: uuid.UUID
    second_family_id: uuid.UUID | None


async def child_home(conn: asyncpg.Connection, child_id: uuid.UUID, *, lock: bool = False) -> ChildHome | None:
    row = await conn.fetchrow(
        "SELECT c.id, c.family_id, c.structure_id, h.family_id AS second_family_id FROM children c "
        "LEFT JOIN child_households h ON h.child_id = c.id WHERE c.id = $1" + (" FOR UPDATE OF c" if lock else ""),
        child_id)
    return ChildHome(**dict(row)) if row else None


async def link_household(conn: asyncpg.Connection, child_id: uuid.UUID, family_id: uuid.UUID,
                         linked_by: uuid.UUID | None) -> bool:
    """True when the link is new."""
    return await conn.fetchval(
        """INSERT INTO child_households (child_id, family_id, linked_by) VALUES ($1, $2, $3)
           ON CONFLICT (child_id) DO NOTHING RETURNING true""", child_id, family_id, linked_by) is not None


async def identifiants(conn: asyncpg.Connection, family_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    return {r["id"]: r["identifiant"] for r in await conn.fetch(
        "SELECT id, identifiant FROM families WHERE id = ANY($1::uuid[])", list(family_ids))}
