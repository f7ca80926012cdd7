"""Events published by the booking service."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import Message


class TransmittedLine(BaseModel):
    """One movement of the night: a booking or a cancellation request and what became of it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    booking_id: uuid.UUID
    child_id: uuid.UUID
    child_first_name: str
    child_last_name: str
    activity_id: uuid.UUID
    activity_name: str = Field(examples=["APS MATIN"])
    date: dt.date
    kind: Literal["reserve", "cancel"] = Field(description="Booking request or cancellation request.")
    outcome: Literal["accepted", "waitlisted", "refused", "cancelled"]
    arrival: dt.time | None = Field(default=None, description="Time-entry activities only.")
    departure: dt.time | None = None


class BookingTransmittedV1(Message):
    """The night's transmitted movements of one family on one structure."""

    TYPE = "booking.transmitted"
    VERSION = 1
    DESCRIPTION = (
        "Nightly transmission: every movement of one family on one structure, with its outcome. "
        "Triggers the morning digest (notify) and the consumption records (billing)."
    )

    transmission_id: uuid.UUID
    family_id: uuid.UUID
    structure_id: uuid.UUID
    structure_name: str = Field(examples=["Mairie de CarteVille"])
    transmitted_at: dt.datetime
    lines: list[TransmittedLine] = Field(min_length=1)
