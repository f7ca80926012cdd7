"""What a parent's screens read: a child's sessions with its bookings, the activities of its structure,
declared incompatibilities, and the tariffs and quotient that price them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, time

import asyncpg

from contracts.pricing import Tariff
from services.booking.domain.deadlines import DeadlineRule
from services.booking.domain.sessions import Activity, SessionRow
from services.booking.store.children import COLUMNS as CHILD_COLUMNS
from services.booking.store.children import Child, child_of, of_family

SESSIONS_SQL = """
SELECT s.id AS session_id, s.day, s.start_time, s.end_time, s.capacity, s.taken,
       a.id AS activity_id, a.structure_id, a.name, a.kind, a.start_time AS a_start, a.end_time AS a_end,
       a.waitlist_allowed, a.needs_approval,
       a.booking_days_before, a.booking_working_days, a.booking_at,
       a.cancel_days_before, a.cancel_working_days, a.cancel_at,
       (   (NOT a.enrolment_required OR EXISTS (SELECT 1 FROM enrolments e
                                                WHERE e.child_id = c.id AND e.activity_id = a.id))
       AND (NOT a.requires_house_rules OR EXISTS (SELECT 1 FROM house_rules_signed h
                                                  WHERE h.child_id = c.id AND h.structure_id = a.structure_id
                                                  -- a newer version of the signed year's règlement: sign again
                                                  AND NOT EXISTS (SELECT 1 FROM house_rules_versions r
                                                                  WHERE r.structure_id = h.structure_id
                                                                  AND r.school_year = h.school_year
                                                                  AND r.version > coalesce(h.version, 0))))
       ) AS enrolled,
       b.id AS booking_id, b.status, b.arrival, b.departure,
       ($5::uuid IS NOT NULL AND b.family_id <> $5) AS other_household  -- shared custody
