"""The SQL of billing's batched consumption (docs/adr/0009): a batch of transmissions read and written in
bulk statements, whatever its number of lines: the quotients, children and tariffs of all its families
in one query each, its movements and its charges in one statement each."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence

import asyncpg

from contracts.pricing import Tariff
from services.billing.domain.consumptions import Child, Consumption


class BatchQueries:
    conn: asyncpg.Connection

    async def quotients_of(self, family_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int | None]:
        rows = await self.conn.fetch("SELECT family_id, family_quotient FROM quotients WHERE family_id = ANY($1::uuid[])",
                                     list(set(family_ids)))
        return {r["family_id"]: r["family_quotient"] for r in rows}

    async def children_of_families(self, family_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Child]]:
        rows = await self.conn.fetch(
            # a child in shared custody counts in each of its households; both halves use an index
            # (children_family, children_other_households: migration 014)
            """SELECT c.family_id, c.id, c.first_name, c.last_name, c.birth_date FROM children c
               WHERE c.family_id = ANY($1::uuid[])
               UNION ALL
               SELECT f.family_id, c.id, c.first_name, c.last_name, c.birth_date FROM children c
               CROSS JOIN LATERAL unnest(c.other_family_ids) AS f(family_id)
               WHERE c.other_family_ids <> '{}' AND c.other_family_ids && $1::uuid[] AND f.family_id = ANY($1::uuid[])""",
            list(set(family_ids)))
        found: dict[uuid.UUID, list[Child]] = defaultdict(list)
        for r in rows:
            found[r["family_id"]].append(Child(r["id"], r["first_name"], r["last_name"], r["birth_date"]))
        return found

    async def tariff_versions_of(self, pairs: Iterable[tuple[uuid.UUID, uuid.UUID]]
                                 ) -> dict[tuple[uuid.UUID, uuid.UUID], list[Tariff]]:
        """Each (structure, activity)'s tariff versions, oldest first (as `tariff_versions`)."""
        wanted = list(set(pairs))
        rows = await self.conn.fetch(
            """SELECT t.structure_id, t.activity_id, t.body::text AS body FROM tariffs t
               JOIN unnest($1::uuid[], $2::uuid[]) AS w(structure_id, activity_id) USING (structure_id, activity_id)
               ORDER BY t.effective_from""", [p[0] for p in wanted], [p[1] for p in wanted])
        found: dict[tuple[uuid.UUID, uuid.UUID], list[Tariff]] = {p: [] for p in wanted}
        for r in rows:
            found[(r["structure_id"], r["activity_id"])].append(Tariff.model_validate_json(r["body"]))
        return found

    async def record_movements_of(self, rows: Sequence[tuple]) -> None:
        """The transmitted lines of several events, as received: (event_id, booking_id, transmission_id,
        family_id, structure_id, child_id, activity_id, activity_name, day, kind, outcome) each."""
        if not rows:
            return
        columns = list(zip(*rows))
        await self.conn.execute(
            """INSERT INTO booking_movements (event_id, booking_id, transmission_id, family_id, structure_id,
                   child_id, activity_id, activity_name, day, kind, outcome)
               SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::uuid[],
                                    $7::uuid[], $8::text[], $9::date[], $10::text[], $11::text[])
               ON CONFLICT DO NOTHING""", *[list(c) for c in columns])

    async def insert_charges(self, lines: Sequence[tuple[Consumption, uuid.UUID]]) -> set[uuid.UUID]:
        """Charges with their source event, in one statement; returns the ids inserted (a booking already
        charged keeps its one charge)."""
        if not lines:
            return set()
        rows = [(c.id, c.family_id, c.structure_id, c.child_id, c.first_name, c.last_name, c.booking_id,
                 c.activity_id, c.activity_name, c.day, c.unit_price_cents, c.quantity, c.total_cents, source)
                for c, source in lines]
        inserted = await self.conn.fetch(
            """INSERT INTO consumptions (id, family_id, structure_id, child_id, first_name, last_name, booking_id,
                   activity_id, activity_name, day, unit_price_cents, quantity, total_cents, source_event_id)
               SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[],
                                    $7::uuid[], $8::uuid[], $9::text[], $10::date[], $11::int[], $12::int[],
                                    $13::int[], $14::uuid[])
               ON CONFLICT (booking_id) WHERE credit_of IS NULL DO NOTHING RETURNING id""",
            *[list(c) for c in zip(*rows)])
        return {r["id"] for r in inserted}
