"""Bookings (booking, through the gateway): what a family sees and books, what staff set up."""

from __future__ import annotations

import uuid
from datetime import date, time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_LINES = 400


# -- the basket -------------------------------------------------------------------------------------------
class Line(BaseModel):
    """One day to book or to cancel for a child and an activity (times for a « saisie temps » activity)."""

    model_config = ConfigDict(extra="forbid")

    child_id: uuid.UUID
    activity_id: uuid.UUID
    date: date
    action: Literal["reserve", "cancel"]
    arrival: time | None = None
    departure: time | None = None


class Basket(BaseModel):
    lines: list[Line] = Field(max_length=MAX_LINES)


class CalendarIn(BaseModel):
    child_id: uuid.UUID
    month: str = Field(pattern=r"^\d{4}-\d{2}$", description="AAAA-MM")
    activity_id: uuid.UUID | None = None
    basket: list[Line] = Field(default_factory=list, max_length=MAX_LINES)


class DayIn(BaseModel):
    child_id: uuid.UUID
    date: date
    basket: list[Line] = Field(default_factory=list, max_length=MAX_LINES)


class QuickIn(BaseModel):
    child_id: uuid.UUID
    activity_id: uuid.UUID
    month: str = Field(pattern=r"^\d{4}-\d{2}$", description="AAAA-MM")
    scope: Literal["day", "week", "weekday", "month"] = Field(
        description="day: a click on one day; week, weekday, month: the guide's quick tools")
    day: date | None = None
    weekday: int | None = Field(default=None, ge=0, le=6)
    basket: list[Line] = Field(default_factory=list, max_length=MAX_LINES)


class CopyIn(BaseModel):
    source_child_id: uuid.UUID
    source_activity_id: uuid.UUID
    start: date
    end: date
    target_child_id: uuid.UUID
    target_activity_id: uuid.UUID
    basket: list[Line] = Field(default_factory=list, max_length=MAX_LINES)


class ActivityBrief(BaseModel):
    id: str
    name: str
    kind: str
    start: str
    end: str


class ChildActivities(BaseModel):
    id: str
    first_name: str
    last_name: str
    structure_id: str
    activities: list[ActivityBrief]


class ChildrenOut(BaseModel):
    children: list[ChildActivities]


class SessionView(BaseModel):
    session_id: str
    activity_id: str
    activity: str
    date: str
    state: str
    symbol: str
    label: str = Field(description="The guide's legend line for this day of the activity.")
    actions: list[Literal["reserve", "cancel"]] = Field(
        default_factory=list, description="What the family may ask for on this day of the activity.")
    price: Any = None
    price_cents: int | None = None


class CalendarDay(BaseModel):
    date: str
    weekday: int
    state: str
    symbol: str
    label: str = Field(description="The guide's legend line for the day (its most telling activity), e.g. "
                                   "« Activité en liste d'attente ou refusée, annulable ».")
    actions: list[Literal["reserve", "cancel"]] = Field(
        default_factory=list, description="What the family may ask for on this day (one of its activities at least).")
    remaining: int | None = None
    pending: str | None = None
    activities: list[SessionView]


class LegendEntry(BaseModel):
    state: str
    symbol: str
    label: str


class CalendarOut(BaseModel):
    child_id: str
    month: str
    activity_id: str | None
    legend: list[LegendEntry]
    days: list[CalendarDay]


class DayOut(BaseModel):
    child_id: str
    date: str
    label: str
    activities: list[SessionView]


class BasketOut(BaseModel):
    basket: list[Line]


class NotImported(BaseModel):
    date: str
    label: str
    reason: str


class CopyOut(BaseModel):
    basket: list[Line]
    not_imported: list[NotImported]


class RecapRow(BaseModel):
    date: str
    day: str
    child_id: str
    child: str
    activity_id: str
    activity: str
    arrival: str | None
    departure: str | None
    cost: Any = None
    cost_cents: int | None
    ok: bool
    problem: str | None
    note: str | None


class RecapOut(BaseModel):
    reservations: list[RecapRow]
    cancellations: list[RecapRow]