FROM children c
JOIN activities a ON a.structure_id = c.structure_id
JOIN sessions s ON s.activity_id = a.id
LEFT JOIN bookings b ON b.session_id = s.id AND b.child_id = c.id AND b.status <> 'cancelled'
                    -- a booking's day is its session's: the child's bookings of these days only, read by the
                    -- bookings_child_day index (not all of the child's year, filtered session by session)
                    AND b.day BETWEEN $2 AND $3
WHERE c.id = $1 AND s.day BETWEEN $2 AND $3 AND ($4::uuid IS NULL OR a.id = $4)
  AND s.closed_by IS NULL  -- a day of a mass closure is not open (store/closures.py)
ORDER BY s.day, s.start_time, a.name
"""


def _derived(sql: str, *changes: tuple[str, str]) -> str:
    """SESSIONS_SQL with a few changes, each of which must apply (an edit of SESSIONS_SQL fails at import)."""
    for old, new in changes:
        if sql.count(old) != 1:
            raise RuntimeError(f"SESSIONS_SQL no longer has {old!r} once")
        sql = sql.replace(old, new)
    return sql


# A parent's month of one child in ONE statement: the family's children (who it may act for, and the ranks that
# price them), its quotient, the catalog's version (are the cached tariffs still true?) and, when the child is
# the family's, the child's sessions with its bookings (SESSIONS_SQL's columns; one row of nulls otherwise).
MONTH_SQL = f"""
WITH kids AS (SELECT id, birth_date, structure_id, first_name FROM children WHERE {of_family("$5")}),
head AS (SELECT array_agg(id ORDER BY birth_date, first_name) AS kid_ids,
                array_agg(birth_date ORDER BY birth_date, first_name) AS kid_births,
                array_agg(structure_id ORDER BY birth_date, first_name) AS kid_structures,
                (SELECT family_quotient FROM quotients WHERE family_id = $5) AS family_quotient,
                (SELECT version FROM catalog_version) AS catalog_version
         FROM kids)
SELECT head.*, x.* FROM head LEFT JOIN (""" + _derived(
    SESSIONS_SQL, ("WHERE c.id = $1 AND", "WHERE c.id = $1 AND c.id IN (SELECT id FROM kids) AND"),
    ("ORDER BY s.day, s.start_time, a.name", "")) + """) x ON true
ORDER BY x.day, x.start_time, x.name
"""

# A family's children with what prices their days besides the tariffs, and the catalog's version (are the cached
# tariffs and activities still true?), in ONE statement (the recap, the follow-up, a day's activities, the
# children's page): one row of nulls but the quotient and version without a child.
FAMILY_SQL = f"""
SELECT head.family_quotient, head.catalog_version, {", ".join("c." + col for col in CHILD_COLUMNS.split(", "))}
FROM (SELECT (SELECT family_quotient FROM quotients WHERE family_id = $1) AS family_quotient,
             (SELECT version FROM catalog_version) AS catalog_version) head
LEFT JOIN children c ON {of_family("$1", "c")}
ORDER BY c.birth_date, c.first_name
"""

# The sessions of several children at once (a basket's), SESSIONS_SQL's columns with the child's id and the
# catalog's version (for the cached incompatibilities).
_WITH_CHILD = "SELECT c.id AS child_id, (SELECT version FROM catalog_version) AS catalog_version, s.id AS session_id,"
CHILDREN_SESSIONS_SQL = _derived(
    SESSIONS_SQL, ("SELECT s.id AS session_id,", _WITH_CHILD),
    ("WHERE c.id = $1 AND", "WHERE c.id = ANY($1::uuid[]) AND"))


def session_row(r: asyncpg.Record, activities: dict[uuid.UUID, Activity]) -> SessionRow:
    """One row of SESSIONS_SQL; `activities` holds the activities already built from the same result (a month or a
    basket repeats a handful of them on every row: built once each, not once per row)."""
    activity = activities.get(r["activity_id"])
    if activity is None:
        activity = activities[r["activity_id"]] = Activity(
            r["activity_id"], r["structure_id"], r["name"], r["kind"], r["a_start"], r["a_end"], r["waitlist_allowed"],
            r["needs_approval"], DeadlineRule(r["booking_days_before"], r["booking_working_days"], r["booking_at"]),
            DeadlineRule(r["cancel_days_before"], r["cancel_working_days"], r["cancel_at"]))
    return SessionRow(r["session_id"], activity, r["day"], r["start_time"], r["end_time"], r["capacity"], r["taken"],
                      r["enrolled"], r["booking_id"], r["status"], r["arrival"], r["departure"],
                      bool(r.get("other_household")))


@dataclass(frozen=True)
class ActivityBrief:
    id: uuid.UUID
    structure_id: uuid.UUID
    name: str
    kind: str
    start: time
    end: time


@dataclass(frozen=True)
class MonthRead:
    """What MONTH_SQL read: the family's children (id, birth date, structure; eldest first), its quotient, the
    catalog's version, and the child's sessions (none when the child is not the family's)."""

    children: list[tuple[uuid.UUID, date, uuid.UUID]]
    family_quotient: int | None
    catalog_version: int | None
    sessions: list[SessionRow]


@dataclass(frozen=True)
class FamilyRead:
    """What FAMILY_SQL read: the family's children (eldest first, those it shares with another household
    included), its quotient and the catalog's version (are the cached tariffs and activities still true?)."""

    children: list[Child]
    family_quotient: int | None
    catalog_version: int | None


class SessionQueries:
    conn: asyncpg.Connection

    async def sessions_for_child(self, child_id: uuid.UUID, start: date, end: date,
                                 activity_id: uuid.UUID | None = None,
                                 family_id: uuid.UUID | None = None) -> list[SessionRow]:
        """The sessions of the child's structure from ``start`` to ``end`` with its booking of each; as
        `family_id` sees them (shared custody: a booking of the other household is marked as such)."""
        rows = await self.conn.fetch(SESSIONS_SQL, child_id, start, end, activity_id, family_id)
        activities: dict[uuid.UUID, Activity] = {}
        return [session_row(r, activities) for r in rows]

    async def month_of_child(self, family_id: uuid.UUID, child_id: uuid.UUID, start: date, end: date,
                             activity_id: uuid.UUID | None = None) -> MonthRead:
        """A child's sessions from ``start`` to ``end`` as `family_id` sees them, with what prices them, in one
        round trip (MONTH_SQL)."""
        rows = await self.conn.fetch(MONTH_SQL, child_id, start, end, activity_id, family_id)
        head, activities = rows[0], {}
        kids = list(zip(head["kid_ids"] or [], head["kid_births"] or [], head["kid_structures"] or [], strict=True))
        return MonthRead(kids, head["family_quotient"], head["catalog_version"],
                         [session_row(r, activities) for r in rows if r["session_id"] is not None])

    async def basket_sessions(self, child_ids: Collection[uuid.UUID], start: date, end: date,
                              family_id: uuid.UUID | None = None
                              ) -> tuple[dict[uuid.UUID, list[SessionRow]], int | None]:
        """sessions_for_child for several children in one round trip, by child, and the catalog's version
        (None when no session was found)."""
        out: dict[uuid.UUID, list[SessionRow]] = defaultdict(list)
        version, activities = None, {}
        for r in await self.conn.fetch(CHILDREN_SESSIONS_SQL, list(child_ids), start, end, None, family_id):
            out[r["child_id"]].append(session_row(r, activities))
            version = r["catalog_version"]
        return dict(out), version

    async def tariff_versions(self, structure_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, list[Tariff]]:
        """Each activity's tariff versions (oldest first), for the activities of these structures."""
        rows = await self.conn.fetch(
            """SELECT t.activity_id, t.body::text AS body FROM tariffs t JOIN activities a ON a.id = t.activity_id
               WHERE a.structure_id = ANY($1::uuid[]) ORDER BY t.effective_from""", list(structure_ids))
        versions: dict[uuid.UUID, list[Tariff]] = defaultdict(list)
        for r in rows:
            versions[r["activity_id"]].append(Tariff.model_validate_json(r["body"]))
        return dict(versions)

    async def activities_of_structures(self, structure_ids: Collection[uuid.UUID]) -> list[ActivityBrief]:
        rows = await self.conn.fetch(
            "SELECT id, structure_id, name, kind, start_time, end_time FROM activities "
            "WHERE structure_id = ANY($1::uuid[]) ORDER BY start_time, name", list(structure_ids))
        return [ActivityBrief(r["id"], r["structure_id"], r["name"], r["kind"], r["start_time"], r["end_time"])
                for r in rows]

    async def activity_brief(self, activity_id: uuid.UUID) -> ActivityBrief | None:
        r = await self.conn.fetchrow(
            "SELECT id, structure_id, name, kind, start_time, end_time FROM activities WHERE id = $1", activity_id)
        return None if r is None else ActivityBrief(r["id"], r["structure_id"], r["name"], r["kind"],
                                                    r["start_time"], r["end_time"])

    async def declared_incompatibilities(self, activity_ids: Collection[uuid.UUID]) -> set[frozenset[uuid.UUID]]:
        rows = await self.conn.fetch("SELECT a, b FROM activity_incompatibilities WHERE a = ANY($1) OR b = ANY($1)",
                                     list(activity_ids))
        return {frozenset((r["a"], r["b"])) for r in rows}

    async def family_facts(self, family_id: uuid.UUID) -> FamilyRead:
        """The family's children, its quotient and the catalog's version, in one round trip (FAMILY_SQL)."""
        rows = await self.conn.fetch(FAMILY_SQL, family_id)
        return FamilyRead([child_of(r) for r in rows if r["id"] is not None], rows[0]["family_quotient"],
                          rows[0]["catalog_version"])

