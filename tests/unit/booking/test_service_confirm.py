"""Recording a basket and staff decisions (services/booking/service/confirm.py) against the fake store: the
one accept / waiting list / refuse ladder, cancellations freeing places for the waiting list, refusals."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import asynccontextmanager
from datetime import date, time

import pytest

from contracts.booking import BookingWaitlistPromotedV1, BookingWaitlistPromotedV2
from contracts.errors import Conflict, Forbidden, Invalid, NotFound
from kit.identity import Identity
from services.booking.domain.basket import Line
from services.booking.service import confirm
from tests.unit.booking.fake_store import NOW, OTHER_STRUCTURE, STRUCTURE, FakeOutbox, FakeStore

MONDAY = date(2026, 9, 14)
LOCKED_DAY = date(2026, 9, 2)  # past its deadline (two working days before, 10:00) at NOW


def parent(family_id: uuid.UUID) -> Identity:
    return Identity(subject=str(family_id), role="parent", family_id=family_id)


STAFF = Identity(subject="agent", role="staff", structures=(STRUCTURE,))


@pytest.fixture
def world():
    store = FakeStore()
    store.structure_names[STRUCTURE] = "Mairie de CarteVille"
    return store, FakeOutbox()


async def book(store, outbox, family, child, activity, day=MONDAY, action="reserve", **times):
    [result] = await confirm.confirm(store, parent(family), [Line(child, activity, day, action, **times)], NOW,
                                     outbox)
    return result


async def test_the_ladder_accepted_then_waiting_list_then_refused(world):
    store, outbox = world
    alsh = store.activity("ALSH Mercredi", time(9), time(17))
    closed_list = store.activity("Sortie piscine", time(14), time(16), waitlist=False)
    store.open(alsh, MONDAY, capacity=1)
    store.open(closed_list, MONDAY, capacity=1)
    (f1, [c1]), (f2, [c2]) = store.family("Léa"), store.family("Hugo")

    assert (await book(store, outbox, f1, c1, alsh)).outcome == "accepted"
    second = await book(store, outbox, f2, c2, alsh)
    assert (second.outcome, second.waitlist_position, second.reason) == ("waitlisted", 1, None)
    assert (await book(store, outbox, f1, c1, closed_list)).outcome == "rejected"  # same hours as the ALSH
    assert (await book(store, outbox, f2, c2, closed_list)).outcome == "rejected"  # on the ALSH's list too
    f3, [c3] = store.family("Jade")
    f4, [c4] = store.family("Louis")
    assert (await book(store, outbox, f3, c3, closed_list)).outcome == "accepted"
    refused = await book(store, outbox, f4, c4, closed_list)
    assert (refused.outcome, refused.reason) == ("refused", "plus de place disponible")
    assert store.session_of(alsh, MONDAY).taken == 1
    assert [m.outcome for m in store.movements] == ["accepted", "waitlisted", "accepted", "refused"]


async def test_unlimited_days_are_accepted_and_approval_waits_for_staff(world):
    store, outbox = world
    cantine = store.activity("Restauration scolaire")
    stage = store.activity("Stage théâtre", time(14), time(17), approval=True)
    store.open(cantine, MONDAY)
    store.open(stage, MONDAY, capacity=1)
    family, [child] = store.family("Léa")
    results = await confirm.confirm(store, parent(family), [Line(child, cantine, MONDAY, "reserve"),
                                                            Line(child, stage, MONDAY, "reserve")], NOW, outbox)
    assert [r.outcome for r in results] == ["accepted", "pending"]
    assert store.session_of(stage, MONDAY).taken == 0  # a place is taken when staff accept


async def test_cancelling_frees_the_place_for_the_first_on_the_waiting_list(world):
    store, outbox = world
    alsh = store.activity("ALSH Mercredi", time(9), time(17))
    store.open(alsh, MONDAY, capacity=1)
    (f1, [c1]), (f2, [c2]), (f3, [c3]) = store.family("Léa"), store.family("Hugo"), store.family("Jade")
    await book(store, outbox, f1, c1, alsh)
    await book(store, outbox, f2, c2, alsh)
    await book(store, outbox, f3, c3, alsh)

    cancelled = await book(store, outbox, f1, c1, alsh, action="cancel")
    assert cancelled.outcome == "cancelled"
    assert store.booking_of(c2, alsh, MONDAY).status == "accepted"
    assert store.booking_of(c3, alsh, MONDAY).status == "waitlisted"
    assert store.session_of(alsh, MONDAY).taken == 1
    [promoted] = outbox.of(BookingWaitlistPromotedV1)
    assert (promoted.child_id, promoted.child_first_name, promoted.activity_name, promoted.promoted_at) == (
        c2, "Hugo", "ALSH Mercredi", NOW)
    assert outbox.of(BookingWaitlistPromotedV2)[0].booking_id == promoted.booking_id


async def test_what_cannot_be_recorded_is_rejected_with_its_reason(world):
    store, outbox = world
    cantine = store.activity("Restauration scolaire")
    accueil = store.activity("Accueil Saisie temps", time(7), time(8, 30), kind="time_entry")
    store.open(cantine, MONDAY, LOCKED_DAY)
    store.open(accueil, MONDAY)
    family, [child] = store.family("Léa")
    assert (await book(store, outbox, family, child, cantine, day=LOCKED_DAY)).reason == "hors délai de réservation"
    assert (await book(store, outbox, family, child, cantine, day=date(2026, 9, 15))).reason == (
        "activité non ouverte ce jour")
    assert (await book(store, outbox, family, child, cantine, action="cancel")).reason == (
        "aucune réservation à annuler ce jour")
    assert (await book(store, outbox, family, child, accueil)).reason == "heures d'arrivée et de départ à choisir"
    timed = await book(store, outbox, family, child, accueil, arrival=time(7, 30), departure=time(8))
    assert timed.outcome == "accepted"
    assert (store.booking_of(child, accueil, MONDAY).arrival, store.booking_of(child, accueil, MONDAY).departure) == (
        time(7, 30), time(8))
    assert (await book(store, outbox, family, child, cantine)).outcome == "accepted"
    assert (await book(store, outbox, family, child, cantine)).reason == "déjà réservé"


async def test_another_familys_child_and_an_empty_basket_are_refused(world):
    store, outbox = world
    cantine = store.activity("Restauration scolaire")
    store.open(cantine, MONDAY)
    (f1, _), (_, [other]) = store.family("Léa"), store.family("Hugo")
    with pytest.raises(NotFound):
        await book(store, outbox, f1, other, cantine)
    with pytest.raises(confirm.EmptyBasket):
        await confirm.confirm(store, parent(f1), [], NOW, outbox)
    with pytest.raises(Forbidden):
        await confirm.confirm(store, STAFF, [Line(other, cantine, MONDAY, "reserve")], NOW, outbox)
    assert store.bookings == {}


async def test_staff_decide_on_the_same_ladder(world):
    store, outbox = world
    stage = store.activity("Stage théâtre", time(14), time(17), approval=True)
    strict = store.activity("Stage cirque", time(9), time(12), approval=True, waitlist=False)
    store.open(stage, MONDAY, capacity=1)
    store.open(strict, MONDAY, capacity=1)
    kids = [store.family(name) for name in ("Léa", "Hugo", "Jade", "Louis", "Emma")]
    requests = [(await book(store, outbox, f, c, a)).booking_id
                for (f, [c]), a in zip(kids, (stage, stage, strict, strict, stage))]

    assert await confirm.decide(store, STAFF, requests[0], True, None) == "accepted"
    assert await confirm.decide(store, STAFF, requests[1], True, None) == "waitlisted"
    assert await confirm.decide(store, STAFF, requests[2], True, None) == "accepted"
    assert await confirm.decide(store, STAFF, requests[3], True, None) == "refused"
    assert store.bookings[requests[3]].reason == "plus de place disponible"
    assert await confirm.decide(store, STAFF, requests[4], False, "Groupe complet") == "refused"
    assert store.bookings[requests[4]].reason == "Groupe complet"
    assert store.session_of(stage, MONDAY).taken == 1
    with pytest.raises(Conflict, match="déjà reçu une réponse"):
        await confirm.decide(store, STAFF, requests[0], False, None)


async def test_a_request_elsewhere_is_not_found_and_families_may_not_decide(world):
    store, outbox = world
    elsewhere = store.activity("Stage voile", time(9), time(12), approval=True, structure=OTHER_STRUCTURE)
    store.open(elsewhere, MONDAY)
    family, [child] = store.family("Léa", structure=OTHER_STRUCTURE)
    request = (await book(store, outbox, family, child, elsewhere)).booking_id
    with pytest.raises(NotFound):
        await confirm.decide(store, STAFF, request, True, None)
    with pytest.raises(NotFound):
        await confirm.decide(store, STAFF, uuid.uuid4(), True, None)
    with pytest.raises(Forbidden):
        await confirm.decide(store, parent(family), request, True, None)
    assert store.bookings[request].status == "pending"


async def test_a_refusal_without_a_reason_is_refused_in_french_and_changes_nothing(world):
    store, outbox = world
    stage = store.activity("Stage danse", time(14), time(17), approval=True)
    store.open(stage, MONDAY, capacity=2)
    family, [child] = store.family("Léa")
    request = (await book(store, outbox, family, child, stage)).booking_id
    for blank in (None, "", "   "):
        with pytest.raises(Invalid, match="Indiquez le motif du refus"):
            await confirm.decide(store, STAFF, request, False, blank)
    assert store.bookings[request].status == "pending"
    assert await confirm.decide(store, STAFF, request, False, "  Groupe complet  ") == "refused"
    assert store.bookings[request].reason == "Groupe complet"


class Committing:
    """The fake store's database, whose commit waits for the event loop once (as a real one does) and
    tells whether the transaction ended with a commit or a rollback."""

    def __init__(self, store: FakeStore, slow_lock: bool = False):
        self.store, self.ended = store, None
        if slow_lock:  # the reservations' statement waits for the sessions' locks: the loop runs meanwhile
            record = store.record_reservations

            async def record_reservations(*args):
                await asyncio.sleep(0)
                return await record(*args)
            store.record_reservations = record_reservations

    @asynccontextmanager
    async def transaction(self):
        try:
            yield self.store
        except BaseException:
            self.ended = "rollback"
            raise
        await asyncio.sleep(0)
        self.ended = "commit"


async def test_a_basket_recorded_before_its_deadline_is_committed_even_if_the_deadline_passes_meanwhile(world):
    # a deadline of 0 s expires at the first wait on the event loop: here, the commit's
    store, outbox = world
    alsh = store.activity("ALSH Mercredi", time(9), time(17))
    store.open(alsh, MONDAY, capacity=1)
    family, [child] = store.family("Léa")
    db = Committing(store)
    [result] = await confirm.confirm(db, parent(family), [Line(child, alsh, MONDAY, "reserve")], NOW, outbox,
                                     deadline_seconds=0)
    assert (result.outcome, db.ended) == ("accepted", "commit")


async def test_a_basket_not_recorded_before_its_deadline_is_rolled_back(world):
    store, outbox = world
    alsh = store.activity("ALSH Mercredi", time(9), time(17))
    store.open(alsh, MONDAY, capacity=1)
    family, [child] = store.family("Léa")
    db = Committing(store, slow_lock=True)
    with pytest.raises(TimeoutError):
        await confirm.confirm(db, parent(family), [Line(child, alsh, MONDAY, "reserve")], NOW, outbox,
                              deadline_seconds=0)
    assert db.ended == "rollback"


class Counting:
    """A database that counts the transactions open at once; each one lets the event loop run others before it
    records (as a round trip to PostgreSQL would)."""

    def __init__(self, store):
        self.store, self.open, self.most = store, 0, 0

    @asynccontextmanager
    async def transaction(self):
        self.open += 1
        self.most = max(self.most, self.open)
        try:
            for _ in range(5):
                await asyncio.sleep(0)
            yield self.store
        finally:
            self.open -= 1


async def test_at_most_the_gates_size_of_confirmations_are_in_their_transaction_at_once(world):
    store, outbox = world
    alsh = store.activity("ALSH Mercredi", time(9), time(17))
    store.open(alsh, MONDAY, capacity=None)
    families = [store.family(f"Enfant {i}") for i in range(confirm.CONFIRM_CONCURRENCY * 3)]
    db = Counting(store)
    results = await asyncio.gather(*(confirm.confirm(db, parent(family), [Line(child, alsh, MONDAY, "reserve")],
                                                     NOW, outbox) for family, [child] in families))
    assert [r.outcome for [r] in results] == ["accepted"] * len(families)  # every basket recorded, in turn
    assert db.most == confirm.CONFIRM_CONCURRENCY
