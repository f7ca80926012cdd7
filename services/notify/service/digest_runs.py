"""The morning digest run: one mail per family and structure whose bookings moved in the night.

Set-wise (docs/adr/0009): the run takes the (family, structure) pairs waiting in chunks of CHUNK, and
each chunk in one transaction and a handful of statements: its movements (locked, SKIP LOCKED) and its
families' addresses read in one query each, its digests built and rendered in memory, recorded in one
INSERT and its movements marked in one UPDATE. A chunk's deliveries and marks commit together, so a
second run (or two at once) sends nothing twice.

Crash-safe: a run holds a session advisory lock on its id while it works. A run left unfinished whose
lock is free was interrupted (SIGKILL, lost node): `resume_interrupted` (called when notify starts,
then every minute, and by the `digest` command) takes it over and digests the families it had not done
yet; the families already done keep their delivery (the sender sends what is left of those)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts import BookingTransmittedV1
from contracts.absences import BookingAbsenceJustifiedV1
from kit.clock import PARIS, Clock, utc_now
from kit.logging import get_logger
from services.notify.domain.digest_layout import JustifiedDay, digest_layout
from services.notify.domain.mail_choice import child_name
from services.notify.store import DATABASE_ERRORS
from services.notify.store.deliveries import NewDelivery
from services.notify.templates import render_digest

log = get_logger(__name__)
WORKERS = 4
CHUNK = 250  # (family, structure) pairs per transaction
RESUME_CHECK_SECONDS = 60.0


@dataclass
class DigestReport:
    run_id: uuid.UUID
    families: int = 0
    mails: int = 0
    waiting: int = 0


def build_digest(run_id: uuid.UUID, family_id: uuid.UUID, structure_id: uuid.UUID, movements, contacts,
                 portal_url: str) -> NewDelivery | None:
    """The digest of a family on a structure from its movements (in the order received), or None when
    they cancel out or the family has no address."""
    payloads = [json.loads(m.payload) for m in movements]
    # issue 19: an accepted absence waits for the digest beside the transmissions (its payload names it)
    events = [BookingTransmittedV1.model_validate(p) for p in payloads if "absence_id" not in p]
    absences = [BookingAbsenceJustifiedV1.model_validate(p) for p in payloads if "absence_id" in p]
    layout = digest_layout(contacts.greeting, (events or absences)[-1].structure_name,
                           [line for event in events for line in event.lines],
                           [JustifiedDay(child_name(a.child_last_name, a.child_first_name), d.activity_name, d.date,
                                         d.charged) for a in absences for d in a.days])
    if layout is None or not contacts.emails:
        return None
    mail = render_digest(layout, portal_url)
    return NewDelivery(uuid.uuid5(movements[0].event_id, "digest"), "digest", list(contacts.emails), mail.subject,
                       mail.text, mail.html, family_id, structure_id, digest_run_id=run_id)


async def digest_pairs(conn, store, run_id: uuid.UUID, pairs: list[tuple[uuid.UUID, uuid.UUID]], portal_url: str,
                       report: DigestReport) -> None:
    """In the caller's transaction: the digests of these (family, structure) pairs recorded, their movements
    marked; a family whose addresses are not known yet is kept for a later run."""
    movements = await store.movements_of_pairs(conn, pairs)
    if not movements:
        return
    contacts = await store.families_contacts(conn, list({family for family, _ in movements}))
    new, done = [], []
    for (family_id, structure_id), moves in movements.items():
        known = contacts.get(family_id)
        if known is None:
            report.waiting += 1  # kept for the next run, once auth has told us the addresses
            continue
        delivery = build_digest(run_id, family_id, structure_id, moves, known, portal_url)
        if delivery is not None:
            new.append(delivery)
        done.extend(m.event_id for m in moves)
        report.families += 1
    await store.insert_deliveries(conn, new)
    await store.mark_digested(conn, done, run_id)
    report.mails += len(new)


async def _work(store, run_id: uuid.UUID, portal_url: str) -> DigestReport:
    """Digest every family with movements not digested yet (by this run before a crash, or by another
    run at the same time: those are skipped)."""
    report = DigestReport(run_id)
    async with store.connection() as conn:
        pairs = list(await store.pending_pairs(conn))
    chunks = [pairs[i:i + CHUNK] for i in range(0, len(pairs), CHUNK)]
    chunks.reverse()  # popped from the end: in order

    async def worker() -> None:
        # one connection per worker for the whole run: one worker renders while another's SQL runs
        async with store.connection() as conn:
            while chunks:
                chunk = chunks.pop()
                async with store.begin(conn):
                    await digest_pairs(conn, store, run_id, chunk, portal_url, report)

    # the run's lock holds one of the pool's connections
    workers = min(WORKERS, max(1, store.max_connections() - 1), max(1, len(chunks)))
    await asyncio.gather(*(worker() for _ in range(workers)))
    return report


async def _finish(store, run_id: uuid.UUID, waiting: int) -> DigestReport:
    async with store.connection() as conn:
        figures = await store.finish_run(conn, run_id, waiting)
    return DigestReport(run_id, figures.families, figures.mails, figures.waiting)


async def run(store, portal_url: str) -> DigestReport:
    run_id = uuid.uuid4()
    # the lock first, then the row: a resumer never sees this run unfinished without its lock taken
    async with store.run_lock(run_id, wait=True):
        async with store.connection() as conn:
            await store.insert_run(conn, run_id)
        work = await _work(store, run_id, portal_url)
        report = await _finish(store, run_id, work.waiting)
    log.info("digest run done", run_id=str(report.run_id), families=report.families, mails=report.mails,
             waiting=report.waiting)
    return report


async def resume_interrupted(store, portal_url: str) -> list[DigestReport]:
    """Finish the runs a crash interrupted (unfinished, nobody holding their lock), oldest first."""
    reports = []
    async with store.connection() as conn:
        unfinished = await store.unfinished_runs(conn)
    for run_id in unfinished:
        async with store.run_lock(run_id, wait=False) as ours:
            if not ours:
                continue  # still running in a live process
            async with store.connection() as conn:
                if not await store.take_over_run(conn, run_id):
                    continue  # finished meanwhile
            log.warning("resuming an interrupted digest run", run_id=str(run_id))
            work = await _work(store, run_id, portal_url)
            report = await _finish(store, run_id, work.waiting)
        log.info("interrupted digest run done", run_id=str(report.run_id), families=report.families,
                 mails=report.mails, waiting=report.waiting, now_digested=work.families)
        reports.append(report)
    return reports


async def resumer(store, portal_url: str, stopping: asyncio.Event, every: float = RESUME_CHECK_SECONDS) -> None:
    """At start, then every `every` seconds: resume the digest runs a crash left unfinished (here or in a
    CronJob's pod)."""
    while not stopping.is_set():
        try:
            await resume_interrupted(store, portal_url)
        except DATABASE_ERRORS as exc:
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


async def scheduler(store, portal_url: str, hour: int, stopping: asyncio.Event, clock: Clock = utc_now) -> None:
    while not stopping.is_set():
        wait = (next_run(clock(), hour) - clock()).total_seconds()
        try:
            await asyncio.wait_for(stopping.wait(), timeout=max(1.0, wait))
            return
        except TimeoutError:
            pass
        try:
            await run(store, portal_url)
        except DATABASE_ERRORS as exc:
            log.error("digest run failed, next attempt tomorrow or by hand", error=repr(exc))
