"""Monthly invoices and payments, with their allocation to invoices."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg

from contracts.billing import BillingInvoiceIssuedV1, BillingPaymentReceivedV1
from kit import outbox

MONTHS = ("Janvier", "Février", "Mars", "Avril", "Mai", "Juin", "Juillet", "Août", "Septembre", "Octobre",
          "Novembre", "Décembre")


def month_label(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"


# Months billing answers for: a bound keeps every date computed around a month (the month before, the
# month after) a valid date, and makes a typing error ("20266-01", "0000-00") a refusal, not a crash.
FIRST_YEAR, LAST_YEAR = 2000, 2100
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


class InvalidMonth(ValueError):
    """A month that is not AAAA-MM within the years billing knows; the message is French."""


def month_range(month: str) -> tuple[date, date]:
    """"2026-09" → (2026-09-01, 2026-09-30). InvalidMonth (French message) for anything else."""
    shown = str(month)[:20]
    match = _MONTH.fullmatch(str(month))
    if match is None:
        raise InvalidMonth(f"Mois invalide « {shown} » : le mois attendu est de la forme AAAA-MM (ex. 2026-09).")
    year, number = int(match[1]), int(match[2])
    if not 1 <= number <= 12:
        raise InvalidMonth(f"Mois invalide « {shown} » : le mois va de 01 à 12.")
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidMonth(f"Mois invalide « {shown} » : l'année doit être comprise entre {FIRST_YEAR} et {LAST_YEAR}.")
    start = date(year, number, 1)
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return start, end


@dataclass
class IssueReport:
    invoices: int = 0
    total_cents: int = 0


async def issue_month(pool: asyncpg.Pool, month: str, today: date, due_days: int = 30) -> IssueReport:
    """One invoice per family and structure for the month's uninvoiced consumptions. Run twice, it
    issues nothing twice (the lines are taken by the first run)."""
    start, end = month_range(month)
    report = IssueReport()
    groups = await pool.fetch(
        """SELECT DISTINCT family_id, structure_id FROM consumptions
           WHERE invoice_id IS NULL AND day BETWEEN $1 AND $2""", start, end)
    for group in groups:
        async with pool.acquire() as conn, conn.transaction():
            lines = await conn.fetch(
                """SELECT id, total_cents FROM consumptions WHERE invoice_id IS NULL AND family_id = $1
                   AND structure_id = $2 AND day BETWEEN $3 AND $4 FOR UPDATE SKIP LOCKED""",
                group["family_id"], group["structure_id"], start, end)
            if not lines:
                continue
            invoice_id = uuid.uuid4()
            sequence = await conn.fetchval("SELECT nextval('invoice_number_seq')")
            number = f"F{today.year}-{sequence:06d}"
            total = sum(line["total_cents"] for line in lines)
            due = today + timedelta(days=due_days)
            # (late lines of a month already invoiced go on a complementary invoice for the same period)
            await conn.execute(
                """INSERT INTO invoices (id, number, family_id, structure_id, period_start, period_end, issued_on,
                       due_on, total_cents) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
                invoice_id, number, group["family_id"], group["structure_id"], start, end, today, due, total)
            await conn.execute("UPDATE consumptions SET invoice_id = $1 WHERE id = ANY($2::uuid[])",
                               invoice_id, [line["id"] for line in lines])
            await outbox.add(conn, BillingInvoiceIssuedV1(
                invoice_id=invoice_id, number=number, family_id=group["family_id"],
                structure_id=group["structure_id"], period_start=start, period_end=end, total_cents=total,
                issued_on=today, due_on=due), producer="billing")
            report.invoices += 1
            report.total_cents += total
    return report


