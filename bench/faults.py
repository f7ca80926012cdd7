"""Fault scenarios (issue 14, "nothing lost from the first second"): processes killed or stopped in the
middle of their work, on the real PostgreSQL and RabbitMQ, and what they leave behind.

- `digest_kill9`: notify (`python -m services.notify`, a subprocess) sends ~300 families' morning
  digests to a local SMTP sink and is killed with SIGKILL several times, first while the run builds the
  digests, then while the mails are being handed over; it is started again each time. Counts the
  families left without their digest (lost), the mails received twice (repeated_mails: allowed, at
  most one per kill since a sender has one mail in flight, and with the Message-ID of the first copy)
  and the families that got two different mails (duplicated: must be 0).
- `booking_sigterm`: booking (`python -m services.booking`, a subprocess) gets SIGTERM in the middle of a
  burst of baskets of several lines each. Counts the baskets answered 200 that are not all recorded
  (lost), the baskets recorded in part (half_written) and checks the process drained its in-flight
  requests and exited 0.

    uv run python -m bench.faults                     # both scenarios
    uv run python -m bench.faults digest_kill9 --families 300 --kills 5
    uv run python -m bench.faults booking_sigterm --baskets 100 --lines 6

Each scenario prints `RESULT scenario=<name> lost=… duplicated=… half_written=… repeated_mails=…` (and
its own figures). Scratch resources (a RabbitMQ virtual host, `faults<run>_*` databases) are removed at
the end, also on failure or Ctrl-C. The exit status is 1 if a scenario broke its promise.
The tests tests/integration/test_digest_crash.py and tests/integration/test_booking_sigterm.py run the
same scenarios against the test session's virtual host and databases.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import random
import secrets
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from email import policy
from email.parser import BytesParser
from pathlib import Path

import aiohttp
import asyncpg
from aiosmtpd.smtp import SMTP

from bench.common import rabbitmqctl
from contracts import BookingTransmittedV1, TransmittedLine
from kit import identity as ident

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("PORTAIL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432").rstrip("/")
AMQP_HOST = os.environ.get("PORTAIL_TEST_AMQP_HOST", "127.0.0.1:5672")
MAIL_FROM = "Portail Famille <ne-pas-repondre@portail-famille.test>"
MAIL_DOMAIN = "familles.faults.test"
IN_FLIGHT_PER_SENDER = 1  # services/notify/mailer.py: a sender hands one mail at a time to SMTP
# Fixed dates far ahead: nothing depends on the day the scenario runs (the booking deadlines are open).
FIRST_DAY = date(2098, 3, 2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- a service as a subprocess -----------------------------------------------------------------------
class Process:
    """`python -m services.<name>` with its settings in the environment, its output in a log file."""

    def __init__(self, name: str, env: dict[str, str], log_path: Path):
        self.name, self.log_path = name, log_path
        self.port = int(env["PORTAIL_HTTP_PORT"])
        base = {k: v for k, v in os.environ.items() if not k.startswith("PORTAIL_")}
        self.env = {**base, "PYTHONUNBUFFERED": "1", **env}
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, timeout: float = 60) -> None:
        self.starts += 1
        with self.log_path.open("a") as out:
            out.write(f"\n===== start {self.starts} =====\n")
            out.flush()
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", f"services.{self.name}", cwd=ROOT, env=self.env, stdout=out,
                stderr=asyncio.subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while True:
                if self.proc.returncode is not None:
                    raise RuntimeError(f"{self.name} exited at start ({self.proc.returncode}), see {self.log_path}")
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with http.get(f"{self.url}/readyz") as resp:
                        if resp.status == 200:
                            return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} not ready after {timeout}s, see {self.log_path}")
                await asyncio.sleep(0.1)

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    def terminate(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)

    async def wait(self, timeout: float) -> int:
        assert self.proc is not None
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            await self.stop()
            raise TimeoutError(f"{self.name} still running {timeout}s after SIGTERM, see {self.log_path}") from None

    async def stop(self) -> None:
        """Whatever happened: the process is gone afterwards."""
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()


def service_env(name: str, pg_url: str, db_name: str, amqp_url: str, secret: str, **extra: str) -> dict[str, str]:
    return {"PORTAIL_DATABASE_URL": f"{pg_url}/{db_name}", "PORTAIL_AMQP_URL": amqp_url,
            "PORTAIL_IDENTITY_SECRET": secret, "PORTAIL_HTTP_HOST": "127.0.0.1",
            "PORTAIL_HTTP_PORT": str(free_port()), "PORTAIL_LOG_LEVEL": "WARNING",
            "PORTAIL_OUTBOX_POLL_SECONDS": "0.2", **extra}


async def metric(url: str, name: str) -> float:
    """A counter of the process's /metrics (0 when absent or the process does not answer)."""
    with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http, \
                http.get(f"{url}/metrics") as resp:
            for line in (await resp.text()).splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
    return 0.0


