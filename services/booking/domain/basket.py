"""The basket: the days a parent clicked, not yet recorded. Whether each line can be recorded now, checked in
one fixed order shared by the recap (read only) and the confirmation (checked again under lock)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time
from typing import Literal

from services.booking.domain.compat import Slot, conflicts
from services.booking.domain.sessions import SessionView
from services.booking.domain.states import BookingStatus, DayState

__all__ = ["ACTIVE", "Check", "Line", "check_line", "pending_map", "plan", "recap_note", "unique_lines"]

Key = tuple[uuid.UUID, uuid.UUID, date]


@dataclass(frozen=True)
class Line:
    child_id: uuid.UUID
    activity_id: uuid.UUID
    date: date
    action: Literal["reserve", "cancel"]
    arrival: time | None = None
    departure: time | None = None

    @property
    def key(self) -> Key:
        return (self.child_id, self.activity_id, self.date)


def unique_lines(lines: Iterable[Line]) -> list[Line]:
    """The last click on a day wins."""
    return list({line.key: line for line in lines}.values())


def pending_map(lines: Iterable[Line], child_id: uuid.UUID) -> dict[tuple[uuid.UUID, date], str]:
    """The child's clicks not yet confirmed, by (activity, day)."""
    return {(line.activity_id, line.date): line.action for line in lines if line.child_id == child_id}


@dataclass(frozen=True)
class Check:
    ok: bool
    reason: str | None = None
    slot: Slot | None = None


ACTIVE = (BookingStatus.ACCEPTED, BookingStatus.WAITLISTED, BookingStatus.PENDING)
OTHER_HOUSEHOLD_DAY = "réservé par l'autre foyer"


def check_line(line: Line, view: SessionView | None, others_that_day: list[Slot],
               declared: set[frozenset[uuid.UUID]]) -> Check:
    """Can this line be recorded now? `others_that_day` are the child's other slots that day."""
    if view is None:
        return Check(False, "activité non ouverte ce jour")
    if view.facts.other_household:  # shared custody: the other household's day, for it alone to change
        return Check(False, OTHER_HOUSEHOLD_DAY)
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
        if line.arrival is None or line.departure is None:
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


def plan(lines: list[Line], views: Mapping[Key, SessionView], declared: set[frozenset[uuid.UUID]]
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


def recap_note(line: Line, view: SessionView | None, check: Check) -> str | None:
    """What the recap tells of a reservation that will go through but not as a plain booking."""
    if not (check.ok and line.action == "reserve" and view):
        return None
    if view.state == DayState.WAITLIST_ONLY:
        return "complet : la demande sera mise en liste d'attente"
    if view.state == DayState.FULL:
        return "complet : la demande sera refusée"
    return None
