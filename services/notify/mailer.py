"""SMTP delivery (aiosmtplib) and the loop that sends what the delivery log holds."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib
import asyncpg
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

from contracts.notify import NotifyMailSentV1
from kit import outbox
from kit.logging import get_logger
from kit.metrics import MAILS

log = get_logger(__name__)
tracer = trace.get_tracer(__name__)


def build_message(mail_from: str, recipients: list[str], subject: str, text: str, html: str | None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = mail_from
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=mail_from.rpartition("@")[2] or None)
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


class DeliverySender:
    """Sends pending deliveries, woken by NOTIFY; retries with a growing delay; never loses one."""

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
            """UPDATE deliveries SET body_text = '', body_html = NULL WHERE status <> 'pending'
               AND created_at < now() - make_interval(days => $1) AND body_text <> ''""", keep_days)

    async def send_due(self) -> int:
        """Send one due delivery (row locked while sending). Returns how many were handled."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                """SELECT id, recipients, subject, body_text, body_html, attempts, template, family_id, event_id,
                          trace_context::text AS trace_context FROM deliveries
                   WHERE status = 'pending' AND next_attempt_at <= now()
                   ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED""")
            if row is None:
                return 0
            message = build_message(self.mail_from, list(row["recipients"]), row["subject"],
                                    row["body_text"], row["body_html"])
            attempts = row["attempts"] + 1
            parent = propagate.extract(json.loads(row["trace_context"] or "{}"))
            try:
                with tracer.start_as_current_span("smtp send", context=parent, kind=SpanKind.CLIENT,
                                                  attributes={"mail.template": row["template"]}):
                    answer = await self.mailer.send(message)
            except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
                final = is_permanent(exc) or attempts > len(self.retry_delays)
                delay = 0 if final else self.retry_delays[attempts - 1]
                await conn.execute(
                    """UPDATE deliveries SET attempts = $2, smtp_answer = $3,
                           status = CASE WHEN $4 THEN 'failed' ELSE 'pending' END,
                           next_attempt_at = now() + make_interval(secs => $5),
                           body_text = CASE WHEN $4 AND template = ANY($6::text[]) THEN $7 ELSE body_text END,
                           body_html = CASE WHEN $4 AND template = ANY($6::text[]) THEN NULL ELSE body_html END
                       WHERE id = $1""",
                    row["id"], attempts, smtp_answer(exc), final, delay, list(SECRET_TEMPLATES), SECRET_BODY_NOTE)
                MAILS.labels("failed" if final else "retry").inc()
                log.warning("mail not sent", delivery_id=row["id"], template=row["template"],
                            attempts=attempts, final=final, error=smtp_answer(exc)[:200])
                return 1
            await conn.execute(
                """UPDATE deliveries SET status = 'sent', attempts = $2, smtp_answer = $3, sent_at = now(),
                       body_text = CASE WHEN template = ANY($4::text[]) THEN $5 ELSE body_text END,
                       body_html = CASE WHEN template = ANY($4::text[]) THEN NULL ELSE body_html END
                   WHERE id = $1""", row["id"], attempts, answer[:500], list(SECRET_TEMPLATES), SECRET_BODY_NOTE)
            await outbox.add(conn, NotifyMailSentV1(
                delivery_id=row["id"], template=row["template"], family_id=row["family_id"],
                source_event_id=row["event_id"], recipients=len(row["recipients"]),
                sent_at=datetime.now(UTC)), producer="notify")
            MAILS.labels("sent").inc()
            log.info("mail sent", delivery_id=row["id"], template=row["template"], attempts=attempts)
            return 1