# -- an SMTP sink that answers late ------------------------------------------------------------------
@dataclass(frozen=True)
class Mail:
    message_id: str
    to: tuple[str, ...]
    subject: str


class SmtpSink:
    """Keeps each mail as soon as its data is complete, then answers `250` after `answer_delay`
    seconds: a sender killed in that window has handed the mail over without knowing it (the case
    SMTP cannot make idempotent)."""

    def __init__(self, answer_delay: float = 0.03):
        self.answer_delay = answer_delay
        self.received: list[Mail] = []
        self.port = 0
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="faults-sink", enable_SMTPUTF8=True), "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def handle_DATA(self, _server, _session, envelope) -> str:
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else content.encode()
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        self.received.append(Mail(str(msg["Message-ID"]), tuple(envelope.rcpt_tos), str(msg["Subject"])))
        await asyncio.sleep(self.answer_delay)
        return "250 Message accepted for delivery"


# -- scenario 1: notify killed with SIGKILL while sending the digests --------------------------------
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


# -- scenario 2: booking stopped with SIGTERM during a burst of confirmations -------------------------
@dataclass
class BookingSigtermResult:
    baskets: int
    lines: int
    answered: int = 0               # 200
    refused_503: int = 0
    connection_errors: int = 0
    other_statuses: Counter = field(default_factory=Counter)
    in_flight_at_sigterm: int = 0
    answered_after_sigterm: int = 0
    lost: int = 0                   # answered 200, not all its lines in the database
    half_written: int = 0           # some of a basket's lines recorded, not all
    recorded_without_200: int = 0   # recorded whole but the answer was lost (allowed, counted)
    refused_but_recorded: int = 0   # a 503 whose lines are in the database
    exit_code: int | None = None
    drain_seconds: float = 0.0
    seconds: float = 0.0

    def failures(self) -> list[str]:
        problems = []
        if self.lost:
            problems.append(f"{self.lost} baskets answered 200 without all their lines")
        if self.half_written:
            problems.append(f"{self.half_written} baskets recorded in part")
        if self.refused_but_recorded:
            problems.append(f"{self.refused_but_recorded} baskets answered 503 but recorded")
        if self.other_statuses:
            problems.append(f"unexpected answers: {dict(self.other_statuses)}")
        if self.exit_code != 0:
            problems.append(f"booking exited {self.exit_code} after SIGTERM")
        if not self.answered_after_sigterm:
            problems.append("no in-flight basket was answered after SIGTERM (nothing drained)")
        return problems

    def result_line(self) -> str:
        return (f"RESULT scenario=booking_sigterm lost={self.lost} duplicated=0 half_written={self.half_written} "
                f"repeated_mails=0 baskets={self.baskets} answered={self.answered} "
                f"answered_after_sigterm={self.answered_after_sigterm} refused_503={self.refused_503} "
                f"connection_errors={self.connection_errors} recorded_without_200={self.recorded_without_200} exit_code={self.exit_code} "
                f"drain_seconds={self.drain_seconds:.2f}")


