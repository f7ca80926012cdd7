"""The children booking knows (from auth's family events): the one set of queries on the `children` table."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

import asyncpg

COLUMNS = "id, family_id, first_name, last_name, birth_date, structure_id, other_family_ids"


def of_family(family: str, alias: str = "") -> str:
    """SQL: a child the family (`family`: its id in SQL) acts for, its own or one it shares with another
    household (shared custody); `alias`: the children table's, when the statement names it."""
    column = f"{alias}." if alias else ""
    return f"({column}family_id = {family} OR {column}other_family_ids @> ARRAY[{family}]::uuid[])"


@dataclass(frozen=True)
class Child:
    id: uuid.UUID
    family_id: uuid.UUID
    first_name: str
    last_name: str
    birth_date: date
    structure_id: uuid.UUID
    other_family_ids: tuple[uuid.UUID, ...] = ()  # shared custody: its second household

    @property
    def households(self) -> tuple[uuid.UUID, ...]:
        """Every family the child belongs to (each books and is billed for its own days)."""
        return (self.family_id, *self.other_family_ids)


def child_of(r: asyncpg.Record) -> Child:
    return Child(r["id"], r["family_id"], r["first_name"], r["last_name"], r["birth_date"], r["structure_id"],
                 tuple(r["other_family_ids"]))


class ChildQueries:
    conn: asyncpg.Connection

    async def children_of_family(self, family_id: uuid.UUID) -> list[Child]:
        """A family's children, eldest first (with those it shares with another household)."""
        rows = await self.conn.fetch(
            f"SELECT {COLUMNS} FROM children WHERE {of_family('$1')} ORDER BY birth_date, first_name", family_id)
        return [child_of(r) for r in rows]

    async def children_by_id(self, child_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Child]:
        """The children known among these ids (an unknown id is simply absent)."""
        rows = await self.conn.fetch(f"SELECT {COLUMNS} FROM children WHERE id = ANY($1::uuid[])", list(child_ids))
        return {r["id"]: child_of(r) for r in rows}

    async def lock_children(self, child_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Child]:
        """The same, their rows locked until the end of the transaction (one family's confirmations run
        one at a time)."""
        rows = await self.conn.fetch(f"SELECT {COLUMNS} FROM children WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE",
                                     list(child_ids))
        return {r["id"]: child_of(r) for r in rows}

    async def upsert_children(self, children: Collection[Child]) -> None:
        await self.conn.executemany(
            f"""INSERT INTO children ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT (id) DO UPDATE SET family_id = $2, first_name = $3, last_name = $4, birth_date = $5,
                                              structure_id = $6, other_family_ids = $7""",
            [(c.id, c.family_id, c.first_name, c.last_name, c.birth_date, c.structure_id, list(c.other_family_ids))
             for c in children])
