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


class ConsumptionsOut(BaseModel):
    month: str
    label: str
    previous: str
    next: str
    lines: list[ConsumptionLine]
    total_cents: int
    total: str


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


class PaymentOut(BaseModel):
    id: str
    amount: str
    amount_cents: int
    method: str
    reference: str | None
    received_at: str


class InvoicesOut(BaseModel):
    invoices: list[InvoiceOut]
    payments: list[PaymentOut]
    online_payment: bool
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
    return_url: str = Field(max_length=500, description="Une page du portail.")
    cancel_url: str | None = Field(default=None, max_length=500, description="Par défaut : l'adresse de retour.")


class OnlineOut(BaseModel):
    redirect_url: str


class CallbackIn(BaseModel):
    """The provider's signed notice (its exact form is the provider's; signed in X-Signature)."""

    model_config = ConfigDict(extra="allow")
