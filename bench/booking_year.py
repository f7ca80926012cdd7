"""A school year of bookings: how fast are the calendar, the confirmation and the nightly transmission,
and how far is each from what PostgreSQL alone does with the same statements?

Loads a realistic year into a scratch booking database (3 structures, 3,000 families, 5,000 children,
8 activities, 180 school days, half the year already booked), runs the real booking service in this
process (aiohttp on a free port, its real pool, broker connection and outbox relay on a RabbitMQ
virtual host of its own) and drives its HTTP API with signed parent identities. Every figure is
printed beside the raw PostgreSQL figure for the same statements without the service (asyncpg, same
pool size), and as a ratio service/raw. The database and the virtual host are removed afterwards,
also on failure or Ctrl-C.

    uv run python -m bench.booking_year                 # full year (about 3 minutes)
    uv run python -m bench.booking_year --quick         # smoke check (< 1 minute)
    uv run python -m bench.booking_year --families 1000

Needs the local PostgreSQL (127.0.0.1:5432, user postgres) and RabbitMQ (rabbitmqctl on the PATH).
The load generator shares the event loop (and the 2 cores) with the service: HTTP figures include
the client's own cost, so they are pessimistic for the service.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import aiohttp
import asyncpg
from aiohttp import web

from bench.common import Report, rabbitmqctl
from contracts import BookingTransmittedV1
from kit import db, migrations
from kit.bus import exchange_name
from kit.identity import HEADER, Identity, issue
from kit.logging import configure_logging
from services.booking.app import service as booking_service
from services.booking.domain.openings import french_public_holidays
from services.booking.service import transmission
from services.booking.store import MOVEMENTS_SQL, SESSIONS_SQL, Database, Store

PG = "postgresql://postgres@127.0.0.1:5432"
AMQP_HOST = "127.0.0.1:5672"
SECRET = "bench-identity-secret-" + "0123456789abcdef" * 2
ROOT = Path(__file__).resolve().parent.parent
POOL_SIZE = 10  # kit.db.create_pool's default: the service's pool; the raw runs use the same size

FIRST_NAMES = ("Léa", "Hugo", "Chloé", "Louis", "Emma", "Gabriel", "Jade", "Raphaël", "Louise", "Arthur",
               "Alice", "Jules", "Inès", "Adam", "Lina", "Lucas", "Rose", "Nathan", "Mila", "Tom")
LAST_NAMES = ("MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY",
              "MOREAU", "SIMON", "LAURENT", "LEFEBVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND", "ROUX")


# -- sizes ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sizes:
    families: int
    school_days: int
    pending_lines: int
    calendar_requests: int
    confirm_parents: tuple[int, ...]
    confirm_rounds: dict[int, int]  # how many bursts (each on its own 10 days) per concurrency
    calendar_concurrency: int = 20
    basket_days: int = 10  # 2 children x 10 days x (canteen + APS soir) = 40 lines


def sizes(args: argparse.Namespace) -> Sizes:
    if args.quick:
        return Sizes(families=args.families or 300, school_days=30, pending_lines=5_000, calendar_requests=100,
                     confirm_parents=(20, 100), confirm_rounds={20: 1, 100: 1})
    return Sizes(families=args.families or 3000, school_days=180, pending_lines=100_000, calendar_requests=500,
                 confirm_parents=(100, 1000), confirm_rounds={100: 3, 1000: 1})


# -- the year ------------------------------------------------------------------------------------------
@dataclass
class ActivityDef:
    structure: int
    name: str
    start: dtime
    end: dtime
    capacity: int | None
    waitlist: bool
    house_rules: bool
    price_cents: int
    days: str  # "school" (Mon, Tue, Thu, Fri) or "wednesday"
    id: uuid.UUID = field(default_factory=uuid.uuid4)


def activity_defs() -> list[ActivityDef]:
    return [
        ActivityDef(0, "Restauration scolaire", dtime(11, 45), dtime(13, 45), None, True, False, 380, "school"),
        ActivityDef(0, "APS matin", dtime(7, 30), dtime(8, 30), 60, True, False, 150, "school"),
        ActivityDef(0, "APS soir", dtime(16, 30), dtime(18, 30), 60, True, False, 250, "school"),
        ActivityDef(0, "ALSH mercredi", dtime(8, 0), dtime(18, 0), 40, True, True, 1200, "wednesday"),
        ActivityDef(1, "Restauration scolaire", dtime(11, 30), dtime(13, 30), None, True, False, 360, "school"),
        ActivityDef(1, "APS soir", dtime(16, 30), dtime(18, 30), 60, False, False, 240, "school"),  # full: refused
        ActivityDef(2, "Restauration scolaire", dtime(11, 45), dtime(13, 30), None, True, False, 390, "school"),
        ActivityDef(2, "APS soir", dtime(16, 45), dtime(18, 45), 60, True, False, 260, "school"),
    ]


HOLIDAY_WEEKS = {7: "Toussaint", 8: "Toussaint", 15: "Noël", 16: "Noël", 23: "Hiver", 24: "Hiver",
                 31: "Printemps", 32: "Printemps"}


def school_calendar(count: int) -> tuple[list[date], list[date], list[tuple[date, date, str]]]:
    """`count` school days (Mon, Tue, Thu, Fri) from the first Monday of September of next year, the
    Wednesdays of the same weeks, and the school holidays skipped on the way."""
    year = date.today().year + 1
    start = date(year, 9, 1)
    start += timedelta(days=(7 - start.weekday()) % 7)
    public = french_public_holidays([year, year + 1])
    days, wednesdays, holidays = [], [], []
    week = 0
    while len(days) < count:
        monday = start + timedelta(weeks=week)
        if week in HOLIDAY_WEEKS:
            holidays.append((monday - timedelta(days=2), monday + timedelta(days=6), HOLIDAY_WEEKS[week]))
        else:
            for offset in (0, 1, 3, 4):
                d = monday + timedelta(days=offset)
                if d not in public and len(days) < count:
                    days.append(d)
            if monday + timedelta(days=2) not in public:
                wednesdays.append(monday + timedelta(days=2))
        week += 1
    return days, [w for w in wednesdays if w <= days[-1]], holidays


@dataclass
class Year:
    structures: list[uuid.UUID]
    activities: list[ActivityDef]
    families: dict[uuid.UUID, list[tuple[uuid.UUID, int]]]  # family -> [(child, structure index)]
    school_days: list[date]
    wednesdays: list[date]
    preloaded_days: int
    sessions: dict[tuple[uuid.UUID, date], uuid.UUID] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def activity(self, structure: int, name: str) -> ActivityDef:
        return next(a for a in self.activities if a.structure == structure and a.name == name)

    @property
    def two_child_families(self) -> list[uuid.UUID]:
        return [f for f, kids in self.families.items() if len(kids) == 2]

    def windows(self, length: int) -> list[list[date]]:
        """Blocks of `length` school days after the preloaded part of the year (what parents book next)."""
        rest = self.school_days[self.preloaded_days:]
        return [rest[i:i + length] for i in range(0, len(rest) - length + 1, length)] or [rest[:length]]


async def has_column(conn, table: str, column: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM information_schema.columns WHERE table_name = $1 AND column_name = $2",
                                    table, column))


async def load_year(conn: asyncpg.Connection, s: Sizes, rng: random.Random) -> Year:
    school_days, wednesdays, holidays = school_calendar(s.school_days)
    year = Year(structures=[uuid.uuid4() for _ in range(3)], activities=activity_defs(), families={},
                school_days=school_days, wednesdays=wednesdays, preloaded_days=len(school_days) // 2)
    now = datetime.now(UTC)
    await conn.copy_records_to_table("structures", columns=["id", "name", "updated_at"], records=[
        (sid, name, now) for sid, name in zip(year.structures, ("École Jules Ferry", "École Jean Jaurès",
                                                                  "École Marie Curie"))])
    await conn.copy_records_to_table("school_holidays", columns=["id", "structure_id", "start_day", "end_day", "label"],
                                     records=[(uuid.uuid4(), sid, a, b, label) for sid in year.structures
                                              for a, b, label in holidays])
    # families: two thirds have two children (3,000 families -> 5,000 children), siblings in one school
    children, house_rules = [], []
    two = round(s.families * 2 / 3)
    for i in range(s.families):
        family = uuid.uuid4()
        structure = rng.choices((0, 1, 2), weights=(5, 3, 2))[0]
        last = rng.choice(LAST_NAMES)
        kids = []
        for _ in range(2 if i < two else 1):
            child = uuid.uuid4()
            kids.append((child, structure))
            children.append((child, family, rng.choice(FIRST_NAMES), last,
                             date(2016, 1, 1) + timedelta(days=rng.randrange(6 * 365)), year.structures[structure]))
            if rng.random() < 0.7:
                house_rules.append((child, year.structures[structure], now))
        year.families[family] = kids
    await conn.copy_records_to_table("children", columns=["id", "family_id", "first_name", "last_name", "birth_date",
                                                          "structure_id"], records=children)
    await conn.copy_records_to_table("house_rules_signed", columns=["child_id", "structure_id", "signed_at"],
                                     records=house_rules)
    await conn.executemany(
        """INSERT INTO activities (id, structure_id, name, start_time, end_time, default_capacity, waitlist_allowed,
                                   requires_house_rules) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)""",
        [(a.id, year.structures[a.structure], a.name, a.start, a.end, a.capacity, a.waitlist, a.house_rules)
         for a in year.activities])
    # prices: on the activity (migration 002), or billing's tariffs and the families' quotients (003 on)
    if await has_column(conn, "activities", "price_cents"):
        await conn.executemany("UPDATE activities SET price_cents = $2 WHERE id = $1",
                               [(a.id, a.price_cents) for a in year.activities])
    if await has_column(conn, "tariffs", "body"):
        await conn.copy_records_to_table("tariffs", columns=["id", "activity_id", "effective_from", "body"], records=[
            (tid, a.id, school_days[0] - timedelta(days=30), json.dumps({
                "tariff_id": str(tid), "activity_id": str(a.id),
                "effective_from": (school_days[0] - timedelta(days=30)).isoformat(), "unit": "session",
                "brackets": [{"qf_max": 700, "price_cents": a.price_cents * 6 // 10},
                             {"qf_max": 1200, "price_cents": a.price_cents * 8 // 10},
                             {"qf_max": None, "price_cents": a.price_cents,
                              "reduced_price_cents": a.price_cents * 9 // 10}],
                "reduced_from_rank": 2}))
            for a in year.activities for tid in [uuid.uuid4()]])
        await conn.copy_records_to_table("quotients", columns=["family_id", "family_quotient", "updated_at"],
                                         records=[(f, rng.randrange(300, 2500), now) for f in year.families
                                                  if rng.random() < 0.8])

    # sessions, and the first half of the year already booked
    preloaded = set(school_days[:year.preloaded_days])
    preloaded_wed = {w for w in wednesdays if w < school_days[year.preloaded_days]}
    by_structure: dict[int, list[tuple[uuid.UUID, uuid.UUID]]] = {0: [], 1: [], 2: []}
    for family, kids in year.families.items():
        for child, structure in kids:
            by_structure[structure].append((child, family))
    canteen_kids = {st: [k for k in kids if rng.random() < 0.6] for st, kids in by_structure.items()}
    signed = {c for c, _, _ in house_rules}
    sessions, bookings, movements = [], [], []
    for a in year.activities:
        for d in (school_days if a.days == "school" else wednesdays):
            sid = uuid.uuid4()
            year.sessions[(a.id, d)] = sid
            booked: list[tuple[uuid.UUID, uuid.UUID]] = []
            if a.capacity is None and d in preloaded:
                booked = canteen_kids[a.structure]
            elif a.capacity is not None and (d in preloaded or d in preloaded_wed):
                pool = [k for k in by_structure[a.structure] if not a.house_rules or k[0] in signed]
                booked = rng.sample(pool, min(len(pool), a.capacity - 8))
            sessions.append((sid, a.id, d, a.start, a.end, a.capacity, len(booked) if a.capacity else 0))
            asked = datetime.combine(d - timedelta(days=rng.randrange(3, 30)), dtime(20, 0), tzinfo=UTC)
            for child, family in booked:
                booking = uuid.uuid4()
                cancelled = a.capacity is None and rng.random() < 0.03
                bookings.append((booking, sid, a.id, child, family, d, "cancelled" if cancelled else "accepted",
                                 asked, asked))
                movements.append((d, booking, family, "reserve", "accepted", asked))
                if cancelled:
                    movements.append((d, booking, family, "cancel", "cancelled", asked + timedelta(days=1)))
    await conn.copy_records_to_table("sessions", columns=["id", "activity_id", "day", "start_time", "end_time",
                                                          "capacity", "taken"], records=sessions)
    # the latest movements (by day) are the ones not transmitted yet
    movements.sort(key=lambda m: (m[0], m[5]))
    pending_from = max(0, len(movements) - s.pending_lines)
    done = uuid.uuid4()
    await conn.execute("INSERT INTO transmissions (id, families, lines, finished_at) VALUES ($1, $2, $3, now())",
                       done, len(year.families), pending_from)
    untransmitted = {m[1] for m in movements[pending_from:]}
    await conn.copy_records_to_table(
        "bookings", columns=["id", "session_id", "activity_id", "child_id", "family_id", "day", "status",
                             "requested_at", "changed_at", "transmitted"],
        records=[(*b, b[0] not in untransmitted) for b in bookings])
    await conn.copy_records_to_table(
        "movements", columns=["booking_id", "family_id", "kind", "outcome", "created_at", "transmission_id"],
        records=[(m[1], m[2], m[3], m[4], m[5], done if i < pending_from else None) for i, m in enumerate(movements)])
    await conn.execute("VACUUM ANALYZE")
    year.counts = {"structures": 3, "families": len(year.families), "children": len(children),
                   "activities": len(year.activities), "sessions": len(sessions), "bookings": len(bookings),
                   "movements": len(movements), "pending lines": len(movements) - pending_from,
                   "school days": len(school_days), "preloaded days": year.preloaded_days}
    return year


# -- measuring -----------------------------------------------------------------------------------------
def pct(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)  # seconds, successful calls only
    wall: float = 0.0
    errors: Counter = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)  # the first message of each kind of error
    outcomes: Counter = field(default_factory=Counter)
    unfinished: int = 0
    drain: tuple[int, float] | None = None  # lines recorded server-side, seconds after the client's end
    recorded: Counter = field(default_factory=Counter)  # confirm: the bookings in the database, by status

    @property
    def done(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.done / self.wall if self.wall else float("nan")


async def drive(jobs: Sequence[Callable[[], Awaitable[Counter | None]]], concurrency: int, limit_s: float) -> Run:
    """Run the jobs with `concurrency` workers; stop by itself after `limit_s` seconds."""
    run = Run()
    queue = list(reversed(jobs))

    async def worker() -> None:
        while queue:
            job = queue.pop()
            t0 = time.perf_counter()
            try:
                outcomes = await job()
            except Exception as exc:  # noqa: BLE001 - counted and shown, the bench goes on
                kind = type(exc).__name__ + (f" {exc.status}" if hasattr(exc, "status") else "")
                run.errors[kind] += 1
                run.samples.setdefault(kind, (str(exc) or repr(exc))[:300])
                continue
            run.latencies.append(time.perf_counter() - t0)
            if outcomes:
                run.outcomes.update(outcomes)

    t0 = time.perf_counter()
    tasks = [asyncio.create_task(worker()) for _ in range(min(concurrency, len(jobs)))]
    try:
        _, pending = await asyncio.wait(tasks, timeout=limit_s)
    except BaseException:  # interrupted (Ctrl-C, the smoke run's time limit): stop the workers too
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    run.wall = time.perf_counter() - t0
    run.unfinished = len(queue) + len(pending)
    if pending:
        run.errors[f"stopped after {limit_s:.0f} s"] += len(queue) + len(pending)
    return run


class Client:
    def __init__(self, base: str, concurrency: int, timeout_s: float):
        self.base = base
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=concurrency),
            timeout=aiohttp.ClientTimeout(total=timeout_s))
        self.tokens: dict[uuid.UUID, str] = {}

    def token(self, family: uuid.UUID) -> str:
        if family not in self.tokens:
            self.tokens[family] = issue(Identity(subject=f"bench-{family}", role="parent", family_id=family), SECRET,
                                        ttl_seconds=3600)
        return self.tokens[family]

    async def post(self, path: str, family: uuid.UUID, body: dict) -> dict:
        async with self.session.post(self.base + path, json=body, headers={HEADER: self.token(family)}) as resp:
            if resp.status != 200:
                raise aiohttp.ClientResponseError(resp.request_info, (), status=resp.status,
                                                  message=(await resp.text())[:200])
            return await resp.json()

    async def close(self) -> None:
        await self.session.close()


# -- calendar ------------------------------------------------------------------------------------------
def calendar_requests(year: Year, n: int, rng: random.Random) -> list[tuple[uuid.UUID, uuid.UUID, str, uuid.UUID]]:
    kids = [(f, c, st) for f, ks in year.families.items() for c, st in ks]
    months = sorted({d.strftime("%Y-%m") for d in year.school_days})
    out = []
    for _ in range(n):
        family, child, st = rng.choice(kids)
        activity = year.activity(st, rng.choice(("Restauration scolaire", "APS soir")))
        out.append((family, child, rng.choice(months), activity.id))
    return out


def month_range(month: str) -> tuple[date, date]:
    y, m = (int(p) for p in month.split("-"))
    first = date(y, m, 1)
    return first, (date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1))


async def bench_calendar(base: str, pool: asyncpg.Pool, reqs, concurrency: int) -> tuple[Run, Run]:
    client = Client(base, concurrency, timeout_s=30)
    async with pool.acquire() as conn:
        tariffs = await has_column(conn, "tariffs", "body")

    def http_job(family, child, month, activity):
        async def job():
            data = await client.post("/v1/calendar", family,
                                     {"child_id": str(child), "month": month, "activity_id": str(activity)})
            assert len(data["days"]) >= 28
        return job

    def raw_job(family, child, month, activity):
        first, last = month_range(month)

        async def job():
            async with pool.acquire() as conn:  # the handler's statements
                assert await conn.fetchval("SELECT 1 FROM children WHERE id = $1 AND family_id = $2", child, family)
                await conn.fetch(SESSIONS_SQL, child, first, last, activity)
                if tariffs:  # services/booking/service/parents.py pricer_for (costs from billing's tariffs)
                    await conn.fetchval("SELECT family_id FROM children WHERE id = $1", child)
                    kids = await conn.fetch("SELECT id, birth_date, structure_id FROM children WHERE family_id = $1",
                                            family)
                    await conn.fetch(
                        """SELECT t.activity_id, t.body::text AS body FROM tariffs t JOIN activities a ON a.id = t.activity_id
                           WHERE a.structure_id = ANY($1::uuid[]) ORDER BY t.effective_from""",
                        list({k["structure_id"] for k in kids}))
                    await conn.fetchval("SELECT family_quotient FROM quotients WHERE family_id = $1", family)
        return job

    try:
        warm = await drive([http_job(*r) for r in reqs[:20]], concurrency, 30)  # warm-up
        service = await drive([http_job(*r) for r in reqs], concurrency, 120)
    finally:
        await client.close()
    for kind, count in warm.errors.items():  # not timed, but checked
        service.errors[f"warm-up: {kind}"] += count
        service.samples.setdefault(f"warm-up: {kind}", warm.samples.get(kind, ""))
    raw = await drive([raw_job(*r) for r in reqs], concurrency, 120)
    return service, raw


# -- confirm -------------------------------------------------------------------------------------------
def basket(year: Year, family: uuid.UUID, days: list[date]) -> list[tuple[uuid.UUID, uuid.UUID, date]]:
    lines = []
    for child, st in year.families[family]:
        for d in days:
            for name in ("Restauration scolaire", "APS soir"):
                lines.append((child, year.activity(st, name).id, d))
    return lines


async def snapshot(conn) -> tuple[int, int, list]:
    return (await conn.fetchval("SELECT coalesce(max(id), 0) FROM movements"),
            await conn.fetchval("SELECT coalesce(max(request_seq), 0) FROM bookings"),
            [tuple(r) for r in await conn.fetch("SELECT id, taken FROM sessions WHERE capacity IS NOT NULL")])


async def restore(conn, snap) -> None:
    """Undo a confirmation run so the next one does exactly the same work."""
    movement_id, request_seq, taken = snap
    async with conn.transaction():
        # no foreign-key checks: movements.booking_id has no index, so each deleted booking would scan
        # all of movements (the rows that referenced them are deleted first)
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute("DELETE FROM movements WHERE id > $1", movement_id)
        await conn.execute("DELETE FROM bookings WHERE request_seq > $1", request_seq)
        await conn.execute("UPDATE sessions s SET taken = t.taken FROM unnest($1::uuid[], $2::int[]) AS t(id, taken) "
                           "WHERE s.id = t.id AND s.taken <> t.taken", [t[0] for t in taken], [t[1] for t in taken])
    await conn.execute("VACUUM ANALYZE bookings, movements, sessions")


async def recorded(conn, request_seq: int) -> Counter:
    """The bookings a confirmation run recorded, by status."""
    return Counter({r["status"]: r["n"] for r in await conn.fetch(
        "SELECT status, count(*) AS n FROM bookings WHERE request_seq > $1 GROUP BY status", request_seq)})


async def drain(pool: asyncpg.Pool, request_seq: int, expected: int, limit_s: float = 300) -> tuple[int, float]:
    """Wait until the bookings of the run are all recorded, or stop growing for 3 s. Returns how many
    were recorded and how long after the client's end."""
    t0 = last_change = time.perf_counter()
    last = -1
    while True:
        count = await pool.fetchval("SELECT count(*) FROM bookings WHERE request_seq > $1", request_seq)
        now = time.perf_counter()
        if count != last:
            last, last_change = count, now
        if count >= expected or now - last_change > 3 or now - t0 > limit_s:
            return count, (last_change - t0)
        await asyncio.sleep(0.25)


