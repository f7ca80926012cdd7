"""Deliveries recorded before they are sent: a notify.send command's mail, and a family's mail about an
event (to its projected addresses, with the portal's link from the settings)."""

from __future__ import annotations

import uuid
from datetime import datetime

from kit import fr
from kit.clock import PARIS
from kit.logging import get_logger
from kit.telemetry import inject_context
from services.notify.domain import mail_choice
from services.notify.domain.mail_choice import FamilyMail
from services.notify.store.deliveries import NewDelivery
from services.notify.templates import render

log = get_logger(__name__)


class ContactsUnknown(Exception):
    """The family's addresses have not arrived yet: retried by the bus, then dead-lettered."""


async def record_delivery(conn, store, event_id: uuid.UUID, template: str, recipients: list[str],
                          params: dict[str, str], family_id: uuid.UUID | None = None,
                          structure_id: uuid.UUID | None = None) -> None:
    """Render the mail and record it to be sent, once per event and template. TemplateError when it
    cannot be rendered (it never will be)."""
    mail = render(template, params)
    await store.insert_delivery(conn, NewDelivery(event_id, template, recipients, mail.subject, mail.text, mail.html,
                                                  family_id, structure_id, trace_context=inject_context()))


async def family_delivery(conn, store, event_id: uuid.UUID, family_id: uuid.UUID, mail: FamilyMail,
                          params: dict[str, str], structure_id: uuid.UUID | None = None) -> bool:
    """The family's mail about an event, to its addresses (ContactsUnknown before auth told them); False
    when the family has no address (nothing to send)."""
    found = await store.family_contacts(conn, family_id)
    if found is None:
        raise ContactsUnknown(f"no contacts yet for family {family_id}")
    if not found.emails:
        log.info("family has no e-mail address, nothing sent", event_id=str(event_id), template=mail.template)
        return False
    await record_delivery(conn, store, event_id, mail.template, mail_choice.recipients(mail, list(found.emails)),
                          {"greeting": found.greeting, **params}, family_id, structure_id)
    return True


def waitlist_promoted_params(child_last_name: str, child_first_name: str, activity: str, day, portal_url: str) -> dict:
    return {"child": mail_choice.child_name(child_last_name, child_first_name), "activity": activity,
            "date": fr.long_date(day), "structure": "", "lien": portal_url}


def sheet_reviewed_params(sheet: str, child_last_name: str | None, child_first_name: str | None, decision: str,
                          reason: str | None, portal_url: str) -> dict:
    return {"sheet": sheet, "child": mail_choice.child_name(child_last_name, child_first_name),
            "decision": decision, "reason": reason or "", "lien": portal_url}


def payment_ticket_params(amount_cents: int, method: str, received_at: datetime, reference: str,
                          structure: str) -> dict:
    return {"amount": f"{fr.euros_plain(amount_cents)} €",  # as the tickets always wrote it
            "method": mail_choice.PAYMENT_METHODS[method],
            "date": received_at.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M"), "reference": reference,
            "structure": structure}


def dossier_reminder_params(structure: str, school_year: str, portal_url: str) -> dict:
    return {"structure": structure, "school_year": school_year, "lien": f"{portal_url}dossier"}


def closure_notice_params(structure: str, label: str, days, portal_url: str) -> dict:
    """A mass closure's one mail: each cancelled day of the family's children, in the notice's order."""
    return {"structure": structure, "label": label, "lien": portal_url,
            "days": [f"{mail_choice.child_name(d.child_last_name, d.child_first_name)} : {d.activity_name}, "
                     f"{fr.long_date(d.date)}" for d in days]}
