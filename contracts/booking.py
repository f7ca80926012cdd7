"""Events published by the booking service.

The transmission and the waiting-list promotion exist twice: version 1 (internal exchange) names the
child, for the portal's own mails (notify's digest and promotion mail) and consumption lines
(billing); version 2 (public exchange) carries identifiers and facts only, for other systems (the
central kitchen counts meals, it does not need to know whose)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import INTERNAL, Message

# Example payloads, shown in contracts/asyncapi.json (and checked valid by the unit tests).
EXAMPLE_LINE = {
    "booking_id": "5f0c6f52-8f1e-4a3b-9d4e-2b7c1a9e0d11",
    "child_id": "a3d2c1b0-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "child_first_name": "Lina",
    "child_last_name": "Martin",
    "activity_id": "0e1d2c3b-4a59-4687-a9b8-c7d6e5f40312",
    "activity_name": "APS MATIN",
    "date": "2025-09-08",
    "kind": "reserve",
    "outcome": "accepted",
    "arrival": None,
    "departure": None,
    "unit_price_cents": 280,
    "quantity": 1,
    "total_cents": 280,
}
NO_PRICE = {"unit_price_cents": None, "quantity": None, "total_cents": None}

# What an accepted reservation costs, settled by the transmission of its acceptance (docs/adr/0003): the
# price the family's follow-up shows and billing charges. Added in 0.2, optional: absent on other lines,
# on a day without a tariff, and in events of earlier producers (billing then prices the line itself).
UNIT_PRICE = Field(default=None, ge=0, description="Accepted reservations: price per unit, in cents.")
QUANTITY = Field(default=None, ge=1, description="Accepted reservations: units charged (1 per session, or "
                                                  "started half-hours / hours).")
TOTAL = Field(default=None, ge=0, description="Accepted reservations: what the day costs, in cents "
                                               "(unit_price_cents × quantity).")


class TransmittedLine(BaseModel):
    """One movement of the night: a booking or a cancellation request and what became of it."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [EXAMPLE_LINE]})

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
    unit_price_cents: int | None = UNIT_PRICE
    quantity: int | None = QUANTITY
    total_cents: int | None = TOTAL


EXAMPLE = {
    "transmission_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    "family_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "structure_id": "9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978",
    "structure_name": "Mairie de CarteVille",
    "transmitted_at": "2025-09-05T02:00:00Z",
    "lines": [
        EXAMPLE_LINE,
        {**EXAMPLE_LINE, "booking_id": "6a1d7e63-9f2a-4b4c-8e5f-3c8d2b0a1e22", "date": "2025-09-09",
         "kind": "cancel", "outcome": "cancelled", **NO_PRICE},
    ],
}


class BookingTransmittedV1(Message):
    """Private: the night's transmitted movements of one family on one structure, naming the children.
    Until 0.1 this version was public; the public exchange now carries BookingTransmittedV2."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    TYPE = "booking.transmitted"
    VERSION = 1
    EXCHANGE = INTERNAL
    DESCRIPTION = (
        "Internal only: nightly transmission of one family on one structure, with the children's names. "
        "Triggers the morning digest (notify) and the consumption records (billing)."
    )

    transmission_id: uuid.UUID
    family_id: uuid.UUID
    structure_id: uuid.UUID
    structure_name: str = Field(examples=["Mairie de CarteVille"])
    transmitted_at: dt.datetime
    lines: list[TransmittedLine] = Field(min_length=1)


PROMOTED_EXAMPLE = {
    "booking_id": "5f0c6f52-8f1e-4a3b-9d4e-2b7c1a9e0d11",
    "family_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "structure_id": "9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978",
    "child_id": "a3d2c1b0-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "child_first_name": "Lina",
    "child_last_name": "Martin",
    "activity_id": "0e1d2c3b-4a59-4687-a9b8-c7d6e5f40312",
    "activity_name": "APS MATIN",
    "date": "2025-09-08",
    "arrival": None,
    "departure": None,
    "promoted_at": "2025-09-03T18:12:00Z",
}


class BookingWaitlistPromotedV1(Message):
    """Private: a place freed up and the first request on that day's waiting list was accepted, naming
    the child for the family's mail (notify). The public exchange carries BookingWaitlistPromotedV2."""

    model_config = ConfigDict(json_schema_extra={"examples": [PROMOTED_EXAMPLE]})

    TYPE = "booking.waitlist_promoted"
    VERSION = 1
    EXCHANGE = INTERNAL
    DESCRIPTION = ("Internal only: a booking on a waiting list was accepted because a place freed up, with "
                   "the child's name; notify tells the family by mail.")

    booking_id: uuid.UUID
    family_id: uuid.UUID
    structure_id: uuid.UUID
    child_id: uuid.UUID
    child_first_name: str
    child_last_name: str
    activity_id: uuid.UUID
    activity_name: str
    date: dt.date
    arrival: dt.time | None = None
    departure: dt.time | None = None
    promoted_at: dt.datetime


EXAMPLE_LINE_V2 = {k: v for k, v in EXAMPLE_LINE.items() if k not in ("child_first_name", "child_last_name")}


