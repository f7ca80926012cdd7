"""The length of each session's waiting list kept on the session (`sessions.waiting`, migration 022), which a
basket reads from the rows it locks instead of counting the lists: every way a booking is written keeps it equal
to the count (inserts one by one and in bulk, COPY, changes of status and of session, deletions), writes that do
not touch a waiting list leave the session row alone, the migration starts it from the lists already there, and a
staff decision locks the session before the request (the trigger's update must never wait for a session while
holding a booking that a basket holding that session waits for)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from pathlib import Path

import asyncpg
import pytest

from kit import db, migrations
from services.booking.store import Store
from tests.conftest import database_url

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2030, 9, 2)  # any day: the triggers know no calendar
ALL = migrations.service_migrations("booking", ROOT / "services" / "booking" / "migrations")
COUNTER = next(i for i, m in enumerate(ALL) if m.name == "waiting_counter")


async def connect(db_prefix: str, name: str, upto: int | None = None) -> asyncpg.Connection:
    dsn = database_url(db_prefix, name)
    await db.ensure_database(dsn)
    conn = await asyncpg.connect(dsn)
    await migrations.apply(conn, ALL[:upto])
    return conn


@pytest.fixture
async def conn(db_prefix):
    c = await connect(db_prefix, "booking_waiting")
    yield c
    await c.close()


async def two_sessions(conn) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    activity, structure = uuid.uuid4(), uuid.uuid4()
    await conn.execute("INSERT INTO activities (id, structure_id, name, start_time, end_time, waitlist_allowed) "
                       "VALUES ($1, $2, 'ALSH', '09:00', '10:00', true)", activity, structure)
    sessions = [uuid.uuid4(), uuid.uuid4()]
    for i, session in enumerate(sessions):
        await conn.execute("INSERT INTO sessions (id, activity_id, day, start_time, end_time, capacity, taken) "
                           "VALUES ($1, $2, $3, '09:00', '10:00', 2, 2)", session, activity, DAY.replace(day=2 + i))
    return activity, *sessions


async def insert(conn, session, activity, status: str, n: int = 1) -> list[uuid.UUID]:
    """n bookings of a session in one statement."""
    ids = [uuid.uuid4() for _ in range(n)]
    await conn.execute(
        "INSERT INTO bookings (id, session_id, activity_id, child_id, family_id, day, status) "
        "SELECT n.id, $2, $3, gen_random_uuid(), gen_random_uuid(), s.day, $4 "
        "FROM unnest($1::uuid[]) AS n(id), sessions s WHERE s.id = $2", ids, session, activity, status)
    return ids


async def kept(conn) -> dict[uuid.UUID, tuple[int, int]]:
    """Each session's counter beside its waiting list counted."""
    rows = await conn.fetch("SELECT s.id, s.waiting, (SELECT count(*) FROM bookings b WHERE b.session_id = s.id "
                            "AND b.status = 'waitlisted') AS counted FROM sessions s")
    return {r["id"]: (r["waiting"], r["counted"]) for r in rows}


async def assert_kept(conn) -> None:
    for session, (waiting, counted) in (await kept(conn)).items():
        assert waiting == counted, f"session {session}: waiting {waiting}, list {counted}"