async def raw_confirm(pool: asyncpg.Pool, family: uuid.UUID, lines) -> Counter:
    """service/confirm.py confirm()'s statements, in the same order and transaction, without HTTP, pydantic and the rules
    (every line of the bench's baskets passes them: reservations, days open, no overlap)."""
    outcomes: Counter = Counter()
    async with pool.acquire() as conn, conn.transaction():
        children = {c for c, _, _ in lines}
        store = Store(conn)
        await store.lock_children(children)  # and access.require_own_children's check of their family
        await conn.execute(
            """SELECT 1 FROM sessions s JOIN unnest($1::uuid[], $2::date[]) AS l(activity_id, day)
                   ON s.activity_id = l.activity_id AND s.day = l.day
               WHERE s.capacity IS NOT NULL ORDER BY s.id FOR NO KEY UPDATE OF s""",
            [a for _, a, _ in lines], [d for _, _, d in lines])
        rows = {}
        for child in children:
            days = [d for c, _, d in lines if c == child]
            for r in await conn.fetch(SESSIONS_SQL, child, min(days), max(days), None):
                rows[(child, r["activity_id"], r["day"])] = r
        await store.declared_incompatibilities({a for _, a, _ in lines})
        for child, activity, day in sorted(lines, key=lambda line: line[2]):
            r = rows[(child, activity, day)]
            if r["needs_approval"]:
                outcome, reason = "pending", None
            elif r["capacity"] is None or await store.take_place(r["session_id"]):
                outcome, reason = "accepted", None
            elif r["waitlist_allowed"]:
                outcome, reason = "waitlisted", None
            else:
                outcome, reason = "refused", "plus de place disponible"
            booking_id = uuid.uuid4()
            request_seq = await conn.fetchval(
                """INSERT INTO bookings (id, session_id, activity_id, child_id, family_id, day, arrival, departure,
                                         status, reason)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING request_seq""",
                booking_id, r["session_id"], activity, child, family, day, None, None, outcome, reason)
            await store.record_movement(booking_id, family, "reserve", outcome)
            if outcome == "waitlisted":
                await store.waitlist_position(r["session_id"], request_seq)
            outcomes[outcome] += 1
    return outcomes


