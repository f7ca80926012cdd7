"""Online payment through eopayment: a structure's backend and options (its staff), the family starting to
pay an invoice (a pending transaction recorded before the redirect), the backend's notification and the
return from the bank (both parsed and checked by eopayment; paid once, however often told), the reconcile
job for transactions left pending, and the transactions staff and the family see."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from contracts.billing import ONLINE_PAYMENT
from kit.identity import Identity
from kit.logging import get_logger
from services.billing import access
from services.billing.domain import online as rules
from services.billing.domain.errors import (
    AlreadyPaid,
    CallbackRefused,
    OnlinePaymentOff,
    Unknown,
    UnknownPayment,
)
from services.billing.domain.payments import Payment, online_reference
from services.billing.service import Outbox
from services.billing.service.payments import receive
from services.billing.store import Store, Tx

log = get_logger(__name__)
OFF = ("Le paiement en ligne n'est pas proposé pour le moment. Vous pouvez régler votre facture auprès de "
       "votre structure.")
NOT_CONFIGURED = "Aucun module de paiement n'est configuré pour cette structure."


# -- a structure's backend (staff) -------------------------------------------------------------------------
@dataclass(frozen=True)
class BackendForm:
    backend: str | None  # the one in use, None: none yet
    chosen: str  # the one whose parameters are shown
    backends: list[tuple[str, str]]  # (name, caption) staff may choose from
    parameters: list[rules.Parameter]
    shown: dict[str, object]  # the options, secrets masked


async def backend_form(store: Store, backends, who: Identity, structure_id: uuid.UUID,
                       asked: str | None) -> BackendForm:
    access.backend_configurer(who, structure_id)
    async with store.reading() as tx:
        config = await tx.backend_config(structure_id)
    usable = backends.usable()
    chosen = asked if asked in usable else (config.backend if config and config.backend in usable else usable[0])
    parameters = backends.parameters(chosen)
    options = config.options if config and config.backend == chosen else {}
    return BackendForm(config.backend if config else None, chosen, [(b, backends.caption(b)) for b in usable],
                       parameters, rules.shown_options(parameters, options))


async def save_backend(store: Store, backends, who: Identity, structure_id: uuid.UUID, backend: str,
                       typed: Mapping[str, str], now: datetime) -> None:
    """Staff set their structure's backend and its options (a secret left empty keeps the stored one)."""
    access.backend_configurer(who, structure_id)
    rules.check_backend(backend, backends.known(), backends.development)
    async with store.transaction() as tx:
        previous = await tx.backend_config(structure_id)
        options = rules.clean_options(backends.parameters(backend), typed,
                                      previous.options if previous and previous.backend == backend else {})
        await tx.save_backend_config(rules.BackendConfig(structure_id, backend, options), who.subject, now)
    log.info("payment backend set", structure_id=str(structure_id), backend=backend, by=who.subject)


# -- paying ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OnlineStart:
    invoice_id: uuid.UUID
    email: str = ""  # the family's first address, when the gateway knows it (PayFiP asks for one)


async def start_online(store: Store, backends, who: Identity, asked: OnlineStart, now: datetime) -> str:
    """The family starts paying what remains of one of its invoices: eopayment's request, then the pending
    payment and its transaction recorded; returns where to send the family."""
    async with store.reading() as tx:
        invoice = access.payable_invoice(who, await tx.invoice(asked.invoice_id))
        config = await tx.backend_config(invoice.structure_id)
    if config is None or config.backend not in backends.usable():
        raise OnlinePaymentOff(OFF)
    if invoice.remaining_cents <= 0:
        raise AlreadyPaid("Cette facture est déjà réglée.")
    payment_id = uuid.uuid4()
    transaction_id, url = await backends.request(config, invoice.remaining_cents, payment_id.hex, asked.email,
                                                 f"Facture {invoice.number}")
    async with store.transaction() as tx:
        await tx.insert_payment(Payment(
            id=payment_id, family_id=invoice.family_id, structure_id=invoice.structure_id,
            amount_cents=invoice.remaining_cents, method=ONLINE_PAYMENT[0], reference=online_reference(invoice.number),
            provider_ref=f"{config.backend}:{transaction_id}", invoice_id=invoice.id))
        await tx.insert_online_transaction(rules.OnlineTransaction(
            payment_id=payment_id, structure_id=invoice.structure_id, family_id=invoice.family_id,
            backend=config.backend, transaction_id=transaction_id, amount_cents=invoice.remaining_cents,
            invoice_number=invoice.number, created_at=now))
    return url


