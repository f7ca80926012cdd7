"""The consumption lines of billing's service layer, on a fake store: a transmission priced line by line,
received twice, a cancellation before and after invoicing, and the repair from a republished state."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from contracts.billing import BillingConsumptionRecordedV1
from contracts.booking import BookingStateV1
from services.billing import access
from services.billing.domain.errors import BadRequest, Unknown
from services.billing.service import consumptions, invoices
from tests.unit.billing.world import (
    AGENT,
    CARTEVILLE,
    ELDEST,
    FAMILY,
    NOW,
    OTHER,
    OTHER_AGENT,
    PARENT,
    SECOND,
    THIRD,
    line,
    transmission,
    world,
)

DAY = date(2026, 1, 15)


async def test_accepted_lines_are_priced_by_rank_and_quotient_and_recorded_once():
    store, outbox = await world()
    event = transmission(line(ELDEST, DAY), line(SECOND, DAY), line(THIRD, DAY),
                         line(ELDEST, DAY, outcome="waitlisted"), line(SECOND, DAY, outcome="refused"))
    event_id = uuid.uuid4()
    await consumptions.record_transmission(store, outbox, event, event_id)
    totals = {x.first_name: x.total_cents for x in store.lines.values()}
    assert totals == {"Léa": 359, "Noé": 298, "Rayley": 298}  # waiting list and refusal cost nothing
    assert [e.total_cents for e in outbox.of(BillingConsumptionRecordedV1)] == [359, 298, 298]
    assert len(store.movements) == 5  # every transmitted line is kept as received

    await consumptions.record_transmission(store, outbox, event, event_id)  # delivered again
    assert len(store.lines) == 3 and len(outbox.events) == 3


async def test_a_line_without_tariff_for_the_day_is_recorded_at_zero():
    store, outbox = await world()
    await consumptions.record_transmission(store, outbox, transmission(line(ELDEST, date(2019, 12, 20))),
                                           uuid.uuid4())
    (charge,) = store.lines.values()
    assert (charge.unit_price_cents, charge.quantity, charge.total_cents) == (0, 1, 0)


async def test_a_cancellation_before_invoicing_removes_the_line_and_tells_a_credit():
    store, outbox = await world()
    booking = uuid.uuid4()
    await consumptions.record_transmission(store, outbox, transmission(line(SECOND, DAY, booking_id=booking)),
                                           uuid.uuid4())
    (charge,) = store.lines.values()
    await consumptions.record_transmission(
        store, outbox, transmission(line(SECOND, DAY, kind="cancel", outcome="cancelled", booking_id=booking)),
        uuid.uuid4())
    assert store.lines == {}
    notice = outbox.events[-1]
    assert (notice.total_cents, notice.quantity, notice.booking_id) == (-298, -1, booking)
    assert notice.consumption_id == uuid.uuid5(charge.id, "cancelled")  # the same notice if told twice


async def test_a_cancellation_after_invoicing_credits_the_line_once():
    store, outbox = await world()
    booking = uuid.uuid4()
    await consumptions.record_transmission(store, outbox, transmission(line(ELDEST, DAY, booking_id=booking)),
                                           uuid.uuid4())
    await invoices.issue_month(store, outbox, "2026-01", NOW.date())
    cancel = transmission(line(ELDEST, DAY, kind="cancel", outcome="cancelled", booking_id=booking))
    await consumptions.record_transmission(store, outbox, cancel, uuid.uuid4())
    await consumptions.record_transmission(store, outbox, cancel, uuid.uuid4())
    charge, credit = sorted(store.lines.values(), key=lambda x: x.total_cents, reverse=True)
    assert charge.invoice_id is not None and credit.invoice_id is None
    assert (credit.credit_of, credit.total_cents, credit.quantity) == (charge.id, -359, -1)
    assert [e.total_cents for e in outbox.of(BillingConsumptionRecordedV1)] == [359, -359]
    # the credit waits for the next invoice, as a line of its own month
    report = await invoices.issue_month(store, outbox, "2026-01", date(2026, 2, 10))
    assert (report.invoices, report.total_cents) == (1, -359)


def state(booking: uuid.UUID, status: str, minute: int) -> BookingStateV1:
    return BookingStateV1(booking_id=booking, family_id=FAMILY, structure_id=CARTEVILLE, child_id=THIRD.id,
                          activity_id=line(THIRD, DAY).activity_id, activity_name="REPAS SCOLAIRE", date=DAY,
                          status=status, updated_at=NOW.replace(minute=minute))


async def test_a_republished_state_repairs_a_missing_or_stray_charge_and_skips_an_older_one():
    store, outbox = await world()
    booking = uuid.uuid4()
    await consumptions.repair(store, outbox, state(booking, "accepted", 10), uuid.uuid4())
    (charge,) = store.lines.values()
    assert (charge.first_name, charge.total_cents) == ("Rayley", 298)
    await consumptions.repair(store, outbox, state(booking, "accepted", 10), uuid.uuid4())  # the same again
    assert len(store.lines) == 1 and len(outbox.events) == 1
    await consumptions.repair(store, outbox, state(booking, "cancelled", 5), uuid.uuid4())  # older: skipped
    assert len(store.lines) == 1
    await consumptions.repair(store, outbox, state(booking, "cancelled", 20), uuid.uuid4())
    assert store.lines == {} and outbox.events[-1].total_cents == -298


async def test_the_history_shows_what_the_caller_may_see_of_one_month():
    store, outbox = await world()
    await consumptions.record_transmission(store, outbox, transmission(line(ELDEST, DAY)), uuid.uuid4())
    await consumptions.record_transmission(store, outbox, transmission(line(SECOND, DAY), structure_id=OTHER),
                                           uuid.uuid4())
    await consumptions.record_transmission(store, outbox, transmission(line(THIRD, date(2026, 2, 2))), uuid.uuid4())

    mine = await consumptions.history(store, PARENT, None, "2026-01", NOW.date())
    assert sorted(x.first_name for x in mine.lines) == ["Léa", "Noé"]
    assert (mine.previous, mine.next) == ("2025-12", "2026-02")
    agent = await consumptions.history(store, AGENT, str(FAMILY), "2026-01", NOW.date())
    assert [x.first_name for x in agent.lines] == ["Léa"]  # never the family's other structure
    current = await consumptions.history(store, PARENT, None, None, NOW.date())  # by default the current month
    assert (current.month, [x.first_name for x in current.lines]) == ("2026-02", ["Rayley"])

    with pytest.raises(BadRequest, match="Mois invalide"):
        await consumptions.history(store, PARENT, None, "2026-13", NOW.date())
    with pytest.raises(Unknown, match="Famille introuvable"):
        await consumptions.history(store, PARENT, str(uuid.uuid4()), "2026-01", NOW.date())
    with pytest.raises(Unknown, match="Famille introuvable"):  # staff of a structure the family is not in
        await consumptions.history(store, OTHER_AGENT.model_copy(update={"structures": (uuid.uuid4(),)}),
                                   str(FAMILY), "2026-01", NOW.date())
    with pytest.raises(BadRequest, match="family_id"):
        await consumptions.history(store, AGENT, None, "2026-01", NOW.date())
    assert access.family_scope(AGENT, FAMILY, {CARTEVILLE, OTHER}).structures == (CARTEVILLE,)