async def bench_confirm(base: str, pool: asyncpg.Pool, year: Year, parents: int, rounds: int,
                        basket_days: int) -> tuple[Run, Run]:
    families = year.two_child_families[:parents]
    windows = year.windows(basket_days)[:rounds]
    client = Client(base, parents, timeout_s=120)

    def http_job(family, lines):
        body = {"lines": [{"child_id": str(c), "activity_id": str(a), "date": d.isoformat(), "action": "reserve"}
                          for c, a, d in lines]}

        async def job():
            data = await client.post("/v1/basket/confirm", family, body)
            return Counter(r["outcome"] if r["outcome"] != "rejected" else f"rejected: {r['reason']}"
                           for r in data["results"])
        return job

    def raw_job(family, lines):
        return lambda: raw_confirm(pool, family, lines)

    async def bursts(make) -> Run:
        total = Run()
        for days in windows:  # every parent at once, one burst per window of days
            run = await drive([make(f, basket(year, f, days)) for f in families], parents, 300)
            total.latencies += run.latencies
            total.wall += run.wall
            total.errors.update(run.errors)
            for kind, message in run.samples.items():
                total.samples.setdefault(kind, message)
            total.outcomes.update(run.outcomes)
            total.unfinished += run.unfinished
        return total

    async with pool.acquire() as conn:
        snap = await snapshot(conn)
    # (after a failure nothing is put back: the run stops and its database is dropped)
    try:
        service = await bursts(http_job)
    finally:
        await client.close()
    # a request the client gave up on still runs to its end in the service: wait for it
    service.drain = await drain(pool, snap[1], len(families) * len(windows) * 4 * basket_days)
    async with pool.acquire() as conn:
        service.recorded = await recorded(conn, snap[1])
        await restore(conn, snap)
    raw = await bursts(raw_job)
    async with pool.acquire() as conn:
        raw.recorded = await recorded(conn, snap[1])
        await restore(conn, snap)
    return service, raw


