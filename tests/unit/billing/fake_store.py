"""An in-memory billing store (the named queries of services/billing/store/ over dicts) and an outbox
that keeps what it is given: the service layer tested without PostgreSQL. test_service_fake_store.py
checks that every query here has the real one's name and parameters."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from contracts.pricing import Tariff
from services.billing.domain.consumptions import Child, Consumption
from services.billing.domain.invoices import Invoice
from services.billing.domain.online import BackendConfig, OnlineTransaction
from services.billing.domain.payments import Payment
from tests.unit.billing.fake_tax_store import FakeTaxQueries


@dataclass
class FakeOutbox:
    events: list = field(default_factory=list)

    async def add(self, conn, payload):
        self.events.append(payload)
        return payload

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]


class FakeStore(FakeTaxQueries):  # (the tax certificates' queries: issue 19)
    """Both the store (transaction(), reading()) and its Tx: one in-memory database."""

    conn = None

    def __init__(self) -> None:
        self.versions: dict[tuple[str, str], datetime] = {}
        self.families: dict[uuid.UUID, tuple[str, str]] = {}
        self.children: dict[uuid.UUID, tuple[uuid.UUID, Child]] = {}
        self.memberships: dict[uuid.UUID, set[uuid.UUID]] = {}
        self.structures: dict[uuid.UUID, str] = {}
        self.quotients: dict[uuid.UUID, int | None] = {}
        self.tariffs: dict[tuple[uuid.UUID, uuid.UUID], list[Tariff]] = {}
        self.movements: list[tuple] = []
        self.lines: dict[uuid.UUID, Consumption] = {}
        self.invoices: dict[uuid.UUID, Invoice] = {}
        self.sequence = 0
        self.payments: dict[uuid.UUID, Payment] = {}
        self.allocations: list[tuple[uuid.UUID, uuid.UUID, int]] = []
        self.backend_configs: dict[uuid.UUID, BackendConfig] = {}
        self.online: dict[uuid.UUID, OnlineTransaction] = {}
        self.justified: dict[uuid.UUID, tuple] = {}  # booking -> (family, structure, first, last, activity, day, charged)

    @asynccontextmanager
    async def transaction(self):
        yield self

    @asynccontextmanager
    async def reading(self):
        yield self

    # -- projections ----------------------------------------------------------------------------------
    async def claim(self, kind, key, version, structure_id=None) -> bool:
        kept = self.versions.get((kind, str(key)))
        if kept is not None and kept > version:
            return False
        self.versions[(kind, str(key))] = version
        return True

    async def save_family(self, family_id, identifiant, label, children: Sequence[Child],
                          structure_ids: Iterable[uuid.UUID], households=None) -> None:
        self.families[family_id] = (identifiant, label)
        for child in children:
            self.children[child.id] = (family_id, child)
        self.memberships[family_id] = set(structure_ids)

    async def save_structure(self, structure_id, name, version) -> bool:
        self.structures[structure_id] = name
        return True

    async def save_quotient(self, family_id, quotient, version) -> bool:
        self.quotients[family_id] = quotient
        return True

    async def quotient(self, family_id):
        return self.quotients.get(family_id)

    async def children_of(self, family_id) -> list[Child]:
        return [c for f, c in self.children.values() if f == family_id]

    async def child(self, child_id):
        found = self.children.get(child_id)
        return found[1] if found else None

    async def family_label(self, family_id) -> str:
        return self.families.get(family_id, ("", ""))[1]

    async def structure_name(self, structure_id) -> str:
        return self.structures.get(structure_id, "")

    async def family_structures(self, family_id) -> set[uuid.UUID]:
        return (set(self.memberships.get(family_id, ()))
                | {x.structure_id for x in self.lines.values() if x.family_id == family_id}
                | {x.structure_id for x in self.invoices.values() if x.family_id == family_id}
                | {x.structure_id for x in self.payments.values() if x.family_id == family_id})

    async def tariff_versions(self, structure_id, activity_id) -> list[Tariff]:
        return sorted(self.tariffs.get((structure_id, activity_id), []), key=lambda t: t.effective_from)

    async def insert_tariff(self, structure_id, activity_name, tariff) -> bool:
        versions = self.tariffs.setdefault((structure_id, tariff.activity_id), [])
        if any(t.effective_from == tariff.effective_from for t in versions):
            return False
        versions.append(tariff)
        return True

    async def activity_elsewhere(self, activity_id, structure_id) -> bool:
        return any(m[5] == activity_id and m[3] != structure_id for m in self.movements) or any(
            x.activity_id == activity_id and x.structure_id != structure_id for x in self.lines.values())

    async def record_movements(self, event_id, rows) -> None:
        self.movements.extend(rows)

    # -- batched consumption (store/batches.py) -------------------------------------------------------------
    async def quotients_of(self, family_ids):
        return {f: self.quotients.get(f) for f in set(family_ids) if f in self.quotients}

    async def children_of_families(self, family_ids):
        return {f: await self.children_of(f) for f in set(family_ids)}

    async def tariff_versions_of(self, pairs):
        return {p: await self.tariff_versions(*p) for p in set(pairs)}

    async def record_movements_of(self, rows) -> None:
        self.movements.extend(row[1:] for row in rows)

    async def insert_charges(self, lines):
        return {line.id for line, source in lines if await self.insert_charge(line, source)}

    # -- consumption lines and invoices -------------------------------------------------------------------
    async def insert_charge(self, line: Consumption, source_event_id) -> bool:
        if any(x.booking_id == line.booking_id and x.credit_of is None for x in self.lines.values()):
            return False
        self.lines[line.id] = line
        return True

    async def insert_credit(self, line: Consumption, source_event_id) -> bool:
        if any(x.credit_of == line.credit_of for x in self.lines.values()):
            return False
        self.lines[line.id] = line
        return True

    async def charge_for_update(self, booking_id):
        return next((x for x in self.lines.values() if x.booking_id == booking_id and x.credit_of is None), None)

    async def standing_charge(self, booking_id):
        charge = await self.charge_for_update(booking_id)
        if charge is None or any(x.credit_of == charge.id for x in self.lines.values()):
            return None
        return charge.id

    async def delete_consumption(self, consumption_id) -> None:
        del self.lines[consumption_id]

    # -- justified absences (issue 19) --------------------------------------------------------------------------
    async def record_justified(self, absence_id, family_id, structure_id, child_id, first_name, last_name, days,
                               at) -> None:
        for booking_id, activity_name, day, charged in days:
            self.justified.setdefault(booking_id, (family_id, structure_id, first_name, last_name, activity_name,
                                                   day, charged))

    async def justified_not_charged(self, booking_ids) -> list:
        return [b for b in booking_ids if b in self.justified and not self.justified[b][6]]

    async def justified_days(self, family_id, start: date, end: date) -> list:
        from services.billing.store.absences import JustifiedDay

        return sorted((JustifiedDay(b, j[1], j[2], j[3], j[4], j[5], j[6]) for b, j in self.justified.items()
                       if j[0] == family_id and start <= j[5] <= end), key=lambda d: d.day, reverse=True)

    async def consumptions_of(self, family_id, start: date, end: date) -> list[Consumption]:
        found = [x for x in self.lines.values() if x.family_id == family_id and start <= x.day <= end]
        found.sort(key=lambda x: (x.first_name, x.activity_name))
        return sorted(found, key=lambda x: x.day, reverse=True)

    async def invoice_lines(self, invoice_id) -> list[Consumption]:
        return sorted((x for x in self.lines.values() if x.invoice_id == invoice_id),
                      key=lambda x: (x.day, x.first_name))

    async def uninvoiced_groups(self, start, end):
        return sorted({(x.family_id, x.structure_id) for x in self.lines.values()
                       if x.invoice_id is None and start <= x.day <= end}, key=str)

    async def take_uninvoiced(self, family_id, structure_id, start, end) -> list[Consumption]:
        return [x for x in self.lines.values() if x.invoice_id is None and x.family_id == family_id
                and x.structure_id == structure_id and start <= x.day <= end]

    async def next_invoice_sequence(self) -> int:
        self.sequence += 1
        return self.sequence

    async def insert_invoice(self, invoice: Invoice, line_ids) -> None:
        self.invoices[invoice.id] = invoice
        for line_id in line_ids:
            self.lines[line_id] = replace(self.lines[line_id], invoice_id=invoice.id)

    def _paid(self, invoice: Invoice) -> Invoice:
        return replace(invoice, paid_cents=sum(a for _p, i, a in self.allocations if i == invoice.id))

    async def invoice(self, invoice_id, *, for_update: bool = False):
        found = self.invoices.get(invoice_id)
        return self._paid(found) if found else None

    async def invoices_of(self, family_id) -> list[Invoice]:
        found = [self._paid(i) for i in self.invoices.values() if i.family_id == family_id]
        found.sort(key=lambda i: i.number, reverse=True)
        return sorted(found, key=lambda i: i.issued_on, reverse=True)

    async def structure_invoices_for_update(self, family_id, structure_id) -> list[Invoice]:
        return [self._paid(i) for i in self.invoices.values()
                if i.family_id == family_id and i.structure_id == structure_id]

    # -- payments ----------------------------------------------------------------------------------------
    async def insert_payment(self, payment: Payment) -> None:
        assert payment.id not in self.payments
        assert payment.provider_ref is None or all(p.provider_ref != payment.provider_ref
                                                   for p in self.payments.values())
        self.payments[payment.id] = payment

    async def payment_for_update(self, payment_id):
        return self.payments.get(payment_id)

    async def payment_by_ref_for_update(self, provider_ref):
        return next((p for p in self.payments.values() if p.provider_ref == provider_ref), None)

    async def mark_received(self, payment_id, when) -> None:
        self.payments[payment_id] = replace(self.payments[payment_id], status="received", received_at=when)

    async def mark_cancelled(self, payment_id) -> None:
        self.payments[payment_id] = replace(self.payments[payment_id], status="cancelled")

    async def insert_allocations(self, payment_id, shares) -> None:
        for invoice_id, share in shares:
            assert share > 0 and not any(p == payment_id and i == invoice_id for p, i, _a in self.allocations)
            self.allocations.append((payment_id, invoice_id, share))

    async def received_payments_of(self, family_id) -> list[Payment]:
        return sorted((p for p in self.payments.values() if p.family_id == family_id and p.status == "received"),
                      key=lambda p: p.received_at, reverse=True)

    # -- online payment --------------------------------------------------------------------------------
    async def backend_config(self, structure_id):
        return self.backend_configs.get(structure_id)

    async def save_backend_config(self, config, by, when) -> None:
        self.backend_configs[config.structure_id] = config

    async def insert_online_transaction(self, t) -> None:
        assert t.payment_id not in self.online and all((o.backend, o.transaction_id) != (t.backend, t.transaction_id)
                                                      for o in self.online.values())
        self.online[t.payment_id] = replace(t, updated_at=t.created_at)

    async def online_transaction_for_update(self, backend, keys):
        return next((t for t in self.online.values() if t.backend == backend and t.transaction_id in keys), None)

    async def online_transaction_of_payment(self, payment_id):
        return self.online.get(payment_id)

    async def set_online_state(self, payment_id, state, bank_status, when, notified) -> None:
        t = self.online[payment_id]
        self.online[payment_id] = replace(t, state=state, bank_status=bank_status, updated_at=when,
                                          notifications=t.notifications + (1 if notified else 0))

    async def online_transactions_of_structures(self, structures, limit):
        found = [t for t in self.online.values() if structures is None or t.structure_id in structures]
        return sorted(found, key=lambda t: t.created_at, reverse=True)[:limit]

    async def online_transactions_of_family(self, family_id, limit):
        return sorted((t for t in self.online.values() if t.family_id == family_id), key=lambda t: t.created_at,
                      reverse=True)[:limit]

    async def pending_online_transactions(self, before, limit):
        return sorted((t for t in self.online.values() if t.state == "pending" and t.created_at <= before),
                      key=lambda t: t.created_at)[:limit]
