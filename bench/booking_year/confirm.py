"""bench.booking_year's second measurement: 40-line baskets confirmed (`POST /v1/basket/confirm`) by every
parent at once through the service, beside the set-based floor (the same locks, then one statement per basket)
in one raw transaction; the database is put back between the two so that both do the same work."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from datetime import date

import asyncpg

from bench.booking_year.data import Year
from bench.booking_year.drive import Client, Run, drive
from services.booking.store import Store

WARM_UP_PARENTS = 50  # the untimed burst before each side's timed ones (on the year's last window of days)


def basket(year: Year, family: uuid.UUID, days: list[date]) -> list[tuple[uuid.UUID, uuid.UUID, date]]:
    lines = []
    for child, st in year.families[family]:
        for d in days:
            for name in ("Restauration scolaire", "APS soir"):
                lines.append((child, year.activity(st, name).id, d))
    return lines


async def snapshot(conn) -> tuple[int, int, list]:
    return (await conn.fetchval("SELECT coalesce(max(id), 0) FROM movements"),
            await conn.fetchval("SELECT coalesce(max(request_seq), 0) FROM bookings"),
            [tuple(r) for r in await conn.fetch("SELECT id, taken, waiting FROM sessions WHERE capacity IS NOT NULL")])


async def restore(conn, snap) -> None:
    """Undo a confirmation run so the next one does exactly the same work."""
    movement_id, request_seq, places = snap
    async with conn.transaction():
        # no foreign-key checks: movements.booking_id has no index, so each deleted booking would scan
        # all of movements (the rows that referenced them are deleted first); nor triggers: the waiting lists'
        # lengths (migration 022) are put back with the places
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute("DELETE FROM movements WHERE id > $1", movement_id)
        await conn.execute("DELETE FROM bookings WHERE request_seq > $1", request_seq)
        await conn.execute("UPDATE sessions s SET taken = t.taken, waiting = t.waiting "
                           "FROM unnest($1::uuid[], $2::int[], $3::int[]) AS t(id, taken, waiting) "
                           "WHERE s.id = t.id AND (s.taken, s.waiting) <> (t.taken, t.waiting)",
                           [p[0] for p in places], [p[1] for p in places], [p[2] for p in places])
    await conn.execute("VACUUM ANALYZE bookings, movements, sessions")


async def recorded(conn, request_seq: int) -> Counter:
    """The bookings a confirmation run recorded, by status."""
    return Counter({r["status"]: r["n"] for r in await conn.fetch(
        "SELECT status, count(*) AS n FROM bookings WHERE request_seq > $1 GROUP BY status", request_seq)})


async def drain(pool: asyncpg.Pool, request_seq: int, expected: int, limit_s: float = 300) -> tuple[int, float]:
    """Wait until the bookings of the run are all recorded, or stop growing for 3 s. Returns how many
    were recorded and how long after the client's end."""
    t0 = last_change = time.perf_counter()
    last = -1
    while True:
        count = await pool.fetchval("SELECT count(*) FROM bookings WHERE request_seq > $1", request_seq)
        now = time.perf_counter()
        if count != last:
            last, last_change = count, now
        if count >= expected or now - last_change > 3 or now - t0 > limit_s:
            return count, (last_change - t0)
        await asyncio.sleep(0.25)


# The floor's set-based statement (/work/shared/bench-floor/confirm_limit.py) on the portal's tables: each
# line decided from the locked counts (accepted while places remain, then the waiting list when the activity
# keeps one, else refused), bookings and movements inserted, places updated once per session.
RAW_SET_SQL = """
WITH l AS (SELECT * FROM unnest($2::uuid[], $3::uuid[], $4::date[]) WITH ORDINALITY AS l(child_id, activity_id, day, n)),
s AS (SELECT s.id, s.capacity, s.taken, a.waitlist_allowed, l.child_id, l.activity_id, l.day, l.n,
             row_number() OVER (PARTITION BY s.id ORDER BY l.n) AS k
      FROM l JOIN sessions s ON s.activity_id = l.activity_id AND s.day = l.day JOIN activities a ON a.id = s.activity_id),
d AS (SELECT *, CASE WHEN capacity IS NULL OR taken + k <= capacity THEN 'accepted'
                     WHEN waitlist_allowed THEN 'waitlisted' ELSE 'refused' END AS status FROM s),
u AS (UPDATE sessions x SET taken = x.taken + c.n FROM
        (SELECT id, count(*) AS n FROM d WHERE status = 'accepted' AND capacity IS NOT NULL GROUP BY id) c
      WHERE x.id = c.id),
b AS (INSERT INTO bookings (id, session_id, activity_id, child_id, family_id, day, status, reason)
      SELECT gen_random_uuid(), id, activity_id, child_id, $1, day, status,
             CASE WHEN status = 'refused' THEN 'plus de place disponible' END FROM d ORDER BY n
      RETURNING id, status),
m AS (INSERT INTO movements (booking_id, family_id, kind, outcome) SELECT id, $1, 'reserve', status FROM b)
SELECT status, count(*) AS n FROM b GROUP BY status
"""


