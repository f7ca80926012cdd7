"""The automatic reminders in notify (services/notify/service/reminders.py) over a fake store: mailed once per
family and reason however many times it is due, never to a family that turned reminders off, with the booking
reminder's and the dossier closing reminder's words; the choice is the family's own. Fixed dates only."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest

from contracts.errors import Forbidden
from kit.identity import Identity
from services.notify.domain import reminders as rules
from services.notify.service import reminders
from services.notify.store.deliveries import FamilyContacts
from tests.unit.test_notify_service import FakeStore

FAMILY, OPTED_OUT, STRUCTURE = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
URL = "https://portail.example.fr/"
WHEN = dt.datetime(2027, 2, 4, 7, 0, tzinfo=dt.UTC)


class ReminderStore(FakeStore):
    def __init__(self):
        super().__init__()
        self.off: dict[uuid.UUID, bool] = {}
        self.sent: set[tuple[uuid.UUID, str]] = set()

    def transaction(self):
        return self.connection()

    async def reminders_off(self, _conn, family_id):
        return self.off.get(family_id, False)

    async def set_reminders_off(self, _conn, family_id, off, when):
        self.off[family_id] = off

    async def claim_reminder(self, _conn, family_id, reason_key, template, when):
        if (family_id, reason_key) in self.sent:
            return False
        self.sent.add((family_id, reason_key))
        return True


def run(coro):
    return asyncio.run(coro)


def booking_params() -> dict:
    return reminders.booking_reminder_params("Mairie de CarteVille", "ALSH VACANCES", "Vacances d'hiver",
                                             dt.date(2027, 2, 15), dt.date(2027, 2, 26),
                                             dt.datetime(2027, 2, 11, 9, 0, tzinfo=dt.UTC), URL)


def test_a_reminder_is_mailed_once_per_reason_and_never_to_a_family_that_opted_out():
    store = ReminderStore()
    for family in (FAMILY, OPTED_OUT):
        store.contacts[family] = FamilyContacts(("famille@example.fr",), "Mme MARTIN Anne")
    store.off[OPTED_OUT] = True
    mailed = [run(reminders.remind(None, store, uuid.uuid4(), family, "reservation:x:2027-02-15",
                                   rules.BOOKING_REMINDER, booking_params(), STRUCTURE, WHEN))
              for family in (FAMILY, FAMILY, OPTED_OUT)]
    assert mailed == [True, False, False]
    [mail] = store.deliveries
    assert mail.template == "booking_reminder" and "jeudi 11 février 2027 à 10:00" in mail.text
    assert "Vacances d'hiver" in mail.subject and f"{URL}reservations" in mail.text
    assert (OPTED_OUT, "reservation:x:2027-02-15") not in store.sent  # it will get it if it turns them on again


def test_the_dossier_closing_reminder_is_the_staff_reminder_s_mail_told_the_closing_day():
    store = ReminderStore()
    store.contacts[FAMILY] = FamilyContacts(("famille@example.fr",), "Mme MARTIN Anne")
    params = reminders.dossier_closing_params("Mairie de CarteVille", "2026-2027", dt.date(2026, 9, 30), URL)
    assert run(reminders.remind(None, store, uuid.uuid4(), FAMILY, "dossier:2026-2027",
                                rules.DOSSIER_CLOSING_REMINDER, params, STRUCTURE, WHEN))
    [mail] = store.deliveries
    assert mail.template == "dossier_reminder" and "mercredi 30 septembre 2026" in mail.text
    assert "n'est pas complet" in mail.text and "à compléter" in mail.subject


def test_only_the_family_chooses():
    store = ReminderStore()
    parent = Identity(subject="p", role="parent", family_id=FAMILY)
    assert run(reminders.preference(store, parent)) is True
    run(reminders.set_preference(store, parent, False))
    assert run(reminders.preference(store, parent)) is False and store.off[FAMILY] is True
    with pytest.raises(Forbidden):
        run(reminders.preference(store, Identity(subject="s", role="staff", structures=(STRUCTURE,))))