# -- nightly transmission --------------------------------------------------------------------------------
@dataclass
class TransmissionRun:
    lines: int
    seconds: float
    events: int
    phases: dict[str, float] = field(default_factory=dict)
    transmission_id: uuid.UUID | None = None
    left: int = 0  # lines still pending afterwards
    outbox_rows: int = 0  # outbox rows written by the run, all kinds
    transmitted_rows: int = 0  # of which booking.transmitted.v1 events

    @property
    def rate(self) -> float:
        return self.lines / self.seconds if self.seconds else float("nan")


BOOKINGS_TRANSMITTED_SQL = """UPDATE bookings b SET transmitted = true WHERE b.id = ANY($1::uuid[])
                   AND NOT EXISTS (SELECT 1 FROM movements m WHERE m.booking_id = b.id AND m.transmission_id IS NULL)"""


async def raw_transmission(pool: asyncpg.Pool) -> TransmissionRun:
    """transmission.run()'s statements for the same volume, the outbox rows written without pydantic."""
    tid = uuid.uuid4()
    phases = Counter()
    t0 = time.perf_counter()
    families = [r["family_id"] for r in await pool.fetch(
        "SELECT DISTINCT family_id FROM movements WHERE transmission_id IS NULL AND outcome <> 'pending'")]
    phases["distinct families"] += time.perf_counter() - t0
    lines = events = 0
    for start in range(0, len(families), transmission.FAMILIES_PER_TRANSACTION):
        chunk = families[start:start + transmission.FAMILIES_PER_TRANSACTION]
        async with pool.acquire() as conn, conn.transaction():
            t = time.perf_counter()
            rows = await conn.fetch(MOVEMENTS_SQL, tid, chunk)
            phases["MOVEMENTS_SQL (update+select)"] += time.perf_counter() - t
            t = time.perf_counter()
            await conn.execute(BOOKINGS_TRANSMITTED_SQL, list({r["booking_id"] for r in rows}))
            phases["bookings.transmitted update"] += time.perf_counter() - t
            t = time.perf_counter()
            groups: dict[tuple, list] = {}
            for r in rows:
                groups.setdefault((r["family_id"], r["structure_id"]), []).append(
                    [str(r["booking_id"]), str(r["child_id"]), r["day"].isoformat(), r["kind"], r["outcome"]])
            await conn.executemany(
                "INSERT INTO outbox (event_id, exchange, routing_key, body) VALUES ($1, $2, $3, $4::jsonb)",
                [(uuid.uuid4(), exchange_name(BookingTransmittedV1), BookingTransmittedV1.routing_key(),
                  json.dumps({"family_id": str(f), "structure_id": str(s), "lines": g}))
                 for (f, s), g in groups.items()])
            phases["outbox insert"] += time.perf_counter() - t
            lines += len(rows)
            events += len(groups)
    await pool.execute("INSERT INTO transmissions (id, families, lines, finished_at) VALUES ($1, $2, $3, now())",
                       tid, len(families), lines)
    return TransmissionRun(lines, time.perf_counter() - t0, events, dict(phases), tid)


