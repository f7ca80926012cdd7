"""The morning digests: how long does the digest run take for a whole town's night, how much memory, and
how fast are the mails then handed to SMTP?

Loads a scratch notify database (5,000 families with 1-2 addresses each, 100,000 transmitted movements
as booking.transmitted payloads, spread over 1-3 children, several activities, a month of dates, and
sometimes a second structure or several transmissions in the night), then measures:

1. `services.notify.service.digest_runs.run` (the real one, one transaction per family and structure): wall time,
   digests/s, RSS before/after (ru_maxrss) and, in a second run after a reset, the tracemalloc peak;
2. the same digests built without the database (`build_digest` over the same data in memory), parsing
   the JSON payloads or not, to tell the SQL and transaction part from the rendering part;
3. `DeliverySender.send_due` driven in a loop (1, 4 and 8 loops at once, rows claimed with SKIP
   LOCKED) against an in-process `tools.mailcatcher.MailCatcher`: mails/s, and a check that the catcher
   received exactly one mail per delivery.

    uv run python -m bench.digests                      # 5,000 families, 100,000 movements
    uv run python -m bench.digests --quick              # 200 families, 4,000 movements (< 30 s)
    uv run python -m bench.digests --families 1000 --movements 20000

Needs the local PostgreSQL (127.0.0.1:5432, user postgres). The database is removed afterwards, also on
failure or Ctrl-C. The mail catcher runs in this process: its SMTP server (parsing each message and
writing it as a .eml file) shares the event loop and the CPU with the sender, so the mails/s figures
are pessimistic for the sender.
"""

from __future__ import annotations

import argparse
import asyncio
import email.policy
import gc
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from email.parser import BytesParser
from pathlib import Path

import asyncpg

from bench.common import Report
from contracts import BookingTransmittedV1, TransmittedLine
from kit import db, migrations
from kit.logging import configure_logging
from services.notify.domain.digest_layout import digest_layout
from services.notify.mailer import Mailer
from services.notify.service import digest_runs as digests
from services.notify.service.sending import DeliverySender
from services.notify.store import Store
from services.notify.templates import render_digest
from tools.mailcatcher import MailCatcher

PG = "postgresql://postgres@127.0.0.1:5432"
ROOT = Path(__file__).resolve().parent.parent
PORTAL_URL = "https://portail.example.fr/"
MAIL_FROM = "Portail Famille <ne-pas-repondre@example.fr>"
POOL_SIZE = 10  # kit.db.create_pool's default, what the notify service runs with
SENDER_LOOPS = (1, 4, 8)
RUN_TIMEOUT_S = 900  # one digest run; beyond that something is wrong
SEND_TIMEOUT_S = 45  # one sending pass (the in-process catcher manages some 20-30 mails/s: a partial pass)
QUICK_SEND_TIMEOUT_S = 60  # --quick: every pass must send everything, this only bounds a stuck one

FIRST_NAMES = ("Léa", "Hugo", "Chloé", "Louis", "Emma", "Gabriel", "Jade", "Raphaël", "Louise", "Arthur",
               "Alice", "Jules", "Inès", "Adam", "Lina", "Lucas", "Rose", "Nathan", "Mila", "Tom",
               "Zoé", "Éléonore", "Noé", "Anaïs")
LAST_NAMES = ("MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY",
              "MOREAU", "SIMON", "LAURENT", "LEFEBVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND", "ROUX",
              "Élie", "N'DIAYE", "LE GALL", "DE LA FONTAINE")
STRUCTURES = (
    ("Mairie de CarteVille", ("APS MATIN", "APS SOIR", "RESTAURATION SCOLAIRE", "ACCUEIL DE LOISIRS MERCREDI",
                              "ÉTUDE SURVEILLÉE", "Accueil de loisirs vacances")),
    ("Centre social Les Tilleuls", ("MERCREDI JOURNÉE", "MERCREDI MATIN", "ATELIER THÉÂTRE",
                                    "SORTIE PISCINE")),
    ("Espace jeunesse Pasteur", ("ACCUEIL ADOS", "STAGE MULTISPORTS", "SÉJOUR NEIGE")),
)
MONTH = [date(2027, 9, 1) + timedelta(days=d) for d in range(30)]


