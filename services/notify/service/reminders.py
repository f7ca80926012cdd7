"""The automatic reminders: a family's choice (its profile), and the mail of a due reminder, at most once per
family and reason (services/notify/domain/reminders.py), through the same family mail as every other
(deliveries.family_delivery; the dossier's is the staff reminder's mail, told the campaign's closing day)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from kit import clock, fr
from kit.identity import Identity
from kit.logging import get_logger
from services.notify import access
from services.notify.domain import reminders as rules
from services.notify.domain.mail_choice import FamilyMail
from services.notify.service import deliveries

log = get_logger(__name__)


async def remind(conn, store, event_id: uuid.UUID, family_id: uuid.UUID, reason_key: str, mail: FamilyMail,
                 params: dict, structure_id: uuid.UUID | None, when: datetime) -> bool:
    """Mail the reminder unless the family turned reminders off or had it already; in the caller's (the
    event's inbox) transaction, so the claim and the delivery stand or fall together. True when mailed."""
    off = await store.reminders_off(conn, family_id)
    first = not off and await store.claim_reminder(conn, family_id, reason_key, mail.template, when)
    if not rules.reminder_to_send(off, first):
        log.info("reminder not mailed", family_id=str(family_id), reason_key=reason_key, reminders_off=off)
        return False
    return await deliveries.family_delivery(conn, store, event_id, family_id, mail, params, structure_id)


def booking_reminder_params(structure: str, activity: str, period_label: str, start: date, end: date,
                            deadline: datetime, portal_url: str) -> dict:
    local = deadline.astimezone(clock.PARIS)
    return {"structure": structure, "activity": activity, "period": period_label or "la période",
            "start": fr.long_date(start), "end": fr.long_date(end),
            "deadline": f"{fr.long_date(local.date())} à {local:%H:%M}", "lien": f"{portal_url}reservations"}


def dossier_closing_params(structure: str, school_year: str, closes_on: date, portal_url: str) -> dict:
    return {**deliveries.dossier_reminder_params(structure, school_year, portal_url),
            "closes_on": fr.long_date(closes_on)}


async def preference(store, who: Identity) -> bool:
    """True when the family receives the automatic reminders (the default)."""
    family_id = access.require_family(who)
    async with store.connection() as conn:
        return not await store.reminders_off(conn, family_id)


async def set_preference(store, who: Identity, receive: bool) -> None:
    family_id = access.require_family(who)
    async with store.transaction() as conn:
        await store.set_reminders_off(conn, family_id, not receive, clock.utc_now())
