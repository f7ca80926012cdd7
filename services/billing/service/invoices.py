"""Invoices: issuing a closed month's (one per family and structure, nothing twice), a family's account
(its invoices with their state, its received payments and its balance) and one invoice's document."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from kit.identity import Identity
from services.billing import access
from services.billing.domain import invoices as rules
from services.billing.domain import payments as payment_rules
from services.billing.domain import periods
from services.billing.domain.consumptions import Consumption
from services.billing.service import Outbox
from services.billing.store import Store

STATUS_LABELS = rules.STATUS_LABELS


@dataclass
class IssueReport:
    invoices: int = 0
    total_cents: int = 0
    month: str = ""


async def issue_month(store: Store, outbox: Outbox, month: str | None, today: date,
                      due_days: int = 30) -> IssueReport:
    """One invoice per family and structure for a closed month's uninvoiced consumptions (by default last
    month's: periods.closed_month), each in its own transaction; only lines of the month's days are billed.
    Run twice, it issues nothing twice (the lines are taken by the first run). InvalidMonth for a month
    billing does not know, MonthNotClosed for one not over yet."""
    month, *period = periods.closed_month(month, today)
    report = IssueReport(month=month)
    async with store.reading() as tx:
        groups = await tx.uninvoiced_groups(*period)
    for family_id, structure_id in groups:
        async with store.transaction() as tx:
            lines = await tx.take_uninvoiced(family_id, structure_id, *period)
            if not lines:
                continue
            invoice = rules.issue(uuid.uuid4(), await tx.next_invoice_sequence(), family_id, structure_id, period,
                                  [line.total_cents for line in lines], today, due_days)
            await tx.insert_invoice(invoice, [line.id for line in lines])
            await outbox.add(tx.conn, rules.issued(invoice))
        report.invoices += 1
        report.total_cents += invoice.total_cents
    return report


def may_issue(who: Identity) -> None:
    """Issuing the month's invoices (every family, every structure) is an administrator's job."""
    access.invoice_issuer(who)


async def issue_requested(store: Store, outbox: Outbox, who: Identity, month: str | None, today: date,
                          due_days: int = 30) -> IssueReport:
    """An administrator asks for a closed month's invoices (last month's when none is named)."""
    may_issue(who)
    return await issue_month(store, outbox, month, today, due_days)


@dataclass(frozen=True)
class Account:
    """A family's invoices (newest first, with their state on `today`), received payments (latest first)
    and balance, in the structures the caller may see."""

    invoices: list[tuple[rules.Invoice, str]]
    payments: list[payment_rules.Payment]
    balance: payment_rules.Balance
    online: list = field(default_factory=list)  # the latest online transactions (domain.online), any state
    online_backends: dict = field(default_factory=dict)  # structure -> its payment backend, where one is set


async def account(store: Store, who: Identity, asked_family: str | None, today: date) -> Account:
    async with store.reading() as tx:
        family_id = access.family_asked(who, asked_family)
        scope = access.family_scope(who, family_id, await tx.family_structures(family_id))
        invoices = [i for i in await tx.invoices_of(family_id) if scope.covers(i.structure_id)]
        payments = [p for p in await tx.received_payments_of(family_id) if scope.covers(p.structure_id)]
        online = [t for t in await tx.online_transactions_of_family(family_id, 20) if scope.covers(t.structure_id)]
        backends = {s: c.backend for s in scope.structures if (c := await tx.backend_config(s)) is not None}
    return Account([(i, rules.status(i, today)) for i in invoices], payments,
                   payment_rules.balance(invoices, payments), online, backends)


@dataclass(frozen=True)
class InvoiceDocument:
    invoice: rules.Invoice
    lines: list[Consumption] = field(default_factory=list)
    family_label: str = ""
    structure_name: str = ""


async def document(store: Store, who: Identity, invoice_id: uuid.UUID) -> InvoiceDocument:
    """What the invoice's PDF shows: the family's own, or one of a structure the staff member works for."""
    async with store.reading() as tx:
        invoice = access.invoice(who, await tx.invoice(invoice_id))
        return InvoiceDocument(invoice, await tx.invoice_lines(invoice_id), await tx.family_label(invoice.family_id),
                               await tx.structure_name(invoice.structure_id))