async def reset_transmission(conn, transmission_id: uuid.UUID) -> None:
    async with conn.transaction():
        await conn.execute("UPDATE movements SET transmission_id = NULL WHERE transmission_id = $1", transmission_id)
        await conn.execute("UPDATE bookings b SET transmitted = false FROM movements m "
                           "WHERE m.booking_id = b.id AND m.transmission_id IS NULL AND b.transmitted")
        await conn.execute("DELETE FROM outbox")
        await conn.execute("DELETE FROM transmissions WHERE id = $1", transmission_id)
    await conn.execute("VACUUM ANALYZE movements, bookings, outbox")


PENDING_SQL = "SELECT count(*) FROM movements WHERE transmission_id IS NULL AND outcome <> 'pending'"


async def outbox_rows(pool: asyncpg.Pool) -> tuple[int, int]:
    """Rows in the outbox: all, and booking.transmitted.v1 ones."""
    row = await pool.fetchrow("SELECT count(*) AS n, count(*) FILTER (WHERE routing_key = $1) AS v1 FROM outbox",
                              BookingTransmittedV1.routing_key())
    return row["n"], row["v1"]


async def bench_transmission(pool: asyncpg.Pool) -> tuple[int, TransmissionRun, TransmissionRun]:
    """Returns the lines pending before each run, and the two runs."""
    pending = await pool.fetchval(PENDING_SQL)
    before = await outbox_rows(pool)
    raw = await asyncio.wait_for(raw_transmission(pool), 600)
    raw.left = await pool.fetchval(PENDING_SQL)
    after = await outbox_rows(pool)
    raw.outbox_rows, raw.transmitted_rows = after[0] - before[0], after[1] - before[1]
    async with pool.acquire() as conn:
        await reset_transmission(conn, raw.transmission_id)
    before = await outbox_rows(pool)
    t0 = time.perf_counter()
    report = await asyncio.wait_for(transmission.run(Database(pool)), 600)
    service = TransmissionRun(report.lines, time.perf_counter() - t0, report.events,
                              transmission_id=report.transmission_id)
    service.left = await pool.fetchval(PENDING_SQL)
    after = await outbox_rows(pool)
    service.outbox_rows, service.transmitted_rows = after[0] - before[0], after[1] - before[1]
    return pending, service, raw


