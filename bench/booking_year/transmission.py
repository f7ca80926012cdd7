"""bench.booking_year's third measurement: the nightly transmission of the pending lines by the service's
`transmission.run`, beside the same statements run raw (outbox rows written without pydantic), with the
outbox rows each writes."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import asyncpg

from contracts import BookingTransmittedV1
from kit.bus import exchange_name
from services.booking.domain.transmission import WAITING_FOR_ANSWER
from services.booking.service import transmission
from services.booking.store import MOVEMENTS_SQL, Database


@dataclass
class TransmissionRun:
    lines: int
    seconds: float
    events: int
    phases: dict[str, float] = field(default_factory=dict)
    transmission_id: uuid.UUID | None = None
    left: int = 0  # lines still pending afterwards
    outbox_rows: int = 0  # outbox rows written by the run, all kinds
    transmitted_rows: int = 0  # of which booking.transmitted.v1 events

    @property
    def rate(self) -> float:
        return self.lines / self.seconds if self.seconds else float("nan")


BOOKINGS_TRANSMITTED_SQL = """UPDATE bookings b SET transmitted = true WHERE b.id = ANY($1::uuid[])
                   AND NOT EXISTS (SELECT 1 FROM movements m WHERE m.booking_id = b.id AND m.transmission_id IS NULL
                                   AND m.outcome <> ALL($2::text[]))"""


async def raw_transmission(pool: asyncpg.Pool) -> TransmissionRun:
    """transmission.run()'s statements for the same volume, the outbox rows written without pydantic."""
    tid = uuid.uuid4()
    phases = Counter()
    t0 = time.perf_counter()
    families = [r["family_id"] for r in await pool.fetch(
        "SELECT DISTINCT family_id FROM movements WHERE transmission_id IS NULL AND outcome <> 'pending'")]
    phases["distinct families"] += time.perf_counter() - t0
    lines = events = 0
    for start in range(0, len(families), transmission.FAMILIES_PER_TRANSACTION):
        chunk = families[start:start + transmission.FAMILIES_PER_TRANSACTION]
        async with pool.acquire() as conn, conn.transaction():
            t = time.perf_counter()
            rows = await conn.fetch(MOVEMENTS_SQL, tid, chunk, list(WAITING_FOR_ANSWER))
            phases["MOVEMENTS_SQL (update+select)"] += time.perf_counter() - t
            t = time.perf_counter()
            await conn.execute(BOOKINGS_TRANSMITTED_SQL, list({r["booking_id"] for r in rows}), list(WAITING_FOR_ANSWER))
            phases["bookings.transmitted update"] += time.perf_counter() - t
            t = time.perf_counter()
            groups: dict[tuple, list] = {}
            for r in rows:
                groups.setdefault((r["family_id"], r["structure_id"]), []).append(
                    [str(r["booking_id"]), str(r["child_id"]), r["day"].isoformat(), r["kind"], r["outcome"]])
            await conn.executemany(
                "INSERT INTO outbox (event_id, exchange, routing_key, body) VALUES ($1, $2, $3, $4::jsonb)",
                [(uuid.uuid4(), exchange_name(BookingTransmittedV1), BookingTransmittedV1.routing_key(),
                  json.dumps({"family_id": str(f), "structure_id": str(s), "lines": g}))
                 for (f, s), g in groups.items()])
            phases["outbox insert"] += time.perf_counter() - t
            lines += len(rows)
            events += len(groups)
    await pool.execute("INSERT INTO transmissions (id, families, lines, finished_at) VALUES ($1, $2, $3, now())",
                       tid, len(families), lines)
    return TransmissionRun(lines, time.perf_counter() - t0, events, dict(phases), tid)


async def reset_transmission(conn, transmission_id: uuid.UUID) -> None:
    async with conn.transaction():
        await conn.execute("UPDATE movements SET transmission_id = NULL WHERE transmission_id = $1", transmission_id)
        await conn.execute("UPDATE bookings b SET transmitted = false FROM movements m "
                           "WHERE m.booking_id = b.id AND m.transmission_id IS NULL AND b.transmitted")
        await conn.execute("DELETE FROM outbox")
        await conn.execute("DELETE FROM transmissions WHERE id = $1", transmission_id)
    await conn.execute("VACUUM ANALYZE movements, bookings, outbox")


PENDING_SQL = "SELECT count(*) FROM movements WHERE transmission_id IS NULL AND outcome <> 'pending'"


async def outbox_rows(pool: asyncpg.Pool) -> tuple[int, int]:
    """Rows in the outbox: all, and booking.transmitted.v1 ones."""
    row = await pool.fetchrow("SELECT count(*) AS n, count(*) FILTER (WHERE routing_key = $1) AS v1 FROM outbox",
                              BookingTransmittedV1.routing_key())
    return row["n"], row["v1"]


async def bench_transmission(pool: asyncpg.Pool) -> tuple[int, TransmissionRun, TransmissionRun]:
    """Returns the lines pending before each run, and the two runs."""
    pending = await pool.fetchval(PENDING_SQL)
    before = await outbox_rows(pool)
    raw = await asyncio.wait_for(raw_transmission(pool), 600)
    raw.left = await pool.fetchval(PENDING_SQL)
    after = await outbox_rows(pool)
    raw.outbox_rows, raw.transmitted_rows = after[0] - before[0], after[1] - before[1]
    async with pool.acquire() as conn:
        await reset_transmission(conn, raw.transmission_id)
    before = await outbox_rows(pool)
    t0 = time.perf_counter()
    report = await asyncio.wait_for(transmission.run(Database(pool)), 600)
    service = TransmissionRun(report.lines, time.perf_counter() - t0, report.events,
                              transmission_id=report.transmission_id)
    service.left = await pool.fetchval(PENDING_SQL)
    after = await outbox_rows(pool)
    service.outbox_rows, service.transmitted_rows = after[0] - before[0], after[1] - before[1]
    return pending, service, raw
