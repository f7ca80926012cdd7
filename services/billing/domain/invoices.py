"""Invoices: one per family and structure for a month's uninvoiced lines, numbered by the year of issue,
due a number of days later; and the state a family sees (paid, due, overdue) on a given day."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from contracts.billing import BillingInvoiceIssuedV1

STATUS_LABELS = {"paid": "Payée", "due": "À payer", "overdue": "En retard"}


@dataclass(frozen=True)
class Invoice:
    id: uuid.UUID
    number: str
    family_id: uuid.UUID
    structure_id: uuid.UUID
    period_start: date
    period_end: date
    issued_on: date
    due_on: date
    total_cents: int
    paid_cents: int = 0  # what payments allocated to it so far

    @property
    def remaining_cents(self) -> int:
        """What remains to pay (negative: more was allocated than invoiced)."""
        return self.total_cents - self.paid_cents


def number(year: int, sequence: int) -> str:
    """F2026-000123: the year of issue and the portal's invoice sequence."""
    return f"F{year}-{sequence:06d}"


def issue(invoice_id: uuid.UUID, sequence: int, family_id: uuid.UUID, structure_id: uuid.UUID,
          period: tuple[date, date], line_totals: Sequence[int], today: date, due_days: int) -> Invoice:
    """The invoice of a family's lines in one structure for one month (late lines of a month already
    invoiced go on a complementary invoice for the same period)."""
    start, end = period
    return Invoice(id=invoice_id, number=number(today.year, sequence), family_id=family_id,
                   structure_id=structure_id, period_start=start, period_end=end, issued_on=today,
                   due_on=today + timedelta(days=due_days), total_cents=sum(line_totals))


def status(invoice: Invoice, today: date) -> str:
    """"paid" when nothing remains, else "overdue" past its due date, else "due"."""
    if invoice.remaining_cents <= 0:
        return "paid"
    return "overdue" if invoice.due_on < today else "due"


def issued(invoice: Invoice) -> BillingInvoiceIssuedV1:
    return BillingInvoiceIssuedV1(
        invoice_id=invoice.id, number=invoice.number, family_id=invoice.family_id,
        structure_id=invoice.structure_id, period_start=invoice.period_start, period_end=invoice.period_end,
        total_cents=invoice.total_cents, issued_on=invoice.issued_on, due_on=invoice.due_on)