@dataclass(frozen=True)
class Answered:
    state: str
    result: str  # what the backend said (domain.online.RESULTS)
    return_content: str | None  # what the bank expects as the answer's body, if anything


async def bank_answered(store: Store, outbox: Outbox, backends, who: Identity, structure_id: uuid.UUID,
                        query: str, now: datetime, *, notification: bool) -> Answered:
    """A backend's notification (server to server) or the family's return: eopayment parses and checks it;
    only a signed PAID answer of the transaction's amount receives the payment, once."""
    access.bank_notification(who)
    async with store.reading() as tx:
        config = await tx.backend_config(structure_id)
    if config is None or config.backend not in backends.usable():
        raise Unknown(NOT_CONFIGURED)
    answer, content, bank_data = await backends.response(config, query)
    log.info("payment backend answered", structure_id=str(structure_id), backend=config.backend,
             notification=notification, result=answer.result, signed=answer.signed, bank_status=answer.bank_status,
             bank_data={k: v for k, v in bank_data.items() if "mail" not in k.lower()})
    async with store.transaction() as tx:
        found = await tx.online_transaction_for_update(config.backend, answer.keys())
        if found is None or found.structure_id != structure_id:
            raise UnknownPayment("Aucun paiement ne correspond.")
        state = await _apply(tx, outbox, found, answer, now, notification)
    return Answered(state, answer.result, content)


async def _apply(tx: Tx, outbox: Outbox, found: rules.OnlineTransaction, answer: rules.BankAnswer,
                 now: datetime, notified: bool) -> str:
    verdict = rules.verdict(found, answer)
    if verdict.action == "refuse":
        log.warning("payment answer refused", payment_id=str(found.payment_id), reason=verdict.reason)
        raise CallbackRefused("Le montant ne correspond pas.")
    if verdict.action == "receive":
        await receive(tx, outbox, found.payment_id, now)
    elif verdict.action == "close":
        await tx.mark_cancelled(found.payment_id)
    await tx.set_online_state(found.payment_id, verdict.state, answer.bank_status or found.bank_status, now, notified)
    return verdict.state


# -- the reconcile job --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reconciled:
    asked: int = 0
    paid: int = 0
    closed: int = 0
    expired: int = 0


async def reconcile(store: Store, outbox: Outbox, backends, now: datetime, expiry_minutes: int,
                    limit: int = 500) -> Reconciled:
    """Transactions left pending: the backend is asked where it can (payment_status); the others, and
    those it still calls pending, expire once older than the delay."""
    asked = paid = closed = expired = 0
    async with store.reading() as tx:
        pending = await tx.pending_online_transactions(now, limit)
    for t in pending:
        async with store.reading() as tx:
            config = await tx.backend_config(t.structure_id)
        answer = None
        if config is not None and config.backend == t.backend and t.backend in backends.usable() \
                and backends.has_status(t.backend):
            try:
                answer = await backends.status(config, t)
                asked += 1
            except OnlinePaymentOff:  # the bank's web service is down: try again next time
                log.warning("payment status failed", payment_id=str(t.payment_id))
        async with store.transaction() as tx:
            current = await tx.online_transaction_of_payment(t.payment_id)
            if current is None or current.state != "pending":
                continue
            state = "pending"
            if answer is not None:
                try:
                    state = await _apply(tx, outbox, current, answer, now, False)
                except CallbackRefused:
                    state = "pending"
            if state == "pending" and rules.is_stale(current.created_at, now, expiry_minutes):
                await tx.mark_cancelled(current.payment_id)
                await tx.set_online_state(current.payment_id, "expired", current.bank_status, now, False)
                state = "expired"
        paid += state == "paid"
        closed += state in ("denied", "cancelled")
        expired += state == "expired"
    return Reconciled(asked, paid, closed, expired)


# -- what staff and the family see --------------------------------------------------------------------------------
async def staff_transactions(store: Store, who: Identity, limit: int = 200
                             ) -> list[tuple[rules.OnlineTransaction, str, str]]:
    """The latest online transactions of the caller's structures: (transaction, structure, family)."""
    structures = access.online_transactions_reader(who)
    async with store.reading() as tx:
        found = await tx.online_transactions_of_structures(structures, limit)
        return [(t, await tx.structure_name(t.structure_id), await tx.family_label(t.family_id)) for t in found]

