"""The waiting room's position (services/booking/store/admission.py `request_state`), on the real database: the
confirmations queued before it, counted from the oldest one still queued (one look at the queue's index, not a
count of it); it falls as the workers record, and is never below the true one; the recent rate read with it."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import pytest

from kit import db, migrations
from services.booking.store import Store
from services.booking.store.admission import RATE_SECONDS
from tests.conftest import database_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def store(db_prefix):
    dsn = database_url(db_prefix, "booking_position")
    await db.ensure_database(dsn)
    conn = await asyncpg.connect(dsn)
    await migrations.apply(conn, migrations.service_migrations("booking", ROOT / "services" / "booking" / "migrations"))
    await conn.execute("DELETE FROM basket_requests")
    yield Store(conn)
    await conn.close()


async def admit(store: Store, family: uuid.UUID, request_id: uuid.UUID | None = None) -> uuid.UUID:
    request_id = request_id or uuid.uuid4()
    await store.admit(request_id, family, "parent", [])
    return request_id


async def position(store: Store, request_id: uuid.UUID, family: uuid.UUID) -> int | None:
    return (await store.request_state(request_id, family)).position


async def test_the_position_counts_the_confirmations_queued_before_it_and_falls_as_they_are_recorded(store):
    families = [uuid.uuid4() for _ in range(5)]
    requests = [await admit(store, f) for f in families]
    assert [await position(store, r, f) for r, f in zip(requests, families, strict=True)] == [1, 2, 3, 4, 5]
    assert (await store.request_state(requests[0], families[0])).recent_rate is None  # nothing recorded yet
    for _ in range(2):  # the workers record the two oldest, in order
        claimed = await store.claim_next_behind_gate()
        await store.finish(claimed.id, "done", [], None)
        await store.open_gate()
    assert await position(store, requests[2], families[2]) == 1
    # read in the same statement: the rate its estimate divides by (two recorded within the window)
    assert (await store.request_state(requests[2], families[2])).recent_rate == 2 / RATE_SECONDS
    assert await position(store, requests[4], families[4]) == 3
    assert await position(store, requests[0], families[0]) is None  # recorded: no position any more
    assert await store.request_state(requests[4], families[0]) is None  # another family's: not found


async def test_a_form_posted_twice_is_one_request_and_the_position_is_never_below_the_true_one(store):
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    once = await admit(store, first)
    await admit(store, first, once)  # the same form again: nothing admitted (its number is left unused)
    await admit(store, second)
    mine = await admit(store, third)
    assert await store.queue_depth() == 3
    assert 3 <= await position(store, mine, third) <= 4  # two before it; the unused number may count
