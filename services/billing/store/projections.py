"""The SQL of billing's copies of other services' facts (families, children, structures and quotients,
under the freshness guard of kit/projection.py), of its tariffs, and of the transmitted bookings it
received (booking_movements)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import asyncpg

from contracts.pricing import Tariff
from kit import projection
from services.billing.domain.consumptions import Child


class ProjectionQueries:
    conn: asyncpg.Connection

    # -- the freshness guard --------------------------------------------------------------------------
    async def claim(self, kind: str, key: projection.Key, version: datetime,
                    structure_id: uuid.UUID | None = None) -> bool:
        return await projection.claim(self.conn, kind, key, version, structure_id)

    # -- families, children, structures, quotients -------------------------------------------------------
    async def save_family(self, family_id: uuid.UUID, identifiant: str, label: str, children: Sequence[Child],
                          structure_ids: Iterable[uuid.UUID],
                          households: Mapping[uuid.UUID, Sequence[uuid.UUID]] | None = None) -> None:
        """The family, its children and the structures it belongs to (read by services/billing/access.py
        through the service): the latest state wins."""
        await self.conn.execute(
            """INSERT INTO families (id, identifiant, label) VALUES ($1, $2, $3)
               ON CONFLICT (id) DO UPDATE SET identifiant = $2, label = $3""", family_id, identifiant, label)
        await self.conn.executemany(
            """INSERT INTO children (id, family_id, first_name, last_name, birth_date, other_family_ids)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (id) DO UPDATE SET family_id = $2, first_name = $3, last_name = $4, birth_date = $5,
                                              other_family_ids = $6""",
            # shared custody: the child stays under its first family, its second household beside it
            [(c.id, *_households(family_id, (households or {}).get(c.id, ()))[:1], c.first_name, c.last_name,
              c.birth_date, _households(family_id, (households or {}).get(c.id, ()))[1:]) for c in children])
        await self.conn.execute("DELETE FROM family_structures WHERE family_id = $1", family_id)
        await self.conn.executemany("INSERT INTO family_structures (family_id, structure_id) VALUES ($1, $2)",
                                    [(family_id, s) for s in dict.fromkeys(structure_ids)])

    async def save_structure(self, structure_id: uuid.UUID, name: str, version: datetime) -> bool:
        return await projection.upsert(self.conn, "structures", {"id": structure_id, "name": name}, conflict=["id"],
                                       kind="structures", key=structure_id, version=version,
                                       structure_id=structure_id)

    async def save_quotient(self, family_id: uuid.UUID, quotient: int | None, version: datetime) -> bool:
        return await projection.upsert(
            self.conn, "quotients", {"family_id": family_id, "family_quotient": quotient, "updated_at": version},
            conflict=["family_id"], kind="quotients", key=family_id, version=version)

    async def quotient(self, family_id: uuid.UUID) -> int | None:
        return await self.conn.fetchval("SELECT family_quotient FROM quotients WHERE family_id = $1", family_id)

    async def children_of(self, family_id: uuid.UUID) -> list[Child]:
        rows = await self.conn.fetch(
            # both conditions by index (children_family, children_other_households: migration 014)
            "SELECT id, first_name, last_name, birth_date FROM children WHERE family_id = $1 "
            "OR (other_family_ids <> '{}' AND other_family_ids @> ARRAY[$1::uuid])", family_id)
        return [Child(**r) for r in rows]

    async def child(self, child_id: uuid.UUID) -> Child | None:
        row = await self.conn.fetchrow(
            "SELECT id, first_name, last_name, birth_date FROM children WHERE id = $1", child_id)
        return Child(**row) if row else None

    async def family_label(self, family_id: uuid.UUID) -> str:
        return await self.conn.fetchval("SELECT label FROM families WHERE id = $1", family_id) or ""

    async def structure_name(self, structure_id: uuid.UUID) -> str:
        return await self.conn.fetchval("SELECT name FROM structures WHERE id = $1", structure_id) or ""

    async def family_structures(self, family_id: uuid.UUID) -> set[uuid.UUID]:
        """The structures a family has something in: it belongs to them (auth), or it consumed, was
        invoiced or paid there."""
        rows = await self.conn.fetch(
            """SELECT structure_id FROM family_structures WHERE family_id = $1
               UNION SELECT structure_id FROM consumptions WHERE family_id = $1
               UNION SELECT structure_id FROM invoices WHERE family_id = $1
               UNION SELECT structure_id FROM payments WHERE family_id = $1""", family_id)
        return {r["structure_id"] for r in rows}

    # -- tariffs -------------------------------------------------------------------------------------------
    async def tariff_versions(self, structure_id: uuid.UUID, activity_id: uuid.UUID) -> list[Tariff]:
        """The activity's tariff versions published by the structure the line belongs to (never another's)."""
        rows = await self.conn.fetch(
            "SELECT body::text AS body FROM tariffs WHERE structure_id = $1 AND activity_id = $2 "
            "ORDER BY effective_from", structure_id, activity_id)
        return [Tariff.model_validate_json(r["body"]) for r in rows]

    async def insert_tariff(self, structure_id: uuid.UUID, activity_name: str, tariff: Tariff) -> bool:
        """False when the activity already has a version at that date (in that structure)."""
        return bool(await self.conn.fetchval(
            """INSERT INTO tariffs (id, structure_id, activity_id, activity_name, effective_from, body)
               VALUES ($1, $2, $3, $4, $5, $6::jsonb) ON CONFLICT (structure_id, activity_id, effective_from)
               DO NOTHING RETURNING true""",
            tariff.tariff_id, structure_id, tariff.activity_id, activity_name, tariff.effective_from,
            tariff.model_dump_json()))

    async def has_tariff(self, activity_id: uuid.UUID) -> bool:
        return bool(await self.conn.fetchval("SELECT 1 FROM tariffs WHERE activity_id = $1", activity_id))

    async def activity_elsewhere(self, activity_id: uuid.UUID, structure_id: uuid.UUID) -> bool:
        """Has booking placed the activity in another structure than this one (a transmitted booking or
        a consumption line says so)?"""
        return await self.conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM booking_movements WHERE activity_id = $1 AND structure_id <> $2)
                   OR EXISTS (SELECT 1 FROM consumptions WHERE activity_id = $1 AND structure_id <> $2)""",
            activity_id, structure_id)

    # -- what billing received -------------------------------------------------------------------------------
    async def record_movements(self, event_id: uuid.UUID, rows: Sequence[tuple]) -> None:
        """The transmitted lines, as received (audit of billing's input): (booking_id, transmission_id,
        family_id, structure_id, child_id, activity_id, activity_name, day, kind, outcome) each."""
        await self.conn.executemany(
            """INSERT INTO booking_movements (event_id, booking_id, transmission_id, family_id, structure_id,
                   child_id, activity_id, activity_name, day, kind, outcome)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING""",
            [(event_id, *row) for row in rows])


def _households(family_id: uuid.UUID, households: Sequence[uuid.UUID]) -> list:
    """The child's first family, then its other households (shared custody) as one list."""
    return list(households) if households else [family_id]
