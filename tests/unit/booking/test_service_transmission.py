"""The nightly transmission (services/booking/service/transmission.py) against the fake store: one event per
family and structure, v1 and v2 each, pending requests held back, nothing transmitted twice."""

from __future__ import annotations

import uuid
from datetime import date, time

from contracts import BookingTransmittedV1
from contracts.booking import BookingTransmittedV2
from kit.identity import Identity
from services.booking.domain.basket import Line
from services.booking.service import confirm, transmission
from tests.unit.booking.fake_store import NOW, OTHER_STRUCTURE, STRUCTURE, FakeOutbox, FakeStore

MONDAY, TUESDAY = date(2026, 9, 14), date(2026, 9, 15)


def parent(family_id: uuid.UUID) -> Identity:
    return Identity(subject=str(family_id), role="parent", family_id=family_id)


async def test_one_event_per_family_and_structure_and_nothing_twice(monkeypatch):
    monkeypatch.setattr(transmission, "FAMILIES_PER_TRANSACTION", 1)  # every family in its own transaction
    store, outbox = FakeStore(), FakeOutbox()
    store.structure_names.update({STRUCTURE: "Mairie de CarteVille", OTHER_STRUCTURE: "Mairie de Voisine"})
    cantine = store.activity("Restauration scolaire")
    voile = store.activity("Stage voile", time(9), time(12), structure=OTHER_STRUCTURE)
    stage = store.activity("Stage théâtre", time(14), time(17), approval=True)
    store.open(cantine, MONDAY, TUESDAY)
    store.open(voile, MONDAY)
    store.open(stage, MONDAY)
    family, [lea, _] = store.family("Léa", "Paul")
    _, [nina] = store.family("Nina", structure=OTHER_STRUCTURE)
    store.children[nina] = store.children[nina].__class__(nina, family, "Nina", "MARTIN", date(2019, 1, 1),
                                                          OTHER_STRUCTURE)  # the same family, another structure
    other, [hugo] = store.family("Hugo")
    await confirm.confirm(store, parent(family), [
        Line(lea, cantine, MONDAY, "reserve"), Line(lea, cantine, TUESDAY, "reserve"),
        Line(nina, voile, MONDAY, "reserve"), Line(lea, stage, MONDAY, "reserve")], NOW, outbox)
    await confirm.confirm(store, parent(other), [Line(hugo, cantine, MONDAY, "reserve")], NOW, outbox)
    await confirm.confirm(store, parent(family), [Line(lea, cantine, TUESDAY, "cancel")], NOW, outbox)

    report = await transmission.run(store, NOW, outbox)
    assert (report.families, report.events, report.lines) == (2, 3, 5)
    v1 = outbox.of(BookingTransmittedV1)
    assert {(e.family_id, e.structure_id, e.structure_name, len(e.lines)) for e in v1} == {
        (family, STRUCTURE, "Mairie de CarteVille", 3), (family, OTHER_STRUCTURE, "Mairie de Voisine", 1),
        (other, STRUCTURE, "Mairie de CarteVille", 1)}
    lea_lines = next(e for e in v1 if e.family_id == family and e.structure_id == STRUCTURE).lines
    assert [(line.date, line.kind, line.outcome) for line in lea_lines] == [
        (MONDAY, "reserve", "accepted"), (TUESDAY, "reserve", "accepted"), (TUESDAY, "cancel", "cancelled")]
    assert lea_lines[0].arrival == time(11, 30) and lea_lines[0].child_first_name == "Léa"
    assert [e.transmission_id for e in outbox.of(BookingTransmittedV2)] == [e.transmission_id for e in v1]
    assert all(e.transmitted_at == NOW for e in v1)
    pending = store.booking_of(lea, stage, MONDAY)
    assert pending.status == "pending" and not pending.transmitted  # waits for staff, not transmitted
    assert store.booking_of(lea, cantine, MONDAY).transmitted
    assert store.transmissions == [(report.transmission_id, 2, 5)]

    again = await transmission.run(store, NOW, outbox)
    assert (again.families, again.events, again.lines) == (0, 0, 0)
    assert len(outbox.of(BookingTransmittedV1)) == 3
