"""Demo activities of the Mairie de CarteVille (for `make run`): the school holidays of its academic zone
(real published dates, domain/school_calendar.py) around the demo clock, the activities open for the coming
months (the canteen and the before/after-school care on school days only, closed during the holidays),
and, once auth's facts have arrived (`demo-history`, after the services start), a consumption history: the
demo child's canteen and after-school days of the two past months, transmitted the normal way (the nightly
transmission's code), which billing records and invoices."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, time, timedelta

from kit.clock import paris_today
from services.booking.domain.school_calendar import holidays_between
from services.booking.service import catalog, transmission
from services.booking.store import Database
from services.booking.store import demo as queries

CARTEVILLE = uuid.UUID("5f1c1d2e-0000-4000-8000-000000000001")
ZONE = "A"  # CarteVille's academic zone
ACTIVITIES = (
    # id suffix, name, kind, start, end, capacity, weekdays, period
    (1, "Restauration scolaire", "fixed", time(11, 30), time(13, 30), None, [0, 1, 3, 4], "school"),
    (2, "APS Matin", "fixed", time(7, 15), time(8, 15), 30, [0, 1, 3, 4], "school"),
    (3, "APS Soir", "fixed", time(16, 30), time(19, 0), 30, [0, 1, 3, 4], "school"),
    (4, "ALSH Mercredi Journée", "fixed", time(9, 0), time(17, 0), 24, [2], "all"),
    (5, "Accueil Saisie temps", "time_entry", time(7, 0), time(8, 30), None, [0, 1, 3, 4],
     "school"),
)
# the demo child whose past months are booked (services/auth/demo.py), and what: (activity suffix, weekdays)
HISTORY_CHILD = ("Léa", "DUPONT", date(2018, 4, 12))
HISTORY = ((1, [0, 1, 3, 4]), (3, [0, 3]))
HISTORY_WAIT_SECONDS = 30


def demo_activity_id(suffix: int) -> uuid.UUID:
    return uuid.UUID(f"5f1c1d2e-0000-4000-9000-{suffix:012d}")


def history_months(today: date) -> tuple[date, date]:
    """The days of the history: from the first day of the second latest past month of school (July and
    August have hardly any) to the last day of last month."""
    last = today.replace(day=1) - timedelta(days=1)
    first, school_months = last.replace(day=1), 0
    while True:
        if first.month not in (7, 8):
            school_months += 1
            if school_months == 2:
                return first, last
        first = (first - timedelta(days=1)).replace(day=1)


async def load(_settings, pool) -> None:
    today = paris_today()
    start, end = today + timedelta(days=1), today + timedelta(days=120)
    first_past, _ = history_months(today)
    async with Database(pool).transaction() as store:
        known = set(await store.periods("school_holidays", CARTEVILLE))
        for period in holidays_between(ZONE, first_past, end):
            if period not in known:
                await store.insert_school_holidays(CARTEVILLE, period)
        for suffix, name, kind, begin, finish, capacity, weekdays, period in ACTIVITIES:
            activity_id = demo_activity_id(suffix)
            if not await store.activity_exists(activity_id):
                created = await catalog.create_activity(store, catalog.ActivityIn(
                    structure_id=CARTEVILLE, name=name, kind=kind, start_time=begin, end_time=finish,
                    capacity=capacity))
                await store.change_activity_id(created, activity_id)
            await catalog.generate_sessions(store, activity_id, catalog.OpeningIn(
                weekdays=weekdays, period=period, start=start, end=end))


async def load_history(_settings, pool) -> None:
    """The demo child's past two months booked and transmitted (once: nothing is added when it has bookings
    then). Waits for auth's family facts, which reach booking by event once the services run."""
    first, last = history_months(paris_today())
    db = Database(pool)
    found = None
    for _ in range(HISTORY_WAIT_SECONDS * 4):
        async with db.reading() as store:
            found = await queries.child_named(store.conn, *HISTORY_CHILD)
        if found:
            break
        await asyncio.sleep(0.25)
    if found is None:
        raise RuntimeError("the demo family has not reached booking: no consumption history")
    child_id, family_id = found
    async with db.transaction() as store:
        if await queries.has_bookings(store.conn, child_id, first, last):
            return
        for suffix, weekdays in HISTORY:
            activity_id = demo_activity_id(suffix)
            await catalog.generate_sessions(store, activity_id, catalog.OpeningIn(
                weekdays=weekdays, period="school", start=first, end=last))
            for session_id, day in await queries.sessions_between(store.conn, activity_id, first, last):
                if day.weekday() not in weekdays:
                    continue
                booking_id = uuid.uuid4()
                await store.take_place(session_id)
                await store.insert_booking(booking_id, session_id, activity_id, child_id, family_id, day, None, None,
                                           "accepted", None)
                await store.record_movement(booking_id, family_id, "reserve", "accepted")
    await transmission.run(db)
