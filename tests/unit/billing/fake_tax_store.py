"""The tax certificates' queries of the fake billing store (services/billing/store/tax.py's double), in memory:
a mixin of tests/unit/billing/fake_store.py's FakeStore, and the store of test_service_tax_certificates.py."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from services.billing.domain.tax_certificates import Allocation, CertifiedChild, InvoiceGroup


@dataclass
class TaxData:
    activities: dict[uuid.UUID, dict[uuid.UUID, str]] = field(default_factory=dict)  # structure → activity → name
    eligible: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=dict)
    details: dict[uuid.UUID, str] = field(default_factory=dict)
    years: dict[tuple[uuid.UUID, int], date] = field(default_factory=dict)
    children: list[CertifiedChild] = field(default_factory=list)
    allocations: dict[tuple[uuid.UUID, int], list[Allocation]] = field(default_factory=dict)  # (structure, year)
    groups: list[InvoiceGroup] = field(default_factory=list)
    labels: dict[uuid.UUID, str] = field(default_factory=dict)


class FakeTaxQueries:
    @property
    def tax(self) -> TaxData:
        if "_tax" not in self.__dict__:
            self.__dict__["_tax"] = TaxData()
        return self.__dict__["_tax"]

    async def structure_activities(self, structure_id: uuid.UUID) -> dict[uuid.UUID, str]:
        return dict(self.tax.activities.get(structure_id, {}))

    async def eligible_activities(self, structure_id: uuid.UUID) -> set[uuid.UUID]:
        return set(self.tax.eligible.get(structure_id, set()))

    async def set_eligible_activities(self, structure_id: uuid.UUID, activity_ids: Iterable[uuid.UUID]) -> None:
        self.tax.eligible[structure_id] = set(activity_ids)

    async def issuer_details(self, structure_id: uuid.UUID) -> str:
        return self.tax.details.get(structure_id, "")

    async def save_issuer_details(self, structure_id: uuid.UUID, details: str, when: datetime) -> None:
        self.tax.details[structure_id] = details

    async def issue_tax_year(self, structure_id: uuid.UUID, year: int, by: str, when: datetime) -> bool:
        if (structure_id, year) in self.tax.years:
            return False
        self.tax.years[(structure_id, year)] = when.date()
        return True

    async def issued_tax_years(self, structure_ids: Sequence[uuid.UUID]) -> list[tuple[uuid.UUID, int, date]]:
        return sorted(((s, y, on) for (s, y), on in self.tax.years.items() if s in structure_ids),
                      key=lambda t: (-t[1], str(t[0])))

    async def year_allocations(self, structure_id: uuid.UUID, start: datetime, end: datetime,
                               family_id: uuid.UUID | None = None) -> list[Allocation]:
        return [a for a in self.tax.allocations.get((structure_id, start.year), [])
                if family_id in (None, a.family_id)]

    async def invoice_groups(self, invoice_ids: Iterable[uuid.UUID]) -> list[InvoiceGroup]:
        wanted = set(invoice_ids)
        return [g for g in self.tax.groups if g.invoice_id in wanted]

    async def certified_children(self, family_ids: Iterable[uuid.UUID]) -> list[CertifiedChild]:
        wanted = set(family_ids)
        return [c for c in self.tax.children if c.family_id in wanted]

    async def certified_children_by_id(self, child_ids: Iterable[uuid.UUID]) -> list[CertifiedChild]:
        wanted = set(child_ids)
        return [c for c in self.tax.children if c.id in wanted]

    async def family_labels(self, family_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
        return {f: self.tax.labels.get(f, "") for f in family_ids}
