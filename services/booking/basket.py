"""The basket: lines a parent clicked, not yet recorded. Validation and the recap, shared by the
recap (read only) and the confirmation (which checks everything again under lock)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.booking.facts import SessionView
from services.booking.rules.compat import Slot, conflicts
from services.booking.rules.states import BookingStatus, DayState

MAX_LINES = 400  # two children, several activities, a whole month: far below


class Line(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    child_id: uuid.UUID
    activity_id: uuid.UUID
    date: date
    action: Literal["reserve", "cancel"]
    arrival: time | None = None
    departure: time | None = None

    @model_validator(mode="after")
    def _times_together(self):
        if (self.arrival is None) != (self.departure is None):
            raise ValueError("l'heure d'arrivée et l'heure de départ vont ensemble")
        return self

    @property
    def key(self) -> tuple[uuid.UUID, uuid.UUID, date]:
        return (self.child_id, self.activity_id, self.date)


class Basket(BaseModel):
    lines: list[Line] = Field(max_length=MAX_LINES)

    def unique_lines(self) -> list[Line]:
        """The last click on a day wins."""
        return list({line.key: line for line in self.lines}.values())


WEEKDAYS_SHORT = ("Lu", "Ma", "Me", "Je", "Ve", "Sa", "Di")


def short_day(d: date) -> str:
    """The recap's format: "Lu 30/12/2019"."""
    return f"{WEEKDAYS_SHORT[d.weekday()]} {d:%d/%m/%Y}"


@dataclass(frozen=True)
class Check:
    ok: bool
    reason: str | None = None
    slot: Slot | None = None


ACTIVE = (BookingStatus.ACCEPTED, BookingStatus.WAITLISTED, BookingStatus.PENDING)


def check_line(line: Line, view: SessionView | None, others_that_day: list[Slot],
               declared: set[frozenset[uuid.UUID]]) -> Check:
    """Can this line be recorded now? `others_that_day` are the child's other slots that day."""
    if view is None:
        return Check(False, "activité non ouverte ce jour")
    if line.action == "cancel":
        if view.status is None:
            return Check(False, "aucune réservation à annuler ce jour")
        if view.state not in (DayState.BOOKED, DayState.REQUESTED):
            return Check(False, "hors délai d'annulation")
        return Check(True, slot=view.slot)
    if view.status is not None:
        return Check(False, "déjà réservé")
    if not view.enrolled:
        return Check(False, "enfant non inscrit à cette activité")
    if not view.facts.before_booking_deadline:
        return Check(False, "hors délai de réservation")
    start, end = view.start, view.end
    if view.activity.kind == "time_entry":
        if line.arrival is None:
            return Check(False, "heures d'arrivée et de départ à choisir")
        if not (view.start <= line.arrival < line.departure <= view.end):
            return Check(False, f"horaires à choisir entre {view.start:%H:%M} et {view.end:%H:%M}")
        start, end = line.arrival, line.departure
    slot = Slot(view.activity.id, view.activity.name, start, end)
    clash = conflicts(slot, others_that_day, declared)
    if clash is not None:
        return Check(False, f"horaires incompatibles avec {clash.activity_name}")
    # A full day is not an error of the basket: at confirmation the request is refused (or waits on
    # the list), recorded, and the parent sees it in the follow-up.
    return Check(True, slot=slot)


def euros(cents: int | None) -> str:
    """French display: 2,80 €."""
    if cents is None:
        return ""
    return f"{cents // 100},{cents % 100:02d} €"


def plan(lines: list[Line], views: dict[tuple, SessionView], declared: set[frozenset[uuid.UUID]]
         ) -> list[tuple[Line, SessionView | None, Check]]:
    """Check every line in a fixed order (day, cancellations first, then the basket's order), as if
    recorded one after the other:
    a cancellation frees its hours for a booking of the same basket, two lines of the basket that
    overlap conflict with each other."""
    by_child_day: dict[tuple[uuid.UUID, date], dict[uuid.UUID, Slot]] = {}
    for (child_id, _activity_id, day), view in views.items():
        if view.status in ACTIVE:
            by_child_day.setdefault((child_id, day), {})[view.activity.id] = view.slot
    cancelled = {line.key for line in lines if line.action == "cancel"}
    for key in cancelled:
        slots = by_child_day.get((key[0], key[2]), {})
        slots.pop(key[1], None)

    # day by day, cancellations first, then in the parent's order
    position = {id(line): i for i, line in enumerate(lines)}
    results = []
    for line in sorted(lines, key=lambda li: (li.date, li.action != "cancel", position[id(li)])):
        view = views.get(line.key)
        others = [s for a, s in by_child_day.get((line.child_id, line.date), {}).items() if a != line.activity_id]
        check = check_line(line, view, others, declared)
        if check.ok and line.action == "reserve":
            by_child_day.setdefault((line.child_id, line.date), {})[line.activity_id] = check.slot
        results.append((line, view, check))
    return results
