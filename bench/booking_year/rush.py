"""bench.booking_year's rush: the rentrée morning, through the gateway as parents meet it. N parents, signed
in beforehand through the sign-in page (each from an address of its own, bench/booking_year/portal.py),
arrive within S seconds (evenly spread) and each validates a basket as its browser does: the recap page
(`POST /reservations/recapitulatif`), the confirmation (`POST /reservations/confirmer`, answered by a
redirect), then the request's page (`/reservations/demandes/{id}`) — the result, or « Votre demande est dans
la file d'attente : position N, environ M secondes », reloaded as its Refresh header says until the result.
Per parent: answered directly, shown a position at once then the result, failed, error, or left without an
answer; then the database is checked: no session overbooked, and for every session with limited places the
baskets recorded in their order of admission."""

from __future__ import annotations

import asyncio
import html
import json
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
import asyncpg

from bench.booking_year.confirm import basket, restore, snapshot
from bench.booking_year.cpu import cpu_per_request, machine_cpu
from bench.booking_year.data import Year
from bench.booking_year.drive import pct
from bench.booking_year.portal import Parent, gateway_portal, sign_in_all

POLL_LIMIT_S = 600  # a parent still waiting after this is counted as left without an answer
DEMANDE_RE = re.compile(r'name="demande" value="([^"]+)"')
POSITION_RE = re.compile(r"file d'attente : position (\d+), environ (\d+) secondes?")
WAITING, DONE = "Votre demande est dans la file d'attente", "Vos demandes ont été traitées"
OUTCOME_RE = re.compile(r'<tr class="issue-(\w+)">')


@dataclass
class Rush:
    parents: int
    seconds: float
    per_parent: Counter = field(default_factory=Counter)  # direct | waited | failed | error | unanswered
    lines: Counter = field(default_factory=Counter)  # the lines' outcomes
    recap: list[float] = field(default_factory=list)  # seconds for the recap page
    first_answer: list[float] = field(default_factory=list)  # from the confirmation's click to the first page
    recorded_after: list[float] = field(default_factory=list)  # seconds from arrival to the result
    max_position: int = 0
    errors: Counter = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)
    wall: float = 0.0
    sign_in_s: float = 0.0
    overbooked: int = 0
    out_of_order: int = 0
    mismatched_places: int = 0
    cpu_ms: dict[str, float] = field(default_factory=dict)  # milliseconds of CPU per parent, by process


class PageError(Exception):
    def __init__(self, what: str, status: int, text: str):
        super().__init__(f"{what}: {status} {text[:200]}")
        self.status = status


@dataclass(frozen=True)
class Page:
    status: int
    headers: dict[str, str]
    text_: str


async def _page(http: aiohttp.ClientSession, parent: Parent, method: str, url: str, what: str,
                data: dict | None = None, expect: int = 200) -> Page:
    headers = {"X-Forwarded-For": parent.address, "Cookie": parent.cookie}
    async with http.request(method, url, data=data, headers=headers, allow_redirects=False) as resp:
        page = Page(resp.status, dict(resp.headers), html.unescape(await resp.text()))
    if page.status != expect:
        raise PageError(what, page.status, page.text_)
    return page


async def _parent(http: aiohttp.ClientSession, base: str, rush: Rush, parent: Parent, lines, delay: float) -> None:
    await asyncio.sleep(delay)
    panier = json.dumps([{"child_id": str(c), "activity_id": str(a), "date": d.isoformat(), "action": "reserve"}
                         for c, a, d in lines])
    t0 = time.perf_counter()
    try:
        recap = await _page(http, parent, "POST", base + "/reservations/recapitulatif", "recap",
                            {"csrf": parent.csrf, "panier": panier})
        demande = DEMANDE_RE.search(recap.text_)
        if demande is None:
            raise PageError("recap without its form", recap.status, recap.text_)
        rush.recap.append(time.perf_counter() - t0)
        clicked = time.perf_counter()
        posted = await _page(http, parent, "POST", base + "/reservations/confirmer", "confirm",
                             {"csrf": parent.csrf, "panier": panier, "demande": demande.group(1)}, expect=303)
        location = base + posted.headers["Location"]
        page = await _page(http, parent, "GET", location, "request page")
        rush.first_answer.append(time.perf_counter() - clicked)  # the result, or the position at once
        waited = DONE not in page.text_
        while DONE not in page.text_:
            shown = POSITION_RE.search(page.text_)
            if shown is None:
                raise PageError("neither the result nor the waiting room", page.status, page.text_)
            rush.max_position = max(rush.max_position, int(shown.group(1)))
            if time.perf_counter() - t0 > POLL_LIMIT_S:
                rush.per_parent["unanswered"] += 1
                return
            await asyncio.sleep(int(page.headers.get("Refresh", "2")))  # as the browser's refresh does
            page = await _page(http, parent, "GET", location, "request page")
    except Exception as exc:  # noqa: BLE001 - counted and shown, the rush goes on
        status = getattr(exc, "status", None)
        if status == 409:  # « Demandes non enregistrées »: the basket was refused whole
            rush.per_parent["failed"] += 1
            return
        kind = type(exc).__name__ + (f" {status}" if status else "")
        rush.per_parent["error"] += 1
        rush.errors[kind] += 1
        rush.samples.setdefault(kind, str(exc)[:300])
        return
    rush.recorded_after.append(time.perf_counter() - t0)
    rush.per_parent["waited" if waited else "direct"] += 1
    rush.lines.update(OUTCOME_RE.findall(page.text_))


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


