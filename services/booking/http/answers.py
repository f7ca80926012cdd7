"""How booking's internal API reads its JSON input and writes its answers: the basket's lines, the calendar,
a day, the recap, the follow-up, staff's lists. Dates, times and amounts are written here, in French
(kit.fr), never in the rules."""

from __future__ import annotations

import functools
import uuid
from datetime import date, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kit import fr
from services.booking.domain.basket import Line
from services.booking.domain.followup import state_label
from services.booking.domain.states import LABELS, LOCKED_REQUEST_LABEL, SYMBOLS, DayState, summary
from services.booking.service.confirm import LineResult
from services.booking.service.parents import CalendarDay, FollowUp, RecapRow, SessionLine

MAX_LINES = 400  # two children, several activities, a whole month: far below


# -- input ----------------------------------------------------------------------------------------------------
class LineIn(BaseModel):
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

    def line(self) -> Line:
        return Line(self.child_id, self.activity_id, self.date, self.action, self.arrival, self.departure)


def lines_of(lines: list[LineIn]) -> list[Line]:
    return [line.line() for line in lines]


class BasketIn(BaseModel):
    lines: list[LineIn] = Field(max_length=MAX_LINES)


class CalendarIn(BaseModel):
    child_id: uuid.UUID
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    activity_id: uuid.UUID | None = None
    basket: list[LineIn] = Field(default_factory=list, max_length=MAX_LINES)


class DayIn(BaseModel):
    child_id: uuid.UUID
    date: date
    basket: list[LineIn] = Field(default_factory=list, max_length=MAX_LINES)


class QuickIn(BaseModel):
    child_id: uuid.UUID
    activity_id: uuid.UUID
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    scope: Literal["day", "week", "weekday", "month"]
    day: date | None = None
    weekday: int | None = Field(default=None, ge=0, le=6)
    basket: list[LineIn] = Field(default_factory=list, max_length=MAX_LINES)


class CopyIn(BaseModel):
    source_child_id: uuid.UUID
    source_activity_id: uuid.UUID
    start: date
    end: date
    target_child_id: uuid.UUID
    target_activity_id: uuid.UUID
    basket: list[LineIn] = Field(default_factory=list, max_length=MAX_LINES)


# -- output ---------------------------------------------------------------------------------------------------
def hh_mm(t: time | None) -> str | None:
    return f"{t.hour:02d}:{t.minute:02d}" if t else None  # strftime's "%H:%M", at a third of its cost


def short_day(d: date) -> str:
    """The recap's format: "Lu 30/12/2019"."""
    return f"{fr.WEEKDAYS[d.weekday()][:2].capitalize()} {d:%d/%m/%Y}"


@functools.lru_cache(maxsize=4096)  # a month's calendar repeats a handful of prices on every day
def price(cents: int | None) -> str:
    """2,80 € (empty when the day has no tariff)."""
    return "" if cents is None else f"{fr.euros_plain(cents)} €"


def line_json(line: Line) -> dict:
    return {"child_id": str(line.child_id), "activity_id": str(line.activity_id), "date": line.date.isoformat(),
            "action": line.action, "arrival": line.arrival.isoformat() if line.arrival else None,
            "departure": line.departure.isoformat() if line.departure else None}


def basket_json(lines: list[Line]) -> list[dict]:
    return [line_json(line) for line in lines]


def session_json(s: SessionLine) -> dict:
    view, activity = s.view, s.view.activity
    shown = summary(view.facts)  # the state, label and actions of these facts, computed once
    return {
        "session_id": str(view.session_id), "activity_id": str(activity.id), "activity": activity.name,
        "kind": activity.kind, "date": view.day.isoformat(),
        "start": hh_mm(view.start), "end": hh_mm(view.end), "arrival": hh_mm(view.arrival),
        "departure": hh_mm(view.departure),
        "state": shown.state.value, "symbol": shown.symbol, "label": shown.label, "actions": list(shown.actions),
        "remaining": shown.remaining, "capacity": view.capacity,
        "price": price(s.cost_cents), "price_cents": s.cost_cents,
        "status": view.status.value if view.status else None, "pending": s.pending,
    }


# The guide's legend, its two 🚫 lines included.
LEGEND = [{"state": s.value, "symbol": SYMBOLS[s], "label": LABELS[s]} for s in DayState] + [
    {"state": DayState.LOCKED.value, "symbol": SYMBOLS[DayState.LOCKED], "label": LOCKED_REQUEST_LABEL}]


def calendar_json(child_id: uuid.UUID, month: str, activity_id: uuid.UUID | None, days: list[CalendarDay]) -> dict:
    return {"child_id": str(child_id), "month": month, "activity_id": str(activity_id) if activity_id else None,
            "legend": LEGEND, "days": [{
                "date": d.day.isoformat(), "weekday": d.day.weekday(), "state": d.state.value,
                "symbol": SYMBOLS[d.state], "label": d.label, "actions": d.actions,
                "remaining": d.remaining, "pending": d.pending,
                "activities": [session_json(s) for s in d.sessions]} for d in days]}


def day_json(child_id: uuid.UUID, day: date, sessions: list[SessionLine]) -> dict:
    return {"child_id": str(child_id), "date": day.isoformat(), "label": fr.written_day(day),
            "activities": [session_json(s) for s in sessions]}


def recap_json(rows: list[RecapRow]) -> dict:
    reservations, cancellations = [], []
    for r in rows:
        row = {"date": r.line.date.isoformat(), "day": short_day(r.line.date), "child_id": str(r.line.child_id),
               "child": f"{r.child.last_name} {r.child.first_name}" if r.child else "",
               "activity_id": str(r.line.activity_id), "activity": r.activity,
               "arrival": hh_mm(r.start), "departure": hh_mm(r.end),
               "cost": price(r.cost_cents), "cost_cents": r.cost_cents,
               "ok": r.check.ok, "problem": r.check.reason, "note": r.note}
        (reservations if r.line.action == "reserve" else cancellations).append(row)
    return {"reservations": reservations, "cancellations": cancellations}


def results_json(results: list[LineResult]) -> dict:
    return {"results": [{
        **line_json(r.line), "outcome": r.outcome, "reason": r.reason, "activity": r.activity_name,
        "booking_id": str(r.booking_id) if r.booking_id else None, "waitlist_position": r.waitlist_position}
        for r in results]}


def follow_json(follow: FollowUp) -> dict:
    return {"lines": [{
        "booking_id": str(r.id), "date": r.day.isoformat(), "day": short_day(r.day),
        "activity_id": str(r.activity_id), "activity": r.activity, "child_id": str(r.child_id),
        "person": r.first_name, "arrival": hh_mm(r.arrival), "departure": hh_mm(r.departure),
        "cost": "" if cost is None else fr.euros_plain(cost),
        "status": r.status, "transmitted": r.transmitted, "waitlist_position": r.position,
        "state": state_label(r.status, r.transmitted, r.position, r.absence), "reason": r.reason,
        "absence": r.absence,
    } for r, cost in follow.lines], "total_accepted_cents": follow.total_accepted_cents,
        "total_accepted": fr.euros_plain(follow.total_accepted_cents)}
