"""SMTP delivery (aiosmtplib) and the loop that sends what the delivery log holds."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib
import asyncpg
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from prometheus_client import Counter

from contracts.notify import NotifyMailSentV1
from kit import outbox
from kit.logging import get_logger
from kit.metrics import MAILS

log = get_logger(__name__)
tracer = trace.get_tracer(__name__)

# A mail handed to SMTP again because the process sending it died during the hand-off (SMTP has no
# idempotency: the family may get it twice, with the same Message-ID). Bounded by the mails in flight
# at the crash: one per sender, as a sender sends one mail at a time.
MAIL_REPEATS = Counter("portail_mail_repeats_total",
                       "Mails sent again after a crash interrupted their hand-off to SMTP (possible duplicates)")

# The namespace of the session advisory locks a sender holds on the delivery it is sending
# (pg_try_advisory_lock(int, int): a key space of its own, apart from the outbox relay's bigint key).
SENDING_LOCK = 0x4E544659  # "NTFY"
_MESSAGE_IDS = uuid.UUID("6b0b7f3e-4f1c-5a53-9f43-70f5a1f3e614")


def message_id(event_id: uuid.UUID, template: str, mail_from: str) -> str:
    """The Message-ID of a delivery, the same for every attempt: derived from what identifies the
    delivery (its event and template), so a mail sent twice after a crash is recognisably one mail."""
    domain = mail_from.rstrip(">").rpartition("@")[2] or "portail-famille"
    return f"<{uuid.uuid5(_MESSAGE_IDS, f'{event_id}/{template}')}@{domain}>"


# A session holding such a lock must not outlive its process for hours when the machine vanishes
# (no FIN, no RST): the server probes the idle connection and ends it within about 30 s, freeing the lock.
LOCK_HOLDER_KEEPALIVE = ("set_config('tcp_keepalives_idle', '15', false), "
                         "set_config('tcp_keepalives_interval', '5', false), "
                         "set_config('tcp_keepalives_count', '3', false)")


def _lock_key(delivery_id: int) -> int:
    return delivery_id % 2_147_483_647  # the int4 half of the two-key advisory lock


def build_message(mail_from: str, recipients: list[str], subject: str, text: str, html: str | None,
                  msg_id: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = msg_id or f"<{uuid.uuid4()}@{mail_from.rstrip('>').rpartition('@')[2] or 'portail-famille'}>"
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


class Mailer:
    """One SMTP session kept open while there is mail to send (a new connection per mail costs more
    than the mail); any error closes it and the next mail opens a fresh one."""

    def __init__(self, host: str, port: int, tls: str = "none", username: str | None = None,
                 password: str | None = None, timeout: float = 30):
        self.host, self.port, self.tls = host, port, tls
        self.username, self.password, self.timeout = username, password, timeout
        self._client: aiosmtplib.SMTP | None = None
        self._lock = asyncio.Lock()  # one SMTP transaction at a time on the shared session

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is None or not self._client.is_connected:
            client = aiosmtplib.SMTP(hostname=self.host, port=self.port, timeout=self.timeout,
                                     use_tls=self.tls == "tls", start_tls=self.tls == "starttls")
            await client.connect()
            if self.username:
                await client.login(self.username, self.password or "")
            self._client = client
        return self._client

    async def send(self, message: EmailMessage) -> str:
        """Send one message; returns the server's answer. Raises aiosmtplib.SMTPException or OSError."""
        async with self._lock:
            return await self._send(message)

    async def _send(self, message: EmailMessage) -> str:
        try:
            client = await self._connected()
            try:
                _errors, answer = await client.send_message(message)
            except aiosmtplib.SMTPServerDisconnected:  # the server closed an idle session: once more
                await self.close()
                client = await self._connected()
                _errors, answer = await client.send_message(message)
        except BaseException:
            await self.close()
            raise
        return answer

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                client.close()


RETRY_DELAYS = (30, 120, 600, 1800, 3600)  # seconds, then the delivery is marked failed

