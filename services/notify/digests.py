"""The morning digest run: one mail per family and structure whose bookings moved in the night.
Each family in its own transaction: its movements are marked digested with the delivery recorded,
so a second run (or two at once) sends nothing twice."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from contracts import BookingTransmittedV1
from kit.logging import get_logger
from services.notify.digest import build_digest

log = get_logger(__name__)
PARIS = ZoneInfo("Europe/Paris")
WORKERS = 4


@dataclass
class DigestReport:
    run_id: uuid.UUID
    families: int = 0
    mails: int = 0
    waiting: int = 0


async def _one(conn: asyncpg.Connection, family_id: uuid.UUID, structure_id: uuid.UUID, portal_url: str,
               report: DigestReport) -> None:
    rows = await conn.fetch(
        """SELECT event_id, payload::text AS payload FROM digest_movements
           WHERE family_id = $1 AND structure_id = $2 AND digested_at IS NULL
           ORDER BY received_at, event_id FOR UPDATE SKIP LOCKED""", family_id, structure_id)
    if not rows:
        return
    contacts = await conn.fetchrow("SELECT emails, greeting FROM family_contacts WHERE family_id = $1", family_id)
    if contacts is None:
        report.waiting += 1  # kept for the next run, once auth has told us the addresses
        return
    events = [BookingTransmittedV1.model_validate_json(r["payload"]) for r in rows]
    lines = [line for event in events for line in event.lines]
    digest = build_digest(contacts["greeting"], events[-1].structure_name, lines, portal_url)
    if digest is not None and contacts["emails"]:
        await conn.execute(
            """INSERT INTO deliveries (event_id, template, recipients, subject, body_text, body_html, family_id,
                                       structure_id)
               VALUES ($1, 'digest', $2, $3, $4, $5, $6, $7)""",
            uuid.uuid5(rows[0]["event_id"], "digest"), list(contacts["emails"]), digest.subject, digest.text,
            digest.html, family_id, structure_id)
        report.mails += 1
    await conn.execute("UPDATE digest_movements SET digested_at = now() WHERE event_id = ANY($1::uuid[])",
                       [r["event_id"] for r in rows])
    report.families += 1


async def run(pool: asyncpg.Pool, portal_url: str) -> DigestReport:
    report = DigestReport(uuid.uuid4())
    await pool.execute("INSERT INTO digest_runs (id) VALUES ($1)", report.run_id)
    pending = await pool.fetch("SELECT DISTINCT family_id, structure_id FROM digest_movements "
                               "WHERE digested_at IS NULL ORDER BY family_id, structure_id")
    queue = list(pending)

    async def worker() -> None:
        # one connection per worker for the whole run; a few workers share the commits' fsyncs
        async with pool.acquire() as conn:
            while queue:
                row = queue.pop()
                async with conn.transaction():
                    await _one(conn, row["family_id"], row["structure_id"], portal_url, report)

    await asyncio.gather(*(worker() for _ in range(min(WORKERS, max(1, len(queue))))))
    await pool.execute("UPDATE digest_runs SET finished_at = now(), families = $2, mails = $3, waiting = $4 "
                       "WHERE id = $1", report.run_id, report.families, report.mails, report.waiting)
    log.info("digest run done", run_id=str(report.run_id), families=report.families, mails=report.mails,
             waiting=report.waiting)
    return report


def next_run(now: datetime, hour: int) -> datetime:
    """The next `hour`:00 in Paris after `now` (correct across the summer-time changes)."""
    local = now.astimezone(PARIS)
    candidate = datetime.combine(local.date(), datetime.min.time().replace(hour=hour), tzinfo=PARIS)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), candidate.timetz())
    return candidate


async def scheduler(pool: asyncpg.Pool, portal_url: str, hour: int, stopping: asyncio.Event) -> None:
    while not stopping.is_set():
        wait = (next_run(datetime.now(UTC), hour) - datetime.now(UTC)).total_seconds()
        try:
            await asyncio.wait_for(stopping.wait(), timeout=max(1.0, wait))
            return
        except TimeoutError:
            pass
        try:
            await run(pool, portal_url)
        except (OSError, asyncpg.PostgresError) as exc:
            log.error("digest run failed, next attempt tomorrow or by hand", error=repr(exc))
