"""The nightly transmission: every movement not yet transmitted (and not waiting for a staff decision)
goes out, one booking.transmitted event per family and structure (v1 naming the children on the
internal exchange, v2 by identifiers on the public one), written to the outbox in the same transaction
that marks the movements transmitted. Running it twice transmits nothing twice;
two runs at once share the work (SKIP LOCKED)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby

import asyncpg

from contracts import BookingTransmittedV1, TransmittedLine
from contracts.booking import BookingTransmittedV2
from kit import outbox

FAMILIES_PER_TRANSACTION = 200


@dataclass
class TransmissionReport:
    transmission_id: uuid.UUID
    families: int = 0
    events: int = 0
    lines: int = 0


async def record(conn: asyncpg.Connection, transmission_id: uuid.UUID,
                 events: Sequence[BookingTransmittedV1]) -> None:
    """Record a transmission run and its already-built events in one transaction."""
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO transmissions (id, families, lines, finished_at) VALUES ($1, $2, $3, now())",
            transmission_id, len({e.family_id for e in events}), sum(len(e.lines) for e in events))
        for event in events:
            await outbox.add(conn, event, producer="booking")
            await outbox.add(conn, BookingTransmittedV2.of(event), producer="booking")


MOVEMENTS_SQL = """
WITH picked AS (
    SELECT id FROM movements
    WHERE transmission_id IS NULL AND outcome <> 'pending' AND family_id = ANY($2::uuid[])
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


def build_events(rows: Sequence[asyncpg.Record], transmission_id: uuid.UUID, at: datetime) -> list[BookingTransmittedV1]:
    events = []
    for (family_id, structure_id), group in groupby(rows, key=lambda r: (r["family_id"], r["structure_id"])):
        group = list(group)
        events.append(BookingTransmittedV1(
            transmission_id=transmission_id, family_id=family_id, structure_id=structure_id,
            structure_name=group[0]["structure_name"], transmitted_at=at,
            lines=[TransmittedLine(
                booking_id=r["booking_id"], child_id=r["child_id"], child_first_name=r["first_name"],
                child_last_name=r["last_name"], activity_id=r["activity_id"], activity_name=r["activity_name"],
                date=r["day"], kind=r["kind"], outcome=r["outcome"], arrival=r["arrival"], departure=r["departure"])
                for r in group]))
    return events


async def run(pool: asyncpg.Pool, now: datetime | None = None) -> TransmissionReport:
    at = now or datetime.now(UTC)
    report = TransmissionReport(uuid.uuid4())
    families = [r["family_id"] for r in await pool.fetch(
        "SELECT DISTINCT family_id FROM movements WHERE transmission_id IS NULL AND outcome <> 'pending'")]
    for start in range(0, len(families), FAMILIES_PER_TRANSACTION):
        chunk = families[start:start + FAMILIES_PER_TRANSACTION]
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(MOVEMENTS_SQL, report.transmission_id, chunk)
            if not rows:
                continue
            # a booking is "transmitted" once its latest movement is
            await conn.execute(
                """UPDATE bookings b SET transmitted = true WHERE b.id = ANY($1::uuid[])
                   AND NOT EXISTS (SELECT 1 FROM movements m WHERE m.booking_id = b.id AND m.transmission_id IS NULL)""",
                list({r["booking_id"] for r in rows}))
            events = build_events(rows, report.transmission_id, at)
            await outbox.add_many(conn, [e for event in events for e in (event, BookingTransmittedV2.of(event))],
                                  producer="booking")
            report.families += len({e.family_id for e in events})
            report.events += len(events)
            report.lines += len(rows)
    await pool.execute("INSERT INTO transmissions (id, started_at, families, lines, finished_at) "
                       "VALUES ($1, $2, $3, $4, now())", report.transmission_id, at, report.families, report.lines)
    return report
