"""kit.db's lean pool reset (`reset_marked_only`, booking's pool): a connection goes back to the pool without
asyncpg's reset round trip, unless it was said to keep session state (`keeps_session_state`): then its advisory
locks and session settings are undone as before. The waiting room's gate is such a lock (booking's admission)."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from kit import db, migrations
from services.booking.store import Store
from services.booking.store.admission import GATE_KEY
from tests.conftest import database_url

LOCK_KEY = 0x70726573  # a key of this test's own
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def dsn(db_prefix):
    url = database_url(db_prefix, "pool_reset")
    await db.ensure_database(url)
    conn = await asyncpg.connect(url)  # booking's tables: the waiting room's gate is taken with its queue's claim
    try:
        await migrations.apply(conn, migrations.service_migrations("booking", ROOT / "services" / "booking" / "migrations"))
    finally:
        await conn.close()
    return url


@pytest.fixture
async def lean(dsn):
    """A one-connection pool with the lean reset: each acquire gets the same connection back."""
    pool = await db.create_pool(dsn, min_size=1, max_size=1, reset_marked_only=True)
    yield pool
    await pool.close()


async def advisory_locks_held(dsn: str, key: int) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        # a bigint key is held as classid (high half) and objid (low half)
        return await conn.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1",
                                   key & 0xFFFFFFFF)
    finally:
        await conn.close()


async def test_a_connection_without_session_state_goes_back_without_the_reset_round_trip(lean):
    async with lean.acquire() as conn:
        await conn.execute("SELECT set_config('application_name', 'not reset', false)")
    async with lean.acquire() as conn:  # the same connection: no RESET ALL was sent
        assert await conn.fetchval("SHOW application_name") == "not reset"
        async with conn.transaction():
            await conn.execute("SELECT 1")
    async with lean.acquire() as conn:
        assert not conn.is_in_transaction()


async def test_a_connection_said_to_keep_session_state_is_reset_when_it_comes_back(dsn, lean):
    async with lean.acquire() as conn:
        db.keeps_session_state(conn)
        await conn.execute("SELECT pg_advisory_lock($1), set_config('application_name', 'holder', false)", LOCK_KEY)
        assert await advisory_locks_held(dsn, LOCK_KEY) == 1
    assert await advisory_locks_held(dsn, LOCK_KEY) == 0  # released by the full reset
    async with lean.acquire() as conn:
        assert await conn.fetchval("SHOW application_name") != "holder"
        await conn.execute("SELECT set_config('application_name', 'unmarked again', false)")
    async with lean.acquire() as conn:  # the mark was for one use only
        assert await conn.fetchval("SHOW application_name") == "unmarked again"


async def test_the_waiting_rooms_gate_is_released_when_its_connection_goes_back_to_a_lean_pool(dsn, lean):
    async with lean.acquire() as conn:
        await Store(conn).claim_next_behind_gate()  # a worker interrupted before open_gate (empty queue)
        assert await advisory_locks_held(dsn, GATE_KEY) == 1
    assert await advisory_locks_held(dsn, GATE_KEY) == 0


async def test_the_default_pool_still_resets_every_connection(dsn):
    pool = await db.create_pool(dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1), set_config('application_name', 'x', false)", LOCK_KEY)
        assert await advisory_locks_held(dsn, LOCK_KEY) == 0
        async with pool.acquire() as conn:
            assert await conn.fetchval("SHOW application_name") != "x"
    finally:
        await pool.close()
