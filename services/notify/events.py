"""What notify consumes and publishes. Consumes: notify.send commands and the events that make a family's
mail (a waiting-list promotion, a reviewed sheet, a payment) become deliveries, recorded before they are
sent; transmitted bookings wait for the morning digest; the family contacts from auth are projected
(kit.projection, with its freshness guard); auth's facts digest is checked. Publishes notify.mail_sent
(service/sending.py). The mails' link to the portal comes from the settings."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
from faststream.exceptions import RejectMessage

from contracts import BookingTransmittedV1, Envelope, NotifySendV1
from contracts.absences import BookingAbsenceJustifiedV1
from contracts.auth import AuthFamilyContactsV1
from contracts.billing import BillingPaymentReceivedV1
from contracts.booking import BookingWaitlistPromotedV1
from contracts.closures import BookingClosureNoticeV1
from contracts.consistency import AuthFactsDigestV1
from contracts.dossier import DossierReminderV1, DossierSheetReviewedV1
from kit import consistency, projection
from kit.logging import get_logger
from kit.service import Subscription
from services.notify.domain import mail_choice
from services.notify.service import deliveries
from services.notify.settings import NotifySettings
from services.notify.store import Store
from services.notify.templates import TemplateError

log = get_logger(__name__)
STORE = Store(None)  # the effects run on the bus's connection, in its transaction


async def _rendered(envelope: Envelope, template: str, record) -> None:
    try:
        await record
    except TemplateError as exc:
        # A mail that cannot be rendered will never be: straight to the dead-letter queue.
        log.error("mail cannot be rendered", event_id=str(envelope.event_id), template=template, error=str(exc))
        raise RejectMessage() from exc


async def on_notify_send(conn: asyncpg.Connection, envelope: Envelope[NotifySendV1]) -> None:
    command = envelope.payload
    await _rendered(envelope, command.template, deliveries.record_delivery(
        conn, STORE, envelope.event_id, command.template, [str(a) for a in command.to], command.params,
        command.family_id))


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
    await STORE.insert_movement(conn, envelope.event_id, event.transmission_id, event.family_id, event.structure_id,
                                event.structure_name, event.model_dump_json())


async def on_booking_transmitted_many(conn: asyncpg.Connection, envelopes: list[Envelope[BookingTransmittedV1]]) -> None:
    """A batch of transmissions stored in one statement (docs/adr/0009)."""
    await STORE.insert_movements(conn, [
        (e.event_id, e.payload.transmission_id, e.payload.family_id, e.payload.structure_id, e.payload.structure_name,
         e.payload.model_dump_json()) for e in envelopes])


async def on_absence_justified(conn: asyncpg.Connection, envelope: Envelope[BookingAbsenceJustifiedV1]) -> None:
    """Issue 19: an accepted absence waits for the family's next digest beside the night's movements."""
    e = envelope.payload
    await STORE.insert_movement(conn, envelope.event_id, e.absence_id, e.family_id, e.structure_id, e.structure_name,
                                e.model_dump_json())


def family_mail_effects(settings: Callable[[], NotifySettings]):
    """The effects that write a family's mail about an event, their link to the portal from the running
    service's settings (`settings()`: the subscriptions are declared before the settings are read)."""

    async def on_waitlist_promoted(conn: asyncpg.Connection, envelope: Envelope[BookingWaitlistPromotedV1]) -> None:
        e = envelope.payload
        params = deliveries.waitlist_promoted_params(e.child_last_name, e.child_first_name, e.activity_name, e.date,
                                                     settings().portal_url)
        await _rendered(envelope, "waitlist_promoted", deliveries.family_delivery(
            conn, STORE, envelope.event_id, e.family_id, mail_choice.WAITLIST_PROMOTED, params, e.structure_id))

    async def on_sheet_reviewed(conn: asyncpg.Connection, envelope: Envelope[DossierSheetReviewedV1]) -> None:
        e = envelope.payload
        params = deliveries.sheet_reviewed_params(e.sheet_label, e.child_last_name, e.child_first_name, e.decision,
                                                  e.reason, settings().portal_url)
        await _rendered(envelope, "sheet_reviewed", deliveries.family_delivery(
            conn, STORE, envelope.event_id, e.family_id, mail_choice.SHEET_REVIEWED, params, e.structure_id))

    async def on_payment_received(conn: asyncpg.Connection, envelope: Envelope[BillingPaymentReceivedV1]) -> None:
        """The payment ticket goes to the first address only, as the guide says."""
        e = envelope.payload
        params = deliveries.payment_ticket_params(e.amount_cents, e.method, e.received_at, e.reference,
                                                  e.structure_name)
        await _rendered(envelope, "payment_ticket", deliveries.family_delivery(
            conn, STORE, envelope.event_id, e.family_id, mail_choice.PAYMENT_TICKET, params, e.structure_id))

    return on_waitlist_promoted, on_sheet_reviewed, on_payment_received


def reminder_effect(settings: Callable[[], NotifySettings]):
    """Staff remind a family that has not started its dossier (dossier decides who, once a day)."""

    async def on_dossier_reminder(conn: asyncpg.Connection, envelope: Envelope[DossierReminderV1]) -> None:
        e = envelope.payload
        params = deliveries.dossier_reminder_params(e.structure_name, e.school_year, settings().portal_url)
        await _rendered(envelope, "dossier_reminder", deliveries.family_delivery(
            conn, STORE, envelope.event_id, e.family_id, mail_choice.DOSSIER_REMINDER, params, e.structure_id))

    return on_dossier_reminder


def closure_effect(settings: Callable[[], NotifySettings]):
    """A mass closure: the family's one mail listing its children's cancelled days (booking sends one notice
    per family and closure; the inbox keeps a redelivered one from making a second mail)."""

    async def on_closure_notice(conn: asyncpg.Connection, envelope: Envelope[BookingClosureNoticeV1]) -> None:
        e = envelope.payload
        params = deliveries.closure_notice_params(e.structure_name, e.label, e.days, settings().portal_url)
        await _rendered(envelope, "closure_notice", deliveries.family_delivery(
            conn, STORE, envelope.event_id, e.family_id, mail_choice.CLOSURE_NOTICE, params, e.structure_id))

    return on_closure_notice


def subscriptions(settings: Callable[[], NotifySettings]) -> list[Subscription]:
    on_waitlist_promoted, on_sheet_reviewed, on_payment_received = family_mail_effects(settings)
    return [
        Subscription(NotifySendV1, on_notify_send),
        Subscription(AuthFamilyContactsV1, on_family_contacts),
        Subscription(BookingTransmittedV1, on_booking_transmitted, on_booking_transmitted_many),
        Subscription(BookingWaitlistPromotedV1, on_waitlist_promoted),
        Subscription(DossierSheetReviewedV1, on_sheet_reviewed),
        Subscription(BillingPaymentReceivedV1, on_payment_received),
        Subscription(AuthFactsDigestV1, check_auth),
        Subscription(DossierReminderV1, reminder_effect(settings)),
        Subscription(BookingClosureNoticeV1, closure_effect(settings)),
        Subscription(BookingAbsenceJustifiedV1, on_absence_justified),
    ]
