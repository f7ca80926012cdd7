"""Issuing a closed month's invoices and reading a family's account, on a fake store."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from contracts.billing import BillingInvoiceIssuedV1
from services.billing.domain.errors import Forbidden, InvalidMonth, Unknown
from services.billing.service import consumptions, invoices
from tests.unit.billing.world import (
    ADMIN,
    AGENT,
    CARTEVILLE,
    ELDEST,
    FAMILY,
    OTHER,
    PARENT,
    SECOND,
    STRANGERS,
    line,
    transmission,
    world,
)

ISSUED_ON = date(2026, 2, 2)


async def january(store, outbox) -> None:
    days = [date(2026, 1, d) for d in (5, 6, 31)]
    await consumptions.record_transmission(store, outbox, transmission(
        *(line(child, day) for day in days for child in (ELDEST, SECOND))), uuid.uuid4())
    await consumptions.record_transmission(store, outbox, transmission(line(ELDEST, date(2026, 1, 7)),
                                                                       structure_id=OTHER), uuid.uuid4())
    await consumptions.record_transmission(store, outbox, transmission(line(ELDEST, date(2026, 2, 1))), uuid.uuid4())


async def test_a_closed_month_is_invoiced_once_per_family_and_structure():
    store, outbox = await world()
    await january(store, outbox)
    report = await invoices.issue_month(store, outbox, "2026-01", ISSUED_ON, due_days=30)
    assert (report.invoices, report.total_cents) == (2, 3 * (359 + 298) + 359)
    by_structure = {i.structure_id: i for i in store.invoices.values()}
    mine = by_structure[CARTEVILLE]
    assert (mine.total_cents, mine.period_start, mine.period_end) == (1971, date(2026, 1, 1), date(2026, 1, 31))
    assert (mine.issued_on, mine.due_on) == (ISSUED_ON, ISSUED_ON + timedelta(days=30))
    assert sorted(i.number for i in store.invoices.values()) == ["F2026-000001", "F2026-000002"]
    assert {e.invoice_id for e in outbox.of(BillingInvoiceIssuedV1)} == set(store.invoices)
    february = [x for x in store.lines.values() if x.day.month == 2]
    assert [x.invoice_id for x in february] == [None]  # another month's line waits for its own

    again = await invoices.issue_month(store, outbox, "2026-01", ISSUED_ON)
    assert (again.invoices, again.total_cents) == (0, 0) and len(store.invoices) == 2


async def test_only_an_administrator_issues_and_only_known_months():
    store, outbox = await world()
    with pytest.raises(Forbidden):
        await invoices.issue_requested(store, outbox, AGENT, "2026-01", ISSUED_ON)
    for month in ("2026-13", "20266-01", "1999-12", "janvier"):
        with pytest.raises(InvalidMonth, match="Mois invalide"):
            await invoices.issue_requested(store, outbox, ADMIN, month, ISSUED_ON)
    assert (await invoices.issue_requested(store, outbox, ADMIN, "2026-01", ISSUED_ON)).invoices == 0


async def test_the_account_states_each_invoice_on_a_given_day_within_the_callers_structures():
    store, outbox = await world()
    await january(store, outbox)
    await invoices.issue_month(store, outbox, "2026-01", ISSUED_ON, due_days=30)

    due = await invoices.account(store, PARENT, None, ISSUED_ON + timedelta(days=30))
    assert sorted(status for _i, status in due.invoices) == ["due", "due"]
    assert (due.balance.invoiced_cents, due.balance.balance_cents) == (2330, -2330)
    late = await invoices.account(store, PARENT, None, ISSUED_ON + timedelta(days=31))
    assert [status for _i, status in late.invoices] == ["overdue", "overdue"]
    agent = await invoices.account(store, AGENT, str(FAMILY), ISSUED_ON)
    assert [i.structure_id for i, _s in agent.invoices] == [CARTEVILLE] and agent.balance.invoiced_cents == 1971
    with pytest.raises(Unknown):
        await invoices.account(store, AGENT, str(STRANGERS), ISSUED_ON)  # nothing at CarteVille: unknown to them


async def test_an_invoice_document_for_its_family_or_its_structures_staff_only():
    store, outbox = await world()
    await january(store, outbox)
    await invoices.issue_month(store, outbox, "2026-01", ISSUED_ON)
    other = next(i for i in store.invoices.values() if i.structure_id == OTHER)
    found = await invoices.document(store, PARENT, other.id)
    assert (found.family_label, found.structure_name, len(found.lines)) == ("MARTIN Anne", "Centre de loisirs", 1)
    for who, invoice_id in ((AGENT, other.id), (PARENT.model_copy(update={"family_id": STRANGERS}), other.id),
                            (PARENT, uuid.uuid4())):
        with pytest.raises(Unknown, match="Facture introuvable"):
            await invoices.document(store, who, invoice_id)


def test_the_month_invoiced_by_default_is_the_one_before():
    from services.billing.domain.periods import last_month, month_range, neighbours

    assert last_month(date(2026, 1, 15)) == "2025-12" and last_month(date(2026, 3, 1)) == "2026-02"
    assert month_range("2028-02") == (date(2028, 2, 1), date(2028, 2, 29))
    assert neighbours(date(2026, 12, 1)) == ("2026-11", "2027-01")