async def raw_confirm(pool: asyncpg.Pool, family: uuid.UUID, lines) -> Counter:
    """The set-based floor for the same basket: children and sessions locked as the service does, then one
    statement (no HTTP, pydantic, rules or answer per line: every line of the bench's baskets passes them)."""
    ordered = sorted(lines, key=lambda line: line[2])
    async with pool.acquire() as conn, conn.transaction():
        await Store(conn).lock_children({c for c, _, _ in lines})
        await conn.execute(
            """SELECT 1 FROM sessions s JOIN unnest($1::uuid[], $2::date[]) AS l(activity_id, day)
                   ON s.activity_id = l.activity_id AND s.day = l.day
               WHERE s.capacity IS NOT NULL ORDER BY s.id FOR NO KEY UPDATE OF s""",
            [a for _, a, _ in lines], [d for _, _, d in lines])
        rows = await conn.fetch(RAW_SET_SQL, family, [c for c, _, _ in ordered], [a for _, a, _ in ordered],
                                [d for _, _, d in ordered])
    return Counter({r["status"]: r["n"] for r in rows})


async def bench_confirm(base: str, pool: asyncpg.Pool, year: Year, parents: int, rounds: int,
                        basket_days: int) -> tuple[Run, Run]:
    families = year.two_child_families[:parents]
    windows = year.windows(basket_days)[:rounds]
    client = Client(base, parents, timeout_s=120)

    def http_job(family, lines):
        body = {"lines": [{"child_id": str(c), "activity_id": str(a), "date": d.isoformat(), "action": "reserve"}
                          for c, a, d in lines]}

        async def job():
            data = await client.post("/v1/basket/confirm", family, body)
            return Counter(r["outcome"] if r["outcome"] != "rejected" else f"rejected: {r['reason']}"
                           for r in data["results"])
        return job

    def raw_job(family, lines):
        return lambda: raw_confirm(pool, family, lines)

    async def bursts(make) -> Run:
        total = Run()
        for days in windows:  # every parent at once, one burst per window of days
            run = await drive([make(f, basket(year, f, days)) for f in families], parents, 300)
            total.latencies += run.latencies
            total.wall += run.wall
            total.errors.update(run.errors)
            for kind, message in run.samples.items():
                total.samples.setdefault(kind, message)
            total.outcomes.update(run.outcomes)
            total.unfinished += run.unfinished
        return total

    warm_days = year.windows(basket_days)[-1]

    async def warmed(make) -> Counter:
        """An untimed burst first, undone at once: each side's connections, prepared statements and caches are
        warm when timing starts (the service's first burst otherwise pays for its pool's connections and the
        statements each one prepares, and the raw side for its own). Returns its errors, checked as the others."""
        run = await drive([make(f, basket(year, f, warm_days)) for f in families[:WARM_UP_PARENTS]],
                          min(parents, WARM_UP_PARENTS), 300)
        async with pool.acquire() as conn:
            await restore(conn, snap)
        return Counter({f"warm-up: {kind}": n for kind, n in run.errors.items()})

    async with pool.acquire() as conn:
        snap = await snapshot(conn)
    # (after a failure nothing is put back: the run stops and its database is dropped)
    try:
        warm_errors = await warmed(http_job)
        service = await bursts(http_job)
        service.errors.update(warm_errors)
    finally:
        await client.close()
    # a request the client gave up on still runs to its end in the service: wait for it
    service.drain = await drain(pool, snap[1], len(families) * len(windows) * 4 * basket_days)
    async with pool.acquire() as conn:
        service.recorded = await recorded(conn, snap[1])
        await restore(conn, snap)
    warm_errors = await warmed(raw_job)
    raw = await bursts(raw_job)
    raw.errors.update(warm_errors)
    async with pool.acquire() as conn:
        raw.recorded = await recorded(conn, snap[1])
        await restore(conn, snap)
    return service, raw
