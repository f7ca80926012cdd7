"""Payments: one received at a structure's desk, an online one (checkout, the provider's signed callback,
and the local test provider's page), each allocated to the invoices of its structure when received."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from contracts.billing import ONLINE_PAYMENT
from kit.fr import euros, parse_euros
from kit.identity import Identity
from services.billing import access
from services.billing.domain import payments as rules
from services.billing.domain.errors import (
    AlreadyPaid,
    CallbackRefused,
    InvalidAmount,
    NotConfirmed,
    OnlinePaymentOff,
    Unknown,
    UnknownPayment,
)
from services.billing.provider import Checkout, InvalidCallback, PaymentProvider, TestProvider
from services.billing.service import Outbox
from services.billing.store import Store, Tx
from services.billing.store.payments import TestCheckout

FINISHED = "Paiement introuvable ou terminé."


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


# -- online -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OnlineStart:
    invoice_id: uuid.UUID
    return_url: str
    cancel_url: str | None  # default: the return URL
    callback_url: str  # where the provider calls back


async def start_online(store: Store, provider: PaymentProvider | None, who: Identity, asked: OnlineStart,
                       public_url: str) -> Checkout:
    """The family starts paying what remains of one of its invoices: a checkout at the provider, and a
    pending payment waiting for its callback. The family comes back only to pages of the portal."""
    return_url = rules.portal_url(public_url, asked.return_url, "retour")
    cancel_url = rules.portal_url(public_url, asked.cancel_url, "retour après annulation") if asked.cancel_url else None
    async with store.transaction() as tx:
        invoice = access.payable_invoice(who, await tx.invoice(asked.invoice_id, for_update=True))
        if provider is None:
            raise OnlinePaymentOff("Le paiement en ligne n'est pas proposé pour le moment. Vous pouvez régler votre "
                                   "facture auprès de votre structure.")
        if invoice.remaining_cents <= 0:
            raise AlreadyPaid("Cette facture est déjà réglée.")
        checkout = await provider.create_checkout(tx, invoice.remaining_cents, f"Facture {invoice.number}",
                                                  return_url, asked.callback_url, cancel_url=cancel_url)
        await tx.insert_payment(rules.Payment(
            id=uuid.uuid4(), family_id=invoice.family_id, structure_id=invoice.structure_id,
            amount_cents=invoice.remaining_cents, method=ONLINE_PAYMENT[0],
            reference=rules.online_reference(invoice.number), provider_ref=checkout.provider_ref,
            invoice_id=invoice.id))
    return checkout


async def provider_called_back(store: Store, outbox: Outbox, provider: PaymentProvider | None, who: Identity,
                               body: bytes, signature: str, now: datetime) -> None:
    """The provider calls back, server to server: trusted only with a valid signature. Paid → the payment
    is received (once, however often told); cancelled → a pending payment is cancelled."""
    access.provider_callback(who)
    if provider is None:
        raise Unknown("Aucun prestataire de paiement n'est configuré.")
    try:
        result = provider.verify_callback(body, signature)
    except InvalidCallback as exc:
        raise CallbackRefused(str(exc)) from None
    async with store.transaction() as tx:
        payment = await tx.payment_by_ref_for_update(result.provider_ref)
        if payment is None:
            raise UnknownPayment("Aucun paiement ne correspond.")
        if result.status == "paid":
            if result.amount_cents != payment.amount_cents:
                raise CallbackRefused("Le montant ne correspond pas.")
            await receive(tx, outbox, payment.id, now)
        elif payment.status == "pending":
            await tx.mark_cancelled(payment.id)


# -- the local test provider (development and tests only: PORTAIL_TEST_PAYMENT_PROVIDER) --------------------
def only_test_provider(provider: PaymentProvider | None) -> TestProvider:
    """The test provider's pages exist only when it is the provider."""
    if not isinstance(provider, TestProvider):
        raise Unknown("Page introuvable.")
    return provider


async def checkout_page(store: Store, provider: PaymentProvider | None, who: Identity, ref: str) -> TestCheckout:
    """What the provider's page shows (the gateway renders it): for the paying family only."""
    only_test_provider(provider)
    async with store.reading() as tx:
        access.checkout_payer(who, await tx.payer_of(ref))
        checkout = await tx.checkout(ref)
    if checkout is None or checkout.status != "open":
        raise Unknown(FINISHED)
    return checkout


async def settle_checkout(store: Store, provider: PaymentProvider | None, who: Identity, ref: str, paid: bool,
                          identity_secret: str) -> str:
    """The paying family pressed "Payer" or "Annuler" on the provider's page: where to send it next."""
    test = only_test_provider(provider)
    refused = None
    async with store.transaction() as tx:
        access.checkout_payer(who, await tx.payer_of(ref))
        try:
            target = await test.settle(tx, ref, paid, identity_secret)
        except InvalidCallback as exc:  # the checkout stays settled: the portal said no
            target, refused = None, str(exc)
    if refused is not None:
        raise NotConfirmed(refused)
    if target is None:
        raise Unknown(FINISHED)
    return target
