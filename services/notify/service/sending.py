"""The sender: hands the recorded deliveries to SMTP over a pool of persistent sessions sending in
parallel (each session one mail at a time, many mails per session) under the relay's rate limit, woken by
NOTIFY; records their outcomes in bulk, one transaction for the mails finished meanwhile by every session;
retries with a growing delay; never loses one; a sent mail is told as notify.mail_sent."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

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
# at the crash: one per SMTP session, as a session's next mail is claimed in the transaction recording
# its previous one.
MAIL_REPEATS = Counter("portail_mail_repeats_total",
                       "Mails sent again after a crash interrupted their hand-off to SMTP (possible duplicates)")
RETRY_DELAYS = (30, 120, 600, 1800, 3600)  # seconds, then the delivery is marked failed
# How often a drain looks for mails a crashed sender left 'sending' (at its start, then at this pace):
# they only appear when a sender dies, so not at every claim.
INTERRUPTED_CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class Outcome:
    """What became of one attempt: sent (`answer` is the server's) or not (`error`, `final`, `delay`)."""

    attempt: Attempt
    answer: str
    error: BaseException | None = None
    final: bool = False
    delay: float = 0


def after_failure(exc: BaseException, attempt: Attempt, retry_delays: tuple[float, ...]) -> tuple[bool, float]:
    """(final, delay): a permanent refusal, or a temporary failure past the last retry delay, is final;
    otherwise the attempt is tried again after the next delay. Attempts cut short by a crash are not SMTP
    failures and do not count."""
    failures = attempt.attempts - attempt.repeats
    final = is_permanent(exc) or failures > len(retry_delays)
    return final, 0 if final else retry_delays[max(failures, 1) - 1]


class DeliverySender:
    """Sends pending deliveries, woken by NOTIFY; retries with a growing delay; never loses one.

    `sessions` SMTP sessions send in parallel (`mailer` and copies of it), each one mail at a time and
    kept open while there is mail, all under one `RateLimit` of `rate_per_second` hand-offs (0: none).

    One database connection per drain, one transaction per tick: it records the outcomes of the mails
    the sessions finished since the previous tick (one statement for the sent ones and their
    notify.mail_sent events, one for the failures) and claims the next mails for the idle sessions
    (`FOR UPDATE SKIP LOCKED`: several replicas share the work). While a tick commits, the sessions that
    finish gather for the next one, so a busy pool commits once for several mails.

    Crash-safe: every attempt is recorded ('sending', attempt count, time) and committed before the mail
    is handed to SMTP, while a session advisory lock on the delivery (held by the drain's connection until
    the outcome is recorded) shows the sender is alive. After a crash (SIGKILL, lost machine) the locks
    are gone with the connection, and the next sender sends those mails again with the same Message-ID,
    counting the repeat (MAIL_REPEATS, `deliveries.repeats`). A session's next mail is claimed in the
    transaction that records its previous one, so a session has at most one mail 'sending' at any time
    and a crash repeats at most one mail per session."""

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
        """Send due deliveries on every session until none is left (or stopping: the mails in flight are
        finished and recorded, no new one is claimed), then close the sessions. A database error stops
        them all (raised): the mails in flight are cut short and sent again by the next drain."""
        idle = list(self.mailers)
        running: dict[int, asyncio.Task] = {}  # delivery id -> its hand-off
        held: set[int] = set()  # the deliveries this drain's connection has locked: running or finished
        finished: list[Outcome] = []
        wake = asyncio.Event()
        loop = asyncio.get_running_loop()
        next_check = loop.time()  # of interrupted mails

        async def hand_off(attempt: Attempt, mailer: Mailer) -> None:
            try:
                finished.append(await self._hand_off(attempt, mailer))
            finally:
                idle.append(mailer)
                del running[attempt.delivery.id]
                wake.set()

        try:
            async with self.store.connection() as conn:
                await self.store.hold_locks(conn)
                while True:
                    done = finished[:]
                    finished.clear()
                    wanted = 0 if self._stopping.is_set() else len(idle)
                    if done or wanted:
                        check = wanted > 0 and loop.time() >= next_check
                        if check:
                            next_check = loop.time() + INTERRUPTED_CHECK_SECONDS
                        async with self.store.begin(conn):
                            await self._record(conn, done)
                            # its own locks would be taken again: what it holds is not 'interrupted'
                            attempts = await self.store.claim(conn, wanted, list(held), interrupted=check)
                        self._report(done)
                        held.difference_update(o.attempt.delivery.id for o in done)
                        held.update(a.delivery.id for a in attempts)
                        for attempt in attempts:
                            running[attempt.delivery.id] = asyncio.create_task(hand_off(attempt, idle.pop()))
                    if not running and not finished:
                        return
                    if not finished:
                        wake.clear()
                        await wake.wait()
        finally:
            for task in list(running.values()):
                task.cancel()
            await asyncio.gather(*running.values(), return_exceptions=True)
            await self.close()

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

    async def _hand_off(self, attempt: Attempt, mailer: Mailer) -> Outcome:
        """One mail to SMTP on `mailer`'s session; what became of it (nothing recorded yet)."""
        d, attempts = attempt.delivery, attempt.attempts
        if attempt.repeat:
            MAIL_REPEATS.inc()
            log.warning("mail sent again after an interrupted attempt, it may arrive twice", delivery_id=d.id,
                        template=d.template, attempts=attempts, repeats=attempt.repeats)
        parent = propagate.extract(json.loads(d.trace_context or "{}"))
        try:
            with tracer.start_as_current_span("smtp send", context=parent, kind=SpanKind.CLIENT,
                                              attributes={"mail.template": d.template}):
                message = build_message(self.mail_from, list(d.recipients), d.subject, d.body_text, d.body_html,
                                        message_id(d.event_id, d.template, self.mail_from))
                await self.rate.wait()
                answer = await mailer.send(message)
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            final, delay = after_failure(exc, attempt, self.retry_delays)
            return Outcome(attempt, smtp_answer(exc), exc, final, delay)
        except Exception as exc:  # a mail that cannot be built: recorded and retried, never the sender's end
            log.exception("mail not handed to SMTP", delivery_id=d.id, template=d.template)
            final, delay = after_failure(exc, attempt, self.retry_delays)
            return Outcome(attempt, smtp_answer(exc), exc, final, delay)
        return Outcome(attempt, answer[:500])

    async def _record(self, conn, done: list[Outcome]) -> None:
        """The outcomes in the caller's transaction: the sent ones and their events, then the failures."""
        sent = [o for o in done if o.error is None]
        failed = [o for o in done if o.error is not None]
        await self.store.record_sent(conn, [o.attempt.delivery.id for o in sent], [o.answer for o in sent],
                                     SECRET_TEMPLATES, SECRET_BODY_NOTE)
        if sent:
            now = self.clock()
            await PRODUCER.add_many(conn, [NotifyMailSentV1(
                delivery_id=d.id, template=d.template, family_id=d.family_id, source_event_id=d.event_id,
                recipients=len(d.recipients), sent_at=now) for d in (o.attempt.delivery for o in sent)])
        await self.store.record_failures(conn, [o.attempt.delivery.id for o in failed], [o.answer for o in failed],
                                         [o.final for o in failed], [o.delay for o in failed],
                                         SECRET_TEMPLATES, SECRET_BODY_NOTE)

    def _report(self, done: list[Outcome]) -> None:
        """Metrics and logs of the outcomes, once committed."""
        for o in done:
            d = o.attempt.delivery
            if o.error is None:
                MAILS.labels("sent").inc()
                log.info("mail sent", delivery_id=d.id, template=d.template, attempts=o.attempt.attempts)
            else:
                MAILS.labels("failed" if o.final else "retry").inc()
                log.warning("mail not sent", delivery_id=d.id, template=d.template, attempts=o.attempt.attempts,
                            final=o.final, error=o.answer[:200])