async def bench_rush(booking_dsn: str, pool: asyncpg.Pool, amqp: str, auth_dsn: str, year: Year, parents: int,
                     seconds: float, basket_days: int) -> Rush:
    days = year.windows(basket_days)[0]
    async with gateway_portal(booking_dsn, amqp, auth_dsn, year, parents) as (base, signed):
        rush = Rush(len(signed), seconds)
        rush.sign_in_s = await sign_in_all(base, signed)
        print(f"  rush: {len(signed)} parents signed in through the gateway in {rush.sign_in_s:.0f} s", flush=True)
        async with pool.acquire() as conn:
            snap = await snapshot(conn)
        t0, before = time.perf_counter(), machine_cpu()
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar(),
                                         connector=aiohttp.TCPConnector(limit=0),
                                         timeout=aiohttp.ClientTimeout(total=120)) as http:
            await asyncio.gather(*(_parent(http, base, rush, p, basket(year, p.family, days), i * seconds / len(signed))
                                   for i, p in enumerate(signed)))
        rush.wall = time.perf_counter() - t0
        rush.cpu_ms = cpu_per_request(before, machine_cpu(), len(signed))
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
        "rush_sign_in_s": round(rush.sign_in_s, 1),
        "rush_direct": rush.per_parent["direct"], "rush_waited": rush.per_parent["waited"],
        "rush_failed": rush.per_parent["failed"], "rush_errors": rush.per_parent["error"],
        "rush_unanswered": rush.parents - answered - rush.per_parent["error"],  # gave up waiting, or never ended
        "rush_recap_p99_ms": round(pct(rush.recap, 0.99) * 1000),
        "rush_first_page_p99_ms": round(pct(rush.first_answer, 0.99) * 1000),
        "rush_result_p50_s": round(pct(rush.recorded_after, 0.5), 1),
        "rush_result_p99_s": round(pct(rush.recorded_after, 0.99), 1),
        "rush_max_position": rush.max_position,
        "rush_accepted": rush.lines["accepted"], "rush_waitlisted": rush.lines["waitlisted"],
        "rush_refused": rush.lines["refused"], "rush_rejected": rush.lines["rejected"],
        "rush_overbooked": rush.overbooked, "rush_places_mismatched": rush.mismatched_places,
        "rush_out_of_order": rush.out_of_order,
        **{f"rush_cpu_ms_per_parent_{name}": round(ms, 1) for name, ms in sorted(rush.cpu_ms.items())},
    }


def report_rush(report, notes: list[str], rush: Rush) -> None:
    """The RESULT figures and checks of a rush: every parent answered (a result or a position at once, then
    the result), no error, nothing overbooked, the baskets recorded in their order of admission."""
    figures = rush_figures(rush)
    for name, value in figures.items():
        report.result(name, value)
    notes.append(f"rush: {rush.parents} parents within {rush.seconds:.0f} s: {dict(rush.per_parent)}; "
                 f"errors {dict(rush.errors) or 0} {rush.samples or ''}; lines {dict(rush.lines)}; position up to {rush.max_position}")
    print(f"  rush: {figures}", flush=True)
    report.check(figures["rush_errors"] == 0 and figures["rush_failed"] == 0,
                 f"rush: {figures['rush_errors']} errors, {figures['rush_failed']} failed ({dict(rush.errors)})")
    report.check(figures["rush_unanswered"] == 0, f"rush: {figures['rush_unanswered']} parents without an answer")
    report.check(rush.overbooked == 0 and rush.mismatched_places == 0,
                 f"rush: {rush.overbooked} sessions overbooked, {rush.mismatched_places} with wrong counts")
    report.check(rush.out_of_order == 0, f"rush: {rush.out_of_order} bookings recorded out of admission order")