async def _seed_baskets(dsn: str, baskets: int, lines: int, capacity: int):
    from services.booking.service import catalog
    from services.booking.store import Store

    structure = uuid.uuid4()
    days = [FIRST_DAY + timedelta(days=i) for i in range(lines)]
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            activity = await catalog.create_activity(Store(conn), catalog.ActivityIn(
                structure_id=structure, name=f"RESTAURATION {uuid.uuid4().hex[:6]}", start_time=dtime(11, 30),
                end_time=dtime(13, 30), capacity=capacity, waitlist_allowed=True))
            await conn.executemany(
                "INSERT INTO sessions (id, activity_id, day, start_time, end_time, capacity) "
                "VALUES ($1, $2, $3, '11:30', '13:30', $4)", [(uuid.uuid4(), activity, d, capacity) for d in days])
            families = [(uuid.uuid4(), uuid.uuid4()) for _ in range(baskets)]
            await conn.executemany(
                "INSERT INTO children (id, family_id, first_name, last_name, birth_date, structure_id) "
                "VALUES ($1, $2, 'Enfant', 'BURST', '2090-01-01', $3)",
                [(child, family, structure) for family, child in families])
    finally:
        await conn.close()
    return activity, days, families


async def booking_sigterm(pg_url: str, amqp_url: str, db_prefix: str, workdir: Path, baskets: int = 100,
                          lines: int = 6, late: int = 20, log=print) -> BookingSigtermResult:
    """SIGTERM booking once a quarter of `baskets` concurrent confirmations are answered; `late` more
    baskets are sent right after the signal."""
    started = time.monotonic()
    db_name = f"{db_prefix}booking"
    dsn = f"{pg_url}/{db_name}"
    secret = secrets.token_urlsafe(32)
    booking = Process("booking", service_env("booking", pg_url, db_name, amqp_url, secret), workdir / "booking.log")
    result = BookingSigtermResult(baskets=baskets + late, lines=lines)
    answers: dict[uuid.UUID, str] = {}  # family -> "200" | "503" | "error" | other status
    sigterm_at: list[float] = []
    try:
        await booking.start()
        # every basket takes a place on the same days: they queue on the same session rows, as in a rush
        activity, days, families = await _seed_baskets(dsn, baskets + late, lines, capacity=10_000)

        # Half the parents on a connection of their own; the other half through a few kept-alive
        # connections shared as the gateway's client shares them (idle ones are closed at SIGTERM).
        shared = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=10),
                                       timeout=aiohttp.ClientTimeout(total=60))

        async def post(http: aiohttp.ClientSession, family: uuid.UUID, token: str, body: dict) -> None:
            async with http.post(f"{booking.url}/v1/basket/confirm", headers={ident.HEADER: token},
                                 json=body) as resp:
                await resp.read()
                answers[family] = str(resp.status)
                if resp.status == 200 and sigterm_at:
                    result.answered_after_sigterm += 1

        async def confirm(family: uuid.UUID, child: uuid.UUID, own_connection: bool) -> None:
            token = ident.issue(ident.Identity(subject=str(uuid.uuid4()), role="parent", family_id=family), secret)
            body = {"lines": [{"child_id": str(child), "activity_id": str(activity), "date": d.isoformat(),
                               "action": "reserve"} for d in days]}
            try:
                if own_connection:
                    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
                        await post(http, family, token, body)
                else:
                    await post(shared, family, token, body)
            except (aiohttp.ClientError, OSError, TimeoutError):
                answers[family] = "error"

        first, second = families[:baskets], families[baskets:]
        tasks = [asyncio.create_task(confirm(f, c, i % 2 == 0)) for i, (f, c) in enumerate(first)]
        deadline = time.monotonic() + 60
        while sum(1 for a in answers.values() if a == "200") < baskets // 4:
            if time.monotonic() > deadline:
                raise RuntimeError(f"fewer than {baskets // 4} baskets answered in 60 s, see {booking.log_path}")
            await asyncio.sleep(0.001)
        booking.terminate()
        sigterm_at.append(time.monotonic())
        result.in_flight_at_sigterm = sum(1 for t in tasks if not t.done())
        log(f"SIGTERM with {len(answers)} of {baskets} baskets answered, {result.in_flight_at_sigterm} in flight")
        # too late: refused (connection or 503), never half done
        tasks += [asyncio.create_task(confirm(f, c, i % 2 == 0)) for i, (f, c) in enumerate(second)]
        result.exit_code = await booking.wait(60)
        result.drain_seconds = time.monotonic() - sigterm_at[0]
        await asyncio.gather(*tasks)
        await shared.close()

        conn = await asyncpg.connect(dsn)
        try:
            recorded = {r["family_id"]: r["n"] for r in await conn.fetch(
                "SELECT family_id, count(*) AS n FROM bookings WHERE activity_id = $1 GROUP BY family_id", activity)}
            movements = {r["family_id"]: r["n"] for r in await conn.fetch(
                "SELECT family_id, count(*) AS n FROM movements WHERE family_id = ANY($1::uuid[]) GROUP BY family_id",
                [f for f, _ in families])}
        finally:
            await conn.close()
        for family, _child in families:
            answer, n = answers.get(family, "error"), recorded.get(family, 0)
            whole = n == lines and movements.get(family, 0) == lines
            if 0 < n < lines or (n and movements.get(family, 0) != n):
                result.half_written += 1
            if answer == "200":
                result.answered += 1
                result.lost += not whole
            elif answer == "503":
                result.refused_503 += 1
                result.refused_but_recorded += n > 0
            elif answer == "error":
                result.connection_errors += 1
                result.recorded_without_200 += whole
            else:
                result.other_statuses[answer] += 1
    finally:
        await booking.stop()
    result.seconds = time.monotonic() - started
    return result