async def test_every_write_of_a_booking_keeps_the_waiting_lists_length(conn):
    activity, first, second = await two_sessions(conn)
    waiting = await insert(conn, first, activity, "waitlisted", 5)  # a basket's lines: one statement
    await insert(conn, first, activity, "accepted", 2)
    pending = await insert(conn, second, activity, "pending", 2)
    await insert(conn, second, activity, "waitlisted")
    assert (await kept(conn))[first] == (5, 5)
    await assert_kept(conn)

    await conn.copy_records_to_table(  # as the benchmark loads its year
        "bookings", columns=["id", "session_id", "activity_id", "child_id", "family_id", "day", "status"],
        records=[(uuid.uuid4(), second, activity, uuid.uuid4(), uuid.uuid4(), DAY.replace(day=3), "waitlisted")
                 for _ in range(3)])
    assert (await kept(conn))[second] == (4, 4)

    # promoted, cancelled, decided by the staff, moved to another session, deleted
    await conn.execute("UPDATE bookings SET status = 'accepted' WHERE id = ANY($1::uuid[])", waiting[:2])
    await conn.execute("UPDATE bookings SET status = 'cancelled' WHERE id = $1", waiting[2])
    await conn.execute("UPDATE bookings SET status = 'waitlisted' WHERE id = ANY($1::uuid[])", pending)
    await conn.execute("UPDATE bookings SET session_id = $2 WHERE id = $1", waiting[3], second)
    await conn.execute("DELETE FROM bookings WHERE id = $1", waiting[4])
    await conn.execute("UPDATE bookings SET status = 'waitlisted' WHERE id = $1", waiting[2])  # back on the list
    assert (await kept(conn))[first] == (1, 1)
    assert (await kept(conn))[second] == (7, 7)
    await assert_kept(conn)


async def test_writes_that_leave_the_waiting_lists_alone_do_not_touch_the_session(conn):
    """The nightly transmission marks every booking (`transmitted`), the absences and the prices write theirs:
    none of them may rewrite (and lock) the sessions, nor a change between two statuses off the list."""
    activity, first, _ = await two_sessions(conn)
    ids = await insert(conn, first, activity, "waitlisted", 3) + await insert(conn, first, activity, "accepted", 3)
    version = await conn.fetchval("SELECT xmin::text FROM sessions WHERE id = $1", first)
    await conn.execute("UPDATE bookings SET transmitted = true, changed_at = now() WHERE id = ANY($1::uuid[])", ids)
    await conn.execute("UPDATE bookings SET status = 'cancelled' WHERE id = ANY($1::uuid[])", ids[3:])
    await conn.execute("UPDATE bookings SET status = 'waitlisted' WHERE id = ANY($1::uuid[])", ids[:3])  # unchanged
    assert await conn.fetchval("SELECT xmin::text FROM sessions WHERE id = $1", first) == version
    await assert_kept(conn)


async def test_the_migration_starts_each_counter_from_the_lists_already_there(db_prefix):
    conn = await connect(db_prefix, "booking_waiting_migrated", upto=COUNTER)
    try:
        activity, first, second = await two_sessions(conn)
        await insert(conn, first, activity, "waitlisted", 4)
        await insert(conn, first, activity, "refused", 2)
        await insert(conn, second, activity, "accepted", 2)
        await migrations.apply(conn, ALL)
        assert (await kept(conn))[first] == (4, 4)
        assert (await kept(conn))[second] == (0, 0)
    finally:
        await conn.close()


async def test_a_staff_decision_locks_the_session_before_the_request(conn, db_prefix):
    """A basket holding the session (it cancels or promotes) may wait for the request; the decision must not
    hold the request while it waits for the session, or both would wait for each other."""
    activity, first, _ = await two_sessions(conn)
    [request] = await insert(conn, first, activity, "pending")
    basket = await connect(db_prefix, "booking_waiting")
    other = await connect(db_prefix, "booking_waiting")
    try:
        tx = basket.transaction()
        await tx.start()
        await basket.execute("SELECT 1 FROM sessions WHERE id = $1 FOR NO KEY UPDATE", first)

        async def decision():
            async with conn.transaction():
                found = await Store(conn).lock_request(request)
                await Store(conn).set_status(request, "waitlisted")
                return found

        task = asyncio.create_task(decision())
        pid = conn.get_server_pid()
        while await other.fetchval("SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", pid) != "Lock":
            assert not task.done(), "the decision did not wait for the session held by the basket"
            await asyncio.sleep(0.01)
        # meanwhile the request is free: the basket can take it (and would wait for it, not fail, in real life)
        await basket.execute("SELECT 1 FROM bookings WHERE id = $1 FOR UPDATE NOWAIT", request)
        await tx.commit()
        found = await asyncio.wait_for(task, 10)
    finally:
        await basket.close()
        await other.close()
    assert (found.id, found.session_id, found.status) == (request, first, "pending")
    assert (await kept(conn))[first] == (1, 1)
