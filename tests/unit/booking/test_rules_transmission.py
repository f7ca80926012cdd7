"""Issue 16, booking's side: the transmission settles each accepted reservation's price (one rule,
contracts/pricing.py, with the quotient booking knows that night) and its line carries it; the follow-up
shows that price from then on; a request answered by staff becomes "transmise" once its answer goes out.
Fixed dates: nothing depends on the day the tests run."""

from __future__ import annotations

import uuid
from datetime import date, time

from contracts.booking import BookingTransmittedV2
from contracts.pricing import Bracket, Price, Tariff
from kit.identity import Identity
from services.booking.domain.basket import Line
from services.booking.domain.followup import line_cost, state_label
from services.booking.domain.pricing import Pricer
from services.booking.domain.transmission import Movement, priced, transmitted_events
from services.booking.service import confirm, transmission
from tests.unit.booking.fake_store import NOW, STRUCTURE, FakeOutbox, FakeStore

MONDAY = date(2026, 9, 14)
CANTEEN = uuid.UUID(int=30)
FAMILY, ELDEST, SECOND = uuid.UUID(int=10), uuid.UUID(int=20), uuid.UUID(int=21)
# the guide's canteen: QF ≤ 700 pays 2,50 (2,10 from the 2nd child); above, 3,59 (2,98)
TARIFF = Tariff(tariff_id=uuid.UUID(int=31), activity_id=CANTEEN, effective_from=date(2020, 1, 1),
                reduced_from_rank=2, brackets=[Bracket(qf_max=700, price_cents=250, reduced_price_cents=210),
                                               Bracket(qf_max=None, price_cents=359, reduced_price_cents=298)])
STAFF = Identity(subject="agent", role="staff", structures=(STRUCTURE,))


def movement(child: uuid.UUID, kind: str = "reserve", outcome: str = "accepted") -> Movement:
    return Movement(uuid.uuid4(), FAMILY, kind, outcome, child, CANTEEN, MONDAY, time(11, 30), time(13, 30),
                    "Léa", "MARTIN", "REPAS SCOLAIRE", STRUCTURE, "Mairie de CarteVille")


def test_accepted_reservations_are_priced_with_the_quotient_known_tonight():
    pricer = Pricer({CANTEEN: [TARIFF]}, 650, {ELDEST: 1, SECOND: 2})
    moves = priced([movement(ELDEST), movement(SECOND), movement(SECOND, outcome="waitlisted"),
                    movement(SECOND, outcome="refused"), movement(ELDEST, "cancel", "cancelled")], {FAMILY: pricer})
    assert [m.price for m in moves] == [Price(250, 1, 250), Price(210, 1, 210), None, None, None]
    [event] = transmitted_events(moves, uuid.uuid4(), NOW)
    assert [(x.unit_price_cents, x.quantity, x.total_cents) for x in event.lines][:3] == [
        (250, 1, 250), (210, 1, 210), (None, None, None)]
    public = BookingTransmittedV2.of(event)  # the public line carries the price too (no name)
    assert public.lines[1].total_cents == 210


def test_the_follow_up_shows_the_charged_price_once_transmitted():
    assert line_cost("accepted", 210, 298) == 210  # the quotient changed since: still what was charged
    assert line_cost("accepted", None, 298) == 298  # not transmitted yet: today's price
    assert line_cost("waitlisted", None, 298) == 298
    assert line_cost("pending", None, 298) == 298
    assert line_cost("cancelled", 210, 298) is None  # never charged: no price shown
    assert line_cost("refused", None, 298) is None


async def test_answered_requests_become_transmitted_and_accepted_ones_keep_their_price():
    store, outbox = FakeStore(), FakeOutbox()
    stage = store.activity("Stage théâtre", time(14), time(17), approval=True)
    store.open(stage, MONDAY)
    family, [lea, paul] = store.family("Léa", "Paul")
    store.tariffs[stage] = [TARIFF.model_copy(update={"activity_id": stage})]
    store.quotients[family] = 650
    parent = Identity(subject=str(family), role="parent", family_id=family)
    results = await confirm.confirm(store, parent, [Line(lea, stage, MONDAY, "reserve"),
                                                    Line(paul, stage, MONDAY, "reserve")], NOW, outbox)
    assert {r.outcome for r in results} == {"pending"}
    assert (await transmission.run(store, NOW, outbox)).lines == 0  # nothing goes out before the answers
    accepted, refused = store.booking_of(lea, stage, MONDAY), store.booking_of(paul, stage, MONDAY)
    assert await confirm.decide(store, STAFF, accepted.id, True, None) == "accepted"
    assert await confirm.decide(store, STAFF, refused.id, False, "complet") == "refused"

    report = await transmission.run(store, NOW, outbox)
    assert report.lines == 2
    accepted, refused = store.bookings[accepted.id], store.bookings[refused.id]
    assert accepted.transmitted and refused.transmitted
    assert state_label(accepted.status, accepted.transmitted, None) == "Acceptée"
    assert state_label(refused.status, refused.transmitted, None) == "Refusée"
    assert accepted.charged == Price(250, 1, 250) and refused.charged is None
    store.quotients[family] = 1200  # a later change reprices nothing already charged
    assert (await transmission.run(store, NOW, outbox)).lines == 0
    assert store.bookings[accepted.id].charged == Price(250, 1, 250)
