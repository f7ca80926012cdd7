"""notify's transaction scripts over a fake store (no PostgreSQL): recording deliveries (a command's mail,
a family's mail to its addresses) and assembling a digest run."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid

import pytest

from contracts import BookingTransmittedV1, TransmittedLine
from services.notify.domain import mail_choice
from services.notify.service import deliveries, digest_runs
from services.notify.store.deliveries import FamilyContacts
from services.notify.store.digests import Movement, RunFigures
from services.notify.templates import TemplateError

FAMILY, OTHER, STRUCTURE = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
URL = "https://portail.example.fr/"


class FakeStore:
    def __init__(self):
        self.contacts: dict[uuid.UUID, FamilyContacts] = {}
        self.deliveries: list = []
        self.movements: dict[tuple[uuid.UUID, uuid.UUID], list[Movement]] = {}
        self.digested: dict[uuid.UUID, uuid.UUID] = {}

    @contextlib.asynccontextmanager
    async def connection(self):
        yield None

    def begin(self, _conn):
        return _Nothing()

    @contextlib.asynccontextmanager
    async def run_lock(self, _run_id, wait):
        yield True

    def max_connections(self) -> int:
        return 4

    async def family_contacts(self, _conn, family_id):
        return self.contacts.get(family_id)

    async def insert_delivery(self, _conn, delivery):
        if all((d.event_id, d.template) != (delivery.event_id, delivery.template) for d in self.deliveries):
            self.deliveries.append(delivery)

    async def pending_pairs(self, _conn):
        return [pair for pair, moves in self.movements.items() if any(m.event_id not in self.digested for m in moves)]

    async def movements_for_update(self, _conn, family_id, structure_id):
        return [m for m in self.movements.get((family_id, structure_id), []) if m.event_id not in self.digested]

    async def movements_of_pairs(self, conn, pairs):
        found = {pair: await self.movements_for_update(conn, *pair) for pair in pairs}
        return {pair: moves for pair, moves in found.items() if moves}

    async def families_contacts(self, _conn, family_ids):
        return {f: self.contacts[f] for f in family_ids if f in self.contacts}

    async def insert_deliveries(self, conn, deliveries):
        for delivery in deliveries:
            await self.insert_delivery(conn, delivery)

    async def mark_digested(self, _conn, event_ids, run_id):
        self.digested.update(dict.fromkeys(event_ids, run_id))

    async def insert_run(self, _conn, run_id):
        pass

    async def finish_run(self, _conn, run_id, waiting):
        families = {pair for pair, moves in self.movements.items()
                    if any(self.digested.get(m.event_id) == run_id for m in moves)}
        return RunFigures(len(families), sum(1 for d in self.deliveries if d.digest_run_id == run_id), waiting)


class _Nothing:
    async def __aenter__(self):
        return None

    async def __aexit__(self, *exc):
        return False


def run(coro):
    return asyncio.run(coro)


# -- deliveries ---------------------------------------------------------------------------------------------
def test_a_command_s_mail_is_rendered_and_recorded_once():
    store, event_id = FakeStore(), uuid.uuid4()
    params = {"objet": "Bonjour", "texte": "Un message."}
    for _ in range(2):  # a redelivered command records nothing more
        run(deliveries.record_delivery(None, store, event_id, "message", ["a@example.fr"], params, FAMILY))
    [mail] = store.deliveries
    assert (mail.template, mail.recipients, mail.family_id) == ("message", ["a@example.fr"], FAMILY)
    assert mail.subject == "Bonjour" and "Un message." in mail.text
    with pytest.raises(TemplateError):
        run(deliveries.record_delivery(None, store, uuid.uuid4(), "inconnu", ["a@example.fr"], {}))


def test_a_family_mail_goes_to_its_addresses_the_ticket_to_the_first_only():
    store = FakeStore()
    store.contacts[FAMILY] = FamilyContacts(("premier@example.fr", "second@example.fr"), "M. DUPONT Jean")
    promoted = deliveries.waitlist_promoted_params("Dupont", "Léa", "APS matin", dt.date(2027, 2, 4), URL)
    assert promoted["date"] == "jeudi 4 février 2027" and promoted["child"] == "DUPONT Léa"
    run(deliveries.family_delivery(None, store, uuid.uuid4(), FAMILY, mail_choice.WAITLIST_PROMOTED, promoted,
                                   STRUCTURE))
    ticket = deliveries.payment_ticket_params(123450, "card", dt.datetime(2026, 11, 29, 13, 5, tzinfo=dt.UTC),
                                              "PF-1", "Mairie")
    assert ticket["amount"] == "1234,50 €" and ticket["date"] == "29/11/2026 à 14:05"
    run(deliveries.family_delivery(None, store, uuid.uuid4(), FAMILY, mail_choice.PAYMENT_TICKET, ticket, STRUCTURE))
    promotion, payment = store.deliveries
    assert promotion.recipients == ["premier@example.fr", "second@example.fr"] and promotion.structure_id == STRUCTURE
    assert URL in promotion.text and "M. DUPONT Jean" in promotion.text
    assert payment.recipients == ["premier@example.fr"] and "Carte bancaire" in payment.text


def test_a_family_mail_waits_for_the_addresses_and_is_not_sent_without_one():
    store = FakeStore()
    with pytest.raises(deliveries.ContactsUnknown):
        run(deliveries.family_delivery(None, store, uuid.uuid4(), FAMILY, mail_choice.SHEET_REVIEWED, {}, None))
    store.contacts[FAMILY] = FamilyContacts((), "M. DUPONT Jean")
    assert run(deliveries.family_delivery(None, store, uuid.uuid4(), FAMILY, mail_choice.SHEET_REVIEWED, {},
                                          None)) is False
    assert store.deliveries == []


# -- digest runs --------------------------------------------------------------------------------------------
def transmitted(family: uuid.UUID, *outcomes: str) -> Movement:
    lines = [TransmittedLine(booking_id=uuid.uuid4(), child_id=uuid.uuid4(), child_first_name="Léa",
                             child_last_name="Dupont", activity_id=uuid.uuid4(), activity_name="APS matin",
                             date=dt.date(2027, 2, 4 + i), kind="reserve", outcome=outcome)
             for i, outcome in enumerate(outcomes)]
    event = BookingTransmittedV1(transmission_id=uuid.uuid4(), family_id=family, structure_id=STRUCTURE,
                                 structure_name="Mairie de CarteVille",
                                 transmitted_at=dt.datetime(2027, 2, 4, 2, tzinfo=dt.UTC), lines=lines)
    return Movement(uuid.uuid4(), event.model_dump_json())


def test_a_digest_run_sends_one_mail_per_family_and_keeps_those_without_addresses():
    store = FakeStore()
    store.contacts[FAMILY] = FamilyContacts(("a@example.fr",), "M. DUPONT Jean")
    first, second = transmitted(FAMILY, "accepted"), transmitted(FAMILY, "waitlisted", "refused")
    store.movements[(FAMILY, STRUCTURE)] = [first, second]
    store.movements[(OTHER, STRUCTURE)] = [transmitted(OTHER, "accepted")]  # auth has not told its addresses
    report = run(digest_runs.run(store, URL))
    assert (report.families, report.mails, report.waiting) == (1, 1, 1)
    [mail] = store.deliveries
    assert mail.event_id == uuid.uuid5(first.event_id, "digest") and mail.digest_run_id == report.run_id
    assert mail.recipients == ["a@example.fr"] and mail.template == "digest"
    assert "3 mouvements" in mail.text and "RESERVATIONS REFUSEES" in mail.text and URL in mail.text
    # a second run sends nothing twice; the waiting family is digested once its addresses are known
    store.contacts[OTHER] = FamilyContacts(("b@example.fr",), "Mme MARTIN Anne")
    again = run(digest_runs.run(store, URL))
    assert (again.families, again.mails, again.waiting) == (1, 1, 0)
    assert [d.recipients for d in store.deliveries] == [["a@example.fr"], ["b@example.fr"]]


def test_a_family_without_an_address_is_digested_without_a_mail():
    store = FakeStore()
    store.contacts[FAMILY] = FamilyContacts((), "M. DUPONT Jean")
    store.movements[(FAMILY, STRUCTURE)] = [transmitted(FAMILY, "accepted")]
    report = run(digest_runs.run(store, URL))
    assert (report.families, report.mails) == (1, 0) and store.deliveries == []


def test_the_next_run_is_the_next_hour_in_paris_across_summer_time():
    before_change = dt.datetime(2027, 3, 27, 7, 30, tzinfo=dt.UTC)  # 08:30 in Paris, the day before
    assert digest_runs.next_run(before_change, 7) == dt.datetime(2027, 3, 28, 7, tzinfo=digest_runs.PARIS)
    assert digest_runs.next_run(before_change, 7).astimezone(dt.UTC).hour == 5
