"""The set-based statements of services/booking/store/baskets.py against the one statement of the rule,
domain.places: on randomized baskets (limited and unlimited places, sessions already full, waiting lists
already long, activities without a list or needing a staff decision, several children on one day), the
statement decides exactly what the domain decides from the same locked facts, counts the places it gave,
and never overbooks; cancellations free places and the waiting lists are promoted as the domain says."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import date
from pathlib import Path

import asyncpg
import pytest

from kit import db, migrations
from services.booking.domain.places import Place, decide_reservations, promotions
from services.booking.store import Store
from services.booking.store.baskets import NewBooking
from tests.conftest import database_url

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2030, 9, 2)  # any day: the statements know no calendar


@pytest.fixture
async def conn(db_prefix):
    dsn = database_url(db_prefix, "booking_setbased")
    await db.ensure_database(dsn)
    c = await asyncpg.connect(dsn)
    await migrations.apply(c, migrations.service_migrations("booking", ROOT / "services" / "booking" / "migrations"))
    yield c
    await c.close()


async def world(conn, rng: random.Random):
    """Random sessions of one structure, each with places already taken and requests already waiting."""
    structure = uuid.uuid4()
    sessions = []
    for i in range(rng.randint(1, 5)):
        activity = uuid.uuid4()
        await conn.execute(
            "INSERT INTO activities (id, structure_id, name, start_time, end_time, waitlist_allowed, needs_approval) "
            "VALUES ($1, $2, $3, '09:00', '10:00', $4, $5)", activity, structure, f"Activité {i}",
            rng.random() < 0.7, rng.random() < 0.15)
        capacity = rng.choice([None, 0, 1, 2, 3, 5])
        taken = rng.randint(0, capacity) if capacity is not None else 0
        session = uuid.uuid4()
        await conn.execute("INSERT INTO sessions (id, activity_id, day, start_time, end_time, capacity, taken) "
                           "VALUES ($1, $2, $3, '09:00', '10:00', $4, $5)", session, activity, DAY, capacity, taken)
        for _ in range(rng.randint(0, 3) if capacity is not None and taken == capacity else 0):
            await conn.execute(
                "INSERT INTO bookings (id, session_id, activity_id, child_id, family_id, day, status) "
                "VALUES ($1, $2, $3, $4, $5, $6, 'waitlisted')", uuid.uuid4(), session, activity, uuid.uuid4(),
                uuid.uuid4(), DAY)
        sessions.append((session, activity))
    return structure, sessions


async def places(conn, session_ids) -> dict[uuid.UUID, Place]:
    """The facts, read here on their own (not by the statement under test)."""
    rows = await conn.fetch(
        "SELECT s.id, s.capacity, s.taken, a.waitlist_allowed, a.needs_approval, "
        "(SELECT count(*) FROM bookings b WHERE b.session_id = s.id AND b.status = 'waitlisted') AS waiting "
        "FROM sessions s JOIN activities a ON a.id = s.activity_id WHERE s.id = ANY($1::uuid[])", list(session_ids))
    return {r["id"]: Place(r["capacity"], r["taken"], r["waiting"] if r["capacity"] is not None else 0,
                           r["waitlist_allowed"], r["needs_approval"]) for r in rows}


@pytest.mark.parametrize("seed", range(40))
async def test_the_statement_decides_as_the_domain(conn, seed):
    rng = random.Random(seed)
    tx = conn.transaction()
    await tx.start()
    try:
        structure, sessions = await world(conn, rng)
        family = uuid.uuid4()
        children = [uuid.uuid4() for _ in range(rng.randint(1, 4))]
        for child in children:
            await conn.execute("INSERT INTO children VALUES ($1, $2, 'Enfant', 'TEST', '2020-01-01', $3)",
                               child, family, structure)
        pairs = [(c, s) for c in children for s in sessions if rng.random() < 0.7] or [(children[0], sessions[0])]
        rng.shuffle(pairs)
        lines = [NewBooking(uuid.uuid4(), s, a, c, DAY, None, None) for c, (s, a) in pairs]
        before = await places(conn, {x.session_id for x in lines})
        store = Store(conn)

        await store.lock_limited_sessions([x.activity_id for x in lines], [x.day for x in lines])
        recorded = await store.record_reservations(family, lines)

        expected = decide_reservations([(x.session_id, before[x.session_id]) for x in lines])
        assert [(r.status, r.position) for r in recorded] == [(d.status.value, d.position) for d in expected]
        assert [r.place for r in recorded] == [before[x.session_id] for x in lines]
        after = await places(conn, before)
        for session_id, place in before.items():
            accepted = sum(1 for x, d in zip(lines, expected, strict=True)
                           if x.session_id == session_id and d.status == "accepted")
            if place.capacity is not None:
                assert after[session_id].taken == place.taken + accepted <= place.capacity
        statuses = dict(await conn.fetch("SELECT id, status FROM bookings WHERE family_id = $1", family))
        assert [statuses[x.booking_id] for x in lines] == [d.status.value for d in expected]
        assert await conn.fetchval("SELECT count(*) FROM movements WHERE family_id = $1", family) == len(lines)

        # cancel the basket's accepted bookings: the places they held go to the waiting lists, as the domain says
        cancelled = [x.booking_id for x, d in zip(lines, expected, strict=True) if d.status == "accepted"]
        freed = await store.cancel_bookings(family, cancelled)
        assert set(freed) == {x.session_id for x, d in zip(lines, expected, strict=True)
                              if d.status == "accepted" and before[x.session_id].capacity is not None}
        locked = await store.lock_places(freed)
        assert locked == await places(conn, freed)
        promoted = await store.promote_waitlisted({s: promotions(p.capacity, p.taken, p.waiting)
                                                   for s, p in locked.items()})
        assert len(promoted) == sum(promotions(p.capacity, p.taken, p.waiting) for p in locked.values())
        final = await places(conn, freed)
        for session_id, place in locked.items():
            moved = promotions(place.capacity, place.taken, place.waiting)
            assert final[session_id].taken == place.taken + moved <= place.capacity
            assert final[session_id].waiting == place.waiting - moved
        # the lists' lengths kept on the sessions (migration 022) are the lists counted, after every write above
        assert await conn.fetchval(
            "SELECT count(*) FROM sessions s WHERE s.waiting <> (SELECT count(*) FROM bookings b "
            "WHERE b.session_id = s.id AND b.status = 'waitlisted')") == 0
    finally:
        await tx.rollback()


async def test_a_family_cannot_cancel_another_familys_booking(conn):
    tx = conn.transaction()
    await tx.start()
    try:
        _structure, [(session, activity), *_] = await world(conn, random.Random(1))
        booking = uuid.uuid4()
        await conn.execute("INSERT INTO bookings (id, session_id, activity_id, child_id, family_id, day, status) "
                           "VALUES ($1, $2, $3, $4, $5, $6, 'accepted')", booking, session, activity, uuid.uuid4(),
                           uuid.uuid4(), DAY)
        assert await Store(conn).cancel_bookings(uuid.uuid4(), [booking]) == []
        assert await conn.fetchval("SELECT status FROM bookings WHERE id = $1", booking) == "accepted"
    finally:
        await tx.rollback()



async def test_a_basket_waiting_for_the_locks_counts_the_waiting_list_its_predecessor_committed(conn, db_prefix):
    """The reservations' statement locks its sessions itself: when it had to wait for them, it decides from
    the places and the waiting list as the basket before it committed them, not as they stood when it began."""
    activity, session, structure = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await conn.execute("INSERT INTO activities (id, structure_id, name, start_time, end_time, waitlist_allowed) "
                       "VALUES ($1, $2, 'ALSH', '09:00', '10:00', true)", activity, structure)
    await conn.execute("INSERT INTO sessions (id, activity_id, day, start_time, end_time, capacity, taken) "
                       "VALUES ($1, $2, $3, '09:00', '10:00', 1, 1)", session, activity, DAY)
    earlier = await asyncpg.connect(database_url(db_prefix, "booking_setbased"))
    try:
        # the basket before: holds the session's lock and puts a child on its waiting list
        tx = earlier.transaction()
        await tx.start()
        await earlier.execute("SELECT 1 FROM sessions WHERE id = $1 FOR NO KEY UPDATE", session)
        await earlier.execute("INSERT INTO bookings (id, session_id, activity_id, child_id, family_id, day, status) "
                              "VALUES ($1, $2, $3, $4, $5, $6, 'waitlisted')", uuid.uuid4(), session, activity,
                              uuid.uuid4(), uuid.uuid4(), DAY)
        family, line = uuid.uuid4(), NewBooking(uuid.uuid4(), session, activity, uuid.uuid4(), DAY, None, None)

        async def later():
            async with conn.transaction():
                return await Store(conn).record_reservations(family, [line])

        task = asyncio.create_task(later())
        pid = conn.get_server_pid()
        while await earlier.fetchval("SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", pid) != "Lock":
            assert not task.done(), "the statement did not wait for the session's lock"
            await asyncio.sleep(0.01)
        await tx.commit()
        [recorded] = await task
    finally:
        await earlier.close()
    assert (recorded.status, recorded.position, recorded.place.waiting) == ("waitlisted", 2, 1)
    await conn.execute("DELETE FROM movements WHERE booking_id IN (SELECT id FROM bookings WHERE session_id = $1)",
                       session)
    await conn.execute("DELETE FROM bookings WHERE session_id = $1", session)
    await conn.execute("DELETE FROM sessions WHERE id = $1", session)
    await conn.execute("DELETE FROM activities WHERE id = $1", activity)