class TransmittedLineV2(BaseModel):
    """One movement of the night, by identifiers: which booking, child, activity and day, and what
    became of it."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [EXAMPLE_LINE_V2]})

    booking_id: uuid.UUID
    child_id: uuid.UUID
    activity_id: uuid.UUID
    activity_name: str = Field(examples=["APS MATIN"])
    date: dt.date
    kind: Literal["reserve", "cancel"] = Field(description="Booking request or cancellation request.")
    outcome: Literal["accepted", "waitlisted", "refused", "cancelled"]
    arrival: dt.time | None = Field(default=None, description="Time-entry activities only.")
    departure: dt.time | None = None
    unit_price_cents: int | None = UNIT_PRICE
    quantity: int | None = QUANTITY
    total_cents: int | None = TOTAL


EXAMPLE_V2 = {**EXAMPLE, "lines": [
    EXAMPLE_LINE_V2,
    {**EXAMPLE_LINE_V2, "booking_id": "6a1d7e63-9f2a-4b4c-8e5f-3c8d2b0a1e22", "date": "2025-09-09",
     "kind": "cancel", "outcome": "cancelled", **NO_PRICE},
]}


class BookingTransmittedV2(Message):
    """The night's transmitted movements of one family on one structure, by identifiers."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_V2]})

    TYPE = "booking.transmitted"
    VERSION = 2
    DESCRIPTION = (
        "Nightly transmission: every movement of one family on one structure, with its outcome "
        "(identifiers, activity, day and times; never the child's name)."
    )

    transmission_id: uuid.UUID
    family_id: uuid.UUID
    structure_id: uuid.UUID
    structure_name: str = Field(examples=["Mairie de CarteVille"])
    transmitted_at: dt.datetime
    lines: list[TransmittedLineV2] = Field(min_length=1)

    @classmethod
    def of(cls, private: BookingTransmittedV1) -> BookingTransmittedV2:
        """The public view of the private event."""
        return cls(**private.model_dump(exclude={"lines"}), lines=[
            TransmittedLineV2(**line.model_dump(exclude={"child_first_name", "child_last_name"}))
            for line in private.lines])


PROMOTED_V2_EXAMPLE = {k: v for k, v in PROMOTED_EXAMPLE.items() if k not in ("child_first_name", "child_last_name")}


class BookingWaitlistPromotedV2(Message):
    """A place freed up: the first request on that day's waiting list was accepted (identifiers)."""

    model_config = ConfigDict(json_schema_extra={"examples": [PROMOTED_V2_EXAMPLE]})

    TYPE = "booking.waitlist_promoted"
    VERSION = 2
    DESCRIPTION = ("A booking on a waiting list was accepted because a place freed up (identifiers, activity, "
                   "day; never the child's name).")

    booking_id: uuid.UUID
    family_id: uuid.UUID
    structure_id: uuid.UUID
    child_id: uuid.UUID
    activity_id: uuid.UUID
    activity_name: str
    date: dt.date
    arrival: dt.time | None = None
    departure: dt.time | None = None
    promoted_at: dt.datetime

    @classmethod
    def of(cls, private: BookingWaitlistPromotedV1) -> BookingWaitlistPromotedV2:
        """The public view of the private event."""
        return cls(**private.model_dump(exclude={"child_first_name", "child_last_name"}))


BOOKING_STATE_EXAMPLE = {
    "booking_id": "5f0c6f52-8f1e-4a3b-9d4e-2b7c1a9e0d11",
    "family_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "structure_id": "9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978",
    "child_id": "a3d2c1b0-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "activity_id": "0e1d2c3b-4a59-4687-a9b8-c7d6e5f40312",
    "activity_name": "APS MATIN",
    "date": "2025-09-08",
    "arrival": "07:30:00",
    "departure": "08:30:00",
    "status": "accepted",
    "updated_at": "2025-09-05T02:00:00Z",
    "unit_price_cents": 112,
    "quantity": 1,
    "total_cents": 112,
}


class BookingStateV1(Message):
    """The current transmitted state of one booking (a snapshot, republished by a resync): what its latest
    transmitted movement said. A consumer keeps the newest by `updated_at` and ignores an older one."""

    model_config = ConfigDict(json_schema_extra={"examples": [BOOKING_STATE_EXAMPLE]})

    TYPE = "booking.booking_state"
    VERSION = 1
    DESCRIPTION = ("The current transmitted state of a booking (identifiers, activity, day, times, outcome), "
                   "republished by a resync so that a late or damaged subscriber catches up; never the "
                   "child's name.")

    booking_id: uuid.UUID
    family_id: uuid.UUID
    structure_id: uuid.UUID
    child_id: uuid.UUID
    activity_id: uuid.UUID
    activity_name: str
    date: dt.date
    arrival: dt.time | None = None
    departure: dt.time | None = None
    status: Literal["accepted", "waitlisted", "refused", "cancelled"] = Field(
        description="The outcome of the latest transmitted movement: accepted means the day is consumed.")
    updated_at: dt.datetime = Field(description="The version: when that movement was recorded.")
    unit_price_cents: int | None = UNIT_PRICE
    quantity: int | None = QUANTITY
    total_cents: int | None = TOTAL
