"""Payments: one received at a structure's desk, or an online one once its backend said it is paid
(services/billing/service/online_payments.py), each allocated to the invoices of its structure when
received, its ticket sent."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from kit.fr import euros, parse_euros
from kit.identity import Identity
from services.billing import access
from services.billing.domain import payments as rules
from services.billing.domain.errors import InvalidAmount
from services.billing.service import Outbox
from services.billing.store import Store, Tx


@dataclass(frozen=True)
class DeskPayment:
    family_id: uuid.UUID
    structure_id: uuid.UUID
    amount: str  # as typed, in euros ("78,77")
    method: str  # a code of contracts.billing.PAYMENT_METHODS
    reference: str = ""


def amount_of(typed: str) -> int:
    """The amount typed at the desk, in cents: positive and at most MAX_PAYMENT_CENTS."""
    try:
        cents = parse_euros(typed)
    except ValueError as exc:
        raise InvalidAmount(str(exc)) from None
    if cents <= 0:
        raise InvalidAmount("Le montant doit être positif.")
    if cents > rules.MAX_PAYMENT_CENTS:
        raise InvalidAmount(f"Le montant ne peut dépasser {euros(rules.MAX_PAYMENT_CENTS)} €.")
    return cents


async def record_desk_payment(store: Store, outbox: Outbox, who: Identity, paid: DeskPayment,
                              now: datetime, payment_id: uuid.UUID | None = None) -> rules.Payment:
    """Staff of the structure (or an administrator) record a payment received at its desk: received at
    once, allocated to the family's invoices there, its ticket sent."""
    payment_id = payment_id or uuid.uuid4()
    async with store.transaction() as tx:
        access.payment_recorder(who, paid.structure_id)
        access.payment_family(paid.structure_id, await tx.family_structures(paid.family_id))
        payment = rules.Payment(id=payment_id, family_id=paid.family_id, structure_id=paid.structure_id,
                                amount_cents=amount_of(paid.amount), method=paid.method,
                                reference=rules.desk_reference(payment_id, paid.reference))
        await tx.insert_payment(payment)
        await receive(tx, outbox, payment_id, now)
    return payment


async def receive(tx: Tx, outbox: Outbox, payment_id: uuid.UUID, now: datetime) -> None:
    """Mark a payment received, allocate it and publish the event that sends the ticket; a payment already
    received changes nothing (a callback told twice)."""
    payment = await tx.payment_for_update(payment_id)
    if payment is None or payment.status == "received":
        return
    payment = replace(payment, status="received", received_at=now)
    await tx.mark_received(payment_id, now)
    invoices = await tx.structure_invoices_for_update(payment.family_id, payment.structure_id)
    await tx.insert_allocations(payment_id, rules.allocate(payment.amount_cents, invoices, payment.invoice_id))
    await outbox.add(tx.conn, rules.received(payment, await tx.structure_name(payment.structure_id)))
