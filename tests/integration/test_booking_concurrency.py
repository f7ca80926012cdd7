"""Two parents can never get the same last place: 200 confirmations at once for 10 places."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, time, timedelta

import aiohttp
import asyncpg
import pytest

from kit import identity as ident
from services.booking.app import service as booking
from services.booking.service import catalog
from services.booking.store import Store
from tests.conftest import SECRET, database_url

PARENTS = 200
PLACES = 10


async def seed(dsn: str, waitlist: bool) -> tuple[uuid.UUID, date, list[tuple[uuid.UUID, uuid.UUID]]]:
    structure = uuid.uuid4()
    day = date.today() + timedelta(days=40)
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            activity = await catalog.create_activity(Store(conn), catalog.ActivityIn(
                structure_id=structure, name=f"ALSH Mercredi {uuid.uuid4().hex[:6]}", start_time=time(9),
                end_time=time(17), capacity=PLACES, waitlist_allowed=waitlist))
            await conn.execute("INSERT INTO sessions (id, activity_id, day, start_time, end_time, capacity) "
                               "VALUES ($1, $2, $3, '09:00', '17:00', $4)", uuid.uuid4(), activity, day, PLACES)
            families = [(uuid.uuid4(), uuid.uuid4()) for _ in range(PARENTS)]
            await conn.executemany(
                "INSERT INTO children (id, family_id, first_name, last_name, birth_date, structure_id) "
                "VALUES ($1, $2, 'Enfant', 'TEST', '2018-01-01', $3)",
                [(child, family, structure) for family, child in families])
    finally:
        await conn.close()
    return activity, day, families


@pytest.mark.parametrize("waitlist, others", [(True, "waitlisted"), (False, "refused")])
async def test_200_confirmations_for_10_places(run_service, db_prefix, waitlist, others):
    # all 200 wait on the same day's row: give them time, this test is about correctness, not speed
    async with run_service(booking, confirm_deadline_seconds=60) as url:
        dsn = database_url(db_prefix, "booking")
        activity, day, families = await seed(dsn, waitlist)

        async def confirm(family: uuid.UUID, child: uuid.UUID, http: aiohttp.ClientSession) -> str:
            token = ident.issue(ident.Identity(subject=str(uuid.uuid4()), role="parent", family_id=family), SECRET)
            async with http.post(f"{url}/v1/basket/confirm", headers={ident.HEADER: token}, json={"lines": [
                    {"child_id": str(child), "activity_id": str(activity), "date": day.isoformat(),
                     "action": "reserve"}]}) as resp:
                assert resp.status == 200, await resp.text()
                return (await resp.json())["results"][0]["outcome"]

        connector = aiohttp.TCPConnector(limit=PARENTS)
        async with aiohttp.ClientSession(connector=connector) as http:
            outcomes = await asyncio.gather(*(confirm(f, c, http) for f, c in families))

    assert outcomes.count("accepted") == PLACES
    assert outcomes.count(others) == PARENTS - PLACES
    conn = await asyncpg.connect(dsn)
    try:
        taken = await conn.fetchval("SELECT taken FROM sessions WHERE activity_id = $1", activity)
        accepted = await conn.fetchval("SELECT count(*) FROM bookings WHERE activity_id = $1 AND status = 'accepted'",
                                       activity)
        positions = await conn.fetch("SELECT request_seq FROM bookings WHERE activity_id = $1 AND status = 'waitlisted' "
                                     "ORDER BY request_seq", activity)
    finally:
        await conn.close()
    assert taken == accepted == PLACES
    assert len(positions) == (PARENTS - PLACES if waitlist else 0)


async def test_a_basket_past_its_deadline_is_rolled_back_whole(run_service, db_prefix):
    """Under a rush a basket that cannot be recorded in time is refused with a French 503 and leaves
    nothing behind (no place taken, no booking)."""
    async with run_service(booking, confirm_deadline_seconds=0.5) as url:
        dsn = database_url(db_prefix, "booking")
        activity, day, families = await seed(dsn, waitlist=True)
        family, child = families[0]
        conn = await asyncpg.connect(dsn)
        try:
            # hold the day's place row so the confirmation has to wait for it
            tx = conn.transaction()
            await tx.start()
            await conn.execute("SELECT 1 FROM sessions WHERE activity_id = $1 FOR UPDATE", activity)
            token = ident.issue(ident.Identity(subject="p", role="parent", family_id=family), SECRET)
            lines = [{"child_id": str(child), "activity_id": str(activity), "date": day.isoformat(),
                      "action": "reserve"}]
            async with aiohttp.ClientSession() as http, \
                    http.post(f"{url}/v1/basket/confirm", headers={ident.HEADER: token},
                              json={"lines": lines}) as resp:
                status, body = resp.status, await resp.json()
            await tx.rollback()
        finally:
            await conn.close()
        assert status == 503 and "n'ont pas été enregistrées" in body["detail"]
        conn = await asyncpg.connect(dsn)
        try:
            assert await conn.fetchval("SELECT count(*) FROM bookings WHERE activity_id = $1", activity) == 0
            assert await conn.fetchval("SELECT taken FROM sessions WHERE activity_id = $1", activity) == 0
        finally:
            await conn.close()

