"""The sender: hands the recorded deliveries to SMTP over a pool of persistent sessions sending in
parallel (each session one mail at a time, many mails per session) under the relay's rate limit, woken by
NOTIFY; retries with a growing delay; never loses one; a sent mail is told as notify.mail_sent."""

from __future__ import annotations

import asyncio
import contextlib
import json

import aiosmtplib
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from prometheus_client import Counter

from contracts.notify import NotifyMailSentV1
from kit.clock import Clock, utc_now
from kit.logging import get_logger
from kit.metrics import MAILS
from kit.outbox import Producer
from services.notify.domain.mail_choice import SECRET_BODY_NOTE, SECRET_TEMPLATES
from services.notify.mailer import Mailer, RateLimit, build_message, is_permanent, message_id, smtp_answer
from services.notify.store import DATABASE_ERRORS, Store
from services.notify.store.sending import Attempt

log = get_logger(__name__)
tracer = trace.get_tracer(__name__)
PRODUCER = Producer("notify")

# A mail handed to SMTP again because the process sending it died during the hand-off (SMTP has no
# idempotency: the family may get it twice, with the same Message-ID). Bounded by the mails in flight
# at the crash: one per sender, as a sender sends one mail at a time.
MAIL_REPEATS = Counter("portail_mail_repeats_total",
                       "Mails sent again after a crash interrupted their hand-off to SMTP (possible duplicates)")
RETRY_DELAYS = (30, 120, 600, 1800, 3600)  # seconds, then the delivery is marked failed


class DeliverySender:
    """Sends pending deliveries, woken by NOTIFY; retries with a growing delay; never loses one.

    Crash-safe: every attempt is recorded ('sending', attempt count, time) and committed before the mail
    is handed to SMTP, while a session advisory lock on the delivery shows the sender is alive. After a
    crash (SIGKILL, lost machine) the lock is gone with the connection, and the next sender sends the
    mail again with the same Message-ID, counting the repeat (MAIL_REPEATS, `deliveries.repeats`).
    Each SMTP session has one mail in flight at a time, so a crash repeats at most one mail per session.

    `sessions` SMTP sessions send in parallel (`mailer` and copies of it), each kept open while there is
    mail, all under one `RateLimit` of `rate_per_second` hand-offs (0: none)."""

    def __init__(self, pool, dsn: str, mailer: Mailer, mail_from: str, poll_seconds: float = 5,
                 retry_delays: tuple[float, ...] = RETRY_DELAYS, *, store=None, clock: Clock = utc_now,
                 sessions: int = 1, rate_per_second: float = 0):
        self.store = store or Store(pool)
        self.dsn, self.mailer, self.mail_from = dsn, mailer, mail_from
        self.mailers = [mailer] + [mailer.copy() for _ in range(max(1, sessions) - 1)]
        self.rate = RateLimit(rate_per_second)
        self.poll_seconds, self.retry_delays, self.clock = poll_seconds, retry_delays, clock
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        listener = await self.store.listen(self.dsn, self._wake.set)
        try:
            while not self._stopping.is_set():
                try:
                    await self.drain()
                    await self.purge_old_bodies()
                except DATABASE_ERRORS as exc:
                    log.warning("delivery loop error, will retry", error=repr(exc))
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
                except TimeoutError:
                    pass
                self._wake.clear()
        finally:
            await self.close()
            await listener.close()

    async def drain(self) -> None:
        """Every session sends due deliveries until none is left (or stopping), then closes its session:
        nothing left to send, no idle session kept. A database error in one stops them all (raised)."""
        async def session(mailer: Mailer) -> None:
            try:
                while not self._stopping.is_set() and await self.send_due(mailer):
                    pass
            finally:
                await mailer.close()

        await asyncio.gather(*(session(m) for m in self.mailers))

    async def close(self) -> None:
        for mailer in self.mailers:
            await mailer.close()

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def purge_old_bodies(self, keep_days: int = 30) -> None:
        """The delivery log is kept, the mails' bodies (reset links, personal detail) are not."""
        async with self.store.connection() as conn:
            await self.store.purge_old_bodies(conn, keep_days)

    async def send_due(self, mailer: Mailer | None = None) -> int:
        """Send one due delivery (or one interrupted by a crash) on `mailer`'s session (by default the
        first). Returns how many were handled."""
        async with self.store.connection() as conn:
            attempt = await self.store.claim(conn)
            if attempt is None:
                return 0
            try:
                return await self._send(conn, attempt, mailer or self.mailer)
            finally:
                # the pool's reset also unlocks; a broken connection has released it already
                with contextlib.suppress(*DATABASE_ERRORS):
                    await self.store.unlock(conn, attempt.delivery.id)

    async def _send(self, conn, attempt: Attempt, mailer: Mailer) -> int:
        d, attempts = attempt.delivery, attempt.attempts
        if attempt.repeat:
            MAIL_REPEATS.inc()
            log.warning("mail sent again after an interrupted attempt, it may arrive twice", delivery_id=d.id,
                        template=d.template, attempts=attempts, repeats=attempt.repeats)
        message = build_message(self.mail_from, list(d.recipients), d.subject, d.body_text, d.body_html,
                                message_id(d.event_id, d.template, self.mail_from))
        parent = propagate.extract(json.loads(d.trace_context or "{}"))
        try:
            with tracer.start_as_current_span("smtp send", context=parent, kind=SpanKind.CLIENT,
                                              attributes={"mail.template": d.template}):
                await self.rate.wait()
                answer = await mailer.send(message)
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            failures = attempts - attempt.repeats  # attempts cut short by a crash are not SMTP failures
            final = is_permanent(exc) or failures > len(self.retry_delays)
            delay = 0 if final else self.retry_delays[max(failures, 1) - 1]
            await self.store.record_failure(conn, d.id, smtp_answer(exc), final, delay, SECRET_TEMPLATES,
                                            SECRET_BODY_NOTE)
            MAILS.labels("failed" if final else "retry").inc()
            log.warning("mail not sent", delivery_id=d.id, template=d.template,
                        attempts=attempts, final=final, error=smtp_answer(exc)[:200])
            return 1
        async with self.store.begin(conn):
            await self.store.record_sent(conn, d.id, answer[:500], SECRET_TEMPLATES, SECRET_BODY_NOTE)
            await PRODUCER.add(conn, NotifyMailSentV1(
                delivery_id=d.id, template=d.template, family_id=d.family_id, source_event_id=d.event_id,
                recipients=len(d.recipients), sent_at=self.clock()))
        MAILS.labels("sent").inc()
        log.info("mail sent", delivery_id=d.id, template=d.template, attempts=attempts)
        return 1
