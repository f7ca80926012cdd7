"""The nightly transmission's SQL: the movements not yet transmitted (picked with SKIP LOCKED and marked in
the same statement; a request waiting for staff's answer never goes out, its answer does), what prices the
families' accepted reservations and the price each was charged, the bookings they leave transmitted, the
run's record; and the latest transmitted state of each booking, which the resync republishes and the facts
digest counts."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time

import asyncpg

from contracts.pricing import Price, Tariff
from services.booking.domain.transmission import WAITING_FOR_ANSWER, Movement

MOVEMENTS_SQL = """
WITH picked AS (
    SELECT id FROM movements
    WHERE transmission_id IS NULL AND outcome <> ALL($3::text[]) AND family_id = ANY($2::uuid[])
    ORDER BY id FOR UPDATE SKIP LOCKED
), marked AS (
    UPDATE movements m SET transmission_id = $1 FROM picked WHERE m.id = picked.id
    RETURNING m.id, m.booking_id, m.family_id, m.kind, m.outcome
)
SELECT mk.id, mk.booking_id, mk.family_id, mk.kind, mk.outcome, b.child_id, b.activity_id, b.day,
       coalesce(b.arrival, s.start_time) AS arrival, coalesce(b.departure, s.end_time) AS departure,
       c.first_name, c.last_name, a.name AS activity_name, a.structure_id, coalesce(st.name, '') AS structure_name
FROM marked mk
JOIN bookings b ON b.id = mk.booking_id
JOIN sessions s ON s.id = b.session_id
JOIN activities a ON a.id = b.activity_id
JOIN children c ON c.id = b.child_id
LEFT JOIN structures st ON st.id = a.structure_id
ORDER BY mk.family_id, a.structure_id, mk.id
"""

# The latest transmitted movement of each booking, with what a consumer needs to know of the booking.
STATES = """
SELECT DISTINCT ON (m.booking_id) m.booking_id, m.kind, m.outcome, m.created_at, b.family_id, b.child_id,
       b.activity_id, b.day, coalesce(b.arrival, s.start_time) AS arrival,
       coalesce(b.departure, s.end_time) AS departure, a.name AS activity_name, a.structure_id,
       b.charged_unit_cents, b.charged_quantity, b.charged_cents
