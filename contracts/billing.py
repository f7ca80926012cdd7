"""Events published by the billing service."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import ConfigDict, Field

from contracts.envelope import Message

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
    method: Literal["cash", "cheque", "card", "cesu", "transfer", "online"]
    reference: str
    received_at: dt.datetime
