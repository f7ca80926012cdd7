"""bench.booking_year's first measurement: the parent's month calendar (`POST /v1/calendar`) through the
service, one at a time and 20 at once, beside the handler's own statements on a raw asyncpg pool."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

import asyncpg

from bench.booking_year.data import Year, has_column
from bench.booking_year.drive import Client, Run, drive
from services.booking.store import SESSIONS_SQL


def calendar_requests(year: Year, n: int, rng: random.Random) -> list[tuple[uuid.UUID, uuid.UUID, str, uuid.UUID]]:
    kids = [(f, c, st) for f, ks in year.families.items() for c, st in ks]
    months = sorted({d.strftime("%Y-%m") for d in year.school_days})
    out = []
    for _ in range(n):
        family, child, st = rng.choice(kids)
        activity = year.activity(st, rng.choice(("Restauration scolaire", "APS soir")))
        out.append((family, child, rng.choice(months), activity.id))
    return out


def month_range(month: str) -> tuple[date, date]:
    y, m = (int(p) for p in month.split("-"))
    first = date(y, m, 1)
    return first, (date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1))


async def bench_calendar(base: str, pool: asyncpg.Pool, reqs, concurrency: int) -> tuple[Run, Run]:
    client = Client(base, concurrency, timeout_s=30)
    async with pool.acquire() as conn:
        tariffs = await has_column(conn, "tariffs", "body")

    def http_job(family, child, month, activity):
        async def job():
            data = await client.post("/v1/calendar", family,
                                     {"child_id": str(child), "month": month, "activity_id": str(activity)})
            assert len(data["days"]) >= 28
        return job

    def raw_job(family, child, month, activity):
        first, last = month_range(month)

        async def job():
            async with pool.acquire() as conn:  # the handler's statements
                assert await conn.fetchval("SELECT 1 FROM children WHERE id = $1 AND family_id = $2", child, family)
                await conn.fetch(SESSIONS_SQL, child, first, last, activity)
                if tariffs:  # services/booking/service/parents.py pricer_for (costs from billing's tariffs)
                    await conn.fetchval("SELECT family_id FROM children WHERE id = $1", child)
                    kids = await conn.fetch("SELECT id, birth_date, structure_id FROM children WHERE family_id = $1",
                                            family)
                    await conn.fetch(
                        """SELECT t.activity_id, t.body::text AS body FROM tariffs t JOIN activities a ON a.id = t.activity_id
                           WHERE a.structure_id = ANY($1::uuid[]) ORDER BY t.effective_from""",
                        list({k["structure_id"] for k in kids}))
                    await conn.fetchval("SELECT family_quotient FROM quotients WHERE family_id = $1", family)
        return job

    try:
        warm = await drive([http_job(*r) for r in reqs[:20]], concurrency, 30)  # warm-up
        service = await drive([http_job(*r) for r in reqs], concurrency, 120)
    finally:
        await client.close()
    for kind, count in warm.errors.items():  # not timed, but checked
        service.errors[f"warm-up: {kind}"] += count
        service.samples.setdefault(f"warm-up: {kind}", warm.samples.get(kind, ""))
    raw = await drive([raw_job(*r) for r in reqs], concurrency, 120)
    return service, raw
