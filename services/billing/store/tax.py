"""The SQL of the tax certificates: the eligible activities and the details of a structure, the years it
issued, and the facts a certificate is computed from (the year's allocations of received payments, the
paid invoices' lines per child and activity, the children)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime

import asyncpg

from services.billing.domain.tax_certificates import Allocation, CertifiedChild, InvoiceGroup


class TaxQueries:
    conn: asyncpg.Connection

    # -- what staff set --------------------------------------------------------------------------------
    async def structure_activities(self, structure_id: uuid.UUID) -> dict[uuid.UUID, str]:
        """The activities billing knows in the structure (a tariff or a line), with their latest name."""
        rows = await self.conn.fetch(
            """SELECT DISTINCT ON (activity_id) activity_id, activity_name FROM (
                   SELECT activity_id, activity_name, created_at FROM tariffs WHERE structure_id = $1
                   UNION ALL
                   SELECT activity_id, activity_name, created_at FROM consumptions WHERE structure_id = $1
               ) a ORDER BY activity_id, created_at DESC""", structure_id)
        return {r["activity_id"]: r["activity_name"] for r in rows}

    async def eligible_activities(self, structure_id: uuid.UUID) -> set[uuid.UUID]:
        rows = await self.conn.fetch("SELECT activity_id FROM tax_eligible_activities WHERE structure_id = $1",
                                     structure_id)
        return {r["activity_id"] for r in rows}

    async def set_eligible_activities(self, structure_id: uuid.UUID, activity_ids: Iterable[uuid.UUID]) -> None:
        """Exactly these (two colleagues saving at once: no duplicate, the last one's choice stays)."""
        chosen = list(dict.fromkeys(activity_ids))
        await self.conn.execute("DELETE FROM tax_eligible_activities WHERE structure_id = $1 "
                                "AND NOT (activity_id = ANY($2::uuid[]))", structure_id, chosen)
        await self.conn.executemany(
            "INSERT INTO tax_eligible_activities (structure_id, activity_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            [(structure_id, a) for a in chosen])

    async def issuer_details(self, structure_id: uuid.UUID) -> str:
        return await self.conn.fetchval("SELECT details FROM tax_issuers WHERE structure_id = $1",
                                        structure_id) or ""

    async def save_issuer_details(self, structure_id: uuid.UUID, details: str, when: datetime) -> None:
        await self.conn.execute(
            """INSERT INTO tax_issuers (structure_id, details, updated_at) VALUES ($1, $2, $3)
               ON CONFLICT (structure_id) DO UPDATE SET details = $2, updated_at = $3""",
            structure_id, details, when)

    # -- the issued years ---------------------------------------------------------------------------------
    async def issue_tax_year(self, structure_id: uuid.UUID, year: int, by: str, when: datetime) -> bool:
        """False when the year was issued already for the structure."""
        return await self.conn.fetchval(
            """INSERT INTO tax_years (structure_id, year, issued_by, issued_at) VALUES ($1, $2, $3, $4)
               ON CONFLICT DO NOTHING RETURNING true""", structure_id, year, by, when) or False

    async def issued_tax_years(self, structure_ids: Sequence[uuid.UUID]) -> list[tuple[uuid.UUID, int, date]]:
        """(structure, year, issued on (UTC day)) of the given structures, the latest year first."""
        rows = await self.conn.fetch(
            "SELECT structure_id, year, issued_at FROM tax_years WHERE structure_id = ANY($1::uuid[]) "
            "ORDER BY year DESC, structure_id", list(structure_ids))
        return [(r["structure_id"], r["year"], r["issued_at"].date()) for r in rows]

    # -- the facts of a year ----------------------------------------------------------------------------
    async def year_allocations(self, structure_id: uuid.UUID, start: datetime, end: datetime,
                               family_id: uuid.UUID | None = None) -> list[Allocation]:
        """The allocations of the structure's payments received in [start, end), of one family or all."""
        rows = await self.conn.fetch(
            """SELECT p.family_id, a.invoice_id, a.amount_cents FROM allocations a
               JOIN payments p ON p.id = a.payment_id
               WHERE p.structure_id = $1 AND p.status = 'received' AND p.received_at >= $2 AND p.received_at < $3
                 AND ($4::uuid IS NULL OR p.family_id = $4)""", structure_id, start, end, family_id)
        return [Allocation(**r) for r in rows]

    async def invoice_groups(self, invoice_ids: Iterable[uuid.UUID]) -> list[InvoiceGroup]:
        rows = await self.conn.fetch(
            """SELECT invoice_id, child_id, activity_id, sum(total_cents)::integer AS total_cents FROM consumptions
               WHERE invoice_id = ANY($1::uuid[]) GROUP BY invoice_id, child_id, activity_id""",
            list(set(invoice_ids)))
        return [InvoiceGroup(**r) for r in rows]

    async def certified_children(self, family_ids: Iterable[uuid.UUID]) -> list[CertifiedChild]:
        rows = await self.conn.fetch(
            "SELECT id, family_id, first_name, last_name, birth_date FROM children WHERE family_id = ANY($1::uuid[])",
            list(set(family_ids)))
        return [CertifiedChild(**r) for r in rows]

    async def family_labels(self, family_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
        rows = await self.conn.fetch("SELECT id, label FROM families WHERE id = ANY($1::uuid[])",
                                     list(set(family_ids)))
        return {r["id"]: r["label"] for r in rows}

    async def certified_children_by_id(self, child_ids: Iterable[uuid.UUID]) -> list[CertifiedChild]:
        rows = await self.conn.fetch(
            "SELECT id, family_id, first_name, last_name, birth_date FROM children WHERE id = ANY($1::uuid[])",
            list(set(child_ids)))
        return [CertifiedChild(**r) for r in rows]