@dataclass
class Sizes:
    families: int
    movements: int


@dataclass
class Dataset:
    contacts: list[tuple]  # family_contacts records
    movements: list[tuple]  # digest_movements records
    # (family_id, structure_id) -> (greeting, [events in received order]), for the in-memory build
    groups: dict[tuple[uuid.UUID, uuid.UUID], tuple[str, list[BookingTransmittedV1]]] = field(default_factory=dict)
    payloads: dict[tuple[uuid.UUID, uuid.UUID], list[str]] = field(default_factory=dict)
    lines: int = 0
    events: int = 0
    kinds: Counter = field(default_factory=Counter)


def make_dataset(s: Sizes, rng: random.Random) -> Dataset:
    """Contacts for every family; `s.movements` lines spread unevenly (a few busy families, many quiet
    ones) over the families, their children, 1-2 structures and 1-3 transmissions of the night."""
    ds = Dataset([], [])
    structures = [(uuid.UUID(int=rng.getrandbits(128)), name, activities) for name, activities in STRUCTURES]
    activity_ids = {a: uuid.UUID(int=rng.getrandbits(128)) for _, _, acts in structures for a in acts}
    # at least one line per family, the rest by an exponential weight
    per_family = [1] * s.families
    weights = [rng.expovariate(1.0) for _ in range(s.families)]
    for i in rng.choices(range(s.families), weights=weights, k=max(0, s.movements - s.families)):
        per_family[i] += 1
    night = datetime(2027, 8, 31, 0, 30, tzinfo=UTC)
    seq = 0
    for f in range(s.families):
        family_id = uuid.UUID(int=rng.getrandbits(128))
        last = rng.choice(LAST_NAMES)
        parent = rng.choice(FIRST_NAMES)
        emails = [f"famille{f}@example.fr"] + ([f"parent2.famille{f}@example.org"] if rng.random() < 0.4 else [])
        greeting = f"M. {last} {parent}" if rng.random() < 0.5 else f"Mme {last} {parent}"
        ds.contacts.append((family_id, uuid.UUID(int=rng.getrandbits(128)), emails, greeting))
        children = [(uuid.UUID(int=rng.getrandbits(128)), rng.choice(FIRST_NAMES),
                     last if rng.random() < 0.9 else rng.choice(LAST_NAMES)) for _ in range(rng.randint(1, 3))]
        n = per_family[f]
        if n >= 2 and rng.random() < 0.15:  # movements on two structures: two digests
            family_structures = rng.sample(structures, 2)
            first = rng.randint(1, n - 1)
            split = [first, n - first]
        else:
            family_structures, split = [rng.choices(structures, (8, 1, 1))[0]], [n]
        for (structure_id, structure_name, activities), count in zip(family_structures, split):
            acts = rng.sample(activities, min(len(activities), rng.randint(1, 3)))
            lines: list[TransmittedLine] = []
            for _ in range(count):
                child_id, first, child_last = rng.choice(children)
                activity = rng.choice(acts)
                if lines and rng.random() < 0.05:  # the same booking moved twice in the night
                    booking_id = lines[rng.randrange(len(lines))].booking_id
                else:
                    booking_id = uuid.UUID(int=rng.getrandbits(128))
                if rng.random() < 0.25:
                    kind, outcome = "cancel", "cancelled"
                else:
                    kind, outcome = "reserve", rng.choices(("accepted", "waitlisted", "refused"), (70, 15, 15))[0]
                timed = activity.startswith("ACCUEIL DE LOISIRS") and rng.random() < 0.5
                lines.append(TransmittedLine(
                    booking_id=booking_id, child_id=child_id, child_first_name=first, child_last_name=child_last,
                    activity_id=activity_ids[activity], activity_name=activity, date=rng.choice(MONTH),
                    kind=kind, outcome=outcome, arrival=dtime(8, 30) if timed else None,
                    departure=dtime(17, 0) if timed else None))
                ds.kinds[(kind, outcome)] += 1
            transmissions = min(len(lines), rng.choice((1, 1, 1, 2, 3)))
            cuts = sorted(rng.sample(range(1, len(lines)), transmissions - 1)) if transmissions > 1 else []
            key = (family_id, structure_id)
            events: list[BookingTransmittedV1] = []
            payloads: list[str] = []
            for chunk_start, chunk_end in zip([0, *cuts], [*cuts, len(lines)]):
                seq += 1
                at = night + timedelta(seconds=seq % 7200, microseconds=seq)
                event = BookingTransmittedV1(
                    transmission_id=uuid.UUID(int=rng.getrandbits(128)), family_id=family_id,
                    structure_id=structure_id, structure_name=structure_name, transmitted_at=at,
                    lines=lines[chunk_start:chunk_end])
                payload = event.model_dump_json()
                ds.movements.append((uuid.UUID(int=rng.getrandbits(128)), event.transmission_id, family_id,
                                     structure_id, structure_name, payload, at + timedelta(seconds=3)))
                events.append(event)
                payloads.append(payload)
            ds.groups[key] = (greeting, events)
            ds.payloads[key] = payloads
            ds.lines += len(lines)
            ds.events += len(events)
    return ds


