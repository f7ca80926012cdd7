"""Bus scenario `broker_down`: booking, billing and notify on a private RabbitMQ node whose application is
stopped while baskets are confirmed and the nightly transmission runs, then started again; every answered
line recorded, every transmitted movement at billing and notify once."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections import Counter
from contextlib import AsyncExitStack
from datetime import date, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bench.fault_scenarios.accounting import Tally, converge
from bench.fault_scenarios.copies import expected_lines, transmission_effects
from bench.fault_scenarios.inprocess import serve
from bench.fault_scenarios.private_node import PrivateNode
from bench.fault_scenarios.scratch import FIRST_DAY, say


async def seed_booking(pool: asyncpg.Pool, families: int, days: int, capacity: int):
    """A structure, an activity open on `days` days with `capacity` places (then a waiting list), one child
    per family: as auth's and booking's own events would have left them."""
    from services.booking.service import catalog
    from services.booking.store import Store

    structure = uuid.uuid4()
    day_list = [FIRST_DAY + timedelta(days=i) for i in range(days)]
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("INSERT INTO structures (id, name, updated_at) VALUES ($1, 'Mairie de Pannes', now())",
                           structure)
        activity = await catalog.create_activity(Store(conn), catalog.ActivityIn(
            structure_id=structure, name=f"RESTAURATION {uuid.uuid4().hex[:6]}", start_time=dtime(11, 30),
            end_time=dtime(13, 30), capacity=capacity, waitlist_allowed=True))
        await conn.executemany("INSERT INTO sessions (id, activity_id, day, start_time, end_time, capacity) "
                               "VALUES ($1, $2, $3, '11:30', '13:30', $4)",
                               [(uuid.uuid4(), activity, d, capacity) for d in day_list])
        pairs = [(uuid.uuid4(), uuid.uuid4()) for _ in range(families)]
        await conn.executemany("INSERT INTO children (id, family_id, first_name, last_name, birth_date, structure_id) "
                               "VALUES ($1, $2, 'Enfant', 'PANNE', '2090-01-01', $3)",
                               [(child, family, structure) for family, child in pairs])
    return activity, day_list, pairs


async def confirm_basket(http: aiohttp.ClientSession, url: str, secret: str, family: uuid.UUID, child: uuid.UUID,
                         activity: uuid.UUID, days: list[date]) -> tuple[int, list[dict]]:
    """POST /v1/basket/confirm with the parent's signed identity (as the gateway sends it)."""
    from kit import identity as ident

    token = ident.issue(ident.Identity(subject=str(uuid.uuid4()), role="parent", family_id=family), secret)
    lines = [{"child_id": str(child), "activity_id": str(activity), "date": d.isoformat(), "action": "reserve"}
             for d in days]
    async with http.post(f"{url}/v1/basket/confirm", json={"lines": lines}, headers={ident.HEADER: token}) as resp:
        body = await resp.json(content_type=None)
        return resp.status, (body or {}).get("results", []) if resp.status == 200 else []