# Mails whose body is a credential (a reset link): the body is kept only until the mail is sent (or
# given up); then the delivery log keeps this note in its place, never the link.
SECRET_TEMPLATES = ("password_reset",)
SECRET_BODY_NOTE = "Lien personnel envoyé par courriel (non conservé après l'envoi)."


def smtp_answer(exc: BaseException) -> str:
    """What the server said, without the addresses (the delivery row already names the recipients)."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return "; ".join(f"{r.code} {r.message}" for r in exc.recipients)[:500]
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}"[:500]
    return (str(exc) or type(exc).__name__)[:500]


def is_permanent(exc: BaseException) -> bool:
    """5xx answers and refused recipients will not get better by retrying; 4xx, a refused or lost
    connection and timeouts will."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(getattr(r, "code", 550) >= 500 for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPResponseException) and not isinstance(exc, aiosmtplib.SMTPConnectError):
        return exc.code >= 500
    return False


_CLAIM_COLUMNS = """id, status, recipients, subject, body_text, body_html, attempts, repeats, template, family_id,
                    event_id, trace_context::text AS trace_context"""
# Deliveries left 'sending' first: they are either being sent by a live sender (its advisory lock is
# taken, they are skipped) or were interrupted by a crash and go out again before anything new.
_INTERRUPTED_SQL = f"""SELECT {_CLAIM_COLUMNS} FROM deliveries WHERE status = 'sending'
                       ORDER BY id LIMIT 20 FOR UPDATE SKIP LOCKED"""
_DUE_SQL = f"""SELECT {_CLAIM_COLUMNS} FROM deliveries WHERE status = 'pending' AND next_attempt_at <= now()
               ORDER BY id LIMIT 3 FOR UPDATE SKIP LOCKED"""


@dataclass(frozen=True)
class Attempt:
    """A delivery claimed by this sender: 'sending', recorded and committed, advisory lock held."""

    row: asyncpg.Record
    attempts: int
    repeats: int
    repeat: bool  # a previous attempt was interrupted during its hand-off: this mail may go out twice


