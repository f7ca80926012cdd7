"""The SQL of a family's account: consumption lines (charges and credits) and invoices."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

import asyncpg

from services.billing.domain.consumptions import Consumption
from services.billing.domain.invoices import Invoice

_LINE = """id, family_id, structure_id, child_id, first_name, last_name, booking_id, activity_id, activity_name,
           day, unit_price_cents, quantity, total_cents, credit_of, invoice_id"""
_INSERT_LINE = """INSERT INTO consumptions (id, family_id, structure_id, child_id, first_name, last_name, booking_id,
                      activity_id, activity_name, day, unit_price_cents, quantity, total_cents, credit_of,
                      source_event_id)
                  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"""
_PAID = "coalesce((SELECT sum(amount_cents) FROM allocations a WHERE a.invoice_id = i.id), 0) AS paid_cents"
_INVOICE = f"""SELECT i.id, i.number, i.family_id, i.structure_id, i.period_start, i.period_end, i.issued_on,
                      i.due_on, i.total_cents, {_PAID} FROM invoices i"""


def _line(row: asyncpg.Record) -> Consumption:
    return Consumption(**row)


def _values(line: Consumption, source_event_id: uuid.UUID) -> tuple:
    return (line.id, line.family_id, line.structure_id, line.child_id, line.first_name, line.last_name,
            line.booking_id, line.activity_id, line.activity_name, line.day, line.unit_price_cents, line.quantity,
            line.total_cents, line.credit_of, source_event_id)


class AccountQueries:
    conn: asyncpg.Connection

    # -- consumption lines ------------------------------------------------------------------------------
    async def insert_charge(self, line: Consumption, source_event_id: uuid.UUID) -> bool:
        """False when the booking is already charged (one charge per booking)."""
        return bool(await self.conn.fetchval(
            f"{_INSERT_LINE} ON CONFLICT (booking_id) WHERE credit_of IS NULL DO NOTHING RETURNING id",
            *_values(line, source_event_id)))

    async def insert_credit(self, line: Consumption, source_event_id: uuid.UUID) -> bool:
        """False when the charge is already credited (one credit per charge)."""
        return bool(await self.conn.fetchval(
            f"{_INSERT_LINE} ON CONFLICT (credit_of) WHERE credit_of IS NOT NULL DO NOTHING RETURNING id",
            *_values(line, source_event_id)))

    async def charge_for_update(self, booking_id: uuid.UUID) -> Consumption | None:
        """The booking's charge (credited or not), locked."""
        row = await self.conn.fetchrow(
            f"SELECT {_LINE} FROM consumptions WHERE booking_id = $1 AND credit_of IS NULL FOR UPDATE", booking_id)
        return _line(row) if row else None

    async def standing_charge(self, booking_id: uuid.UUID) -> uuid.UUID | None:
        """The booking's charge still standing: not credited (a charge cancelled before invoicing is deleted)."""
        return await self.conn.fetchval(
            """SELECT c.id FROM consumptions c WHERE c.booking_id = $1 AND c.credit_of IS NULL
               AND NOT EXISTS (SELECT 1 FROM consumptions k WHERE k.credit_of = c.id)""", booking_id)

    async def delete_consumption(self, consumption_id: uuid.UUID) -> None:
        await self.conn.execute("DELETE FROM consumptions WHERE id = $1", consumption_id)

    async def consumptions_of(self, family_id: uuid.UUID, start: date, end: date) -> list[Consumption]:
        """The family's lines of these days, in every structure: newest day first."""
        rows = await self.conn.fetch(
            f"""SELECT {_LINE} FROM consumptions WHERE family_id = $1 AND day BETWEEN $2 AND $3
                ORDER BY day DESC, first_name, activity_name""", family_id, start, end)
        return [_line(r) for r in rows]

    async def invoice_lines(self, invoice_id: uuid.UUID) -> list[Consumption]:
        rows = await self.conn.fetch(
            f"SELECT {_LINE} FROM consumptions WHERE invoice_id = $1 ORDER BY day, first_name", invoice_id)
        return [_line(r) for r in rows]

    # -- invoicing a month -------------------------------------------------------------------------------
    async def uninvoiced_groups(self, start: date, end: date) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(family, structure) pairs with uninvoiced lines on these days."""
        rows = await self.conn.fetch(
            """SELECT DISTINCT family_id, structure_id FROM consumptions
               WHERE invoice_id IS NULL AND day BETWEEN $1 AND $2""", start, end)
        return [(r["family_id"], r["structure_id"]) for r in rows]

    async def take_uninvoiced(self, family_id: uuid.UUID, structure_id: uuid.UUID, start: date,
                              end: date) -> list[Consumption]:
        """The group's uninvoiced lines, locked; lines another run holds are skipped (it invoices them)."""
        rows = await self.conn.fetch(
            f"""SELECT {_LINE} FROM consumptions WHERE invoice_id IS NULL AND family_id = $1 AND structure_id = $2
                AND day BETWEEN $3 AND $4 FOR UPDATE SKIP LOCKED""", family_id, structure_id, start, end)
        return [_line(r) for r in rows]

    async def next_invoice_sequence(self) -> int:
        return await self.conn.fetchval("SELECT nextval('invoice_number_seq')")

    async def insert_invoice(self, invoice: Invoice, line_ids: Sequence[uuid.UUID]) -> None:
        """The invoice, and its lines marked as invoiced by it."""
        await self.conn.execute(
            """INSERT INTO invoices (id, number, family_id, structure_id, period_start, period_end, issued_on,
                   due_on, total_cents) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
            invoice.id, invoice.number, invoice.family_id, invoice.structure_id, invoice.period_start,
            invoice.period_end, invoice.issued_on, invoice.due_on, invoice.total_cents)
        await self.conn.execute("UPDATE consumptions SET invoice_id = $1 WHERE id = ANY($2::uuid[])",
                                invoice.id, list(line_ids))

    # -- invoices ------------------------------------------------------------------------------------------
    async def invoice(self, invoice_id: uuid.UUID, *, for_update: bool = False) -> Invoice | None:
        """One invoice with what was allocated to it; `for_update`: locked (a payment is being started)."""
        row = await self.conn.fetchrow(f"{_INVOICE} WHERE i.id = $1" + (" FOR UPDATE" if for_update else ""),
                                       invoice_id)
        return Invoice(**row) if row else None

    async def invoices_of(self, family_id: uuid.UUID) -> list[Invoice]:
        """The family's invoices in every structure, newest first."""
        rows = await self.conn.fetch(f"{_INVOICE} WHERE i.family_id = $1 ORDER BY i.issued_on DESC, i.number DESC",
                                     family_id)
        return [Invoice(**r) for r in rows]

    async def structure_invoices_for_update(self, family_id: uuid.UUID, structure_id: uuid.UUID) -> list[Invoice]:
        """The family's invoices in one structure, locked: those a payment there may be allocated to."""
        rows = await self.conn.fetch(
            f"{_INVOICE} WHERE i.family_id = $1 AND i.structure_id = $2 ORDER BY i.due_on, i.number FOR UPDATE",
            family_id, structure_id)
        return [Invoice(**r) for r in rows]
