"""Payments on a fake store: a desk payment allocated within its structure, its refusals, and the online
payment's checkout and callbacks (told twice, changing nothing the second time)."""

from __future__ import annotations

import json
import uuid
from datetime import date

import pytest

from contracts.billing import BillingPaymentReceivedV1
from services.billing.domain import payments as rules
from services.billing.domain.errors import (
    AlreadyPaid,
    BadRequest,
    CallbackRefused,
    Forbidden,
    InvalidAmount,
    OnlinePaymentOff,
    Unknown,
    UnknownPayment,
)
from services.billing.domain.invoices import Invoice
from services.billing.provider import TestProvider, sign
from services.billing.service import payments
from tests.unit.billing.world import (
    ADMIN,
    AGENT,
    CARTEVILLE,
    FAMILY,
    NOW,
    OTHER,
    OTHER_AGENT,
    PARENT,
    STRANGERS,
    world,
)

SECRET = "s" * 40
PORTAL = "https://portail.example.fr"


def invoice(number: int, structure_id: uuid.UUID, total: int, due: date) -> Invoice:
    return Invoice(id=uuid.UUID(int=100 + number), number=f"F2026-{number:06d}", family_id=FAMILY,
                   structure_id=structure_id, period_start=date(2026, 1, 1), period_end=date(2026, 1, 31),
                   issued_on=date(2026, 2, 1), due_on=due, total_cents=total)


async def with_invoices():
    store, outbox = await world()
    for inv in (invoice(1, CARTEVILLE, 1000, date(2026, 3, 1)), invoice(2, CARTEVILLE, 500, date(2026, 2, 1)),
                invoice(3, OTHER, 700, date(2026, 1, 1))):  # the other structure's is the oldest
        await store.insert_invoice(inv, [])
    return store, outbox


def paid(structure_id=CARTEVILLE, amount="8,00", family_id=FAMILY) -> payments.DeskPayment:
    return payments.DeskPayment(family_id, structure_id, amount, "cheque")


async def test_a_desk_payment_pays_the_oldest_invoices_of_its_structure_only_and_keeps_the_rest():
    store, outbox = await with_invoices()
    payment = await payments.record_desk_payment(store, outbox, AGENT, paid(amount="12,00"), NOW)
    assert payment.reference.startswith("PF-") and store.payments[payment.id].status == "received"
    assert [(i.int - 100, a) for _p, i, a in store.allocations] == [(2, 500), (1, 700)]
    (event,) = outbox.of(BillingPaymentReceivedV1)
    assert (event.amount_cents, event.method, event.structure_name, event.received_at) == (
        1200, "cheque", "Mairie de CarteVille", NOW)
    again = await payments.record_desk_payment(store, outbox, ADMIN, paid(amount="5,00"), NOW)
    assert [(i.int - 100, a) for p, i, a in store.allocations if p == again.id] == [(1, 300)]  # 2,00 € credit


async def test_a_desk_payment_is_recorded_by_the_structures_staff_for_a_family_there():
    store, outbox = await with_invoices()
    with pytest.raises(Forbidden, match="Vous ne gérez pas cette structure"):
        await payments.record_desk_payment(store, outbox, OTHER_AGENT, paid(), NOW)
    with pytest.raises(Forbidden):
        await payments.record_desk_payment(store, outbox, PARENT, paid(), NOW)
    with pytest.raises(Unknown, match="Famille introuvable dans cette structure"):
        await payments.record_desk_payment(store, outbox, AGENT, paid(family_id=STRANGERS), NOW)
    for amount, message in (("douze", "Montant invalide"), ("0", "positif"), ("-3,00", "positif"),
                            ("100 000,01", "dépasser 100\u202f000,00 €")):
        with pytest.raises(InvalidAmount, match=message):
            await payments.record_desk_payment(store, outbox, AGENT, paid(amount=amount), NOW)
    assert store.payments == {} and outbox.events == []


def start(invoice_id: uuid.UUID, return_url: str = f"{PORTAL}/consommations") -> payments.OnlineStart:
    return payments.OnlineStart(invoice_id, return_url, None, "http://billing/v1/payments/callback")