async def broker_down(node: PrivateNode, amqp_url: str, pg_url: str, prefix: str, workdir: Path, families: int = 60,
                      days: int = 3, capacity: int = 40, spread: float = 5.0, timeout: float = 90) -> Tally:
    """booking, billing and notify on the private node; `families` baskets of `days` lines confirmed through
    booking's API, a first transmission, then the node's application stopped: the other baskets confirmed and
    the transmission run while it is down; started again; a last transmission; then the accounting."""
    from services.booking.service import transmission
    from services.booking.store import Database

    started = time.monotonic()
    tally = Tally("broker_down")
    secret = secrets.token_urlsafe(32)
    dsn = {name: f"{pg_url}/{prefix}{name}" for name in ("booking", "billing", "notify")}
    answers: dict[uuid.UUID, tuple[int, list[dict]]] = {}
    runs: list[Any] = []
    async with AsyncExitStack() as stack:
        for name in ("billing", "notify"):
            await stack.enter_async_context(serve(name, amqp_url, dsn[name], secret, workdir))
        url = await stack.enter_async_context(serve("booking", amqp_url, dsn["booking"], secret, workdir))
        pools = {}
        for name, url_of_db in dsn.items():
            pools[name] = await asyncpg.create_pool(url_of_db, min_size=1, max_size=4)
            stack.push_async_callback(pools[name].close)
        activity, day_list, pairs = await seed_booking(pools["booking"], families, days, capacity)
        http = await stack.enter_async_context(aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=8), timeout=aiohttp.ClientTimeout(total=60)))

        async def confirm(family: uuid.UUID, child: uuid.UUID, delay: float) -> None:
            await asyncio.sleep(delay)  # parents keep coming: before, during and after the outage
            try:
                answers[family] = await confirm_basket(http, url, secret, family, child, activity, day_list)
            except (aiohttp.ClientError, OSError, TimeoutError):
                answers[family] = (0, [])

        async def answered(n: int) -> None:
            while len(answers) < n:
                await asyncio.sleep(0.01)

        tasks = [asyncio.create_task(confirm(f, c, i * spread / families)) for i, (f, c) in enumerate(pairs)]
        try:
            await asyncio.wait_for(answered(families // 4), 60)
            runs.append(await transmission.run(Database(pools["booking"])))  # its events leave while the node goes down
            await node.stop_app()
            say(f"broker_down: application stopped with {len(answers)}/{families} baskets answered")
            stopped_at = time.monotonic()
            await asyncio.wait_for(answered(families // 2), 60)
            runs.append(await transmission.run(Database(pools["booking"])))  # the nightly transmission, broker down
            await asyncio.gather(*tasks)
            runs.append(await transmission.run(Database(pools["booking"])))
            pending = await pools["booking"].fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
            tally.figures.update(pending_while_down=pending)
            await asyncio.sleep(max(0.0, 2.0 - (time.monotonic() - stopped_at)))
        finally:
            for t in tasks:
                t.cancel()
            await node.start_app()
        say("broker_down: application started again")
        runs.append(await transmission.run(Database(pools["booking"])))

        async def measure() -> Tally:
            t = Tally(tally.scenario)
            lines = [(family, r) for family, (status, results) in answers.items() if status == 200 for r in results]
            booked = {r["id"]: (r["status"], r["family_id"]) for r in await pools["booking"].fetch(
                "SELECT id, status, family_id FROM bookings WHERE activity_id = $1", activity)}
            moved = Counter((r["booking_id"], r["outcome"]) for r in await pools["booking"].fetch(
                "SELECT booking_id, outcome FROM movements WHERE kind = 'reserve'"))
            t.count("booking.answered_lines_recorded", lost=sum(
                1 for family, r in lines if not r.get("booking_id")
                or booked.get(uuid.UUID(r["booking_id"])) != (r["outcome"], family)
                or not moved.get((uuid.UUID(r["booking_id"]), r["outcome"]))))
            t.count("booking.movements", duplicated=sum(n - 1 for n in moved.values()))
            t.count("booking.outbox_pending", lost=await pools["booking"].fetchval(
                "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND routing_key LIKE 'booking.transmitted.%'"))
            movements = await pools["booking"].fetch(
                "SELECT booking_id, kind, outcome, transmission_id FROM movements WHERE outcome <> 'pending'")
            t.count("booking.movements_not_transmitted",
                    lost=sum(1 for m in movements if m["transmission_id"] is None))
            await transmission_effects(t, pools["booking"], pools["billing"], pools["notify"],
                                       expected_lines(movements))
            return t

        final = await converge(measure, timeout)
        statuses = Counter(status for status, _ in answers.values())
        final.figures.update(pending_while_down=tally.figures.get("pending_while_down", 0),
                             baskets=families, answered_200=statuses[200], not_answered=families - statuses[200],
                             lines=sum(len(r) for _s, r in answers.values()),
                             transmitted_events=sum(r.events for r in runs), transmitted_lines=sum(r.lines for r in runs))
    final.seconds = time.monotonic() - started
    return final

