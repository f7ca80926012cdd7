"""What notify consumes of the automatic reminders (issue 19): booking's « you have not booked this period »
and dossier's « the campaign closes, your dossier is incomplete », each mailed once per family and reason,
never to a family that turned reminders off (services/notify/service/reminders.py)."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg

from contracts import Envelope
from contracts.reminders import BookingReminderDueV1, DossierClosingReminderV1
from kit.service import Subscription
from services.notify.domain import reminders as rules
from services.notify.events import STORE, _rendered
from services.notify.service import reminders
from services.notify.settings import NotifySettings


def subscriptions(settings: Callable[[], NotifySettings]) -> list[Subscription]:
    async def on_booking_reminder(conn: asyncpg.Connection, envelope: Envelope[BookingReminderDueV1]) -> None:
        e = envelope.payload
        params = reminders.booking_reminder_params(e.structure_name, e.activity_name, e.period_label, e.period_start,
                                                   e.period_end, e.deadline, settings().portal_url)
        await _rendered(envelope, rules.BOOKING_REMINDER.template, reminders.remind(
            conn, STORE, envelope.event_id, e.family_id, e.reason_key, rules.BOOKING_REMINDER, params,
            e.structure_id, e.due_at))

    async def on_dossier_closing(conn: asyncpg.Connection, envelope: Envelope[DossierClosingReminderV1]) -> None:
        e = envelope.payload
        params = reminders.dossier_closing_params(e.structure_name, e.school_year, e.closes_on,
                                                  settings().portal_url)
        await _rendered(envelope, rules.DOSSIER_CLOSING_REMINDER.template, reminders.remind(
            conn, STORE, envelope.event_id, e.family_id, e.reason_key, rules.DOSSIER_CLOSING_REMINDER, params,
            e.structure_id, e.due_at))

    return [Subscription(BookingReminderDueV1, on_booking_reminder),
            Subscription(DossierClosingReminderV1, on_dossier_closing)]