async def load(conn: asyncpg.Connection, ds: Dataset) -> None:
    await conn.copy_records_to_table("family_contacts", records=ds.contacts,
                                     columns=["family_id", "account_id", "emails", "greeting"])
    await conn.copy_records_to_table(
        "digest_movements", records=ds.movements,
        columns=["event_id", "transmission_id", "family_id", "structure_id", "structure_name", "payload",
                 "received_at"])
    await conn.execute("ANALYZE family_contacts; ANALYZE digest_movements")


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


@dataclass
class SendPass:
    loops: int
    deliveries: int
    calls: int = 0
    seconds: float = 0.0
    caught: int = 0
    sent: int = 0
    failed: int = 0
    outbox: int = 0
    same_recipients: bool = False
    wrong_recipients: int = 0  # mails at the catcher without a sent delivery to the same recipients, and conversely
    timed_out: bool = False

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


async def send_pass(pool: asyncpg.Pool, dsn: str, smtp_port: int, loops: int, seconds: float,
                    caught: Callable[[], list[str]]) -> SendPass:
    """Pending deliveries handed to the catcher by `loops` tasks calling send_due until it says 0 or
    `seconds` have passed. `caught` gives the To header of every mail the catcher holds."""
    deliveries = await pool.fetchval("SELECT count(*) FROM deliveries WHERE status = 'pending'")
    result = SendPass(loops, deliveries)
    sender = DeliverySender(pool, dsn, Mailer("127.0.0.1", smtp_port, timeout=30), MAIL_FROM)
    max_calls = deliveries * 2 + 10 * loops  # bound: each call handles one row or returns 0
    deadline = time.monotonic() + seconds
    calls = 0

    async def loop() -> None:
        nonlocal calls
        while calls < max_calls:
            if time.monotonic() > deadline:
                result.timed_out = True
                return
            calls += 1
            if not await sender.send_due():
                return

    t0 = time.perf_counter()
    try:
        await asyncio.gather(*(loop() for _ in range(loops)))
    finally:
        await sender.mailer.close()  # the SMTP session send_due keeps open while there is mail
    result.seconds = time.perf_counter() - t0
    result.calls = calls
    got = Counter(caught())
    result.caught = sum(got.values())
    counts = {r["status"]: r["n"] for r in await pool.fetch(
        "SELECT status, count(*) AS n FROM deliveries GROUP BY status")}
    result.sent, result.failed = counts.get("sent", 0), counts.get("failed", 0)
    result.outbox = await pool.fetchval("SELECT count(*) FROM outbox")
    expected = Counter(", ".join(r["recipients"]) for r in await pool.fetch(
        "SELECT recipients FROM deliveries WHERE status = 'sent'"))
    result.same_recipients = expected == got
    result.wrong_recipients = sum(((expected - got) + (got - expected)).values())
    return result


