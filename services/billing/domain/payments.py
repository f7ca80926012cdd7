"""Payments: what a desk payment may be, where an online payment may send the family back, how a payment
is allocated to the invoices of its structure, and a family's balance."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from contracts.billing import BillingPaymentReceivedV1
from services.billing.domain.errors import BadRequest
from services.billing.domain.invoices import Invoice

MAX_PAYMENT_CENTS = 100_000_00  # 100 000,00 €: more is a typing error, not a payment


@dataclass(frozen=True)
class Payment:
    id: uuid.UUID
    family_id: uuid.UUID
    structure_id: uuid.UUID
    amount_cents: int
    method: str
    reference: str
    status: str = "pending"  # "pending" | "received" | "cancelled"
    provider_ref: str | None = None
    invoice_id: uuid.UUID | None = None  # the invoice an online payment was started for
    received_at: datetime | None = None


@dataclass(frozen=True)
class Balance:
    invoiced_cents: int
    paid_cents: int

    @property
    def balance_cents(self) -> int:
        return self.paid_cents - self.invoiced_cents


def desk_reference(payment_id: uuid.UUID, given: str) -> str:
    """The reference typed at the desk, or one made from the payment's identifier."""
    return given or f"PF-{payment_id.hex[:10].upper()}"


def online_reference(invoice_number: str) -> str:
    return f"EN-LIGNE-{invoice_number}"


def allocate(amount_cents: int, invoices: Sequence[Invoice],
             first: uuid.UUID | None = None) -> list[tuple[uuid.UUID, int]]:
    """Pay `first` (the invoice an online payment was for) first, then the oldest unpaid ones (by due
    date, then number); the caller gives only invoices of the payment's family and structure. What is
    left stays as credit with that structure. Returns (invoice, share) pairs."""
    ordered = sorted(invoices, key=lambda i: (i.id != first, i.due_on, i.number))
    shares = []
    for invoice in ordered:
        if amount_cents <= 0:
            break
        share = min(amount_cents, invoice.remaining_cents)
        if share > 0:
            shares.append((invoice.id, share))
            amount_cents -= share
    return shares


def balance(invoices: Sequence[Invoice], payments: Sequence[Payment]) -> Balance:
    """Invoiced, received and their difference (positive: in the family's favour)."""
    return Balance(sum(i.total_cents for i in invoices),
                   sum(p.amount_cents for p in payments if p.status == "received"))


def received(payment: Payment, structure_name: str) -> BillingPaymentReceivedV1:
    """The event that sends the family its ticket."""
    return BillingPaymentReceivedV1(
        payment_id=payment.id, family_id=payment.family_id, structure_id=payment.structure_id,
        structure_name=structure_name, amount_cents=payment.amount_cents, method=payment.method,
        reference=payment.reference, received_at=payment.received_at)


def portal_url(public_url: str, url: str, what: str) -> str:
    """A return or cancel address: on the portal's own origin (PORTAIL_PUBLIC_URL), nowhere else."""
    own = urlsplit(public_url)
    refused = BadRequest(f"Adresse de {what} refusée : elle doit être une page du portail "
                         f"({own.scheme}://{own.netloc}/…).")
    try:
        given = urlsplit(url)
    except ValueError:  # e.g. an unclosed "[" in the host
        raise refused from None
    if (given.scheme, given.netloc.lower()) != (own.scheme, own.netloc.lower()) or given.username \
            or given.password or not url.isprintable() or "\\" in url:
        raise refused
    return url
