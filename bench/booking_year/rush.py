"""bench.booking_year's rush: the rentrée morning. N parents arrive within S seconds (evenly spread) and each
confirms a basket through the waiting room (`POST /v1/basket/requests`, what the gateway's confirmation page
calls), then follows its request as the waiting page does (`GET /v1/basket/requests/{id}`, every 2–10 s
as the page's refresh) until it is recorded. Per parent: answered directly, shown a position at once then
recorded, failed, error, or left without an answer; then the database is checked: no session overbooked,
and for every session with limited places the baskets recorded in their order of admission."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
import asyncpg

from bench.booking_year.confirm import basket, restore, snapshot
from bench.booking_year.data import Year
from bench.booking_year.drive import Client, pct
from kit.identity import HEADER

POLL_LIMIT_S = 600  # a parent still waiting after this is counted as left without an answer


@dataclass
class Rush:
    parents: int
    seconds: float
    per_parent: Counter = field(default_factory=Counter)  # direct | waited | failed | error | unanswered
    lines: Counter = field(default_factory=Counter)  # the lines' outcomes
    first_answer: list[float] = field(default_factory=list)  # seconds until the first page (result or position)
    recorded_after: list[float] = field(default_factory=list)  # seconds from arrival to the result
    max_position: int = 0
    errors: Counter = field(default_factory=Counter)
    wall: float = 0.0
    overbooked: int = 0
    out_of_order: int = 0
    mismatched_places: int = 0


async def _parent(client: Client, rush: Rush, family: uuid.UUID, lines, delay: float) -> None:
    await asyncio.sleep(delay)
    request_id = uuid.uuid4()
    headers = {HEADER: client.token(family)}
    body = {"id": str(request_id), "lines": [{"child_id": str(c), "activity_id": str(a), "date": d.isoformat(),
                                              "action": "reserve"} for c, a, d in lines]}
    t0 = time.perf_counter()
    try:
        async with client.session.post(f"{client.base}/v1/basket/requests", json=body, headers=headers) as resp:
            if resp.status not in (200, 202):
                raise aiohttp.ClientResponseError(resp.request_info, (), status=resp.status,
                                                  message=(await resp.text())[:200])
            state = await resp.json()
        rush.first_answer.append(time.perf_counter() - t0)
        waited = state["status"] == "queued"
        if waited:
            rush.max_position = max(rush.max_position, state["position"] or 0)
        while state["status"] == "queued":
            if time.perf_counter() - t0 > POLL_LIMIT_S:
                rush.per_parent["unanswered"] += 1
                return
            await asyncio.sleep(min(max(state["eta_seconds"] or 2, 2), 10))
            async with client.session.get(f"{client.base}/v1/basket/requests/{request_id}", headers=headers) as resp:
                if resp.status != 200:
                    raise aiohttp.ClientResponseError(resp.request_info, (), status=resp.status,
                                                      message=(await resp.text())[:200])
                state = await resp.json()
    except Exception as exc:  # noqa: BLE001 - counted and shown, the rush goes on
        rush.per_parent["error"] += 1
        rush.errors[type(exc).__name__ + (f" {exc.status}" if hasattr(exc, "status") else "")] += 1
        return
    rush.recorded_after.append(time.perf_counter() - t0)
    if state["status"] == "failed":
        rush.per_parent["failed"] += 1
        return
    rush.per_parent["waited" if waited else "direct"] += 1
    rush.lines.update(r["outcome"] for r in state["results"])


async def _check(pool: asyncpg.Pool, rush: Rush, request_seq: int) -> None:
    async with pool.acquire() as conn:
        rush.overbooked = await conn.fetchval(
            "SELECT count(*) FROM sessions WHERE capacity IS NOT NULL AND taken > capacity")
        rush.mismatched_places = await conn.fetchval(
            """SELECT count(*) FROM sessions s WHERE s.capacity IS NOT NULL AND s.taken <>
                   (SELECT count(*) FROM bookings b WHERE b.session_id = s.id AND b.status = 'accepted')""")
        # per limited session, the rush's bookings in their order of admission: request_seq must only grow
        rows = await conn.fetch(
            """SELECT b.session_id, r.seq, b.request_seq FROM basket_requests r
               JOIN bookings b ON b.family_id = r.family_id AND b.request_seq > $1
               JOIN sessions s ON s.id = b.session_id AND s.capacity IS NOT NULL
               ORDER BY b.session_id, r.seq, b.request_seq""", request_seq)
    last: dict[uuid.UUID, int] = {}
    for r in rows:
        if r["request_seq"] < last.get(r["session_id"], 0):
            rush.out_of_order += 1
        last[r["session_id"]] = max(last.get(r["session_id"], 0), r["request_seq"])


async def bench_rush(base: str, pool: asyncpg.Pool, year: Year, parents: int, seconds: float,
                     basket_days: int) -> Rush:
    families = list(year.families)[:parents]
    days = year.windows(basket_days)[0]
    rush = Rush(len(families), seconds)
    client = Client(base, len(families), timeout_s=60)
    async with pool.acquire() as conn:
        snap = await snapshot(conn)
    t0 = time.perf_counter()
    try:
        await asyncio.gather(*(_parent(client, rush, f, basket(year, f, days), i * seconds / len(families))
                               for i, f in enumerate(families)))
    finally:
        await client.close()
    rush.wall = time.perf_counter() - t0
    await _check(pool, rush, snap[1])
    async with pool.acquire() as conn:
        await conn.execute("DELETE FROM basket_requests")
        await restore(conn, snap)
    return rush


def rush_figures(rush: Rush) -> dict[str, float]:
    """The RESULT figures of a rush (bench/README.md)."""
    answered = sum(rush.per_parent[k] for k in ("direct", "waited", "failed"))
    return {
        "rush_parents": rush.parents, "rush_arrival_s": rush.seconds, "rush_wall_s": round(rush.wall, 1),
        "rush_direct": rush.per_parent["direct"], "rush_waited": rush.per_parent["waited"],
        "rush_failed": rush.per_parent["failed"], "rush_errors": rush.per_parent["error"],
        "rush_unanswered": rush.parents - answered - rush.per_parent["error"],
        "rush_first_page_p99_ms": round(pct(rush.first_answer, 0.99) * 1000),
        "rush_result_p50_s": round(pct(rush.recorded_after, 0.5), 1),
        "rush_result_p99_s": round(pct(rush.recorded_after, 0.99), 1),
        "rush_max_position": rush.max_position,
        "rush_accepted": rush.lines["accepted"], "rush_waitlisted": rush.lines["waitlisted"],
        "rush_refused": rush.lines["refused"], "rush_rejected": rush.lines["rejected"],
        "rush_overbooked": rush.overbooked, "rush_places_mismatched": rush.mismatched_places,
        "rush_out_of_order": rush.out_of_order,
    }


def report_rush(report, notes: list[str], rush: Rush) -> None:
    """The RESULT figures and checks of a rush: every parent answered (a result or a position at once, then
    the result), no error, nothing overbooked, the baskets recorded in their order of admission."""
    figures = rush_figures(rush)
    for name, value in figures.items():
        report.result(name, value)
    notes.append(f"rush: {rush.parents} parents within {rush.seconds:.0f} s: {dict(rush.per_parent)}; "
                 f"errors {dict(rush.errors) or 0}; lines {dict(rush.lines)}; position up to {rush.max_position}")
    print(f"  rush: {figures}", flush=True)
    report.check(figures["rush_errors"] == 0 and figures["rush_failed"] == 0,
                 f"rush: {figures['rush_errors']} errors, {figures['rush_failed']} failed ({dict(rush.errors)})")
    report.check(figures["rush_unanswered"] == 0, f"rush: {figures['rush_unanswered']} parents without an answer")
    report.check(rush.overbooked == 0 and rush.mismatched_places == 0,
                 f"rush: {rush.overbooked} sessions overbooked, {rush.mismatched_places} with wrong counts")
    report.check(rush.out_of_order == 0, f"rush: {rush.out_of_order} bookings recorded out of admission order")
