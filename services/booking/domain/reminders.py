"""The booking reminder (issue 19): a family with a child enrolled in an activity that has booked none of its
days of a booking period (a school-holiday period of the structure in which the activity has sessions, e.g.
the holiday centre's winter holidays) is reminded some days before that period's deadline: the deadline to
book its first day (services/booking/domain/deadlines.py). ``days_before`` is configurable
(PORTAIL_REMINDER_DAYS_BEFORE); the reminder is due from ``deadline - days_before`` until the deadline. The
reason's key names the activity and the period, so notify mails it once per family, however many runs.

Pure: the current moment and the public holidays are given."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from services.booking.domain.deadlines import DeadlineRule, deadline_for

__all__ = ["BookingPeriod", "DueReminder", "due_reminders", "reason_key"]


@dataclass(frozen=True)
class BookingPeriod:
    """An activity's days in one school-holiday period of its structure."""

    structure_id: uuid.UUID
    structure_name: str
    activity_id: uuid.UUID
    activity_name: str
    label: str
    start: date
    end: date
    first_day: date  # the activity's first session in the period
    rule: DeadlineRule  # the activity's booking deadline


@dataclass(frozen=True)
class DueReminder:
    family_id: uuid.UUID
    period: BookingPeriod
    deadline: datetime

    @property
    def reason_key(self) -> str:
        return reason_key(self.period)


def reason_key(period: BookingPeriod) -> str:
    return f"reservation:{period.activity_id}:{period.start.isoformat()}"


def due_reminders(periods: Iterable[BookingPeriod], enrolled: Mapping[uuid.UUID, Collection[uuid.UUID]],
                  booked: Mapping[tuple[uuid.UUID, date], Collection[uuid.UUID]], now: datetime, days_before: int,
                  public_holidays: Collection[date]) -> list[DueReminder]:
    """The reminders due at ``now``: for each period whose deadline is within ``days_before`` days (and not
    past), each family with a child enrolled in the activity (``enrolled``: activity → families) that has no
    booking in the period (``booked``: (activity, period start) → families)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if days_before < 0:
        raise ValueError("days_before must be >= 0")
    instant = now.astimezone(UTC)
    found = []
    for period in sorted(periods, key=lambda p: (p.start, p.activity_name, str(p.activity_id))):
        deadline = deadline_for(period.first_day, period.rule, public_holidays)
        if not instant < deadline.astimezone(UTC) <= instant + timedelta(days=days_before):
            continue
        done = booked.get((period.activity_id, period.start), ())
        for family_id in sorted(enrolled.get(period.activity_id, ()), key=str):
            if family_id not in done:
                found.append(DueReminder(family_id, period, deadline))
    return found