def check_pass(report: Report, p: SendPass, where: str, expected: int, complete: bool) -> None:
    """One mail at the catcher per sent delivery, with its recipients, and one notify.mail_sent each; with
    `complete` (smoke mode), every delivery sent within the pass's time limit."""
    what = f"SMTP pass ({where}, {p.loops} loops)"
    report.check(p.deliveries == expected, f"{what}: {p.deliveries} deliveries pending, {expected} digests built")
    report.check(p.failed == 0, f"{what}: {p.failed} deliveries failed")
    report.check(p.caught == p.sent, f"{what}: the catcher received {p.caught} mails for {p.sent} sent deliveries")
    report.check(p.outbox == p.sent, f"{what}: {p.outbox} notify.mail_sent events for {p.sent} sent deliveries")
    report.check(p.same_recipients, f"{what}: {p.wrong_recipients} mails whose recipients match no sent delivery")
    if complete:
        report.check(p.sent == p.deliveries and not p.timed_out,
                     f"{what}: {p.sent} of {p.deliveries} sent" + (" (time limit reached)" if p.timed_out else ""))


def mismatched(p: SendPass) -> int:
    return abs(p.caught - p.sent) + abs(p.outbox - p.sent) + p.wrong_recipients


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


def caught_in_process(catcher: MailCatcher) -> Callable[[], list[str]]:
    return lambda: [next((v for k, v in m.headers if k == "To"), "") for m in catcher.messages]


