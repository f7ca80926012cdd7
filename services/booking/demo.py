"""Demo activities of the Mairie de CarteVille, open for the coming months (for `make run`)."""

from __future__ import annotations

import uuid
from datetime import time, timedelta

from kit.clock import paris_today
from services.booking.service import catalog
from services.booking.store import Database

CARTEVILLE = uuid.UUID("5f1c1d2e-0000-4000-8000-000000000001")
ACTIVITIES = (
    # id suffix, name, kind, start, end, capacity, weekdays
    (1, "Restauration scolaire", "fixed", time(11, 30), time(13, 30), None, [0, 1, 3, 4]),
    (2, "APS Matin", "fixed", time(7, 15), time(8, 15), 30, [0, 1, 3, 4]),
    (3, "APS Soir", "fixed", time(16, 30), time(19, 0), 30, [0, 1, 3, 4]),
    (4, "ALSH Mercredi Journée", "fixed", time(9, 0), time(17, 0), 24, [2]),
    (5, "Accueil Saisie temps", "time_entry", time(7, 0), time(8, 30), None, [0, 1, 3, 4]),
)


def demo_activity_id(suffix: int) -> uuid.UUID:
    return uuid.UUID(f"5f1c1d2e-0000-4000-9000-{suffix:012d}")


async def load(_settings, pool) -> None:
    start = paris_today() + timedelta(days=1)
    async with Database(pool).transaction() as store:
        for suffix, name, kind, begin, end, capacity, weekdays in ACTIVITIES:
            activity_id = demo_activity_id(suffix)
            if not await store.activity_exists(activity_id):
                created = await catalog.create_activity(store, catalog.ActivityIn(
                    structure_id=CARTEVILLE, name=name, kind=kind, start_time=begin, end_time=end,
                    capacity=capacity))
                await store.change_activity_id(created, activity_id)
            await catalog.generate_sessions(store, activity_id, catalog.OpeningIn(
                weekdays=weekdays, period="all", start=start, end=start + timedelta(days=120)))
