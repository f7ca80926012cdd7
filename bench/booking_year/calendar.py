"""bench.booking_year's first measurement: the parent's month calendar through the service (`POST /v1/calendar`)
and through the gateway (`POST /api/v1/booking/calendar` with a signed-in parent's session, as a script or the
parent's page calls it: gateway, auth's session check, booking), one at a time and 20 at once, each beside the
service's own statement (MONTH_SQL: the month in one round trip; the tariffs are cached) on a raw asyncpg
pool in the same run. Through the gateway, the CPU each process spent per request is read from /proc as well
(a figure that holds when other work loads the machine, unlike the rates)."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta

import aiohttp
import asyncpg

from bench.booking_year.cpu import cpu_per_request, services_cpu
from bench.booking_year.data import Year
from bench.booking_year.drive import Client, Run, drive
from bench.booking_year.portal import SIGN_IN_CONCURRENCY, Parent, gateway_portal, sign_in_all
from services.booking.store.sessions import MONTH_SQL

GATEWAY_PARENTS = 40  # parents signed in for the calendar through the gateway (argon2: a few seconds)


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


def raw_job(pool: asyncpg.Pool, family, child, month, activity):
    """The service's one statement for the same month, on a raw pool (no HTTP, pydantic, rules or JSON)."""
    first, last = month_range(month)

    async def job():
        async with pool.acquire() as conn:
            rows = await conn.fetch(MONTH_SQL, child, first, last, activity, family)
            assert child in rows[0]["kid_ids"]
    return job


async def bench_calendar(base: str, pool: asyncpg.Pool, reqs, concurrency: int) -> tuple[Run, Run]:
    client = Client(base, concurrency, timeout_s=30)

    def http_job(family, child, month, activity):
        async def job():
            data = await client.post("/v1/calendar", family,
                                     {"child_id": str(child), "month": month, "activity_id": str(activity)})
            assert len(data["days"]) >= 28
        return job

    try:
        warm = await drive([http_job(*r) for r in reqs[:20]], concurrency, 30)  # warm-up
        service = await drive([http_job(*r) for r in reqs], concurrency, 120)
    finally:
        await client.close()
    for kind, count in warm.errors.items():  # not timed, but checked
        service.errors[f"warm-up: {kind}"] += count
        service.samples.setdefault(f"warm-up: {kind}", warm.samples.get(kind, ""))
    raw = await drive([raw_job(pool, *r) for r in reqs], concurrency, 120)
    return service, raw


def gateway_requests(year: Year, n: int, rng: random.Random) -> list[tuple[uuid.UUID, uuid.UUID, str, uuid.UUID]]:
    """Calendar requests of the first GATEWAY_PARENTS families only (those signed in)."""
    signed = set(list(year.families)[:GATEWAY_PARENTS])
    return [r for r in calendar_requests(year, n * 20, rng) if r[0] in signed][:n]


async def bench_calendar_gateway(booking_dsn: str, pool: asyncpg.Pool, amqp: str, auth_dsn: str, year: Year,
                                 reqs, concurrencies: tuple[int, ...]
                                 ) -> list[tuple[int, Run, Run, dict[str, float]]]:
    """The same requests through the gateway's public API (booking, auth and the gateway each in its own
    process, bench/booking_year/portal.py), each series beside the raw statement, with the CPU each process
    spent per request of the series."""
    out = []
    async with gateway_portal(booking_dsn, amqp, auth_dsn, year, GATEWAY_PARENTS) as (base, parents):
        await sign_in_all(base, parents)
        by_family: dict[uuid.UUID, Parent] = {p.family: p for p in parents}
        for concurrency in concurrencies:
            http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=max(concurrency, SIGN_IN_CONCURRENCY)),
                                         cookie_jar=aiohttp.DummyCookieJar(), timeout=aiohttp.ClientTimeout(total=30))

            def gateway_job(family, child, month, activity, http=http):
                parent = by_family[family]

                async def job():
                    async with http.post(base + "/api/v1/booking/calendar", json={
                            "child_id": str(child), "month": month, "activity_id": str(activity)}, headers={
                            "Cookie": parent.cookie, "X-CSRF-Token": parent.csrf,
                            "X-Forwarded-For": parent.address}) as resp:
                        if resp.status != 200:
                            raise aiohttp.ClientResponseError(resp.request_info, (), status=resp.status,
                                                              message=(await resp.text())[:200])
                        assert len((await resp.json())["days"]) >= 28
                return job

            try:
                warm = await drive([gateway_job(*r) for r in reqs[:20]], concurrency, 30)
                before = services_cpu()
                gateway = await drive([gateway_job(*r) for r in reqs], concurrency, 120)
                cpu = cpu_per_request(before, services_cpu(), gateway.done)
            finally:
                await http.close()
            for kind, count in warm.errors.items():
                gateway.errors[f"warm-up: {kind}"] += count
                gateway.samples.setdefault(f"warm-up: {kind}", warm.samples.get(kind, ""))
            raw = await drive([raw_job(pool, *r) for r in reqs], concurrency, 120)
            out.append((concurrency, gateway, raw, cpu))
    return out
