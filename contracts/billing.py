"""Events published by the billing service."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import ConfigDict, Field

from contracts.envelope import Message
from contracts.pricing import Tariff

# The ways a family pays, with the French label every screen, mail and receipt shows: written here once
# (billing validates with them, the gateway and its pages label with them). The first five are recorded
# at a structure's desk by its staff; "online" is only ever the provider's (a checkout started by the
# family, confirmed by the provider's signed callback).
PAYMENT_METHODS: tuple[tuple[str, str], ...] = (
    ("cash", "Espèces"),
    ("cheque", "Chèque"),
    ("card", "Carte bancaire"),
    ("cesu", "CESU"),
    ("transfer", "Virement"),
)
ONLINE_PAYMENT: tuple[str, str] = ("online", "Paiement en ligne")
PAYMENT_METHOD_LABELS: dict[str, str] = dict((*PAYMENT_METHODS, ONLINE_PAYMENT))
# Literal[(a, b, …)] is Literal[a, b, …]: the codes above, as types for the request and event models.
DeskMethod = Literal[tuple(code for code, _ in PAYMENT_METHODS)]  # type: ignore[valid-type]
PaymentMethod = Literal[tuple(PAYMENT_METHOD_LABELS)]  # type: ignore[valid-type]

PAYMENT_EXAMPLE = {
    "payment_id": "0b8f3c2e-7d6a-4e5f-9a8b-1c2d3e4f5a6b",
    "family_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "structure_id": "9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978",
    "structure_name": "Mairie de CarteVille",
    "amount_cents": 7877,
    "method": "card",
    "reference": "PF-2025-000123",
    "received_at": "2025-12-20T14:05:00Z",
}


class BillingPaymentReceivedV1(Message):
    """A payment (règlement) was recorded for a family."""

    model_config = ConfigDict(json_schema_extra={"examples": [PAYMENT_EXAMPLE]})

    TYPE = "billing.payment_received"
    VERSION = 1
    DESCRIPTION = "A family's payment was received (cash, cheque, card, CESU, transfer or online)."

    payment_id: uuid.UUID
    family_id: uuid.UUID
    structure_id: uuid.UUID
    structure_name: str
    amount_cents: int = Field(gt=0)
    method: PaymentMethod
    reference: str
    received_at: dt.datetime


TARIFF_EXAMPLE = {
    "structure_id": "9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978",
    "activity_name": "REPAS SCOLAIRE",
    "tariff": {
        "tariff_id": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
        "activity_id": "0e1d2c3b-4a59-4687-a9b8-c7d6e5f40312",
        "effective_from": "2025-09-01",
        "unit": "session",
        "brackets": [{"qf_max": 700, "price_cents": 250, "reduced_price_cents": 210},
                     {"qf_max": None, "price_cents": 359, "reduced_price_cents": 298}],
        "reduced_from_rank": 2,
    },
}


class BillingTariffPublishedV1(Message):
    """A version of an activity's tariff (applies from its date on). Booking keeps a copy to show
    costs with the same rule (contracts.pricing)."""

    model_config = ConfigDict(json_schema_extra={"examples": [TARIFF_EXAMPLE]})

    TYPE = "billing.tariff_published"
    VERSION = 1
    DESCRIPTION = ("A tariff version of an activity: brackets by quotient familial, unit, reduced price from a "
                   "child rank. Prices are computed with contracts/pricing.py.")

    structure_id: uuid.UUID
    activity_name: str
    tariff: Tariff


CONSUMPTION_EXAMPLE = {
    "consumption_id": "e5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7a8b",
    "family_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "structure_id": "9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978",
    "child_id": "a3d2c1b0-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "booking_id": "5f0c6f52-8f1e-4a3b-9d4e-2b7c1a9e0d11",
    "activity_id": "0e1d2c3b-4a59-4687-a9b8-c7d6e5f40312",
    "activity_name": "REPAS SCOLAIRE",
    "date": "2019-12-20",
    "unit_price_cents": 359,
    "quantity": 1,
    "total_cents": 359,
}


class BillingConsumptionRecordedV1(Message):
    """A consumption line was recorded (a negative total is a credit after a cancellation)."""

    model_config = ConfigDict(json_schema_extra={"examples": [CONSUMPTION_EXAMPLE]})

    TYPE = "billing.consumption_recorded"
    VERSION = 1
    DESCRIPTION = "A consumption (or a credit) was recorded for a child; for the treasury and other systems."

    consumption_id: uuid.UUID
    family_id: uuid.UUID
    structure_id: uuid.UUID
    child_id: uuid.UUID
    booking_id: uuid.UUID
    activity_id: uuid.UUID
    activity_name: str
    date: dt.date
    unit_price_cents: int
    quantity: int
    total_cents: int


INVOICE_EXAMPLE = {
    "invoice_id": "f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b",
    "number": "F2025-000123",
    "family_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "structure_id": "9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978",
    "period_start": "2025-12-01",
    "period_end": "2025-12-31",
    "total_cents": 7877,
    "issued_on": "2026-01-02",
    "due_on": "2026-01-31",
}


class BillingInvoiceIssuedV1(Message):
    """A monthly invoice was issued for a family."""

    model_config = ConfigDict(json_schema_extra={"examples": [INVOICE_EXAMPLE]})

    TYPE = "billing.invoice_issued"
    VERSION = 1
    DESCRIPTION = "A family's monthly invoice was issued (number, period, total, due date)."

    invoice_id: uuid.UUID
    number: str
    family_id: uuid.UUID
    structure_id: uuid.UUID
    period_start: dt.date
    period_end: dt.date
    total_cents: int
    issued_on: dt.date
    due_on: dt.date
