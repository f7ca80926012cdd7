"""A small fixed world for billing's service tests: two structures, a family of three children in both,
the canteen's tariff (ADR 0003's example: 3,59 the eldest, 2,98 the younger above QF 700) and transmitted
lines. Every date is fixed: nothing depends on the day the tests run."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from contracts import BookingTransmittedV1, TransmittedLine
from contracts.pricing import Bracket, Tariff
from kit.identity import Identity
from services.billing.domain.consumptions import Child
from tests.unit.billing.fake_store import FakeOutbox, FakeStore

CARTEVILLE, OTHER = uuid.UUID(int=1), uuid.UUID(int=2)
FAMILY, STRANGERS = uuid.UUID(int=10), uuid.UUID(int=11)
ELDEST, SECOND, THIRD = (Child(uuid.UUID(int=20 + i), name, "MARTIN", date(2017 + i, 3, 1))
                         for i, name in enumerate(("Léa", "Noé", "Rayley")))
CANTEEN = uuid.UUID(int=30)
NOW = datetime(2026, 2, 3, 9, 30, tzinfo=UTC)
TODAY = NOW.date()

PARENT = Identity(subject="parent", role="parent", family_id=FAMILY)
AGENT = Identity(subject="agent", role="staff", structures=(CARTEVILLE,))
OTHER_AGENT = Identity(subject="other agent", role="staff", structures=(OTHER,))
ADMIN = Identity(subject="admin", role="admin")

CANTEEN_TARIFF = Tariff(
    tariff_id=uuid.UUID(int=31), activity_id=CANTEEN, effective_from=date(2020, 1, 1), unit="session",
    reduced_from_rank=2, brackets=[Bracket(qf_max=700, price_cents=250, reduced_price_cents=210),
                                   Bracket(qf_max=None, price_cents=359, reduced_price_cents=298)])


async def world() -> tuple[FakeStore, FakeOutbox]:
    store = FakeStore()
    await store.save_family(FAMILY, "MARTIN-1", "MARTIN Anne", [ELDEST, SECOND, THIRD], [CARTEVILLE, OTHER])
    await store.save_family(STRANGERS, "DURAND-1", "DURAND Paul", [], [OTHER])
    await store.save_structure(CARTEVILLE, "Mairie de CarteVille", NOW)
    await store.save_structure(OTHER, "Centre de loisirs", NOW)
    await store.save_quotient(FAMILY, 1200, NOW)
    for structure in (CARTEVILLE, OTHER):
        await store.insert_tariff(structure, "REPAS SCOLAIRE", CANTEEN_TARIFF)
    return store, FakeOutbox()


def line(child: Child, day: date, kind: str = "reserve", outcome: str = "accepted",
         booking_id: uuid.UUID | None = None) -> TransmittedLine:
    return TransmittedLine(booking_id=booking_id or uuid.uuid4(), child_id=child.id, child_first_name=child.first_name,
                           child_last_name=child.last_name, activity_id=CANTEEN, activity_name="REPAS SCOLAIRE",
                           date=day, kind=kind, outcome=outcome)


def transmission(*lines: TransmittedLine, structure_id: uuid.UUID = CARTEVILLE) -> BookingTransmittedV1:
    return BookingTransmittedV1(transmission_id=uuid.uuid4(), family_id=FAMILY, structure_id=structure_id,
                                structure_name="Mairie de CarteVille", transmitted_at=NOW, lines=list(lines))
