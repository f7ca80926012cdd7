"""bench.digests's third measurement: the deliveries handed to SMTP by the sender's pool of sessions
(`DeliverySender.drain`, as the service runs it) to a local SMTP server that does not parse
(bench/digests/smtp_null.py, in its own process: the floor of a hand-off) with 1 session then SESSIONS,
then to `python -m tools.mailcatcher` in its own process (what the project's catcher reaches); each pass
checked (one mail per sent delivery, same recipients, one `notify.mail_sent` event each)."""

from __future__ import annotations

import asyncio
import email.policy
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import BytesParser
from pathlib import Path

import asyncpg

from bench.common import ROOT, Report, free_port
from services.notify.mailer import Mailer
from services.notify.service.sending import DeliverySender
from tools.mailcatcher import MailCatcher

MAIL_FROM = "Portail Famille <ne-pas-repondre@example.fr>"
SESSIONS = 8  # the sender's default (PORTAIL_SMTP_SESSIONS)


@dataclass
class SendPass:
    loops: int  # SMTP sessions
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


async def send_pass(pool: asyncpg.Pool, dsn: str, smtp_port: int, sessions: int, seconds: float,
                    caught: Callable[[], list[str]]) -> SendPass:
    """Pending deliveries handed to the server by the sender's `sessions` sessions (`drain`) until none is
    left or `seconds` have passed (the sender is then stopped, its mails in flight finished). `caught`
    gives the recipients of every mail the server holds."""
    deliveries = await pool.fetchval("SELECT count(*) FROM deliveries WHERE status = 'pending'")
    result = SendPass(sessions, deliveries)
    sender = DeliverySender(pool, dsn, Mailer("127.0.0.1", smtp_port, timeout=30), MAIL_FROM, sessions=sessions)

    async def time_limit() -> None:
        await asyncio.sleep(seconds)
        result.timed_out = True
        await sender.stop()

    t0 = time.perf_counter()
    limit = asyncio.create_task(time_limit())
    try:
        await sender.drain()
    finally:
        limit.cancel()
        await sender.close()
    result.seconds = time.perf_counter() - t0
    result.calls = result.deliveries
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
    what = f"SMTP pass ({where}, {p.loops} sessions)"
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


def caught_in_file(path: Path) -> Callable[[], list[str]]:
    """The null server's list, one line per mail (written when it stops)."""
    return lambda: [line for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def caught_in_directory(directory: Path) -> Callable[[], list[str]]:
    def read() -> list[str]:
        parser = BytesParser(policy=email.policy.default)
        return [str(parser.parsebytes(p.read_bytes(), headersonly=True).get("To", ""))
                for p in directory.glob("*.eml")]
    return read


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
    return (f"SMTP ({where}), {p.loops} session{'s' if p.loops > 1 else ''}: {p.sent:,}/{p.deliveries:,} "
            f"sent in {p.seconds:.2f} s = {p.rate:,.0f} mails/s ("
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



async def server_process(module: str, env: dict[str, str], *argv: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-m", module, *argv, env={**os.environ, **env},
                                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def stop_process(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.terminate()
    try:
        await asyncio.wait_for(proc.wait(), timeout=10)
    except TimeoutError:
        proc.kill()
        await asyncio.wait_for(proc.wait(), timeout=10)


async def smtp_passes(checks: Report, pool: asyncpg.Pool, dsn: str, seconds: float, expected: int, complete: bool,
                      out: list[str]) -> list[SendPass]:
    """Every pass, one after another (the deliveries put back to pending between them), each checked against
    `expected` deliveries (all sent within `seconds` when `complete`) and described in `out`: the null
    server with 1 session, then SESSIONS; the project's mail catcher with SESSIONS."""
    passes: list[SendPass] = []
    with tempfile.TemporaryDirectory(prefix="bench-digests-mail-") as tmp:
        for i, sessions in enumerate((1, SESSIONS)):
            if i:
                await reset_sending(pool, None)
            port, listing = free_port(), Path(tmp) / f"null-{sessions}.txt"
            proc = await server_process("bench.digests.smtp_null", {}, str(port), str(listing))
            try:
                await wait_for_port(port, 20)
                p = await send_pass(pool, dsn, port, sessions, seconds, list)
            finally:
                await stop_process(proc)
            got = caught_in_file(listing)()
            p.caught = len(got)
            expected_to = Counter(", ".join(r["recipients"]) for r in await pool.fetch(
                "SELECT recipients FROM deliveries WHERE status = 'sent'"))
            p.same_recipients = expected_to == Counter(got)
            p.wrong_recipients = sum(((expected_to - Counter(got)) + (Counter(got) - expected_to)).values())
            check_pass(checks, p, "null SMTP server", expected, complete=complete)
            passes.append(p)
            out.append(describe(p, "null SMTP server, its own process"))
            print(out[-1], flush=True)
    # the project's mail catcher (aiosmtpd, parsing each mail, a .eml written per mail) in its own process
    with tempfile.TemporaryDirectory(prefix="bench-digests-mail-") as maildir:
        await reset_sending(pool, None)
        smtp_port = free_port()
        env = {"PORTAIL_MAILCATCHER_SMTP_PORT": str(smtp_port), "PORTAIL_MAILCATCHER_HTTP_PORT": str(free_port()),
               "PORTAIL_MAILCATCHER_DIR": maildir, "PORTAIL_LOG_LEVEL": "WARNING"}
        proc = await server_process("tools.mailcatcher", env)
        try:
            await wait_for_port(smtp_port, 20)
            p = await send_pass(pool, dsn, smtp_port, SESSIONS, seconds, caught_in_directory(Path(maildir)))
            check_pass(checks, p, "catcher in its own process", expected, complete=complete)
            passes.append(p)
            out.append(describe(p, "tools.mailcatcher, its own process"))
            print(out[-1], flush=True)
        finally:
            await stop_process(proc)
    return passes
