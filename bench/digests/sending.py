"""bench.digests's third measurement: the deliveries handed to SMTP by `DeliverySender.send_due` in 1, 4 and
8 loops to an in-process mail catcher, then 4 loops to `python -m tools.mailcatcher` in its own process; each
pass checked (one mail per sent delivery, same recipients, one `notify.mail_sent` event each)."""

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
SENDER_LOOPS = (1, 4, 8)


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


def caught_in_process(catcher: MailCatcher) -> Callable[[], list[str]]:
    return lambda: [next((v for k, v in m.headers if k == "To"), "") for m in catcher.messages]


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



async def smtp_passes(checks: Report, pool: asyncpg.Pool, dsn: str, seconds: float, expected: int, complete: bool,
                      out: list[str]) -> list[SendPass]:
    """Every pass, one after another (the deliveries put back to pending between them), each checked against
    `expected` deliveries (all sent within `seconds` when `complete`) and described in `out`."""
    passes: list[SendPass] = []
    with tempfile.TemporaryDirectory(prefix="bench-digests-mail-") as maildir:
        catcher = MailCatcher(smtp_port=0, http_port=0, directory=maildir)
        await catcher.start()
        try:
            for i, loops in enumerate(SENDER_LOOPS):
                if i:
                    await reset_sending(pool, catcher)
                p = await send_pass(pool, dsn, catcher.smtp_port, loops, seconds, caught_in_process(catcher))
                check_pass(checks, p, "catcher in process", expected, complete=complete)
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
            p = await send_pass(pool, dsn, smtp_port, loops, seconds, caught_in_directory(Path(maildir)))
            check_pass(checks, p, "catcher in its own process", expected, complete=complete)
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
    return passes
