"""Billing (billing, through the gateway): tariffs, consumptions, invoices, payments."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.billing import DeskMethod


class BracketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    qf_max: int | None = Field(default=None, ge=0, description="Quotient familial maximal (inclus) ; nul : sans borne.")
    price_cents: int = Field(ge=0, description="Prix unitaire, en centimes.")


class TariffIn(BaseModel):
    structure_id: uuid.UUID
    activity_id: uuid.UUID
    activity_name: str = Field(min_length=1, max_length=120)
    effective_from: date
    unit: Literal["session", "half_hour", "hour"] = "session"
    brackets: list[BracketIn] = Field(min_length=1, max_length=20)
    reduced_from_rank: int | None = Field(default=None, ge=2)


class TariffOut(BaseModel):
    tariff_id: str


class FamilyQuery(BaseModel):
    family_id: uuid.UUID | None = Field(default=None, description="La famille (personnel et administrateurs).")


class ConsumptionsQuery(FamilyQuery):
    month: str | None = Field(default=None, max_length=20, description="AAAA-MM ; par défaut le mois en cours.")
    q: str | None = Field(default=None, max_length=200, description="Recherche (enfant, activité).")


class ConsumptionLine(BaseModel):
    date: str
    day: str
    last_name: str
    first_name: str
    activity: str
    unit_price: str
    quantity: float | int
    total: str
    total_cents: int


class JustifiedAbsenceLine(BaseModel):
    """Issue 19: a booked day of an accepted declared absence."""

    date: str
    day: str
    last_name: str
    first_name: str
    activity: str
    charged: bool
    label: str


class ConsumptionsOut(BaseModel):
    month: str
    label: str
    previous: str
    next: str
    lines: list[ConsumptionLine]
    total_cents: int
    total: str
    absences: list[JustifiedAbsenceLine] = []


class InvoiceOut(BaseModel):
    id: str
    number: str
    period: str
    period_start: str
    issued_on: str
    due_on: str
    total_cents: int
    paid_cents: int
    remaining_cents: int
    status: Literal["paid", "due", "overdue"]
    status_label: str
    total: str
    remaining: str
    online_payment: bool = Field(description="Payable en ligne : sa structure a un module de paiement.")


class PaymentOut(BaseModel):
    id: str
    amount: str
    amount_cents: int
    method: str
    reference: str | None
    received_at: str


class OnlineTransaction(BaseModel):
    """An online payment through eopayment and the state its backend reported."""

    payment_id: uuid.UUID
    structure_id: uuid.UUID
    family_id: uuid.UUID
    backend: str
    transaction_id: str
    invoice_number: str
    amount_cents: int
    amount: str
    state: Literal["pending", "paid", "denied", "cancelled", "expired", "error"]
    state_label: str = Field(description="En attente, Payé, Refusé, Annulé, Expiré, En erreur.")
    bank_status: str
    notifications: int = Field(description="Les notifications du module reçues pour elle.")
    created_at: str | None
    updated_at: str | None


class InvoicesOut(BaseModel):
    invoices: list[InvoiceOut]
    payments: list[PaymentOut]
    online_payment: bool
    online_transactions: list[OnlineTransaction] = Field(description="Les derniers paiements en ligne, tous états.")
    invoiced_cents: int
    paid_cents: int
    balance_cents: int
    balance: str


class IssueIn(BaseModel):
    month: str | None = Field(default=None, max_length=20,
                              description="AAAA-MM: a closed month (refused until it is over); by default last month.")


class IssueOut(BaseModel):
    invoices: int
    total_cents: int
    month: str = Field(default="", description="The month invoiced (AAAA-MM).")


class PaymentIn(BaseModel):
    family_id: uuid.UUID
    structure_id: uuid.UUID
    amount: str = Field(max_length=20, description="En euros, par exemple 78,77.")
    method: DeskMethod  # contracts.billing.PAYMENT_METHODS
    reference: str = Field(default="", max_length=80)


class PaymentRecorded(BaseModel):
    payment_id: str
    reference: str


class OnlineIn(BaseModel):
    invoice_id: uuid.UUID
    email: str = Field(default="", max_length=200,
                       description="L'adresse de la famille, transmise au module de paiement (PayFiP en demande une).")


class OnlineOut(BaseModel):
    redirect_url: str = Field(description="La page du module de paiement de la structure (eopayment).")


class PaymentBackendQuery(BaseModel):
    backend: str | None = Field(default=None, max_length=40, description="Le module dont afficher les paramètres.")


class PaymentBackendIn(BaseModel):
    backend: str = Field(min_length=1, max_length=40, description="Un module d'eopayment (payfip_ws, tipi, "
                                                                  "systempayv2, … ; dummy en développement).")
    options: dict[str, str] = Field(default_factory=dict, max_length=40,
                                    description="Ses paramètres ; un secret laissé vide garde la valeur enregistrée.")


class PaymentBackendParameter(BaseModel):
    name: str
    caption: str
    required: bool
    default: str
    choices: list[str]
    kind: Literal["str", "bool", "int"]
    secret: bool
    value: str | bool | int = Field(description="La valeur enregistrée ; un secret n'est jamais rendu en clair.")


class PaymentBackendChoice(BaseModel):
    name: str
    caption: str


class PaymentBackendOut(BaseModel):
    backend: str | None = Field(description="Le module en service ; nul : aucun.")
    chosen: str
    backends: list[PaymentBackendChoice]
    parameters: list[PaymentBackendParameter]


class OnlineTransactionOut(OnlineTransaction):
    structure_name: str
    family: str


class OnlineTransactionsOut(BaseModel):
    transactions: list[OnlineTransactionOut]


class NotificationIn(BaseModel):
    """A payment backend's notification: its form (or query string) as the backend sends it, parsed and
    checked by eopayment."""

    model_config = ConfigDict(extra="allow")