def callback(ref: str, status: str, amount: int) -> tuple[bytes, str]:
    body = json.dumps({"provider_ref": ref, "status": status, "amount_cents": amount}).encode()
    return body, sign(SECRET, body)


async def test_an_online_payment_is_received_once_however_often_the_provider_calls_back():
    store, outbox = await with_invoices()
    provider = TestProvider(SECRET, PORTAL)
    checkout = await payments.start_online(store, provider, PARENT, start(uuid.UUID(int=101)), PORTAL)
    assert checkout.redirect_url == f"{PORTAL}/paiement-test/{checkout.provider_ref}"
    (pending,) = store.payments.values()
    assert (pending.status, pending.amount_cents, pending.method, pending.reference) == (
        "pending", 1000, "online", "EN-LIGNE-F2026-000001")
    assert (await payments.checkout_page(store, provider, PARENT, checkout.provider_ref)).amount_cents == 1000

    with pytest.raises(CallbackRefused, match="montant"):
        await payments.provider_called_back(store, outbox, provider, PARENT, *callback(checkout.provider_ref,
                                                                                       "paid", 999), NOW)
    with pytest.raises(CallbackRefused, match="signature"):
        await payments.provider_called_back(store, outbox, provider, PARENT, b"{}", "0" * 64, NOW)
    for _ in range(2):
        await payments.provider_called_back(store, outbox, provider, PARENT,
                                            *callback(checkout.provider_ref, "paid", 1000), NOW)
    assert store.payments[pending.id].status == "received"
    assert [(i.int - 100, a) for _p, i, a in store.allocations] == [(1, 1000)]  # its invoice first
    assert len(outbox.of(BillingPaymentReceivedV1)) == 1
    with pytest.raises(AlreadyPaid):
        await payments.start_online(store, provider, PARENT, start(uuid.UUID(int=101)), PORTAL)
    with pytest.raises(UnknownPayment):
        await payments.provider_called_back(store, outbox, provider, PARENT, *callback("tp_x", "paid", 1), NOW)


async def test_a_cancelled_online_payment_and_the_refusals_before_any_checkout():
    store, outbox = await with_invoices()
    provider = TestProvider(SECRET, PORTAL)
    checkout = await payments.start_online(store, provider, PARENT, start(uuid.UUID(int=102)), PORTAL)
    await payments.provider_called_back(store, outbox, provider, PARENT,
                                        *callback(checkout.provider_ref, "cancelled", 500), NOW)
    assert [p.status for p in store.payments.values()] == ["cancelled"] and outbox.events == []

    with pytest.raises(BadRequest, match="doit être une page du portail"):
        await payments.start_online(store, provider, PARENT, start(uuid.UUID(int=101), "https://evil.example/"),
                                    PORTAL)
    with pytest.raises(Unknown, match="Facture introuvable"):
        await payments.start_online(store, provider, PARENT.model_copy(update={"family_id": STRANGERS}),
                                    start(uuid.UUID(int=101)), PORTAL)
    with pytest.raises(OnlinePaymentOff):
        await payments.start_online(store, None, PARENT, start(uuid.UUID(int=101)), PORTAL)
    with pytest.raises(Unknown):  # no provider: no callback either
        await payments.provider_called_back(store, outbox, None, PARENT, b"{}", "", NOW)
    with pytest.raises(Unknown, match="Paiement introuvable"):  # another family's checkout page
        await payments.checkout_page(store, provider, PARENT.model_copy(update={"family_id": STRANGERS}),
                                     checkout.provider_ref)
    assert len(store.payments) == 1


def test_allocation_pays_the_named_invoice_first_then_by_due_date_and_number():
    a, b, c = (invoice(n, CARTEVILLE, 400, date(2026, 1, 10 - n)) for n in (1, 2, 3))
    assert rules.allocate(1000, [a, b, c]) == [(c.id, 400), (b.id, 400), (a.id, 200)]
    assert rules.allocate(1000, [a, b, c], first=a.id) == [(a.id, 400), (c.id, 400), (b.id, 200)]
    assert rules.allocate(300, [b.__class__(**{**b.__dict__, "paid_cents": 400}), a]) == [(a.id, 300)]