class ConfirmResult(BaseModel):
    child_id: str
    activity_id: str
    date: str
    action: Literal["reserve", "cancel"]
    outcome: str
    reason: str | None
    activity: str | None
    booking_id: str | None
    waitlist_position: int | None


class ConfirmOut(BaseModel):
    results: list[ConfirmResult]


class FollowLine(BaseModel):
    booking_id: str
    date: str
    day: str
    activity_id: str
    activity: str
    child_id: str
    person: str
    arrival: str
    departure: str
    cost: str
    status: str
    transmitted: bool
    waitlist_position: int | None
    state: str
    absence: str | None = None  # issue 19: declared, justified, justified_charged or refused


class FollowUpOut(BaseModel):
    lines: list[FollowLine]
    total_accepted_cents: int
    total_accepted: str


class FollowUpQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    child_id: uuid.UUID | None = Field(default=None, description="Un enfant de la famille.")
    activity_id: uuid.UUID | None = None
    from_: date | None = Field(default=None, alias="from", description="Premier jour (AAAA-MM-JJ).")
    to: date | None = Field(default=None, description="Dernier jour (AAAA-MM-JJ).")
    types: str | None = Field(default=None, description="Types de lignes, séparés par des virgules.")


class FeedOut(BaseModel):
    token: str = Field(description="Le secret du lien iCal privé : /calendrier/<token>.ics")


# -- staff ------------------------------------------------------------------------------------------------------
class DeadlineIn(BaseModel):
    days_before: int = Field(default=2, ge=0, le=60)
    working_days: bool = True
    at: time = time(10, 0)


class ActivityIn(BaseModel):
    structure_id: uuid.UUID
    name: str = Field(min_length=2, max_length=120)
    kind: Literal["fixed", "time_entry"] = "fixed"
    start_time: time
    end_time: time
    capacity: int | None = Field(default=None, gt=0, le=10_000)
    waitlist_allowed: bool = True
    needs_approval: bool = False
    requires_house_rules: bool = False
    enrolment_required: bool = False
    booking_deadline: DeadlineIn = DeadlineIn()
    cancel_deadline: DeadlineIn = DeadlineIn()
    incompatible_with: list[uuid.UUID] = Field(default_factory=list, max_length=50)


class OpeningIn(BaseModel):
    weekdays: list[int] = Field(min_length=1, max_length=7)
    period: Literal["school", "holidays", "all"] = "school"
    start: date
    end: date
    capacity: int | None = Field(default=None, gt=0, le=10_000, description="Par défaut : celle de l'activité.")


class OpeningOut(BaseModel):
    created: int


class PeriodIn(BaseModel):
    start: date
    end: date
    label: str = Field(default="", max_length=120)
    activity_id: uuid.UUID | None = None


class ClosureOut(BaseModel):
    booked_days_kept: int


class CapacityIn(BaseModel):
    capacity: int | None = Field(ge=0, le=10_000)


class CapacityOut(BaseModel):
    promoted: int


class EnrolmentIn(BaseModel):
    child_id: uuid.UUID
    activity_id: uuid.UUID


class StructureQuery(BaseModel):
    structure_id: uuid.UUID = Field(description="La structure.")


class SessionsQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    activity_id: uuid.UUID
    from_: date = Field(alias="from", description="Premier jour (AAAA-MM-JJ).")
    to: date = Field(description="Dernier jour (AAAA-MM-JJ).")


class SessionFigures(BaseModel):
    id: str
    date: str
    capacity: int | None
    accepted: int
    waitlisted: int
    pending: int


class SessionsOut(BaseModel):
    sessions: list[SessionFigures]


class PendingRequest(BaseModel):
    booking_id: str
    date: str
    activity: str
    child: str


class RequestsOut(BaseModel):
    requests: list[PendingRequest]


class DecisionIn(BaseModel):
    decision: Literal["accept", "refuse"]
    reason: str | None = Field(default=None, max_length=300)


class DecisionOut(BaseModel):
    outcome: str


class TransmissionOut(BaseModel):
    transmission_id: str
    families: int
    events: int
    lines: int
