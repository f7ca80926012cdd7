"""The SQL of staff's view of the delivery log by family and of the failed mails (with their recipients),
and of sending a failed mail again."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

__all__ = ["LoggedMail", "failed_mails", "family_mails", "logged_mail", "send_again"]


@dataclass(frozen=True)
class LoggedMail:
    id: int
    template: str
    family_id: uuid.UUID | None
    structure_id: uuid.UUID | None
    recipients: tuple[str, ...]
    subject: str
    status: str
    attempts: int
    smtp_answer: str | None
    created_at: datetime
    sent_at: datetime | None
    last_attempt_at: datetime | None
    resends: int
    body_kept: bool


_COLUMNS = """id, template, family_id, structure_id, recipients, subject, status, attempts, smtp_answer, created_at,
              sent_at, last_attempt_at, resends, body_text <> '' AS body_kept FROM deliveries"""


def _mail(row: asyncpg.Record) -> LoggedMail:
    return LoggedMail(**{**dict(row), "recipients": tuple(row["recipients"])})


async def family_mails(conn: asyncpg.Connection, family_id: uuid.UUID, everything: bool,
                       structures: list[uuid.UUID], limit: int = 50) -> list[LoggedMail]:
    """The family's latest mails: every one, or those about these structures."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} WHERE family_id = $1 AND ($2 OR structure_id = ANY($3::uuid[]))
            ORDER BY id DESC LIMIT $4""", family_id, everything, structures, limit)
    return [_mail(r) for r in rows]


async def failed_mails(conn: asyncpg.Connection, everything: bool, structures: list[uuid.UUID],
                       limit: int = 200) -> list[LoggedMail]:
    """The latest failed mails: every one, or those about these structures."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} WHERE status = 'failed' AND ($1 OR structure_id = ANY($2::uuid[]))
            ORDER BY id DESC LIMIT $3""", everything, structures, limit)
    return [_mail(r) for r in rows]


async def logged_mail(conn: asyncpg.Connection, delivery_id: int, lock: bool = False) -> LoggedMail | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} WHERE id = $1" + (" FOR UPDATE" if lock else ""), delivery_id)
    return _mail(row) if row else None


async def send_again(conn: asyncpg.Connection, delivery_id: int, by: str) -> None:
    """Back to 'pending' now, its attempts starting over; the senders are woken."""
    await conn.execute(
        """UPDATE deliveries SET status = 'pending', attempts = 0, repeats = 0, next_attempt_at = now(),
               resends = resends + 1, resent_at = now(), resent_by = $2 WHERE id = $1""", delivery_id, by)
    await conn.execute("SELECT pg_notify('deliveries', '')")
