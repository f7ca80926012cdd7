"""The automatic reminders (issue 19), both private (they name a family for its mail, which only notify can
send): a family that has not booked a booking period some days before its deadline (`booking.reminder_due`),
and a family whose dossier is incomplete some days before the campaign closes (`dossier.closing_reminder`).
The producer says which families are due (its rules, its data); notify mails each family at most once per
`reason_key` (its unique key), never a family that turned reminders off."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import ConfigDict, Field

from contracts.envelope import INTERNAL, Message

BOOKING_REMINDER_EXAMPLE = {
    "family_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "structure_id": "9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978",
    "structure_name": "Mairie de CarteVille",
    "reason_key": "reservation:6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b:2026-02-09",
    "activity_name": "ALSH VACANCES",
    "period_label": "Vacances d'hiver",
    "period_start": "2026-02-09",
    "period_end": "2026-02-20",
    "deadline": "2026-02-05T10:00:00+01:00",
    "due_at": "2026-01-29T07:00:00Z",
}


class BookingReminderDueV1(Message):
    """Private: a family with a child enrolled in an activity has booked none of its days of a booking period
    (e.g. the holiday centre's winter holidays), whose deadline is near."""

    model_config = ConfigDict(json_schema_extra={"examples": [BOOKING_REMINDER_EXAMPLE]})

    TYPE = "booking.reminder_due"
    VERSION = 1
    EXCHANGE = INTERNAL
    DESCRIPTION = ("Internal only: a family has not booked a booking period whose deadline is near; notify "
                   "mails it once per reason_key, unless the family turned reminders off.")

    family_id: uuid.UUID
    structure_id: uuid.UUID
    structure_name: str
    reason_key: str = Field(max_length=200, description="One mail per family and reason_key, ever.")
    activity_name: str
    period_label: str
    period_start: dt.date
    period_end: dt.date
    deadline: dt.datetime
    due_at: dt.datetime


DOSSIER_CLOSING_EXAMPLE = {
    "family_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "structure_id": "9b2f4e1a-6c3d-4b8e-a0f1-2d3c4b5a6978",
    "structure_name": "Mairie de CarteVille",
    "reason_key": "dossier:2026-2027",
    "school_year": "2026-2027",
    "closes_on": "2026-09-30",
    "due_at": "2026-09-23T07:00:00Z",
}


class DossierClosingReminderV1(Message):
    """Private: the dossier campaign closes soon and the family's dossier is incomplete."""

    model_config = ConfigDict(json_schema_extra={"examples": [DOSSIER_CLOSING_EXAMPLE]})

    TYPE = "dossier.closing_reminder"
    VERSION = 1
    EXCHANGE = INTERNAL
    DESCRIPTION = ("Internal only: the dossier campaign closes soon and the family's dossier is incomplete; "
                   "notify mails it once per reason_key, unless the family turned reminders off.")

    family_id: uuid.UUID
    structure_id: uuid.UUID
    structure_name: str
    reason_key: str = Field(max_length=200, description="One mail per family and reason_key, ever.")
    school_year: str
    closes_on: dt.date
    due_at: dt.datetime