# -- outside pytest: scratch virtual host and databases ----------------------------------------------
async def _drop_databases(prefix: str) -> None:
    conn = await asyncpg.connect(f"{PG}/postgres")
    try:
        for row in await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1", prefix + "%"):
            await conn.execute(f'DROP DATABASE "{row["datname"]}" WITH (FORCE)')
    finally:
        await conn.close()


SCENARIOS = ("digest_kill9", "booking_sigterm")


async def main(args: argparse.Namespace) -> int:
    run = uuid.uuid4().hex[:8]
    vhost, prefix = f"faults-{run}", f"faults{run}_"
    amqp = f"amqp://guest:guest@{AMQP_HOST}/{vhost}"
    failures: list[str] = []
    lines: list[str] = []
    try:
        await rabbitmqctl("add_vhost", vhost)
        await rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
            work = Path(tmp)
            for name in args.scenarios or SCENARIOS:
                if name == "digest_kill9":
                    digest = await digest_kill9(PG, amqp, prefix, work, families=args.families, kills=args.kills,
                                                log=lambda m: print(f"  digest_kill9: {m}", file=sys.stderr))
                    lines.append(digest.result_line())
                    failures += [f"digest_kill9: {p}" for p in digest.failures()]
                else:
                    burst = await booking_sigterm(PG, amqp, prefix, work, baskets=args.baskets, lines=args.lines,
                                                  log=lambda m: print(f"  booking_sigterm: {m}", file=sys.stderr))
                    lines.append(burst.result_line())
                    failures += [f"booking_sigterm: {p}" for p in burst.failures()]
                print(lines[-1], flush=True)
            if failures and args.keep_logs:
                for log_file in work.glob("*.log"):
                    print(f"--- {log_file.name} ---\n{log_file.read_text()[-4000:]}", file=sys.stderr)
    finally:
        await _drop_databases(prefix)
        await rabbitmqctl("delete_vhost", vhost, check=False)
    for failure in failures:
        print(f"bench.faults: FAILED: {failure}", file=sys.stderr)
    if not failures:
        print("bench.faults: all checks passed", file=sys.stderr)
    return 1 if failures else 0


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", help=f"among {', '.join(SCENARIOS)} (default: all)")
    parser.add_argument("--families", type=int, default=300, help="digest_kill9: families (default 300)")
    parser.add_argument("--kills", type=int, default=5, help="digest_kill9: SIGKILLs (default 5)")
    parser.add_argument("--baskets", type=int, default=100, help="booking_sigterm: concurrent baskets (default 100)")
    parser.add_argument("--lines", type=int, default=6, help="booking_sigterm: lines per basket (default 6)")
    parser.add_argument("--keep-logs", action="store_true", help="print the services' logs when a check fails")
    args = parser.parse_args(argv)
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
