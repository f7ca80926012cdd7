"""One child's view of an activity's day (a session): the facts the store reads, turned into the guide's
state with the deadlines applied at a given moment; and the month calendar's choice of one state per day."""

from __future__ import annotations

import calendar as cal
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from services.booking.domain.compat import Slot
from services.booking.domain.deadlines import DeadlineRule, is_open_for_change
from services.booking.domain.openings import public_holidays
from services.booking.domain.states import (
    BookingStatus,
    DayFacts,
    DayState,
    day_actions,
    day_label,
    day_state,
    remaining_places,
    summary,
)

__all__ = ["DAY_PRIORITY", "Activity", "SessionRow", "SessionView", "day_of_month", "month_days", "view_of"]


@dataclass(frozen=True)
class Activity:
    id: uuid.UUID
    structure_id: uuid.UUID
    name: str
    kind: str  # fixed | time_entry
    start: time
    end: time
    waitlist_allowed: bool
    needs_approval: bool
    booking_rule: DeadlineRule
    cancel_rule: DeadlineRule


@dataclass(frozen=True)
class SessionRow:
    """What the store reads of one session for one child: the day, its places, the child's booking."""

    session_id: uuid.UUID
    activity: Activity
    day: date
    start: time
    end: time
    capacity: int | None
    taken: int
    enrolled: bool
    booking_id: uuid.UUID | None
    status: str | None
    arrival: time | None
    departure: time | None
    other_household: bool = False  # shared custody: the booking is the child's other household's


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
    def label(self) -> str:
        return day_label(self.facts)

    @property
    def actions(self) -> list[str]:
        return day_actions(self.facts)

    @property
    def remaining(self) -> int | None:
        return remaining_places(self.facts)

    @property
    def slot(self) -> Slot:
        """The hours the child is there: the booked times for time-entry activities."""
        return Slot(self.activity.id, self.activity.name, self.arrival or self.start, self.departure or self.end)


def view_of(row: SessionRow, now: datetime) -> SessionView:
    """The row seen at ``now``: booking and cancellation deadlines applied. A booking of the child's other
    household (shared custody) is seen as the day taken, without any of its details."""
    if row.other_household:
        row = replace(row, booking_id=None, status=None, arrival=None, departure=None)
    activity = row.activity
    holidays = public_holidays(row.day.year)
    status = BookingStatus(row.status) if row.status else None
    facts = DayFacts(
        is_open=True, enrolled=row.enrolled, capacity=row.capacity, taken=row.taken,
        waitlist_allowed=activity.waitlist_allowed, status=status,
        before_booking_deadline=is_open_for_change(row.day, activity.booking_rule, now, holidays),
        before_cancel_deadline=is_open_for_change(row.day, activity.cancel_rule, now, holidays),
        other_household=row.other_household)
    return SessionView(row.session_id, activity, row.day, row.start, row.end, row.capacity, row.taken, row.enrolled,
                       row.booking_id, status, row.arrival, row.departure, facts)


def month_days(month: str) -> list[date]:
    """Every day of ``month`` ("AAAA-MM"); ValueError (French) otherwise."""
    try:
        year, number = (int(p) for p in month.split("-"))
        first = date(year, number, 1)
    except (ValueError, TypeError):
        raise ValueError("mois attendu au format AAAA-MM") from None
    return [first + timedelta(days=i) for i in range(cal.monthrange(year, number)[1])]


# The calendar without an activity chosen: one state per day, the most telling first.
DAY_PRIORITY = (DayState.REQUESTED, DayState.BOOKED, DayState.LOCKED, DayState.OTHER_HOUSEHOLD, DayState.AVAILABLE,
                DayState.WAITLIST_ONLY, DayState.FULL, DayState.CLOSED)

CLOSED_DAY = DayFacts(is_open=False, enrolled=False, capacity=None, taken=0, waitlist_allowed=False, status=None,
                      before_booking_deadline=False, before_cancel_deadline=False)


def day_of_month(sessions: Sequence[SessionView]) -> tuple[DayState, DayFacts, list[str]]:
    """One calendar day: the state of its most telling session, that session's facts (for the legend
    line) and every action some session of the day allows."""
    if not sessions:
        return DayState.CLOSED, CLOSED_DAY, []
    if len(sessions) == 1:  # the usual day of a calendar of one activity
        only = summary(sessions[0].facts)
        return only.state, sessions[0].facts, list(only.actions)
    summaries = [(summary(v.facts), v.facts) for v in sessions]
    chosen, facts = min(summaries, key=lambda s: DAY_PRIORITY.index(s[0].state))
    allowed = {action for s, _ in summaries for action in s.actions}
    return chosen.state, facts, [action for action in ("reserve", "cancel") if action in allowed]
