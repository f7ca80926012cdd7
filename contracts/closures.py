"""Events of a mass closure (strike, weather, a closed school): staff close an activity or a whole structure
for a day or a range; every booking on those days is cancelled (its cancellation goes out in the night's
transmission, so billing removes or credits the charge as for any cancellation) and the waiting lists of those
days are cleared.

`booking.closed` and `booking.reopened` are public (identifiers and facts: the kitchen stops counting the
meals of the cancelled bookings); `booking.closure_notice` is private, one per family, naming its children
and their days for the family's one mail (notify)."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import INTERNAL, Message

CLOSED_EXAMPLE = {
    "closure_id": "1b4e28ba-2fa1-41d2-883f-0016d3cca427",
    "structure_id": "9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978",
    "structure_name": "Mairie de CarteVille",
    "activity_id": None,
    "start": "2025-10-13",
    "end": "2025-10-14",
    "label": "Grève",
    "closed_at": "2025-10-10T14:05:00Z",
    "cancelled_booking_ids": ["5f0c6f52-8f1e-4a3b-9d4e-2b7c1a9e0d11"],
}


class BookingClosedV1(Message):
    """Staff closed an activity (or the whole structure when `activity_id` is null) from `start` to `end`."""

    model_config = ConfigDict(json_schema_extra={"examples": [CLOSED_EXAMPLE]})

    TYPE = "booking.closed"
    VERSION = 1
    DESCRIPTION = ("Mass closure (strike, weather, closed school): an activity or a whole structure is closed "
                   "for a day or a range; every booking on those days is cancelled (listed by identifier) and "
                   "the waiting lists cleared. The cancellations also go out in the night's transmission.")

    closure_id: uuid.UUID
    structure_id: uuid.UUID
    structure_name: str
    activity_id: uuid.UUID | None = Field(description="The closed activity; null: the whole structure.")
    start: dt.date
    end: dt.date
    label: str = Field(examples=["Grève"])
    closed_at: dt.datetime
    cancelled_booking_ids: list[uuid.UUID] = Field(
        description="Every booking cancelled by the closure (accepted, waiting list or waiting for an answer).")


REOPENED_EXAMPLE = {k: CLOSED_EXAMPLE[k] for k in ("closure_id", "structure_id", "activity_id", "start", "end")} | {
    "reopened_at": "2025-10-11T09:00:00Z"}


class BookingReopenedV1(Message):
    """Staff re-opened before its first day what a closure had closed: the days may be booked again (the
    bookings it cancelled stay cancelled)."""

    model_config = ConfigDict(json_schema_extra={"examples": [REOPENED_EXAMPLE]})

    TYPE = "booking.reopened"
    VERSION = 1
    DESCRIPTION = ("A mass closure withdrawn before its first day: the days open for booking again; the "
                   "bookings it cancelled stay cancelled.")

    closure_id: uuid.UUID
    structure_id: uuid.UUID
    activity_id: uuid.UUID | None = None
    start: dt.date
    end: dt.date
    reopened_at: dt.datetime


class ClosedDay(BaseModel):
    """One cancelled day of one child."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    child_first_name: str
    child_last_name: str
    activity_name: str
    date: dt.date


NOTICE_EXAMPLE = {
    "closure_id": CLOSED_EXAMPLE["closure_id"],
    "family_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "structure_id": CLOSED_EXAMPLE["structure_id"],
    "structure_name": "Mairie de CarteVille",
    "label": "Grève",
    "days": [{"child_first_name": "Lina", "child_last_name": "Martin", "activity_name": "RESTAURATION SCOLAIRE",
              "date": "2025-10-13"}],
}


class BookingClosureNoticeV1(Message):
    """Private: what a closure cancelled for one family, naming its children, for its one mail (notify)."""

    model_config = ConfigDict(json_schema_extra={"examples": [NOTICE_EXAMPLE]})

    TYPE = "booking.closure_notice"
    VERSION = 1
    EXCHANGE = INTERNAL
    DESCRIPTION = ("Internal only: the days of one family's children cancelled by a mass closure; notify sends "
                   "the family one mail listing them.")

    closure_id: uuid.UUID
    family_id: uuid.UUID
    structure_id: uuid.UUID
    structure_name: str
    label: str
    days: list[ClosedDay] = Field(min_length=1)
