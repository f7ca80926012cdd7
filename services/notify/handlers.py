"""notify's reactions: commands and events become deliveries (recorded before they are sent);
transmitted bookings wait for the morning digest."""

from __future__ import annotations

import json
import uuid

import asyncpg
from faststream.exceptions import RejectMessage

from contracts import BookingTransmittedV1, Envelope, NotifySendV1
from contracts.auth import AuthFamilyContactsV1
from contracts.billing import BillingPaymentReceivedV1
from contracts.booking import BookingWaitlistPromotedV1
from contracts.dossier import DossierSheetReviewedV1
from kit import consistency, projection
from kit.logging import get_logger
from kit.telemetry import inject_context
from services.notify.templates import TemplateError, render

log = get_logger(__name__)

METHODS = {"cash": "Espèces", "cheque": "Chèque", "card": "Carte bancaire", "cesu": "CESU",
           "transfer": "Virement", "online": "Paiement en ligne"}
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


class ContactsUnknown(Exception):
    """The family's addresses have not arrived yet: retried by the bus, then dead-lettered."""


async def record_delivery(conn: asyncpg.Connection, event_id: uuid.UUID, template: str, recipients: list[str],
                          params: dict[str, str], family_id: uuid.UUID | None = None,
                          structure_id: uuid.UUID | None = None) -> None:
    try:
        mail = render(template, params)
    except TemplateError as exc:
        # A mail that cannot be rendered will never be: straight to the dead-letter queue.
        log.error("mail cannot be rendered", event_id=str(event_id), template=template, error=str(exc))
        raise RejectMessage() from exc
    await conn.execute(
        """INSERT INTO deliveries (event_id, template, recipients, subject, body_text, body_html, family_id,
                                   trace_context, structure_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9) ON CONFLICT (event_id, template) DO NOTHING""",
        event_id, template, recipients, mail.subject, mail.text, mail.html, family_id, json.dumps(inject_context()),
        structure_id)


async def contacts(conn: asyncpg.Connection, family_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT emails, greeting FROM family_contacts WHERE family_id = $1", family_id)


def portal_link() -> str:
    from services.notify.settings import current_public_url

    return current_public_url()


def long_date(d) -> str:
    return f"{WEEKDAYS[d.weekday()]} {d.day} {MONTHS[d.month - 1]} {d.year}"


async def on_notify_send(conn: asyncpg.Connection, envelope: Envelope[NotifySendV1]) -> None:
    command = envelope.payload
    await record_delivery(conn, envelope.event_id, command.template, [str(a) for a in command.to], command.params,
                          command.family_id)


async def on_family_contacts(conn: asyncpg.Connection, envelope: Envelope[AuthFamilyContactsV1]) -> None:
    e = envelope.payload
    version = projection.version_of(envelope, e.updated_at)
    await projection.upsert(conn, "family_contacts", {
        "family_id": e.family_id, "account_id": e.account_id, "emails": [str(a) for a in e.emails],
        "greeting": e.greeting, "updated_at": version}, conflict=["family_id"], kind="contacts", key=e.family_id,
        version=version)


# the consistency check: the contacts, counted as auth counts them (under no structure)
AUTH_FACTS = {"contacts": """SELECT NULL::uuid, c.family_id::text, v.version FROM family_contacts c
                             LEFT JOIN projection_versions v ON v.kind = 'contacts' AND v.key = c.family_id::text"""}
check_auth = consistency.verdict_on_digest("notify", "auth", AUTH_FACTS)


async def on_booking_transmitted(conn: asyncpg.Connection, envelope: Envelope[BookingTransmittedV1]) -> None:
    event = envelope.payload
    await conn.execute(
        """INSERT INTO digest_movements (event_id, transmission_id, family_id, structure_id, structure_name, payload)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb)""",
        envelope.event_id, event.transmission_id, event.family_id, event.structure_id,
        event.structure_name, event.model_dump_json())


async def _family_delivery(conn, envelope, family_id: uuid.UUID, template: str, params: dict[str, str],
                           first_only: bool = False, structure_id: uuid.UUID | None = None) -> None:
    found = await contacts(conn, family_id)
    if found is None:
        raise ContactsUnknown(f"no contacts yet for family {family_id}")
    emails = list(found["emails"])
    if not emails:
        log.info("family has no e-mail address, nothing sent", event_id=str(envelope.event_id), template=template)
        return
    await record_delivery(conn, envelope.event_id, template, emails[:1] if first_only else emails,
                          {"greeting": found["greeting"], **params}, family_id, structure_id)


async def on_waitlist_promoted(conn: asyncpg.Connection, envelope: Envelope[BookingWaitlistPromotedV1]) -> None:
    e = envelope.payload
    await _family_delivery(conn, envelope, e.family_id, "waitlist_promoted", {
        "child": f"{e.child_last_name.upper()} {e.child_first_name}", "activity": e.activity_name,
        "date": long_date(e.date), "structure": "", "lien": portal_link()}, structure_id=e.structure_id)


async def on_sheet_reviewed(conn: asyncpg.Connection, envelope: Envelope[DossierSheetReviewedV1]) -> None:
    e = envelope.payload
    child = f"{(e.child_last_name or '').upper()} {e.child_first_name or ''}".strip()
    await _family_delivery(conn, envelope, e.family_id, "sheet_reviewed", {
        "sheet": e.sheet_label, "child": child, "decision": e.decision, "reason": e.reason or "",
        "lien": portal_link()}, structure_id=e.structure_id)


async def on_payment_received(conn: asyncpg.Connection, envelope: Envelope[BillingPaymentReceivedV1]) -> None:
    """The payment ticket goes to the first address only, as the guide says."""
    from zoneinfo import ZoneInfo

    e = envelope.payload
    euros = f"{e.amount_cents // 100},{e.amount_cents % 100:02d} €"
    when = e.received_at.astimezone(ZoneInfo("Europe/Paris")).strftime("%d/%m/%Y à %H:%M")
    await _family_delivery(conn, envelope, e.family_id, "payment_ticket", {
        "amount": euros, "method": METHODS[e.method], "date": when, "reference": e.reference,
        "structure": e.structure_name}, first_only=True, structure_id=e.structure_id)
