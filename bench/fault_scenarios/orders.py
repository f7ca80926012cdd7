"""Bus scenario `start_order`: the five services started in a given order on a fresh virtual host where the
topology step did NOT run, while families are created in auth; then every copy compared with auth."""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import time
import uuid
from collections import Counter
from contextlib import AsyncExitStack
from pathlib import Path

import aiohttp
import asyncpg

from bench.fault_scenarios.accounting import Tally, converge
from bench.fault_scenarios.copies import compare_with_auth
from bench.fault_scenarios.families import (
    FamilySpec,
    auth_code_path,
    create_family_by_api,
    create_structure,
    later_child,
    new_family,
)
from bench.fault_scenarios.inprocess import inprocess_settings, serve, service_object
from bench.fault_scenarios.scratch import SERVICES

# The start orders of scenario 1: at least producers first, consumers first, interleaved and a random one.
ORDERS: dict[str, tuple[str, ...]] = {
    "producers_first": ("auth", "booking", "billing", "dossier", "notify"),
    "consumers_first": ("notify", "dossier", "billing", "booking", "auth"),
    "interleaved": ("booking", "auth", "notify", "billing", "dossier"),
    "random_seed_14": tuple(random.Random(14).sample(SERVICES, len(SERVICES))),
}


async def start_order(order_name: str, order: tuple[str, ...], amqp_url: str, pg_url: str, prefix: str,
                      workdir: Path, families: int = 24, gap: float = 0.4, timeout: float = 60) -> Tally:
    """Start the five services in `order` (`gap` seconds apart) on a virtual host where nothing is declared,
    while `families` families are created in auth (by its code path on its database before it runs, through
    its API once it does, some completed later with one more child); then compare every copy with auth."""
    started = time.monotonic()
    tally = Tally(f"start_order_{order_name}")
    secret = secrets.token_urlsafe(32)
    dsn = {name: f"{pg_url}/{prefix}{name}" for name in SERVICES}
    auth_service = service_object("auth")
    await auth_service.migrate(inprocess_settings("auth", amqp_url, dsn["auth"], secret, workdir))
    tag = uuid.uuid4().hex[:6]
    urls: dict[str, str] = {}
    created: list[FamilySpec] = []
    via = Counter()
    async with AsyncExitStack() as stack:
        auth_pool = await asyncpg.create_pool(dsn["auth"], min_size=1, max_size=3)
        stack.push_async_callback(auth_pool.close)
        http = await stack.enter_async_context(aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)))
        code_path = auth_code_path(auth_pool)
        async with auth_pool.acquire() as conn:
            structures = [await create_structure(conn, f"Mairie {tag} {i}") for i in range(2)]
        span = gap * len(order) + 2.0  # families keep coming while the services start, and a little after

        async def write(family: FamilySpec, update: bool = False) -> None:
            """Through auth's API once it runs (every other family), else by its own code path on its database."""
            if "auth" in urls and (update or len(created) % 2 or code_path is None):
                await create_family_by_api(http, urls["auth"], secret, family, expect=409 if update else 201)
                via["api"] += 1
                return
            if code_path is None:  # auth's code cannot be reached from here: wait for its API
                via["waited_for_api"] += 1
                while "auth" not in urls:
                    await asyncio.sleep(0.05)
                return await write(family, update)
            async with auth_pool.acquire() as conn, conn.transaction():
                await code_path(conn, family)
            via["code_path"] += 1

        async def writer() -> None:
            for n in range(families):
                family = new_family(n, structures, tag)
                await write(family)
                created.append(family)
                if n % 4 == 3:  # a family completed later: a newer version of it
                    await write(later_child(created[n - 2], n), update=True)
                    via["updates"] += 1
                await asyncio.sleep(span / families)

        writing = asyncio.create_task(writer())
        try:
            for name in order:
                urls[name] = await stack.enter_async_context(
                    serve(name, amqp_url, dsn[name], secret, workdir))
                await asyncio.sleep(gap)
            await writing
        finally:
            if not writing.done():
                writing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await writing
        pools = {}
        for name in SERVICES[1:]:
            pools[name] = await asyncpg.create_pool(dsn[name], min_size=1, max_size=2)
            stack.push_async_callback(pools[name].close)

        async def measure() -> Tally:
            t = Tally(tally.scenario)
            t.count("auth.outbox_pending", lost=await auth_pool.fetchval(
                "SELECT count(*) FROM outbox WHERE sent_at IS NULL"))
            await compare_with_auth(t, auth_pool, pools)
            return t

        final = await converge(measure, timeout)
        final.figures.update(families=len(created), via_api=via["api"], via_code_path=via["code_path"],
                             waited_for_api=via["waited_for_api"], updates=via["updates"],
                             children=await auth_pool.fetchval("SELECT count(*) FROM children"))
    final.seconds = time.monotonic() - started
    return final