# -- the whole run ----------------------------------------------------------------------------------------
def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b and not math.isnan(a) and not math.isnan(b) else "-"


def errors(run: Run) -> str:
    return ", ".join(f"{k}: {v}" for k, v in run.errors.most_common()) or "none"


def check_run(report: Report, what: str, run: Run, expected: int) -> None:
    """Every call answered, without any error (exception, non-2xx answer, time limit)."""
    report.check(not run.errors, f"{what}: " + "; ".join(
        f"{count} x {kind} (first: {run.samples.get(kind, '-')})" for kind, count in run.errors.most_common()))
    report.check(run.done == expected, f"{what}: {run.done} of {expected} calls succeeded")


def check_confirm(report: Report, parents: int, service: Run, raw: Run, lines: int) -> None:
    """Both sides recorded every line sent, with the same outcomes (the database is put back between them)."""
    for side, run in (("service", service), ("raw", raw)):
        answered = sum(run.outcomes.values())
        report.check(answered == lines, f"confirm {parents}, {side}: outcomes for {answered} lines, {lines} sent "
                                        f"({dict(run.outcomes)})")
        report.check(sum(run.recorded.values()) == lines and run.recorded == run.outcomes,
                     f"confirm {parents}, {side}: bookings in the database {dict(run.recorded)}, answers "
                     f"{dict(run.outcomes)}, {lines} lines sent")
    report.check(service.outcomes == raw.outcomes, f"confirm {parents}: the service's outcomes "
                 f"{dict(service.outcomes)} differ from the raw run's {dict(raw.outcomes)} for the same baskets")