FROM movements m
JOIN bookings b ON b.id = m.booking_id
JOIN sessions s ON s.id = b.session_id
JOIN activities a ON a.id = b.activity_id
WHERE m.transmission_id IS NOT NULL {scope}
ORDER BY m.booking_id, m.id DESC"""
SCOPED_STATES = STATES.format(
    scope="AND ($1::uuid IS NULL OR b.family_id = $1) AND ($2::uuid IS NULL OR a.structure_id = $2)")

# The facts digest (kit/consistency.py): the bookings whose latest transmitted movement is an accepted
# reservation, per structure. A billed booking never changes once made (a cancellation is another fact):
# its version is not counted.
DIGEST_QUERIES = {
    "bookings": f"""SELECT st.structure_id, st.booking_id::text, NULL::timestamptz
                    FROM ({STATES.format(scope="")}) st
                    WHERE st.kind = 'reserve' AND st.outcome = 'accepted'""",
}
STRUCTURE_NAMES = "SELECT id, name FROM structures"


@dataclass(frozen=True)
class TransmittedState:
    booking_id: uuid.UUID
    kind: str
    outcome: str
    created_at: datetime
    family_id: uuid.UUID
    child_id: uuid.UUID
    activity_id: uuid.UUID
    day: date
    arrival: time
    departure: time
    activity_name: str
    structure_id: uuid.UUID
    charged: Price | None = None  # what its transmitted acceptance was charged


@dataclass(frozen=True)
class FamiliesPriceFacts:
    """What prices these families' bookings: the tariff versions (oldest first) of every activity of their
    children's structures, each family's quotient, and its children with their birth dates (for the ranks)."""

    versions: dict[uuid.UUID, list[Tariff]]
    quotients: dict[uuid.UUID, int | None]
    children: dict[uuid.UUID, list[tuple[uuid.UUID, date]]]


def _charged(r) -> Price | None:
    if r["charged_cents"] is None:
        return None
    return Price(r["charged_unit_cents"], r["charged_quantity"], r["charged_cents"])


class TransmissionQueries:
    conn: asyncpg.Connection

    async def families_to_transmit(self) -> list[uuid.UUID]:
        rows = await self.conn.fetch(
            "SELECT DISTINCT family_id FROM movements WHERE transmission_id IS NULL AND outcome <> ALL($1::text[])",
            list(WAITING_FOR_ANSWER))
        return [r["family_id"] for r in rows]

    async def pick_movements(self, transmission_id: uuid.UUID, families: Collection[uuid.UUID]) -> list[Movement]:
        """Mark these families' movements as part of the transmission (those another run holds are skipped),
        ordered by family, structure and movement."""
        rows = await self.conn.fetch(MOVEMENTS_SQL, transmission_id, list(families), list(WAITING_FOR_ANSWER))
        return [Movement(r["booking_id"], r["family_id"], r["kind"], r["outcome"], r["child_id"], r["activity_id"],
                         r["day"], r["arrival"], r["departure"], r["first_name"], r["last_name"],
                         r["activity_name"], r["structure_id"], r["structure_name"]) for r in rows]

    async def mark_bookings_transmitted(self, booking_ids: Collection[uuid.UUID]) -> None:
        """A booking is "transmitted" once every movement of it that goes out is (the "pending" movement of a
        request answered by staff never goes out: its answer did)."""
        await self.conn.execute(
            """UPDATE bookings b SET transmitted = true WHERE b.id = ANY($1::uuid[])
               AND NOT EXISTS (SELECT 1 FROM movements m WHERE m.booking_id = b.id AND m.transmission_id IS NULL
                               AND m.outcome <> ALL($2::text[]))""",
            list(booking_ids), list(WAITING_FOR_ANSWER))

    async def families_price_facts(self, families: Collection[uuid.UUID]) -> FamiliesPriceFacts:
        """What the transmission prices these families' accepted reservations with (three reads for a batch)."""
        children = await self.conn.fetch(
            # a child in shared custody counts in each of its households
            """SELECT c.id, f.family_id, c.birth_date, c.structure_id FROM children c
               CROSS JOIN LATERAL unnest(array_prepend(c.family_id, c.other_family_ids)) AS f(family_id)
               WHERE f.family_id = ANY($1::uuid[])""",
            list(families))
        tariffs = await self.conn.fetch(
            """SELECT t.activity_id, t.body::text AS body FROM tariffs t JOIN activities a ON a.id = t.activity_id
               WHERE a.structure_id = ANY($1::uuid[]) ORDER BY t.effective_from""",
            list({r["structure_id"] for r in children}))
        quotients = await self.conn.fetch(
            "SELECT family_id, family_quotient FROM quotients WHERE family_id = ANY($1::uuid[])", list(families))
        versions: dict[uuid.UUID, list[Tariff]] = defaultdict(list)
        for r in tariffs:
            versions[r["activity_id"]].append(Tariff.model_validate_json(r["body"]))
        kids: dict[uuid.UUID, list[tuple[uuid.UUID, date]]] = defaultdict(list)
        for r in children:
            kids[r["family_id"]].append((r["id"], r["birth_date"]))
        return FamiliesPriceFacts(dict(versions), {r["family_id"]: r["family_quotient"] for r in quotients},
                                  dict(kids))

    async def record_charged_prices(self, prices: Mapping[uuid.UUID, Price]) -> None:
        """The price each accepted reservation was transmitted (and so charged) at, kept on the booking."""
        if not prices:
            return
        ids = list(prices)
        await self.conn.execute(
            """UPDATE bookings b SET charged_unit_cents = p.unit, charged_quantity = p.quantity,
                                     charged_cents = p.total
               FROM unnest($1::uuid[], $2::int[], $3::int[], $4::int[]) AS p(id, unit, quantity, total)
               WHERE b.id = p.id""",
            ids, [prices[i].unit_price_cents for i in ids], [prices[i].quantity for i in ids],
            [prices[i].total_cents for i in ids])

    async def insert_transmission(self, transmission_id: uuid.UUID, started_at: datetime | None, families: int,
                                  lines: int) -> None:
        if started_at is None:
            await self.conn.execute(
                "INSERT INTO transmissions (id, families, lines, finished_at) VALUES ($1, $2, $3, now())",
                transmission_id, families, lines)
        else:
            await self.conn.execute(
                "INSERT INTO transmissions (id, started_at, families, lines, finished_at) "
                "VALUES ($1, $2, $3, $4, now())", transmission_id, started_at, families, lines)

    async def transmitted_states(self, family_id: uuid.UUID | None = None,
                                 structure_id: uuid.UUID | None = None) -> list[TransmittedState]:
        rows = await self.conn.fetch(SCOPED_STATES, family_id, structure_id)
        return [TransmittedState(r["booking_id"], r["kind"], r["outcome"], r["created_at"], r["family_id"],
                                 r["child_id"], r["activity_id"], r["day"], r["arrival"], r["departure"],
                                 r["activity_name"], r["structure_id"], _charged(r)) for r in rows]