class DeliverySender:
    """Sends pending deliveries, woken by NOTIFY; retries with a growing delay; never loses one.

    Crash-safe: every attempt is recorded ('sending', attempt count, time) and committed before the mail
    is handed to SMTP, while a session advisory lock on the delivery shows the sender is alive. After a
    crash (SIGKILL, lost machine) the lock is gone with the connection, and the next sender sends the
    mail again with the same Message-ID, counting the repeat (MAIL_REPEATS, `deliveries.repeats`).
    A sender has one mail in flight at a time, so a crash repeats at most one mail per sender."""

    def __init__(self, pool: asyncpg.Pool, dsn: str, mailer: Mailer, mail_from: str, poll_seconds: float = 5,
                 retry_delays: tuple[float, ...] = RETRY_DELAYS):
        self.pool, self.dsn, self.mailer, self.mail_from = pool, dsn, mailer, mail_from
        self.poll_seconds, self.retry_delays = poll_seconds, retry_delays
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        listener = await asyncpg.connect(self.dsn)
        await listener.add_listener("deliveries", lambda *_: self._wake.set())
        try:
            while not self._stopping.is_set():
                try:
                    while await self.send_due() and not self._stopping.is_set():
                        pass
                    await self.mailer.close()  # nothing left to send: do not keep the session idle
                    await self.purge_old_bodies()
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    log.warning("delivery loop error, will retry", error=repr(exc))
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
                except TimeoutError:
                    pass
                self._wake.clear()
        finally:
            await self.mailer.close()
            await listener.close()

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def purge_old_bodies(self, keep_days: int = 30) -> None:
        """The delivery log is kept, the mails' bodies (reset links, personal detail) are not."""
        await self.pool.execute(
            """UPDATE deliveries SET body_text = '', body_html = NULL WHERE status IN ('sent', 'failed')
               AND created_at < now() - make_interval(days => $1) AND body_text <> ''""", keep_days)

    async def _claim(self, conn: asyncpg.Connection) -> Attempt | None:
        """Take one delivery to send and record the attempt, committed before any hand-off."""
        async with conn.transaction():
            for query in (_INTERRUPTED_SQL, _DUE_SQL):
                for row in await conn.fetch(query):
                    # session-level: kept after this transaction, until the attempt is recorded as done
                    if not await conn.fetchval(f"SELECT pg_try_advisory_lock($1, $2), {LOCK_HOLDER_KEEPALIVE}",
                                               SENDING_LOCK, _lock_key(row["id"])):
                        continue  # a live sender is sending it
                    repeat = row["status"] == "sending"
                    attempt = Attempt(row, row["attempts"] + 1, row["repeats"] + int(repeat), repeat)
                    await conn.execute(
                        """UPDATE deliveries SET status = 'sending', attempts = $2, repeats = $3,
                               last_attempt_at = now() WHERE id = $1""", row["id"], attempt.attempts, attempt.repeats)
                    return attempt
        return None

    async def send_due(self) -> int:
        """Send one due delivery (or one interrupted by a crash). Returns how many were handled."""
        async with self.pool.acquire() as conn:
            attempt = await self._claim(conn)
            if attempt is None:
                return 0
            try:
                return await self._send(conn, attempt)
            finally:
                # the pool's reset also unlocks; a broken connection has released it already
                with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                    await conn.execute("SELECT pg_advisory_unlock($1, $2)", SENDING_LOCK,
                                       _lock_key(attempt.row["id"]))

    async def _send(self, conn: asyncpg.Connection, attempt: Attempt) -> int:
        row, attempts = attempt.row, attempt.attempts
        if attempt.repeat:
            MAIL_REPEATS.inc()
            log.warning("mail sent again after an interrupted attempt, it may arrive twice", delivery_id=row["id"],
                        template=row["template"], attempts=attempts, repeats=attempt.repeats)
        message = build_message(self.mail_from, list(row["recipients"]), row["subject"], row["body_text"],
                                row["body_html"], message_id(row["event_id"], row["template"], self.mail_from))
        parent = propagate.extract(json.loads(row["trace_context"] or "{}"))
        try:
            with tracer.start_as_current_span("smtp send", context=parent, kind=SpanKind.CLIENT,
                                              attributes={"mail.template": row["template"]}):
                answer = await self.mailer.send(message)
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            failures = attempts - attempt.repeats  # attempts cut short by a crash are not SMTP failures
            final = is_permanent(exc) or failures > len(self.retry_delays)
            delay = 0 if final else self.retry_delays[max(failures, 1) - 1]
            await conn.execute(
                """UPDATE deliveries SET smtp_answer = $2,
                       status = CASE WHEN $3 THEN 'failed' ELSE 'pending' END,
                       next_attempt_at = now() + make_interval(secs => $4),
                       body_text = CASE WHEN $3 AND template = ANY($5::text[]) THEN $6 ELSE body_text END,
                       body_html = CASE WHEN $3 AND template = ANY($5::text[]) THEN NULL ELSE body_html END
                   WHERE id = $1""",
                row["id"], smtp_answer(exc), final, delay, list(SECRET_TEMPLATES), SECRET_BODY_NOTE)
            MAILS.labels("failed" if final else "retry").inc()
            log.warning("mail not sent", delivery_id=row["id"], template=row["template"],
                        attempts=attempts, final=final, error=smtp_answer(exc)[:200])
            return 1
        async with conn.transaction():
            await conn.execute(
                """UPDATE deliveries SET status = 'sent', smtp_answer = $2, sent_at = now(),
                       body_text = CASE WHEN template = ANY($3::text[]) THEN $4 ELSE body_text END,
                       body_html = CASE WHEN template = ANY($3::text[]) THEN NULL ELSE body_html END
                   WHERE id = $1""", row["id"], answer[:500], list(SECRET_TEMPLATES), SECRET_BODY_NOTE)
            await outbox.add(conn, NotifyMailSentV1(
                delivery_id=row["id"], template=row["template"], family_id=row["family_id"],
                source_event_id=row["event_id"], recipients=len(row["recipients"]),
                sent_at=datetime.now(UTC)), producer="notify")
        MAILS.labels("sent").inc()
        log.info("mail sent", delivery_id=row["id"], template=row["template"], attempts=attempts)
        return 1