def caught_in_directory(directory: Path) -> Callable[[], list[str]]:
    def read() -> list[str]:
        parser = BytesParser(policy=email.policy.default)
        return [str(parser.parsebytes(p.read_bytes(), headersonly=True).get("To", ""))
                for p in directory.glob("*.eml")]
    return read


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def wait_for_port(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


def describe(p: SendPass, where: str) -> str:
    ok = (p.caught == p.sent == p.outbox and p.failed == 0 and p.same_recipients
          and (p.timed_out or p.sent == p.deliveries))
    return (f"SMTP ({where}), {p.loops} send_due loop{'s' if p.loops > 1 else ''}: {p.sent:,}/{p.deliveries:,} "
            f"sent in {p.seconds:.2f} s = {p.rate:,.0f} mails/s ({p.calls:,} calls"
            + (", stopped at the time limit" if p.timed_out else "") + f"); catcher received {p.caught:,}, "
            f"outbox {p.outbox:,}, failed {p.failed}, one mail per sent delivery (same recipients): "
            + ("yes" if ok else "NO  <-- MISMATCH"))


async def reset_sending(pool: asyncpg.Pool, catcher: MailCatcher | None) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("UPDATE deliveries SET status = 'pending', attempts = 0, sent_at = NULL, "
                           "smtp_answer = NULL, next_attempt_at = now()")
        await conn.execute("DELETE FROM outbox")
    async with pool.acquire() as conn:
        await conn.execute("VACUUM ANALYZE deliveries")
        await conn.execute("VACUUM ANALYZE outbox")
    if catcher is not None:
        catcher.clear()


def mib(kib: float) -> str:
    return f"{kib / 1024:,.0f} MiB"


async def main(args: argparse.Namespace) -> int:
    configure_logging("bench", "WARNING")
    s = Sizes(args.families or (200 if args.quick else 5000), args.movements or (4000 if args.quick else 100_000))
    if s.movements < s.families:
        raise SystemExit("--movements must be at least --families (every family moves at least once)")
    rng = random.Random(args.seed)
    dsn = f"{PG}/bench{uuid.uuid4().hex[:6]}_notify_digests"
    send_s = args.send_seconds or (QUICK_SEND_TIMEOUT_S if args.quick else SEND_TIMEOUT_S)
    checks = Report("bench.digests", strict=args.quick)
    passes: list[SendPass] = []
    out: list[str] = []
    pool = None
    catcher = None
    t_start = time.perf_counter()
    try:
        t0 = time.perf_counter()
        ds = make_dataset(s, rng)
        gen_s = time.perf_counter() - t0
        await db.ensure_database(dsn)
        conn = await asyncpg.connect(dsn)
        try:
            await migrations.apply(conn, migrations.service_migrations("notify", ROOT / "services/notify/migrations"))
            t0 = time.perf_counter()
            await load(conn, ds)
            load_s = time.perf_counter() - t0
        finally:
            await conn.close()
        groups = len(ds.groups)
        two_addr = sum(1 for c in ds.contacts if len(c[2]) == 2)
        out.append(f"data: {s.families:,} families ({two_addr:,} with 2 addresses), {ds.lines:,} movements in "
                   f"{ds.events:,} booking.transmitted events, {groups:,} family+structure digests expected "
                   f"(generated in {gen_s:.1f} s, COPY in {load_s:.1f} s)")
        out.append("movements: " + ", ".join(f"{k}/{o} {n:,}" for (k, o), n in sorted(ds.kinds.items())))
        print(out[-2], flush=True)

        pool = await db.create_pool(dsn, max_size=POOL_SIZE)
        await pool.execute("SELECT 1")

        # 1. the real digest run, untraced (time, RSS), then again under tracemalloc (peak)
        gc.collect()
        rss_before, maxrss_before = rss_now_kib(), maxrss_kib()
        report, run_s = await timed_run(pool)
        rss_after, maxrss_after = rss_now_kib(), maxrss_kib()
        await check_run(checks, pool, report, groups, "digests.run")
        bytes_mail = await pool.fetchval(
            "SELECT sum(length(body_text) + length(coalesce(body_html, ''))) FROM deliveries")
        out.append(f"digests.run: {report.mails:,} digests ({report.families:,} family+structure, "
                   f"{report.waiting} waiting) in {run_s:.2f} s = {report.mails / run_s:,.0f} digests/s, "
                   f"{ds.lines / run_s:,.0f} movements/s; mail bodies {bytes_mail / max(report.mails, 1) / 1024:.1f} "
                   f"KiB/digest on average (text + html)")
        out.append(f"  RSS: {mib(rss_before)} before, {mib(rss_after)} after; ru_maxrss {mib(maxrss_before)} "
                   f"before, {mib(maxrss_after)} after (+{mib(maxrss_after - maxrss_before)})")
        print(out[-2], flush=True)

        await reset_digests(pool)
        gc.collect()
        tracemalloc.start()
        traced_report, traced_s = await timed_run(pool)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        await check_run(checks, pool, traced_report, groups, "digests.run, second (traced)")
        out.append(f"  tracemalloc peak during a second run: {peak / 2**20:,.1f} MiB "
                   f"({traced_report.mails:,} digests, {traced_s:.2f} s with tracing on)")
        print(out[-1], flush=True)

        # 2. the same digests without the database
        built, build_s, _ = build_in_memory(ds, parse=False)
        built_p, parse_build_s, _ = build_in_memory(ds, parse=True)
        checks.check(built == built_p == groups, f"build_digest in memory: {built} and {built_p} (parsing the JSON) "
                                                 f"digests, {groups} expected")
        out.append(f"build_digest in memory (no SQL): {built:,} digests in {build_s:.2f} s = "
                   f"{built / build_s:,.0f}/s; with JSON parsing of the payloads {parse_build_s:.2f} s = "
                   f"{built_p / parse_build_s:,.0f}/s")
        share = parse_build_s / run_s
        out.append(f"  so of digests.run's {run_s:.2f} s: about {parse_build_s:.2f} s ({share:.0%}) parsing + "
                   f"rendering, {max(0.0, run_s - parse_build_s):.2f} s ({max(0.0, 1 - share):.0%}) SQL, "
                   f"round trips and transactions (one connection, one family+structure at a time)")
        print(out[-1], flush=True)

        # 3. handing them to SMTP
        with tempfile.TemporaryDirectory(prefix="bench-digests-mail-") as maildir:
            catcher = MailCatcher(smtp_port=0, http_port=0, directory=maildir)
            await catcher.start()
            try:
                for i, loops in enumerate(SENDER_LOOPS):
                    if i:
                        await reset_sending(pool, catcher)
                    p = await send_pass(pool, dsn, catcher.smtp_port, loops, send_s, caught_in_process(catcher))
                    check_pass(checks, p, "catcher in process", groups, complete=args.quick)
                    passes.append(p)
                    out.append(describe(p, "catcher in process"))
                    print(out[-1], flush=True)
            finally:
                await catcher.stop()
        out.append("  the mail catcher runs in this process (aiosmtpd, then email.parser with policy.default and "
                   "a .eml written per mail): it shares the event loop and a core with the sender, so these "
                   "mails/s are pessimistic; the next line has it in a process of its own")
        # the same with `python -m tools.mailcatcher` in its own process: the sender's own speed
        with tempfile.TemporaryDirectory(prefix="bench-digests-mail-") as maildir:
            await reset_sending(pool, None)
            smtp_port = free_port()
            env = {**os.environ, "PORTAIL_MAILCATCHER_SMTP_PORT": str(smtp_port),
                   "PORTAIL_MAILCATCHER_HTTP_PORT": str(free_port()), "PORTAIL_MAILCATCHER_DIR": maildir,
                   "PORTAIL_LOG_LEVEL": "WARNING"}
            proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "tools.mailcatcher", env=env, cwd=ROOT,
                                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                await wait_for_port(smtp_port, 20)
                loops = SENDER_LOOPS[1]
                p = await send_pass(pool, dsn, smtp_port, loops, send_s, caught_in_directory(Path(maildir)))
                check_pass(checks, p, "catcher in its own process", groups, complete=args.quick)
                passes.append(p)
                out.append(describe(p, "catcher in its own process"))
                print(out[-1], flush=True)
            finally:
                if proc.returncode is None:
                    proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), timeout=10)
                except TimeoutError:
                    proc.kill()
                    await asyncio.wait_for(proc.wait(), timeout=10)
    finally:
        if pool is not None:
            await pool.close()
        admin = await asyncpg.connect(f"{PG}/postgres")
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{db.database_name(dsn)}" WITH (FORCE)')
        finally:
            await admin.close()

    print()
    print(f"morning digests, {datetime.now():%Y-%m-%d}, {s.families:,} families / {s.movements:,} movements "
          f"(total {time.perf_counter() - t_start:.0f} s)")
    for line in out:
        print(("- " if not line.startswith("  ") else "  ") + line.strip())
    checks.result("digests_families", s.families)
    checks.result("digests_expected", groups)
    checks.result("digests_built", report.mails)
    checks.result("digests_build_s", run_s)
    checks.result("digests_build_per_s", report.mails / run_s)
    checks.result("digests_render_s", parse_build_s)
    for p in passes[:len(SENDER_LOOPS)]:
        checks.result(f"digests_send_inprocess_{p.loops}_per_s", p.rate)
    checks.result("digests_send_per_s", passes[-1].rate)
    checks.result("digests_mail_sent", sum(p.sent for p in passes))
    checks.result("digests_mail_unsent", sum(p.deliveries - p.sent for p in passes))
    checks.result("digests_mail_failed", sum(p.failed for p in passes))
    checks.result("digests_mail_mismatched", sum(mismatched(p) for p in passes))
    return checks.finish()


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=None, help="default 5000 (200 with --quick)")
    parser.add_argument("--movements", type=int, default=None, help="default 100000 (4000 with --quick)")
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke check (< 30 s)")
    parser.add_argument("--send-seconds", type=float, default=None,
                        help=f"time limit of each SMTP pass (default {SEND_TIMEOUT_S} s, {QUICK_SEND_TIMEOUT_S} s with --quick, "
                             "where every pass must send everything)")
    parser.add_argument("--seed", type=int, default=2027)
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
