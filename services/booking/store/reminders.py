"""The SQL of the booking reminders: the booking periods to come (an activity with enrolled children and
sessions in a school-holiday period of its structure), the families enrolled, and those that booked."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

import asyncpg

from services.booking.domain.deadlines import DeadlineRule
from services.booking.domain.reminders import BookingPeriod


class ReminderQueries:
    conn: asyncpg.Connection

    async def booking_periods(self, from_day: date) -> list[BookingPeriod]:
        """The periods not over on ``from_day`` of the activities some child is enrolled in."""
        rows = await self.conn.fetch(
            """SELECT h.structure_id, coalesce(st.name, '') AS structure_name, a.id AS activity_id,
                      a.name AS activity_name, h.label, h.start_day, h.end_day, min(s.day) AS first_day,
                      a.booking_days_before, a.booking_working_days, a.booking_at
               FROM school_holidays h
               JOIN activities a ON a.structure_id = h.structure_id
               JOIN sessions s ON s.activity_id = a.id AND s.day BETWEEN h.start_day AND h.end_day
               LEFT JOIN structures st ON st.id = h.structure_id
               WHERE h.end_day >= $1 AND EXISTS (SELECT 1 FROM enrolments e WHERE e.activity_id = a.id)
               GROUP BY h.id, h.structure_id, st.name, a.id, a.name, h.label, h.start_day, h.end_day""", from_day)
        return [BookingPeriod(r["structure_id"], r["structure_name"], r["activity_id"], r["activity_name"],
                              r["label"], r["start_day"], r["end_day"], r["first_day"],
                              DeadlineRule(r["booking_days_before"], r["booking_working_days"], r["booking_at"]))
                for r in rows]

    async def enrolled_families(self, activity_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, set[uuid.UUID]]:
        rows = await self.conn.fetch(
            """SELECT DISTINCT e.activity_id, c.family_id FROM enrolments e JOIN children c ON c.id = e.child_id
               WHERE e.activity_id = ANY($1::uuid[])""", list(activity_ids))
        found: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
        for r in rows:
            found[r["activity_id"]].add(r["family_id"])
        return found

    async def families_booked(self, activity_id: uuid.UUID, start: date, end: date) -> set[uuid.UUID]:
        """The families with a booking (any but a cancelled one) of the activity between the two days."""
        rows = await self.conn.fetch(
            """SELECT DISTINCT family_id FROM bookings WHERE activity_id = $1 AND day BETWEEN $2 AND $3
               AND status <> 'cancelled'""", activity_id, start, end)
        return {r["family_id"] for r in rows}
