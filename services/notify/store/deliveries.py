"""The SQL of the delivery log (every mail, recorded before it is sent) and of the family contacts
projected from auth."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

__all__ = ["DeliveryLine", "FamilyContacts", "NewDelivery", "family_contacts", "insert_delivery", "listed_deliveries"]


@dataclass(frozen=True)
class NewDelivery:
    event_id: uuid.UUID
    template: str
    recipients: list[str]
    subject: str
    text: str
    html: str | None
    family_id: uuid.UUID | None = None
    structure_id: uuid.UUID | None = None
    trace_context: dict | None = None
    digest_run_id: uuid.UUID | None = None


async def insert_delivery(conn: asyncpg.Connection, d: NewDelivery) -> None:
    """Recorded once per (event, template): a redelivered event records nothing more."""
    await conn.execute(
        """INSERT INTO deliveries (event_id, template, recipients, subject, body_text, body_html, family_id,
                                   trace_context, structure_id, digest_run_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, coalesce($8::jsonb, '{}'::jsonb), $9, $10)
           ON CONFLICT (event_id, template) DO NOTHING""",
        d.event_id, d.template, d.recipients, d.subject, d.text, d.html, d.family_id,
        json.dumps(d.trace_context) if d.trace_context is not None else None, d.structure_id, d.digest_run_id)


@dataclass(frozen=True)
class FamilyContacts:
    emails: tuple[str, ...]
    greeting: str


async def family_contacts(conn: asyncpg.Connection, family_id: uuid.UUID) -> FamilyContacts | None:
    row = await conn.fetchrow("SELECT emails, greeting FROM family_contacts WHERE family_id = $1", family_id)
    return FamilyContacts(tuple(row["emails"]), row["greeting"]) if row else None


@dataclass(frozen=True)
class DeliveryLine:
    """A line of the delivery log, without the addresses."""

    id: int
    template: str
    family_id: uuid.UUID | None
    structure_id: uuid.UUID | None
    recipients: int
    subject: str
    status: str
    attempts: int
    repeats: int
    last_attempt_at: datetime | None
    smtp_answer: str | None
    created_at: datetime
    sent_at: datetime | None


async def listed_deliveries(conn: asyncpg.Connection, status: str, everything: bool,
                            structures: list[uuid.UUID]) -> list[DeliveryLine]:
    """The latest 200 deliveries in this status: every one, or those of these structures."""
    rows = await conn.fetch(
        """SELECT id, template, family_id, structure_id, cardinality(recipients) AS recipients, subject, status,
                  attempts, repeats, last_attempt_at, smtp_answer, created_at, sent_at FROM deliveries
           WHERE status = $1 AND ($2 OR structure_id = ANY($3::uuid[])) ORDER BY id DESC LIMIT 200""",
        status, everything, structures)
    return [DeliveryLine(**dict(r)) for r in rows]
