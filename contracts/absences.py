"""Events of a declared absence (illness): a family declares its child absent on booked days, even after the
cancellation deadline, with a medical certificate; staff of the structure accept or refuse it. Accepted, its
days are « absence justifiée »: not charged, or credited if already invoiced, except the days of the
structure's waiting period (« délai de carence », e.g. the first day), which stay charged.

Version 1 (internal exchange) names the child, for the family's digest (notify) and the consumption history
(billing); version 2 (public exchange) carries identifiers and facts only."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from contracts.envelope import INTERNAL, Message

DAY_EXAMPLE = {
    "booking_id": "5f0c6f52-8f1e-4a3b-9d4e-2b7c1a9e0d11",
    "activity_id": "0e1d2c3b-4a59-4687-a9b8-c7d6e5f40312",
    "activity_name": "RESTAURATION SCOLAIRE",
    "date": "2025-10-13",
    "charged": True,
}


class AbsentDay(BaseModel):
    """One booked day of the absence and whether it stays charged (the waiting period)."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [DAY_EXAMPLE]})

    booking_id: uuid.UUID
    activity_id: uuid.UUID
    activity_name: str
    date: dt.date
    charged: bool = Field(description="True: a day of the waiting period, charged; False: not charged (credited "
                                      "if already invoiced).")


EXAMPLE = {
    "absence_id": "2c1f7a7e-35a4-4b0e-9d0a-6a5f0e3b7c11",
    "family_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "structure_id": "9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978",
    "structure_name": "Mairie de CarteVille",
    "child_id": "a3d2c1b0-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "child_first_name": "Lina",
    "child_last_name": "Martin",
    "start": "2025-10-13",
    "end": "2025-10-14",
    "waiting_days": 1,
    "justified_at": "2025-10-15T09:30:00Z",
    "days": [DAY_EXAMPLE, {**DAY_EXAMPLE, "booking_id": "6a1d7e63-9f2a-4b4c-8e5f-3c8d2b0a1e22", "date": "2025-10-14",
                           "charged": False}],
}


class BookingAbsenceJustifiedV1(Message):
    """Private: staff accepted a declared absence; its booked days with whether each stays charged, naming the
    child (billing's history, notify's digest). The public exchange carries BookingAbsenceJustifiedV2."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE]})

    TYPE = "booking.absence_justified"
    VERSION = 1
    EXCHANGE = INTERNAL
    DESCRIPTION = ("Internal only: a declared absence accepted by staff (« absence justifiée »), with the child's "
                   "name: billing removes or credits the days not charged, notify reports it in the next digest.")

    absence_id: uuid.UUID
    family_id: uuid.UUID
    structure_id: uuid.UUID
    structure_name: str
    child_id: uuid.UUID
    child_first_name: str
    child_last_name: str
    start: dt.date
    end: dt.date
    waiting_days: int = Field(ge=0, description="The structure's waiting period: its first booked days stay charged.")
    justified_at: dt.datetime
    days: list[AbsentDay] = Field(min_length=1)


class BookingAbsenceJustifiedV2(Message):
    """A declared absence accepted by staff, by identifiers (never the child's name nor any health detail)."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {k: v for k, v in EXAMPLE.items() if k not in ("child_first_name", "child_last_name")}]})

    TYPE = "booking.absence_justified"
    VERSION = 2
    DESCRIPTION = ("A declared absence (illness) accepted by staff: its booked days, each charged (waiting period) "
                   "or not; identifiers only, never the child's name nor any health detail.")

    absence_id: uuid.UUID
    family_id: uuid.UUID
    structure_id: uuid.UUID
    structure_name: str
    child_id: uuid.UUID
    start: dt.date
    end: dt.date
    waiting_days: int = Field(ge=0)
    justified_at: dt.datetime
    days: list[AbsentDay] = Field(min_length=1)

    @classmethod
    def of(cls, private: BookingAbsenceJustifiedV1) -> BookingAbsenceJustifiedV2:
        """The public view of the private event."""
        return cls(**private.model_dump(exclude={"child_first_name", "child_last_name"}))
