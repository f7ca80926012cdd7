"""The SQL of sending: a sender claims one delivery (its attempt recorded and committed, a session advisory
lock on it while it is handed to SMTP), records the outcome, and purges old bodies; NOTIFY wakes it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

__all__ = ["Attempt", "Delivery", "claim", "listen", "purge_old_bodies", "record_failure", "record_sent", "unlock"]

# The namespace of the session advisory locks a sender holds on the delivery it is sending
# (pg_try_advisory_lock(int, int): a key space of its own, apart from the outbox relay's bigint key).
SENDING_LOCK = 0x4E544659  # "NTFY"
# A session holding such a lock must not outlive its process for hours when the machine vanishes
# (no FIN, no RST): the server probes the idle connection and ends it within about 30 s, freeing the lock.
LOCK_HOLDER_KEEPALIVE = ("set_config('tcp_keepalives_idle', '15', false), "
                         "set_config('tcp_keepalives_interval', '5', false), "
                         "set_config('tcp_keepalives_count', '3', false)")


def _lock_key(delivery_id: int) -> int:
    return delivery_id % 2_147_483_647  # the int4 half of the two-key advisory lock


_CLAIM_COLUMNS = """id, status, recipients, subject, body_text, body_html, attempts, repeats, template, family_id,
                    event_id, trace_context::text AS trace_context"""
# Deliveries left 'sending' first: they are either being sent by a live sender (its advisory lock is
# taken, they are skipped) or were interrupted by a crash and go out again before anything new.
_INTERRUPTED_SQL = f"""SELECT {_CLAIM_COLUMNS} FROM deliveries WHERE status = 'sending'
                       ORDER BY id LIMIT 20 FOR UPDATE SKIP LOCKED"""
_DUE_SQL = f"""SELECT {_CLAIM_COLUMNS} FROM deliveries WHERE status = 'pending' AND next_attempt_at <= now()
               ORDER BY id LIMIT 3 FOR UPDATE SKIP LOCKED"""


@dataclass(frozen=True)
class Delivery:
    id: int
    status: str
    recipients: tuple[str, ...]
    subject: str
    body_text: str
    body_html: str | None
    attempts: int
    repeats: int
    template: str
    family_id: uuid.UUID | None
    event_id: uuid.UUID
    trace_context: str | None


@dataclass(frozen=True)
class Attempt:
    """A delivery claimed by this sender: 'sending', recorded and committed, advisory lock held."""

    delivery: Delivery
    attempts: int
    repeats: int
    repeat: bool  # a previous attempt was interrupted during its hand-off: this mail may go out twice



async def claim(conn: asyncpg.Connection) -> Attempt | None:
    """Take one delivery to send and record the attempt, committed before any hand-off."""
    async with conn.transaction():
        for query in (_INTERRUPTED_SQL, _DUE_SQL):
            for row in await conn.fetch(query):
                # session-level: kept after this transaction, until the attempt is recorded as done
                if not await conn.fetchval(f"SELECT pg_try_advisory_lock($1, $2), {LOCK_HOLDER_KEEPALIVE}",
                                           SENDING_LOCK, _lock_key(row["id"])):
                    continue  # a live sender is sending it
                repeat = row["status"] == "sending"
                delivery = Delivery(**{**dict(row), "recipients": tuple(row["recipients"])})
                attempt = Attempt(delivery, row["attempts"] + 1, row["repeats"] + int(repeat), repeat)
                await conn.execute(
                    """UPDATE deliveries SET status = 'sending', attempts = $2, repeats = $3,
                           last_attempt_at = now() WHERE id = $1""", row["id"], attempt.attempts, attempt.repeats)
                return attempt
    return None


async def unlock(conn: asyncpg.Connection, delivery_id: int) -> None:
    await conn.execute("SELECT pg_advisory_unlock($1, $2)", SENDING_LOCK, _lock_key(delivery_id))


async def record_failure(conn: asyncpg.Connection, delivery_id: int, answer: str, final: bool, delay: float,
                         secret_templates: tuple[str, ...], secret_note: str) -> None:
    """Back to 'pending' after `delay` seconds, or 'failed' (`final`: a credential's body then replaced)."""
    await conn.execute(
        """UPDATE deliveries SET smtp_answer = $2,
               status = CASE WHEN $3 THEN 'failed' ELSE 'pending' END,
               next_attempt_at = now() + make_interval(secs => $4),
               body_text = CASE WHEN $3 AND template = ANY($5::text[]) THEN $6 ELSE body_text END,
               body_html = CASE WHEN $3 AND template = ANY($5::text[]) THEN NULL ELSE body_html END
           WHERE id = $1""",
        delivery_id, answer, final, delay, list(secret_templates), secret_note)


async def record_sent(conn: asyncpg.Connection, delivery_id: int, answer: str, secret_templates: tuple[str, ...],
                      secret_note: str) -> None:
    await conn.execute(
        """UPDATE deliveries SET status = 'sent', smtp_answer = $2, sent_at = now(),
               body_text = CASE WHEN template = ANY($3::text[]) THEN $4 ELSE body_text END,
               body_html = CASE WHEN template = ANY($3::text[]) THEN NULL ELSE body_html END
           WHERE id = $1""", delivery_id, answer, list(secret_templates), secret_note)


async def purge_old_bodies(conn: asyncpg.Connection, keep_days: int) -> None:
    """The delivery log is kept, the mails' bodies (reset links, personal detail) are not."""
    await conn.execute(
        """UPDATE deliveries SET body_text = '', body_html = NULL WHERE status IN ('sent', 'failed')
           AND created_at < now() - make_interval(days => $1) AND body_text <> ''""", keep_days)


async def listen(dsn: str, wake: Callable[[], None]) -> asyncpg.Connection:
    """A connection of its own calling `wake` at each NOTIFY deliveries (a delivery recorded); close it."""
    listener = await asyncpg.connect(dsn)
    await listener.add_listener("deliveries", lambda *_: wake())
    return listener
