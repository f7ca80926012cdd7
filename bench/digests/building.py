"""bench.digests's first two measurements: the real digest run (`digest_runs.run`, timed, its memory) with
its check (one digest per family and structure, one pending delivery each, no movement left), and the same
digests built in memory by `build_digest` (no SQL), to tell the SQL from the rendering."""

from __future__ import annotations

import asyncio
import resource
import time
from pathlib import Path

import asyncpg

from bench.common import Report
from bench.digests.data import Dataset
from contracts import BookingTransmittedV1
from services.notify.domain.digest_layout import digest_layout
from services.notify.service import digest_runs as digests
from services.notify.store import Store
from services.notify.templates import render_digest

PORTAL_URL = "https://portail.example.fr/"
RUN_TIMEOUT_S = 900  # one digest run; beyond that something is wrong


def rss_now_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def maxrss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


async def reset_digests(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("DELETE FROM deliveries")
        await conn.execute("DELETE FROM outbox")
        await conn.execute("UPDATE digest_movements SET digested_at = NULL")
    async with pool.acquire() as conn:
        await conn.execute("VACUUM ANALYZE digest_movements")
        await conn.execute("VACUUM ANALYZE deliveries")


async def timed_run(pool: asyncpg.Pool) -> tuple[digests.DigestReport, float]:
    t0 = time.perf_counter()
    report = await asyncio.wait_for(digests.run(Store(pool), PORTAL_URL), timeout=RUN_TIMEOUT_S)
    return report, time.perf_counter() - t0


def build_in_memory(ds: Dataset, parse: bool) -> tuple[int, float, int]:
    """The digests `run` would build, without the database. Returns (digests, seconds, bytes of mail)."""
    built = size = 0
    t0 = time.perf_counter()
    for key, (greeting, events) in ds.groups.items():
        if parse:
            events = [BookingTransmittedV1.model_validate_json(p) for p in ds.payloads[key]]
        lines = [line for event in events for line in event.lines]
        layout = digest_layout(greeting, events[-1].structure_name, lines)
        digest = None if layout is None else render_digest(layout, PORTAL_URL)
        if digest is not None:
            built += 1
            size += len(digest.text) + len(digest.html)
    return built, time.perf_counter() - t0, size


async def check_run(checks: Report, pool: asyncpg.Pool, report: digests.DigestReport, expected: int,
                    what: str) -> None:
    """One digest per family and structure, each recorded as one pending delivery."""
    deliveries = await pool.fetchval("SELECT count(*) FROM deliveries WHERE status = 'pending'")
    left = await pool.fetchval("SELECT count(*) FROM digest_movements WHERE digested_at IS NULL")
    checks.check(report.mails == report.families == expected and report.waiting == 0,
                 f"{what}: {report.mails} digests for {report.families} family+structure pairs "
                 f"({report.waiting} waiting), {expected} expected")
    checks.check(deliveries == expected, f"{what}: {deliveries} deliveries recorded, {expected} digests expected")
    checks.check(left == 0, f"{what}: {left} movements left undigested")



def mib(kib: float) -> str:
    return f"{kib / 1024:,.0f} MiB"

