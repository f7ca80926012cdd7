"""Justified absences in billing's service layer, on a fake store (issue 19): the days of an accepted absence
past the waiting period lose their charge — removed before invoicing, credited once after — whether the
absence is told before or after the night's transmission charges them; the month's history lists them."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from contracts.absences import AbsentDay, BookingAbsenceJustifiedV1
from services.billing.service import absences, consumptions, invoices
from tests.unit.billing.world import (
    CANTEEN,
    CARTEVILLE,
    ELDEST,
    FAMILY,
    NOW,
    PARENT,
    line,
    transmission,
    world,
)

DAY = date(2026, 1, 12)


def justified(days: list[tuple[uuid.UUID, date, bool]]) -> BookingAbsenceJustifiedV1:
    return BookingAbsenceJustifiedV1(
        absence_id=uuid.uuid4(), family_id=FAMILY, structure_id=CARTEVILLE, structure_name="Mairie de CarteVille",
        child_id=ELDEST.id, child_first_name=ELDEST.first_name, child_last_name=ELDEST.last_name,
        start=days[0][1], end=days[-1][1], waiting_days=1, justified_at=NOW,
        days=[AbsentDay(booking_id=b, activity_id=CANTEEN, activity_name="REPAS SCOLAIRE", date=d, charged=c)
              for b, d, c in days])


async def test_invoiced_days_past_the_waiting_period_are_credited_once():
    store, outbox = await world()
    bookings = [uuid.uuid4() for _ in range(3)]
    days = [DAY + timedelta(days=i) for i in range(3)]
    await consumptions.record_transmission(store, outbox, transmission(
        *(line(ELDEST, d, booking_id=b) for b, d in zip(bookings, days))), uuid.uuid4())
    await invoices.issue_month(store, outbox, "2026-01", NOW.date())
    event, event_id = justified([(bookings[0], days[0], True), (bookings[1], days[1], False),
                                 (bookings[2], days[2], False)]), uuid.uuid4()
    await absences.record_justified(store, outbox, event, event_id)
    await absences.record_justified(store, outbox, event, event_id)  # told twice: credited once
    credits = sorted(x.total_cents for x in store.lines.values() if x.credit_of is not None)
    assert credits == [-359, -359]
    assert sum(x.total_cents for x in store.lines.values()) == 359  # the waiting period's day stays charged
    found = await consumptions.history(store, PARENT, None, "2026-01", NOW.date())
    assert [(d.day, d.charged) for d in found.absences] == [(days[2], False), (days[1], False), (days[0], True)]


async def test_a_day_justified_before_its_charge_arrives_is_not_charged():
    store, outbox = await world()
    booking = uuid.uuid4()
    await absences.record_justified(store, outbox, justified([(booking, DAY, False)]), uuid.uuid4())
    assert store.lines == {}
    await consumptions.record_transmission(store, outbox, transmission(line(ELDEST, DAY, booking_id=booking)),
                                           uuid.uuid4())
    assert store.lines == {}  # charged by the night, removed at once (other systems told by a credit)
    assert [e.total_cents for e in outbox.events][-2:] == [359, -359]