def outcome_difference(a: Counter, b: Counter) -> int:
    return sum(abs(a[k] - b[k]) for k in set(a) | set(b))


async def main(args: argparse.Namespace) -> int:
    configure_logging("bench", "WARNING")
    s = sizes(args)
    report = Report("bench.booking_year", strict=args.quick)
    rng = random.Random(args.seed)
    tag = uuid.uuid4().hex[:6]
    vhost, dsn = f"bench-year-{tag}", f"{PG}/bench{tag}_booking_year"
    amqp = f"amqp://guest:guest@{AMQP_HOST}/{vhost}"
    rows: list[tuple[str, str, str, str]] = []
    notes: list[str] = []
    runner = None
    pool = None
    try:  # the virtual host is created inside: interrupted while rabbitmqctl runs, it is still removed
        await rabbitmqctl("add_vhost", vhost)
        await rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        await db.ensure_database(dsn)
        conn = await asyncpg.connect(dsn)
        try:
            await migrations.apply(conn, migrations.service_migrations(
                "booking", ROOT / "services" / "booking" / "migrations"))
            t0 = time.perf_counter()
            year = await load_year(conn, s, rng)
            load_s = time.perf_counter() - t0
        finally:
            await conn.close()
        print("load average at start (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)
        print(f"loaded in {load_s:.1f} s: " + ", ".join(f"{v:,} {k}" for k, v in year.counts.items()), flush=True)
        print(f"school year {year.school_days[0]} .. {year.school_days[-1]}; baskets book "
              f"{year.windows(s.basket_days)[0][0]} onwards", flush=True)

        # the service as in production: its own settings class (BookingSettings) with its defaults
        settings = booking_service.settings_cls(database_url=dsn, amqp_url=amqp, identity_secret=SECRET,
                                                log_level="WARNING")
        app = booking_service.build_app(settings)
        runner = web.AppRunner(app, shutdown_timeout=5, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        pool = await db.create_pool(dsn, max_size=POOL_SIZE)

        # 1. the month calendar
        reqs = calendar_requests(year, s.calendar_requests, rng)
        for concurrency in (1, s.calendar_concurrency):
            service, raw = await bench_calendar(base, pool, reqs, concurrency)
            label = f"calendar, {'sequential' if concurrency == 1 else f'{concurrency} at once'} (n={service.done})"
            rows.append((f"{label}: p50", ms(pct(service.latencies, .5)), ms(pct(raw.latencies, .5)),
                         ratio(pct(service.latencies, .5), pct(raw.latencies, .5))))
            rows.append((f"{label}: p99", ms(pct(service.latencies, .99)), ms(pct(raw.latencies, .99)),
                         ratio(pct(service.latencies, .99), pct(raw.latencies, .99))))
            rows.append((f"{label}: requests/s", f"{service.rate:.0f}/s", f"{raw.rate:.0f}/s",
                         ratio(service.rate, raw.rate)))
            notes.append(f"calendar {concurrency} at once: errors service: {errors(service)}; raw: {errors(raw)}")
            print("  " + "\n  ".join(" | ".join(r) for r in rows[-3:]), flush=True)
            name = "calendar_serial" if concurrency == 1 else "calendar_concurrent"
            check_run(report, f"calendar {concurrency} at once, service", service, len(reqs))
            check_run(report, f"calendar {concurrency} at once, raw", raw, len(reqs))
            for side, run in (("service", service), ("raw", raw)):
                report.result(f"{name}_{side}_p50_ms", pct(run.latencies, .5) * 1000)
                report.result(f"{name}_{side}_p99_ms", pct(run.latencies, .99) * 1000)
                report.result(f"{name}_{side}_per_s", run.rate)
            report.result(f"{name}_ratio", service.rate / raw.rate if raw.rate else float("nan"))
            report.result(f"{name}_errors", sum(service.errors.values()) + sum(raw.errors.values()))

        # 2. confirming a 40-line basket, every parent at once
        for parents in s.confirm_parents:
            if not report.check(parents <= len(year.two_child_families),
                                f"confirm {parents}: skipped, only {len(year.two_child_families)} two-child families"):
                notes.append(f"confirm {parents}: skipped, only {len(year.two_child_families)} two-child families")
                continue
            rounds = s.confirm_rounds.get(parents, 1)
            service, raw = await bench_confirm(base, pool, year, parents, rounds, s.basket_days)
            label = (f"confirm 40 lines, {parents} parents at once (done of {parents * rounds}: "
                     f"service {service.done}, raw {raw.done})")
            rows.append((f"{label}: baskets/s", f"{service.rate:.1f}/s", f"{raw.rate:.1f}/s",
                         ratio(service.rate, raw.rate)))
            rows.append((f"{label}: p50", ms(pct(service.latencies, .5)), ms(pct(raw.latencies, .5)),
                         ratio(pct(service.latencies, .5), pct(raw.latencies, .5))))
            rows.append((f"{label}: p99", ms(pct(service.latencies, .99)), ms(pct(raw.latencies, .99)),
                         ratio(pct(service.latencies, .99), pct(raw.latencies, .99))))
            lines = parents * rounds * 4 * s.basket_days
            notes.append(f"confirm {parents}: service errors: {errors(service)}; outcomes "
                         f"{dict(service.outcomes.most_common())}; lines recorded by the service in the end: "
                         f"{service.drain[0]:,} of {lines:,}, the last "
                         f"{service.drain[1]:.1f} s after the client's end")
            notes.append(f"confirm {parents}: raw errors: {errors(raw)}; outcomes {dict(raw.outcomes.most_common())}")
            print("  " + "\n  ".join(" | ".join(r) for r in rows[-3:]), flush=True)
            check_run(report, f"confirm {parents}, service", service, parents * rounds)
            check_run(report, f"confirm {parents}, raw", raw, parents * rounds)
            check_confirm(report, parents, service, raw, lines)
            name = f"confirm_{parents}"
            for side, run in (("service", service), ("raw", raw)):
                report.result(f"{name}_{side}_per_s", run.rate)
                report.result(f"{name}_{side}_p50_ms", pct(run.latencies, .5) * 1000)
                report.result(f"{name}_{side}_p99_ms", pct(run.latencies, .99) * 1000)
            report.result(f"{name}_ratio", service.rate / raw.rate if raw.rate else float("nan"))
            report.result(f"{name}_lines", lines)
            for outcome in ("accepted", "waitlisted", "refused"):
                report.result(f"{name}_{outcome}", service.outcomes[outcome])
            report.result(f"{name}_errors", sum(service.errors.values()) + sum(raw.errors.values()))
            report.result(f"{name}_outcomes_differ", outcome_difference(service.outcomes, raw.outcomes))

        # 3. the nightly transmission (the service is stopped first: its relay would publish meanwhile)
        await runner.cleanup()
        runner = None
        pending, service_t, raw_t = await bench_transmission(pool)
        rows.append((f"transmission, {service_t.lines:,} lines ({service_t.events:,} events): time",
                     f"{service_t.seconds:.2f} s", f"{raw_t.seconds:.2f} s", ratio(service_t.seconds, raw_t.seconds)))
        rows.append(("transmission: lines/s", f"{service_t.rate:,.0f}/s", f"{raw_t.rate:,.0f}/s",
                     ratio(service_t.rate, raw_t.rate)))
        notes.append("transmission raw phases: " + ", ".join(f"{k} {v:.2f} s" for k, v in raw_t.phases.items()))
        if raw_t.lines != service_t.lines:
            notes.append(f"transmission: raw sent {raw_t.lines} lines, service {service_t.lines}")
        notes.append(f"transmission outbox rows: service {service_t.outbox_rows:,}, raw {raw_t.outbox_rows:,} "
                     f"(booking.transmitted.v1: {service_t.transmitted_rows:,} and {raw_t.transmitted_rows:,})")
        report.check(pending == year.counts["pending lines"],
                     f"transmission: {pending} lines pending, {year.counts['pending lines']} loaded "
                     "(the confirmation runs were not undone)")
        for side, run in (("service", service_t), ("raw", raw_t)):
            report.check(run.lines == pending, f"transmission, {side}: {run.lines} lines transmitted, {pending} pending")
            report.check(run.left == 0, f"transmission, {side}: {run.left} lines still pending afterwards")
            report.check(run.transmitted_rows == run.events, f"transmission, {side}: {run.transmitted_rows} "
                         f"booking.transmitted.v1 outbox rows for {run.events} events")
        report.check(service_t.events == raw_t.events,
                     f"transmission: the service wrote {service_t.events} events, the raw run {raw_t.events}")
        report.result("transmission_service_s", service_t.seconds)
        report.result("transmission_raw_s", raw_t.seconds)
        report.result("transmission_service_per_s", service_t.rate)
        report.result("transmission_raw_per_s", raw_t.rate)
        report.result("transmission_ratio", service_t.rate / raw_t.rate if raw_t.rate else float("nan"))
        report.result("transmission_lines", service_t.lines)
        report.result("transmission_events", service_t.events)
        report.result("transmission_untransmitted", pending - service_t.lines)
    finally:
        try:
            if runner is not None:
                await runner.cleanup()
            if pool is not None:
                await pool.close()
            admin = await asyncpg.connect(f"{PG}/postgres")
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{db.database_name(dsn)}" WITH (FORCE)')
            finally:
                await admin.close()
        finally:
            await rabbitmqctl("delete_vhost", vhost, check=False)

    print("load average at end (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    width = max(len(r[0]) for r in rows)
    print()
    print(f"{'benchmark':<{width}} | {'service':>12} | {'raw PostgreSQL':>14} | service/raw")
    print("-" * (width + 48))
    for name, a, b, r in rows:
        print(f"{name:<{width}} | {a:>12} | {b:>14} | {r:>6}")
    print()
    for note in notes:
        print("- " + note)
    return report.finish()


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=None, help="default 3000 (300 with --quick)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke check (< 1 minute)")
    parser.add_argument("--seed", type=int, default=2027)
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
