"""Loads what the rules need (sessions, places, a child's bookings, deadlines) and applies the rules.
One query per view; the rules themselves are in services/booking/rules (no I/O)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache

import asyncpg

from services.booking.rules.compat import Slot
from services.booking.rules.deadlines import DeadlineRule, is_open_for_change
from services.booking.rules.openings import french_public_holidays
from services.booking.rules.states import BookingStatus, DayFacts, DayState, day_state, remaining_places


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[date]:
    return french_public_holidays([year - 1, year, year + 1])


@dataclass(frozen=True)
class Activity:
    id: uuid.UUID
    structure_id: uuid.UUID
    name: str
    kind: str
    start: time
    end: time
    waitlist_allowed: bool
    needs_approval: bool
    booking_rule: DeadlineRule
    cancel_rule: DeadlineRule

    @classmethod
    def from_row(cls, r: asyncpg.Record) -> Activity:
        return cls(r["activity_id"], r["structure_id"], r["name"], r["kind"], r["a_start"], r["a_end"],
                   r["waitlist_allowed"], r["needs_approval"],
                   DeadlineRule(r["booking_days_before"], r["booking_working_days"], r["booking_at"]),
                   DeadlineRule(r["cancel_days_before"], r["cancel_working_days"], r["cancel_at"]))


@dataclass(frozen=True)
class SessionView:
    session_id: uuid.UUID
    activity: Activity
    day: date
    start: time
    end: time
    capacity: int | None
    taken: int
    enrolled: bool
    booking_id: uuid.UUID | None
    status: BookingStatus | None
    arrival: time | None
    departure: time | None
    facts: DayFacts

    @property
    def state(self) -> DayState:
        return day_state(self.facts)

    @property
    def remaining(self) -> int | None:
        return remaining_places(self.facts)

    @property
    def slot(self) -> Slot:
        """The hours the child is there: the booked times for time-entry activities."""
        return Slot(self.activity.id, self.activity.name, self.arrival or self.start, self.departure or self.end)


SESSIONS_SQL = """
SELECT s.id AS session_id, s.day, s.start_time, s.end_time, s.capacity, s.taken,
       a.id AS activity_id, a.structure_id, a.name, a.kind, a.start_time AS a_start, a.end_time AS a_end,
       a.waitlist_allowed, a.needs_approval,
       a.booking_days_before, a.booking_working_days, a.booking_at,
       a.cancel_days_before, a.cancel_working_days, a.cancel_at,
       (   (NOT a.enrolment_required OR EXISTS (SELECT 1 FROM enrolments e
                                                WHERE e.child_id = c.id AND e.activity_id = a.id))
       AND (NOT a.requires_house_rules OR EXISTS (SELECT 1 FROM house_rules_signed h
                                                  WHERE h.child_id = c.id AND h.structure_id = a.structure_id))
       ) AS enrolled,
       b.id AS booking_id, b.status, b.arrival, b.departure
FROM children c
JOIN activities a ON a.structure_id = c.structure_id
JOIN sessions s ON s.activity_id = a.id
LEFT JOIN bookings b ON b.session_id = s.id AND b.child_id = c.id AND b.status <> 'cancelled'
WHERE c.id = $1 AND s.day BETWEEN $2 AND $3 AND ($4::uuid IS NULL OR a.id = $4)
ORDER BY s.day, s.start_time, a.name
"""


def build_view(r: asyncpg.Record, now: datetime) -> SessionView:
    activity = Activity.from_row(r)
    holidays = public_holidays(r["day"].year)
    status = BookingStatus(r["status"]) if r["status"] else None
    facts = DayFacts(
        is_open=True, enrolled=r["enrolled"], capacity=r["capacity"], taken=r["taken"],
        waitlist_allowed=activity.waitlist_allowed, status=status,
        before_booking_deadline=is_open_for_change(r["day"], activity.booking_rule, now, holidays),
        before_cancel_deadline=is_open_for_change(r["day"], activity.cancel_rule, now, holidays))
    return SessionView(r["session_id"], activity, r["day"], r["start_time"], r["end_time"], r["capacity"],
                       r["taken"], r["enrolled"], r["booking_id"], status, r["arrival"], r["departure"], facts)


async def sessions_for_child(conn, child_id: uuid.UUID, start: date, end: date, now: datetime,
                             activity_id: uuid.UUID | None = None) -> list[SessionView]:
    rows = await conn.fetch(SESSIONS_SQL, child_id, start, end, activity_id)
    return [build_view(r, now) for r in rows]


async def family_children(conn, family_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, first_name, last_name, birth_date, structure_id FROM children WHERE family_id = $1 "
        "ORDER BY birth_date, first_name", family_id)


async def declared_incompatibilities(conn, activity_ids) -> set[frozenset[uuid.UUID]]:
    rows = await conn.fetch("SELECT a, b FROM activity_incompatibilities WHERE a = ANY($1) OR b = ANY($1)",
                            list(activity_ids))
    return {frozenset((r["a"], r["b"])) for r in rows}
