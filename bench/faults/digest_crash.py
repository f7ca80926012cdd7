"""Fault scenario `digest_kill9`: notify (a subprocess) killed with SIGKILL several times while it builds and
then sends the morning digests, started again each time; counts the families without their digest (lost), the
mails repeated (allowed, at most one per kill, with the first copy's Message-ID) and the families that got two
different mails (duplicated)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg

from bench.fault_scenarios.scratch import FIRST_DAY
from bench.faults.processes import Process, metric, service_env
from bench.faults.smtp_sink import Mail, SmtpSink
from contracts import BookingTransmittedV1, TransmittedLine
from kit import identity as ident

MAIL_FROM = "Portail Famille <ne-pas-repondre@portail-famille.test>"
MAIL_DOMAIN = "familles.faults.test"
# services/notify/service/sending.py: each SMTP session of the sender hands one mail at a time to SMTP, so a
# kill repeats at most one mail per session; the scenario runs the sender with SMTP_SESSIONS sessions.
SMTP_SESSIONS = 2
IN_FLIGHT_PER_SENDER = SMTP_SESSIONS


@dataclass
class DigestCrashResult:
    families: int
    kills: int
    lost: int = 0                   # families without their digest
    repeated: int = 0               # extra copies of a mail (same Message-ID)
    duplicated: int = 0             # a family receiving two different mails (different Message-IDs)
    repeats_logged: int = 0         # sum of deliveries.repeats: attempts sent again after a crash
    repeats_metric: int = 0         # portail_mail_repeats_total, summed over the processes
    run_unfinished_at_first_kill: bool = False
    runs: int = 0
    runs_unfinished: int = 0
    runs_resumed: int = 0
    not_sent: int = 0               # deliveries whose status is not 'sent' at the end
    wrong_message_ids: int = 0      # mails whose Message-ID is not the one derived from their delivery
    repeats_not_logged: int = 0     # repeated mails whose delivery does not show the repeat
    repeated_message_ids: list[str] = field(default_factory=list)
    sent_at_kills: list[int] = field(default_factory=list)
    exit_code: int | None = None
    seconds: float = 0.0

    @property
    def repeat_bound(self) -> int:
        return self.kills * IN_FLIGHT_PER_SENDER

    def failures(self) -> list[str]:
        problems = []
        if self.lost:
            problems.append(f"{self.lost} families without their digest")
        if self.duplicated:
            problems.append(f"{self.duplicated} families got two different digests")
        if self.repeated > self.repeat_bound:
            problems.append(f"{self.repeated} repeated mails for {self.kills} kills (at most {self.repeat_bound})")
        if self.repeats_not_logged:
            problems.append(f"{self.repeats_not_logged} repeated mails not shown in the delivery log")
        if self.wrong_message_ids:
            problems.append(f"{self.wrong_message_ids} mails without their delivery's Message-ID")
        if self.not_sent:
            problems.append(f"{self.not_sent} deliveries not 'sent'")
        if self.repeats_metric != self.repeats_logged:
            problems.append(f"metric counts {self.repeats_metric} repeats, the delivery log {self.repeats_logged}")
        if self.runs_unfinished:
            problems.append(f"{self.runs_unfinished} digest runs left unfinished")
        if self.exit_code != 0:
            problems.append(f"notify exited {self.exit_code} on SIGTERM at the end")
        return problems

    def result_line(self) -> str:
        return (f"RESULT scenario=digest_kill9 lost={self.lost} duplicated={self.duplicated} half_written=0 "
                f"repeated_mails={self.repeated} kills={self.kills} families={self.families} "
                f"repeats_logged={self.repeats_logged} repeats_metric={self.repeats_metric} runs_resumed={self.runs_resumed} seconds={self.seconds:.1f}")


def _transmitted(family: uuid.UUID, structure: uuid.UUID, n_lines: int, seed: int) -> BookingTransmittedV1:
    child = uuid.uuid4()
    lines = [TransmittedLine(booking_id=uuid.uuid4(), child_id=child, child_first_name="Léa",
                             child_last_name=f"FAMILLE{seed}", activity_id=uuid.uuid4(),
                             activity_name="RESTAURATION SCOLAIRE", date=FIRST_DAY + timedelta(days=i),
                             kind="reserve", outcome="accepted") for i in range(n_lines)]
    return BookingTransmittedV1(transmission_id=uuid.uuid4(), family_id=family, structure_id=structure,
                                structure_name="Mairie de CarteVille",
                                transmitted_at=datetime(2098, 3, 1, 3, 0, tzinfo=UTC), lines=lines)


async def seed_digests(dsn: str, families: int) -> dict[str, uuid.UUID]:
    """The night's movements and the families' addresses, written as notify's consumers would have."""
    structure = uuid.uuid4()
    addresses: dict[str, uuid.UUID] = {}
    contacts, movements = [], []
    for i in range(families):
        family = uuid.uuid4()
        address = f"famille{i:04d}@{MAIL_DOMAIN}"
        addresses[address] = family
        contacts.append((family, uuid.uuid4(), [address], f"Mme FAMILLE{i} Louise"))
        event = _transmitted(family, structure, 3 + i % 5, i)
        movements.append((uuid.uuid4(), event.transmission_id, family, structure, event.structure_name,
                          event.model_dump_json()))
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.executemany("INSERT INTO family_contacts (family_id, account_id, emails, greeting) "
                                   "VALUES ($1, $2, $3, $4)", contacts)
            await conn.executemany(
                """INSERT INTO digest_movements (event_id, transmission_id, family_id, structure_id, structure_name,
                                                 payload) VALUES ($1, $2, $3, $4, $5, $6::jsonb)""", movements)
    finally:
        await conn.close()
    return addresses