async def invoice_status(conn, family_id: uuid.UUID, structures: list[uuid.UUID], today: date) -> list[dict]:
    """The family's invoices in these structures (see services/billing/access.py), newest first."""
    rows = await conn.fetch(
        """SELECT i.*, coalesce((SELECT sum(amount_cents) FROM allocations a WHERE a.invoice_id = i.id), 0) AS paid
           FROM invoices i WHERE i.family_id = $1 AND i.structure_id = ANY($2::uuid[])
           ORDER BY i.issued_on DESC, i.number DESC""", family_id, structures)
    result = []
    for r in rows:
        remaining = r["total_cents"] - r["paid"]
        state = "paid" if remaining <= 0 else ("overdue" if r["due_on"] < today else "due")
        result.append({"id": str(r["id"]), "number": r["number"], "period": month_label(r["period_start"]),
                       "period_start": r["period_start"].isoformat(), "issued_on": r["issued_on"].isoformat(),
                       "due_on": r["due_on"].isoformat(), "total_cents": r["total_cents"], "paid_cents": r["paid"],
                       "remaining_cents": max(remaining, 0), "status": state,
                       "status_label": {"paid": "Payée", "due": "À payer", "overdue": "En retard"}[state]})
    return result


async def allocate(conn, payment_id: uuid.UUID, family_id: uuid.UUID, structure_id: uuid.UUID, amount: int,
                   first_invoice: uuid.UUID | None = None) -> None:
    """Pay the given invoice first, then the oldest unpaid ones of the payment's structure (never
    another structure's); what is left stays as credit with that structure."""
    unpaid = await conn.fetch(
        """SELECT i.id, i.total_cents - coalesce((SELECT sum(amount_cents) FROM allocations a
                                                  WHERE a.invoice_id = i.id), 0) AS remaining
           FROM invoices i WHERE i.family_id = $1 AND i.structure_id = $3
           ORDER BY (i.id = $2) DESC, i.due_on, i.number FOR UPDATE""", family_id, first_invoice, structure_id)
    for invoice in unpaid:
        if amount <= 0:
            break
        share = min(amount, invoice["remaining"])
        if share > 0:
            await conn.execute("INSERT INTO allocations (payment_id, invoice_id, amount_cents) VALUES ($1, $2, $3)",
                               payment_id, invoice["id"], share)
            amount -= share


async def receive(conn, payment_id: uuid.UUID, received_at: datetime | None = None) -> None:
    """Mark a payment received, allocate it and publish the event that sends the ticket."""
    payment = await conn.fetchrow("SELECT * FROM payments WHERE id = $1 FOR UPDATE", payment_id)
    if payment["status"] == "received":
        return
    when = received_at or datetime.now(UTC)
    await conn.execute("UPDATE payments SET status = 'received', received_at = $2 WHERE id = $1", payment_id, when)
    await allocate(conn, payment_id, payment["family_id"], payment["structure_id"], payment["amount_cents"],
                   payment["invoice_id"])
    structure_name = await conn.fetchval("SELECT name FROM structures WHERE id = $1", payment["structure_id"])
    await outbox.add(conn, BillingPaymentReceivedV1(
        payment_id=payment_id, family_id=payment["family_id"], structure_id=payment["structure_id"],
        structure_name=structure_name or "", amount_cents=payment["amount_cents"], method=payment["method"],
        reference=payment["reference"], received_at=when), producer="billing")


async def balance(conn, family_id: uuid.UUID, structures: list[uuid.UUID]) -> dict:
    """Invoiced, paid and their difference for the family in these structures."""
    invoiced = await conn.fetchval("SELECT coalesce(sum(total_cents), 0) FROM invoices WHERE family_id = $1 "
                                   "AND structure_id = ANY($2::uuid[])", family_id, structures)
    paid = await conn.fetchval("SELECT coalesce(sum(amount_cents), 0) FROM payments WHERE family_id = $1 "
                               "AND structure_id = ANY($2::uuid[]) AND status = 'received'", family_id, structures)
    return {"invoiced_cents": invoiced, "paid_cents": paid, "balance_cents": paid - invoiced}
