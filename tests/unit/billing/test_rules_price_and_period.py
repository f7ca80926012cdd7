"""Issue 16, billing's side: a transmitted line is charged the price it carries (the one the family's
follow-up shows), whatever quotient billing holds; and invoices cover a closed month only, last month by
default, never a day after its end. Fixed dates: nothing depends on the day the tests run."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from contracts.booking import BookingStateV1
from contracts.pricing import Price
from services.billing.domain import consumptions as rules
from services.billing.domain.errors import InvalidMonth, MonthNotClosed
from services.billing.domain.periods import closed_month
from services.billing.service import consumptions, invoices
from tests.unit.billing.world import (
    ADMIN,
    CANTEEN,
    CANTEEN_TARIFF,
    CARTEVILLE,
    ELDEST,
    FAMILY,
    NOW,
    SECOND,
    line,
    transmission,
    world,
)

DAY = date(2026, 1, 15)


def booked(price: Price | None) -> rules.Booked:
    return rules.Booked(booking_id=uuid.uuid4(), family_id=FAMILY, structure_id=CARTEVILLE, child_id=SECOND.id,
                        first_name="Noé", last_name="MARTIN", activity_id=CANTEEN, activity_name="REPAS SCOLAIRE",
                        day=DAY, price=price)


def test_a_line_is_charged_the_price_its_transmission_carries():
    # billing's quotient (1200) would say 2,98 for a second child; the transmission settled 2,10 (QF 650)
    charge, priced = rules.charge(booked(Price(210, 1, 210)), uuid.uuid4(), [CANTEEN_TARIFF], 1200, 2)
    assert (charge.unit_price_cents, charge.quantity, charge.total_cents, priced) == (210, 1, 210, True)
    # a line that carries none (an older producer, no tariff at booking) is priced with billing's facts
    charge, priced = rules.charge(booked(None), uuid.uuid4(), [CANTEEN_TARIFF], 1200, 2)
    assert (charge.unit_price_cents, charge.total_cents, priced) == (298, 298, True)


def test_the_price_carried_is_read_whole_or_not_at_all():
    assert rules.carried(line(ELDEST, DAY)) is None
    carried = line(ELDEST, DAY).model_copy(update={"unit_price_cents": 60, "quantity": 3, "total_cents": 180})
    assert rules.carried(carried) == Price(60, 3, 180)
    assert rules.carried(carried.model_copy(update={"quantity": None})) is None


async def test_consumptions_and_invoice_show_the_transmitted_price_after_a_quotient_change():
    store, outbox = await world()
    settled = line(SECOND, DAY).model_copy(update={"unit_price_cents": 210, "quantity": 1, "total_cents": 210})
    await consumptions.record_transmission(store, outbox, transmission(settled), uuid.uuid4())
    await store.save_quotient(FAMILY, 1500, NOW)  # the quotient changes after the transmission
    history = await consumptions.history(store, ADMIN, str(FAMILY), "2026-01", NOW.date())
    assert [(x.unit_price_cents, x.total_cents) for x in history.lines] == [(210, 210)]
    report = await invoices.issue_month(store, outbox, None, date(2026, 2, 2))
    assert (report.month, report.invoices, report.total_cents) == ("2026-01", 1, 210)


async def test_a_republished_state_repairs_at_the_price_it_carries():
    store, outbox = await world()
    state = BookingStateV1(booking_id=uuid.uuid4(), family_id=FAMILY, structure_id=CARTEVILLE, child_id=ELDEST.id,
                           activity_id=CANTEEN, activity_name="REPAS SCOLAIRE", date=DAY, status="accepted",
                           updated_at=NOW, unit_price_cents=250, quantity=1, total_cents=250)
    await consumptions.repair(store, outbox, state, uuid.uuid4())
    assert [x.total_cents for x in store.lines.values()] == [250]  # not 3,59: billing's quotient is 1200


def test_invoices_cover_a_closed_month_last_month_by_default():
    assert closed_month(None, date(2026, 2, 1)) == ("2026-01", date(2026, 1, 1), date(2026, 1, 31))
    assert closed_month(None, date(2026, 1, 20)) == ("2025-12", date(2025, 12, 1), date(2025, 12, 31))
    assert closed_month("2025-11", date(2026, 1, 20))[0] == "2025-11"
    for month, today in (("2026-01", date(2026, 1, 31)), ("2026-01", date(2026, 1, 1)), ("2026-03", date(2026, 2, 2))):
        with pytest.raises(MonthNotClosed, match="n'est pas terminé") as refused:
            closed_month(month, today)
        assert refused.value.status == 409
    with pytest.raises(MonthNotClosed, match="à partir du 01/02/2026"):
        closed_month("2026-01", date(2026, 1, 31))
    with pytest.raises(InvalidMonth):
        closed_month("2026-13", date(2026, 2, 2))


async def test_an_open_month_is_refused_and_nothing_after_the_months_end_is_billed():
    store, outbox = await world()
    await consumptions.record_transmission(store, outbox, transmission(
        line(ELDEST, date(2026, 1, 30)), line(ELDEST, date(2026, 1, 31)), line(ELDEST, date(2026, 2, 1)),
        line(ELDEST, date(2026, 2, 2))), uuid.uuid4())
    with pytest.raises(MonthNotClosed):
        await invoices.issue_requested(store, outbox, ADMIN, "2026-02", date(2026, 2, 2))
    assert store.invoices == {}
    report = await invoices.issue_requested(store, outbox, ADMIN, None, date(2026, 2, 2))
    assert (report.month, report.invoices, report.total_cents) == ("2026-01", 1, 2 * 359)
    [invoice] = store.invoices.values()
    assert invoice.period_end == date(2026, 1, 31)
    assert sorted(x.day for x in store.lines.values() if x.invoice_id is None) == [date(2026, 2, 1), date(2026, 2, 2)]
