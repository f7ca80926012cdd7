"""The morning digest run: one mail per family and structure whose bookings moved in the night.
Each family in its own transaction: its movements are marked digested with the delivery recorded,
so a second run (or two at once) sends nothing twice.

Crash-safe: a run holds a session advisory lock on its id while it works. A run left unfinished whose
lock is free was interrupted (SIGKILL, lost node): `resume_interrupted` (called when notify starts,
then every minute, and by the `digest` command) takes it over and digests the families it had not done
yet; the families already done keep their delivery (the sender sends what is left of those)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from contracts import BookingTransmittedV1
from kit.logging import get_logger
from services.notify.digest import build_digest
from services.notify.mailer import LOCK_HOLDER_KEEPALIVE

log = get_logger(__name__)
PARIS = ZoneInfo("Europe/Paris")
WORKERS = 4
RUN_LOCK = 0x44475354  # "DGST": pg_advisory_lock(RUN_LOCK, hashtext(run id)) while a run works
RESUME_CHECK_SECONDS = 60.0


@dataclass
class DigestReport:
    run_id: uuid.UUID
    families: int = 0
    mails: int = 0
    waiting: int = 0


async def _one(conn: asyncpg.Connection, run_id: uuid.UUID, family_id: uuid.UUID, structure_id: uuid.UUID,
               portal_url: str, report: DigestReport) -> None:
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
                                       structure_id, digest_run_id)
               VALUES ($1, 'digest', $2, $3, $4, $5, $6, $7, $8)""",
            uuid.uuid5(rows[0]["event_id"], "digest"), list(contacts["emails"]), digest.subject, digest.text,
            digest.html, family_id, structure_id, run_id)
        report.mails += 1
    await conn.execute("UPDATE digest_movements SET digested_at = now(), digest_run_id = $2 "
                       "WHERE event_id = ANY($1::uuid[])", [r["event_id"] for r in rows], run_id)
    report.families += 1


async def _work(pool: asyncpg.Pool, run_id: uuid.UUID, portal_url: str) -> DigestReport:
    """Digest every family with movements not digested yet (by this run before a crash, or by another
    run at the same time: those are skipped)."""
    report = DigestReport(run_id)
    pending = await pool.fetch("SELECT DISTINCT family_id, structure_id FROM digest_movements "
                               "WHERE digested_at IS NULL ORDER BY family_id, structure_id")
    queue = list(pending)

    async def worker() -> None:
        # one connection per worker for the whole run; a few workers share the commits' fsyncs
        async with pool.acquire() as conn:
            while queue:
                row = queue.pop()
                async with conn.transaction():
                    await _one(conn, run_id, row["family_id"], row["structure_id"], portal_url, report)

    # the run's lock holds one of the pool's connections
    workers = min(WORKERS, max(1, pool.get_max_size() - 1), max(1, len(queue)))
    await asyncio.gather(*(worker() for _ in range(workers)))
    return report


async def _finish(pool: asyncpg.Pool, run_id: uuid.UUID, waiting: int) -> DigestReport:
    """Close the run with its figures counted in the database, over every pass (before and after a crash)."""
    row = await pool.fetchrow(
        """UPDATE digest_runs SET finished_at = now(), waiting = $2,
               families = (SELECT count(*) FROM (SELECT DISTINCT family_id, structure_id FROM digest_movements
                                                 WHERE digest_run_id = $1) AS done),
               mails = (SELECT count(*) FROM deliveries WHERE digest_run_id = $1)
           WHERE id = $1 RETURNING families, mails, waiting""", run_id, waiting)
    return DigestReport(run_id, row["families"], row["mails"], row["waiting"])


@contextlib.asynccontextmanager
async def _run_lock(pool: asyncpg.Pool, run_id: uuid.UUID, wait: bool):
    """Hold the run's advisory lock on a connection of the pool; yields False when a live process has it."""
    async with pool.acquire() as holder:
        if wait:
            await holder.execute(f"SELECT pg_advisory_lock($1, hashtext($2::text)), {LOCK_HOLDER_KEEPALIVE}",
                                 RUN_LOCK, str(run_id))
            got = True
        else:
            got = await holder.fetchval(f"SELECT pg_try_advisory_lock($1, hashtext($2::text)), {LOCK_HOLDER_KEEPALIVE}",
                                        RUN_LOCK, str(run_id))
        try:
            yield got
        finally:
            if got:
                with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                    await holder.execute("SELECT pg_advisory_unlock($1, hashtext($2::text))", RUN_LOCK, str(run_id))


async def run(pool: asyncpg.Pool, portal_url: str) -> DigestReport:
    run_id = uuid.uuid4()
    # the lock first, then the row: a resumer never sees this run unfinished without its lock taken
    async with _run_lock(pool, run_id, wait=True):
        await pool.execute("INSERT INTO digest_runs (id) VALUES ($1)", run_id)
        work = await _work(pool, run_id, portal_url)
        report = await _finish(pool, run_id, work.waiting)
    log.info("digest run done", run_id=str(report.run_id), families=report.families, mails=report.mails,
             waiting=report.waiting)
    return report


async def resume_interrupted(pool: asyncpg.Pool, portal_url: str) -> list[DigestReport]:
    """Finish the runs a crash interrupted (unfinished, nobody holding their lock), oldest first."""
    reports = []
    for row in await pool.fetch("SELECT id FROM digest_runs WHERE finished_at IS NULL ORDER BY started_at"):
        async with _run_lock(pool, row["id"], wait=False) as ours:
            if not ours:
                continue  # still running in a live process
            taken = await pool.fetchval(
                "UPDATE digest_runs SET resumed = resumed + 1 WHERE id = $1 AND finished_at IS NULL "
                "RETURNING true", row["id"])
            if not taken:
                continue  # finished meanwhile
            log.warning("resuming an interrupted digest run", run_id=str(row["id"]))
            work = await _work(pool, row["id"], portal_url)
            report = await _finish(pool, row["id"], work.waiting)
        log.info("interrupted digest run done", run_id=str(report.run_id), families=report.families,
                 mails=report.mails, waiting=report.waiting, now_digested=work.families)
        reports.append(report)
    return reports


async def resumer(pool: asyncpg.Pool, portal_url: str, stopping: asyncio.Event,
                  every: float = RESUME_CHECK_SECONDS) -> None:
    """At start, then every `every` seconds: resume the digest runs a crash left unfinished (here or in a
    CronJob's pod)."""
    while not stopping.is_set():
        try:
            await resume_interrupted(pool, portal_url)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.error("resuming interrupted digest runs failed, will retry", error=repr(exc))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=every)


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