async def _start_digest_run(url: str, secret: str) -> None:
    """POST /v1/digests as an administrator; the answer may never come (the process is killed)."""
    admin = ident.issue(ident.Identity(subject="faults", role="admin"), secret)
    with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http, \
                http.post(f"{url}/v1/digests", headers={ident.HEADER: admin}) as resp:
            await resp.read()


async def digest_kill9(pg_url: str, amqp_url: str, db_prefix: str, workdir: Path, families: int = 300,
                       kills: int = 5, seed: int = 14, log=print) -> DigestCrashResult:
    """Kill notify with SIGKILL `kills` times while it builds then sends `families` digests."""
    from services.notify.mailer import message_id

    rng = random.Random(seed)
    started = time.monotonic()
    db_name = f"{db_prefix}notify"
    dsn = f"{pg_url}/{db_name}"
    secret = secrets.token_urlsafe(32)
    sink = SmtpSink()
    await sink.start()
    notify = Process("notify", service_env(
        "notify", pg_url, db_name, amqp_url, secret, PORTAIL_SMTP_HOST="127.0.0.1",
        PORTAIL_SMTP_PORT=str(sink.port), PORTAIL_SMTP_TLS="none", PORTAIL_MAIL_FROM=MAIL_FROM,
        PORTAIL_SMTP_SESSIONS=str(SMTP_SESSIONS),
        PORTAIL_DIGEST_SCHEDULER="false", PORTAIL_DELIVERY_POLL_SECONDS="0.2",
        PORTAIL_RETRY_DELAYS_SECONDS="0.5,0.5,0.5,0.5,0.5", PORTAIL_PUBLIC_URL="https://portail.example.fr/"),
        workdir / "notify.log")
    result = DigestCrashResult(families=families, kills=kills)
    pool = None
    trigger: asyncio.Task | None = None
    try:
        await notify.start()  # creates and migrates its database
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
        addresses = await seed_digests(dsn, families)

        def ours() -> list[Mail]:
            return [m for m in sink.received if any(a.endswith("@" + MAIL_DOMAIN) for a in m.to)]

        # kill 1: while the run is still building the digests (some recorded, the run not finished)
        trigger = asyncio.create_task(_start_digest_run(notify.url, secret))
        first_batch = max(1, families // 6)
        deadline = time.monotonic() + 60
        while await pool.fetchval("SELECT count(*) FROM deliveries WHERE template = 'digest'") < first_batch:
            if time.monotonic() > deadline:
                raise RuntimeError("the digest run recorded nothing in 60 s")
            await asyncio.sleep(0.002)
        await notify.kill()
        result.sent_at_kills.append(len(ours()))
        result.run_unfinished_at_first_kill = bool(
            await pool.fetchval("SELECT count(*) FROM digest_runs WHERE finished_at IS NULL"))
        log(f"kill 1/{kills}: {await pool.fetchval('SELECT count(*) FROM deliveries')} digests recorded, "
            f"run unfinished: {result.run_unfinished_at_first_kill}, {len(ours())} mails received")
        # kills 2..n: while the mails are being handed over, spread over the families
        step = max(1, families // (kills + 1))
        for k in range(2, kills + 1):
            await notify.start()
            target = min(families - 1, len(ours()) + step)
            deadline = time.monotonic() + 60
            while len(ours()) < target and time.monotonic() < deadline:
                await asyncio.sleep(0.002)
            await asyncio.sleep(rng.uniform(0, sink.answer_delay))  # sometimes before, sometimes during a 250
            result.repeats_metric += int(await metric(notify.url, "portail_mail_repeats_total"))
            await notify.kill()
            result.sent_at_kills.append(len(ours()))
            log(f"kill {k}/{kills}: {len(ours())} mails received")
        # last start: everything left is sent, then a clean stop
        await notify.start()
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            left = await pool.fetchval("SELECT count(*) FROM deliveries WHERE status <> 'sent'")
            unfinished = await pool.fetchval("SELECT count(*) FROM digest_runs WHERE finished_at IS NULL")
            if not left and not unfinished and len({a for m in ours() for a in m.to}) >= families:
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.5)  # any late copy would show now
        result.repeats_metric += int(await metric(notify.url, "portail_mail_repeats_total"))
        notify.terminate()
        result.exit_code = await notify.wait(40)

        mails = ours()
        copies = Counter(m.message_id for m in mails)
        result.repeated = sum(n - 1 for n in copies.values())
        result.repeated_message_ids = sorted(mid for mid, n in copies.items() if n > 1)
        by_address: dict[str, set[str]] = {}
        for m in mails:
            for a in m.to:
                by_address.setdefault(a, set()).add(m.message_id)
        result.lost = sum(1 for a in addresses if a not in by_address)
        result.duplicated = sum(len(ids) - 1 for ids in by_address.values())
        rows = await pool.fetch("SELECT event_id, template, recipients, status, attempts, repeats FROM deliveries "
                                "WHERE template = 'digest'")
        expected = {message_id(r["event_id"], r["template"], MAIL_FROM): r for r in rows}
        result.wrong_message_ids = sum(1 for m in mails if m.message_id not in expected)
        result.not_sent = sum(1 for r in rows if r["status"] != "sent")
        result.repeats_logged = sum(r["repeats"] for r in rows)
        result.repeats_not_logged = sum(1 for mid in result.repeated_message_ids
                                        if mid not in expected or expected[mid]["repeats"] < 1
                                        or expected[mid]["attempts"] < 2)
        runs = await pool.fetch("SELECT finished_at, resumed FROM digest_runs")
        result.runs = len(runs)
        result.runs_unfinished = sum(1 for r in runs if r["finished_at"] is None)
        result.runs_resumed = sum(r["resumed"] for r in runs)
    finally:
        if trigger is not None:
            trigger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await trigger
        await notify.stop()
        if pool is not None:
            await pool.close()
        await sink.stop()
    result.seconds = time.monotonic() - started
    return result
