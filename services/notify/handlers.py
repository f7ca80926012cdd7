"""notify's reactions: commands become deliveries, transmitted bookings wait for the digest."""

from __future__ import annotations

import asyncpg
from faststream.exceptions import RejectMessage

from contracts import BookingTransmittedV1, Envelope, NotifySendV1
from kit.logging import get_logger
from services.notify.templates import TemplateError, render

log = get_logger(__name__)


async def record_delivery(conn: asyncpg.Connection, envelope: Envelope, template: str,
                          recipients: list[str], params: dict[str, str]) -> None:
    try:
        mail = render(template, params)
    except TemplateError as exc:
        # A mail that cannot be rendered will never be: straight to the dead-letter queue.
        log.error("mail cannot be rendered", event_id=str(envelope.event_id), template=template, error=str(exc))
        raise RejectMessage() from exc
    await conn.execute(
        """INSERT INTO deliveries (event_id, template, recipients, subject, body_text, body_html)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id, template) DO NOTHING""",
        envelope.event_id, template, recipients, mail.subject, mail.text, mail.html)


async def on_notify_send(conn: asyncpg.Connection, envelope: Envelope[NotifySendV1]) -> None:
    command = envelope.payload
    await record_delivery(conn, envelope, command.template, [str(a) for a in command.to], command.params)


async def on_booking_transmitted(conn: asyncpg.Connection, envelope: Envelope[BookingTransmittedV1]) -> None:
    event = envelope.payload
    await conn.execute(
        """INSERT INTO digest_movements (event_id, transmission_id, family_id, structure_id, structure_name, payload)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb)""",
        envelope.event_id, event.transmission_id, event.family_id, event.structure_id,
        event.structure_name, event.model_dump_json())
