"""bench.booking_year's data: the sizes of a run and the school year, generated and loaded with COPY into the
scratch booking database (structures, families and children, activities and prices, sessions, the first half
of the year already booked, the latest movements not transmitted yet)."""

from __future__ import annotations

import argparse
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

import asyncpg

from services.booking.domain.openings import french_public_holidays

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
    rush_parents: int = 3000  # the rentrée rush through the waiting room: parents arriving ...
    rush_seconds: float = 60.0  # ... evenly within this many seconds


def sizes(args: argparse.Namespace) -> Sizes:
    if args.quick:
        return Sizes(families=args.families or 300, school_days=30, pending_lines=5_000, calendar_requests=100,
                     confirm_parents=(20, 100), confirm_rounds={20: 1, 100: 1},
                     rush_parents=60, rush_seconds=3.0)
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
