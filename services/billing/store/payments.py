"""The SQL of payments (at a desk or online) and their allocations to invoices (an online payment's
transaction with its backend: services/billing/store/online.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from services.billing.domain.payments import Payment

_PAYMENT = """SELECT id, family_id, structure_id, amount_cents, method, reference, status, provider_ref, invoice_id,
                     received_at FROM payments"""


class PaymentQueries:
    conn: asyncpg.Connection

    async def insert_payment(self, payment: Payment) -> None:
        await self.conn.execute(
            """INSERT INTO payments (id, family_id, structure_id, amount_cents, method, reference, status,
                   provider_ref, invoice_id, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
            payment.id, payment.family_id, payment.structure_id, payment.amount_cents, payment.method,
            payment.reference, payment.status, payment.provider_ref, payment.invoice_id, payment.received_at)

    async def payment_for_update(self, payment_id: uuid.UUID) -> Payment | None:
        row = await self.conn.fetchrow(f"{_PAYMENT} WHERE id = $1 FOR UPDATE", payment_id)
        return Payment(**row) if row else None

    async def payment_by_ref_for_update(self, provider_ref: str) -> Payment | None:
        row = await self.conn.fetchrow(f"{_PAYMENT} WHERE provider_ref = $1 FOR UPDATE", provider_ref)
        return Payment(**row) if row else None

    async def mark_received(self, payment_id: uuid.UUID, when: datetime) -> None:
        await self.conn.execute("UPDATE payments SET status = 'received', received_at = $2 WHERE id = $1",
                                payment_id, when)

    async def mark_cancelled(self, payment_id: uuid.UUID) -> None:
        await self.conn.execute("UPDATE payments SET status = 'cancelled' WHERE id = $1", payment_id)

    async def insert_allocations(self, payment_id: uuid.UUID, shares: Sequence[tuple[uuid.UUID, int]]) -> None:
        await self.conn.executemany(
            "INSERT INTO allocations (payment_id, invoice_id, amount_cents) VALUES ($1, $2, $3)",
            [(payment_id, invoice_id, share) for invoice_id, share in shares])

    async def received_payments_of(self, family_id: uuid.UUID) -> list[Payment]:
        """The family's received payments in every structure, the latest first."""
        rows = await self.conn.fetch(f"{_PAYMENT} WHERE family_id = $1 AND status = 'received' "
                                     "ORDER BY received_at DESC", family_id)
        return [Payment(**r) for r in rows]
