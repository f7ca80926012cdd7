"""The booking reminders' run (`python -m services.booking reminders`, a CronJob): the families due a reminder
now (services/booking/domain/reminders.py) are told to notify, which mails each once per reason and never a
family that turned reminders off. A run publishes every reminder still due; running it twice mails nobody
twice (notify's unique key)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contracts.reminders import BookingReminderDueV1
from kit import clock
from services.booking.domain.openings import public_holidays
from services.booking.domain.reminders import due_reminders
from services.booking.service import OUTBOX


@dataclass(frozen=True)
class RemindersReport:
    periods: int
    reminders: int


async def run(db, days_before: int, now: datetime | None = None, outbox=OUTBOX) -> RemindersReport:
    now = now or clock.utc_now()
    today = clock.paris_today(now)
    async with db.transaction() as store:
        periods = await store.booking_periods(today)
        enrolled = await store.enrolled_families(sorted({p.activity_id for p in periods}, key=str))
        booked = {(p.activity_id, p.start): await store.families_booked(p.activity_id, p.start, p.end)
                  for p in periods}
        due = due_reminders(periods, enrolled, booked, now, days_before,
                            public_holidays(today.year) | public_holidays(today.year + 1))
        for reminder in due:
            p = reminder.period
            await outbox.add(store.conn, BookingReminderDueV1(
                family_id=reminder.family_id, structure_id=p.structure_id, structure_name=p.structure_name,
                reason_key=reminder.reason_key, activity_name=p.activity_name, period_label=p.label,
                period_start=p.start, period_end=p.end, deadline=reminder.deadline, due_at=now))
    return RemindersReport(len(periods), len(due))
