"""The waiting room (docs/adr/0008): confirmations admitted at once and recorded in their order of arrival
(the first admitted get the last places, the waiting list follows the same order), a parent told their
position while the service is busy, the answer kept for a reload, a form posted twice recorded once, and
another family's request not found."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import uuid
from datetime import date, time, timedelta

import aiohttp
import asyncpg

from kit import identity as ident
from services.booking.app import service as booking
from services.booking.service import catalog
from services.booking.store import Store
from services.booking.store.admission import GATE_KEY
from tests.conftest import SECRET, database_url

PLACES = 10


async def seed(dsn: str, parents: int) -> tuple[uuid.UUID, date, list[tuple[uuid.UUID, uuid.UUID]]]:
    structure = uuid.uuid4()
    day = date.today() + timedelta(days=40)  # well before its booking deadline, whatever today is
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            activity = await catalog.create_activity(Store(conn), catalog.ActivityIn(
                structure_id=structure, name=f"ALSH Mercredi {uuid.uuid4().hex[:6]}", start_time=time(9),
                end_time=time(17), capacity=PLACES, waitlist_allowed=True))
            await conn.execute("INSERT INTO sessions (id, activity_id, day, start_time, end_time, capacity) "
                               "VALUES ($1, $2, $3, '09:00', '17:00', $4)", uuid.uuid4(), activity, day, PLACES)
            families = [(uuid.uuid4(), uuid.uuid4()) for _ in range(parents)]
            await conn.executemany(
                "INSERT INTO children (id, family_id, first_name, last_name, birth_date, structure_id) "
                "VALUES ($1, $2, 'Enfant', 'TEST', '2018-01-01', $3)",
                [(child, family, structure) for family, child in families])
    finally:
        await conn.close()
    return activity, day, families


def headers(family: uuid.UUID) -> dict[str, str]:
    return {ident.HEADER: ident.issue(ident.Identity(subject=f"parent-{family}", role="parent", family_id=family),
                                      SECRET)}


def body(request_id: uuid.UUID, child: uuid.UUID, activity: uuid.UUID, day: date) -> dict:
    return {"id": str(request_id), "lines": [{"child_id": str(child), "activity_id": str(activity),
                                              "date": day.isoformat(), "action": "reserve"}]}


async def until_recorded(http, url: str, family: uuid.UUID, request_id: uuid.UUID) -> dict:
    for _ in range(600):
        async with http.get(f"{url}/v1/basket/requests/{request_id}", headers=headers(family)) as resp:
            assert resp.status == 200, await resp.text()
            state = await resp.json()
        if state["status"] != "queued":
            return state
        await asyncio.sleep(0.1)
    raise AssertionError(f"{request_id} still queued")


async def test_the_first_admitted_get_the_places_and_the_list_follows_arrival_order(run_service, db_prefix):
    parents = 60
    async with run_service(booking, admission_wait_seconds=0.0, admission_workers=3) as url:
        dsn = database_url(db_prefix, "booking")
        activity, day, families = await seed(dsn, parents)
        ids = [uuid.uuid4() for _ in families]
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=parents)) as http:
            async def submit(i: int) -> dict:
                family, child = families[i]
                async with http.post(f"{url}/v1/basket/requests", headers=headers(family),
                                     json=body(ids[i], child, activity, day)) as resp:
                    assert resp.status in (200, 202), await resp.text()
                    return await resp.json()

            first = await asyncio.gather(*(submit(i) for i in range(parents)))
            assert all(s["status"] == "done" or (s["position"] >= 1 and s["eta_seconds"] >= 1) for s in first)
            states = await asyncio.gather(*(until_recorded(http, url, f, r) for (f, _), r in zip(families, ids)))
        conn = await asyncpg.connect(dsn)
        try:
            # this test's requests only (the module's other tests share the database)
            order = [r["id"] for r in await conn.fetch(
                "SELECT id FROM basket_requests WHERE id = ANY($1::uuid[]) ORDER BY seq", ids)]
            taken = await conn.fetchval("SELECT taken FROM sessions WHERE activity_id = $1", activity)
        finally:
            await conn.close()
    answer = {r: s["results"][0] for r, s in zip(ids, states)}
    assert taken == PLACES
    assert [answer[r]["outcome"] for r in order] == ["accepted"] * PLACES + ["waitlisted"] * (parents - PLACES)
    assert [answer[r]["waitlist_position"] for r in order[PLACES:]] == list(range(1, parents - PLACES + 1))


async def test_a_busy_service_shows_the_position_then_the_answer_kept_for_reloads(run_service, db_prefix):
    async with run_service(booking, admission_wait_seconds=0.3) as url:
        dsn = database_url(db_prefix, "booking")
        activity, day, [(family, child), (other, _)] = await seed(dsn, 2)
        request_id = uuid.uuid4()
        holder = await asyncpg.connect(dsn)
        try:
            tx = holder.transaction()
            await tx.start()  # staff changing the day's places: the confirmation has to wait for the row
            await holder.execute("SELECT 1 FROM sessions WHERE activity_id = $1 FOR UPDATE", activity)
            async with aiohttp.ClientSession() as http:
                async with http.post(f"{url}/v1/basket/requests", headers=headers(family),
                                     json=body(request_id, child, activity, day)) as resp:
                    assert resp.status == 202
                    waiting = await resp.json()
                assert (waiting["status"], waiting["position"], waiting["results"]) == ("queued", 1, None)
                assert waiting["eta_seconds"] >= 1
                # the same form posted again is the same request
                async with http.post(f"{url}/v1/basket/requests", headers=headers(family),
                                     json=body(request_id, child, activity, day)) as resp:
                    assert resp.status == 202
                # another family does not even learn it exists
                async with http.get(f"{url}/v1/basket/requests/{request_id}", headers=headers(other)) as resp:
                    assert resp.status == 404
                await tx.rollback()
                done = await until_recorded(http, url, family, request_id)
                again = await until_recorded(http, url, family, request_id)
        finally:
            await holder.close()
    assert done["status"] == "done" and done["results"][0]["outcome"] == "accepted"
    assert again == done  # a reload shows the same answer, never « déjà réservé »
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM bookings WHERE child_id = $1", child) == 1
        assert await conn.fetchval("SELECT count(*) FROM basket_requests WHERE id = $1", request_id) == 1
    finally:
        await conn.close()


async def test_two_replicas_and_their_workers_record_overlapping_baskets_in_admission_order(run_service, db_prefix):
    """Two booking replicas of four workers each, 48 families arriving at once on both, each basket a different
    set of three days with limited places (so baskets share some sessions and not others, and the workers
    record side by side): for every day, the places go to the first admitted and the waiting list follows
    the order of admission, as if the baskets had been recorded one after another. (The second replica is a
    copy of the service: a Service object keeps its own pool and broker, one per running process.)"""
    parents, days = 48, 6
    rng = random.Random(17)
    async with run_service(booking, admission_wait_seconds=0.0, admission_workers=4) as one, \
            run_service(dataclasses.replace(booking), admission_wait_seconds=0.0, admission_workers=4) as two:
        dsn = database_url(db_prefix, "booking")
        activity, first_day, families = await seed(dsn, parents)
        conn = await asyncpg.connect(dsn)
        try:  # the same activity on five more days (a week later each: no calendar rule involved)
            await conn.executemany("INSERT INTO sessions (id, activity_id, day, start_time, end_time, capacity) "
                                   "VALUES ($1, $2, $3, '09:00', '17:00', $4)",
                                   [(uuid.uuid4(), activity, first_day + timedelta(weeks=w), PLACES)
                                    for w in range(1, days)])
        finally:
            await conn.close()
        chosen = [sorted(rng.sample(range(days), 3)) for _ in families]
        ids = [uuid.uuid4() for _ in families]
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=parents)) as http:
            async def submit(i: int) -> None:
                family, child = families[i]
                lines = [{"child_id": str(child), "activity_id": str(activity), "action": "reserve",
                          "date": (first_day + timedelta(weeks=w)).isoformat()} for w in chosen[i]]
                async with http.post(f"{(one, two)[i % 2]}/v1/basket/requests", headers=headers(family),
                                     json={"id": str(ids[i]), "lines": lines}) as resp:
                    assert resp.status in (200, 202), await resp.text()

            await asyncio.gather(*(submit(i) for i in range(parents)))
            states = await asyncio.gather(*(until_recorded(http, one, f, r) for (f, _), r in zip(families, ids)))
        conn = await asyncpg.connect(dsn)
        try:
            # this test's requests only (the module's other tests share the database)
            order = [r["id"] for r in await conn.fetch(
                "SELECT id FROM basket_requests WHERE id = ANY($1::uuid[]) ORDER BY seq", ids)]
            overbooked = await conn.fetchval("SELECT count(*) FROM sessions WHERE taken > capacity")
        finally:
            await conn.close()
    assert overbooked == 0 and all(s["status"] == "done" for s in states)
    answers_of = {r: {line["date"]: line for line in s["results"]} for r, s in zip(ids, states)}
    for w in range(days):
        day = (first_day + timedelta(weeks=w)).isoformat()
        asked = [answers_of[r][day] for r in order if day in answers_of[r]]  # the day's lines, in admission order
        assert len(asked) > PLACES
        assert [a["outcome"] for a in asked] == ["accepted"] * PLACES + ["waitlisted"] * (len(asked) - PLACES), day
        assert [a["waitlist_position"] for a in asked[PLACES:]] == list(range(1, len(asked) - PLACES + 1)), day


async def test_a_refused_basket_is_answered_failed_leaves_nothing_and_the_next_one_is_recorded(run_service, db_prefix):
    """A basket the checks refuse when its turn comes (here another family's child) is answered « failed » with its
    French reason, writes nothing, and the worker opens the gate for the basket admitted after it."""
    async with run_service(booking, admission_wait_seconds=0.0, admission_workers=1) as url:
        dsn = database_url(db_prefix, "booking")
        activity, day, [(family, _), (other, others_child)] = await seed(dsn, 2)
        intruder, honest = uuid.uuid4(), uuid.uuid4()
        async with aiohttp.ClientSession() as http:
            for request_id, child in ((intruder, others_child), (honest, others_child)):
                who = family if request_id == intruder else other
                async with http.post(f"{url}/v1/basket/requests", headers=headers(who),
                                     json=body(request_id, child, activity, day)) as resp:
                    assert resp.status in (200, 202), await resp.text()
            refused = await until_recorded(http, url, family, intruder)
            recorded = await until_recorded(http, url, other, honest)
        conn = await asyncpg.connect(dsn)
        try:
            bookings = await conn.fetch("SELECT family_id, status FROM bookings WHERE child_id = $1", others_child)
            movements = await conn.fetchval("SELECT count(*) FROM movements WHERE family_id = $1", family)
            taken = await conn.fetchval("SELECT taken FROM sessions WHERE activity_id = $1", activity)
        finally:
            await conn.close()
    assert refused["status"] == "failed" and refused["results"] is None
    assert refused["problem"] == "Enfant introuvable."
    assert recorded["status"] == "done" and recorded["results"][0]["outcome"] == "accepted"
    assert [tuple(b) for b in bookings] == [(other, "accepted")]  # the other family's own, nothing of the intruder's
    assert (movements, taken) == (0, 1)


async def workers_in_transaction(watcher: asyncpg.Connection, other_replica_pid: int) -> int:
    """Booking's connections inside a transaction (idle in it, or waiting for the gate), once a worker waits for
    the gate and every worker has had time to ask for its turn: the fewest seen over a second of samples (another
    task's short transaction may show in one sample, the workers' waits show in all of them)."""
    query = ("SELECT count(*) FILTER (WHERE state = 'idle in transaction' OR wait_event = 'advisory') AS n, "
             "count(*) FILTER (WHERE wait_event = 'advisory') AS at_gate FROM pg_stat_activity "
             "WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), $1)")
    for _ in range(100):  # up to 10 s for the first worker to reach the gate
        if (await watcher.fetchrow(query, other_replica_pid))["at_gate"]:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # the workers poll the queue every half second: all of them have asked by now
    seen = []
    for _ in range(10):
        seen.append((await watcher.fetchrow(query, other_replica_pid))["n"])
        await asyncio.sleep(0.1)
    return min(seen)


async def test_workers_waiting_for_the_gate_hold_one_connection_not_one_each(run_service, db_prefix):
    """While another replica holds the gate, this process's four workers wait for it with ONE pooled connection
    (the one whose turn it is); the other three wait in the process, holding none — not three connections of the
    pool idle in a transaction, taken from the pages and the direct confirmations at the rush."""
    async with run_service(booking, admission_wait_seconds=0.0, admission_workers=4) as url:
        dsn = database_url(db_prefix, "booking")
        activity, day, [(family, child)] = await seed(dsn, 1)
        other_replica = await asyncpg.connect(dsn)
        watcher = await asyncpg.connect(dsn)
        try:
            await other_replica.execute("SELECT pg_advisory_lock($1)", GATE_KEY)
            request_id = uuid.uuid4()
            async with aiohttp.ClientSession() as http:
                async with http.post(f"{url}/v1/basket/requests", headers=headers(family),
                                     json=body(request_id, child, activity, day)) as resp:
                    assert resp.status == 202, await resp.text()
                in_transaction = await workers_in_transaction(watcher, other_replica.get_server_pid())
                await other_replica.execute("SELECT pg_advisory_unlock($1)", GATE_KEY)
                done = await until_recorded(http, url, family, request_id)
        finally:
            await other_replica.close()
            await watcher.close()
    assert in_transaction == 1
    assert done["status"] == "done" and done["results"][0]["outcome"] == "accepted"
