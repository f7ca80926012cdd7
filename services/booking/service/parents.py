"""What a parent reads and prepares, as transaction scripts: the children and their activities, the month
calendar (each day's state, legend line and allowed actions), a day's activities, the quick tools and the copy
that fill the basket, the recap, and the follow-up. Nothing here writes; dates and cents are returned as
such (the HTTP layer writes them in French)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

from contracts.pricing import child_ranks
from kit.identity import Identity
from services.booking import access
from services.booking.domain.basket import Check, Line, pending_map, plan, recap_note
from services.booking.domain.compat import Slot
from services.booking.domain.copying import CopyTarget, NotImported, plan_copy
from services.booking.domain.followup import line_cost, visible
from services.booking.domain.pricing import Pricer
from services.booking.domain.quick import Cell, quick_toggle, same_weekday, toggle_day, week_of
from services.booking.domain.sessions import SessionView, day_of_month, month_days, view_of
from services.booking.domain.states import DayFacts, DayState, summary
from services.booking.service.catalog_cache import CATALOG
from services.booking.service.confirm import load_basket
from services.booking.store import Child
from services.booking.store.bookings import FollowRow
from services.booking.store.sessions import ActivityBrief


async def family_pricer(store, family_id: uuid.UUID) -> tuple[list[Child], Pricer]:
    """The family's children (eldest first) and its prices (its children's ranks, its quotient, its structures'
    tariffs): one round trip, the tariffs cached while the catalog's version holds."""
    read = await store.family_facts(family_id)
    versions = await CATALOG.tariffs(store, {c.structure_id for c in read.children}, read.catalog_version)
    return read.children, Pricer(versions, read.family_quotient,
                                 child_ranks([(c.id, c.birth_date) for c in read.children]))


async def children(db, who: Identity) -> list[tuple[Child, list[ActivityBrief]]]:
    """The family's children, eldest first, each with the activities of its structure."""
    family_id = access.require_family(who)
    async with db.reading() as store:  # one round trip while the catalog's version holds
        read = await store.family_facts(family_id)
        kids = read.children
        activities = await CATALOG.activities(store, {k.structure_id for k in kids}, read.catalog_version)
    return [(k, [a for a in activities if a.structure_id == k.structure_id]) for k in kids]


@dataclass(frozen=True)
class SessionLine:
    view: SessionView
    cost_cents: int | None
    pending: str | None


@dataclass(frozen=True)
class CalendarDay:
    day: date
    state: DayState
    facts: DayFacts  # of the day's most telling session: its legend line
    actions: list[str]
    remaining: int | None
    pending: str | None  # reserve | cancel | mixed
    sessions: list[SessionLine]

    @property
    def label(self) -> str:
        """The guide's legend line for the day (its second 🚫 line for a locked waiting-list or refused day)."""
        return summary(self.facts).label


def _lines(views: list[SessionView], child_id: uuid.UUID, pricer: Pricer, pending: dict) -> list[SessionLine]:
    return [SessionLine(v, pricer.cents(v.activity.id, child_id, v.day, v.arrival, v.departure),
                        pending.get((v.activity.id, v.day))) for v in views]


async def month_calendar(db, who: Identity, child_id: uuid.UUID, month: str, now: datetime,
                         activity_id: uuid.UUID | None, basket: list[Line]) -> list[CalendarDay]:
    days = month_days(month)
    family_id = access.require_family(who)
    async with db.reading() as store:  # one round trip (the tariffs too while the catalog's version holds)
        read = await store.month_of_child(family_id, child_id, days[0], days[-1], activity_id)
        access.require_listed_child(who, child_id, [kid for kid, _, _ in read.children])
        versions = await CATALOG.tariffs(store, {structure for _, _, structure in read.children},
                                         read.catalog_version)
    pricer = Pricer(versions, read.family_quotient, child_ranks([(kid, born) for kid, born, _ in read.children]))
    views = [view_of(r, now) for r in read.sessions]
    pending = pending_map(basket, child_id)
    by_day: dict[date, list[SessionView]] = defaultdict(list)
    for view in views:
        by_day[view.day].append(view)
    calendar = []
    closed = day_of_month(())
    for day in days:
        sessions = by_day.get(day)
        if not sessions:  # a day without a session (a week-end, a holiday): nothing to price or mark
            calendar.append(CalendarDay(day, closed[0], closed[1], list(closed[2]), None, None, []))
            continue
        state, facts, actions = day_of_month(sessions)
        day_pending = {pending[(v.activity.id, day)] for v in sessions if (v.activity.id, day) in pending}
        calendar.append(CalendarDay(
            day, state, facts, actions, summary(sessions[0].facts).remaining if activity_id else None,
            day_pending.pop() if len(day_pending) == 1 else ("mixed" if day_pending else None),
            _lines(sessions, child_id, pricer, pending)))
    return calendar


async def day_activities(db, who: Identity, child_id: uuid.UUID, day: date, now: datetime,
                         basket: list[Line]) -> list[SessionLine]:
    family_id = access.require_family(who)
    async with db.reading() as store:
        family, pricer = await family_pricer(store, family_id)
        access.require_listed_child(who, child_id, [c.id for c in family])
        views = [view_of(r, now) for r in await store.sessions_for_child(child_id, day, day, None, family_id)]
    return _lines(views, child_id, pricer, pending_map(basket, child_id))


def pick_days(scope: str, days: list[date], day: date | None, weekday: int | None) -> list[date]:
    """The days of the month a quick tool acts on."""
    if scope == "month":
        return days
    if scope in ("week", "day"):
        if day is None:
            raise ValueError("jour attendu pour la semaine" if scope == "week" else "jour attendu")
        return week_of(day, days) if scope == "week" else [d for d in days if d == day]
    if scope == "weekday":
        if weekday is None:
            raise ValueError("jour de la semaine attendu")
        return same_weekday(weekday, days)
    raise ValueError("portée inconnue : day, week, weekday ou month")


async def quick(db, who: Identity, child_id: uuid.UUID, activity_id: uuid.UUID, month: str, scope: str,
                day: date | None, weekday: int | None, now: datetime, basket: list[Line]) -> list[Line]:
    """The guide's quick tools (a day, a week, every such weekday, the month) applied to the basket:
    returns the new basket."""
    days = month_days(month)
    chosen = pick_days(scope, days, day, weekday)
    async with db.reading() as store:
        family_id = await access.require_own_children(store, who, [child_id])
        views = {r.day: view_of(r, now) for r in await store.sessions_for_child(child_id, days[0], days[-1],
                                                                                 activity_id, family_id)}
    pending = pending_map(basket, child_id)
    cells = [Cell(d, views[d].state if d in views else DayState.CLOSED, pending.get((activity_id, d)))
             for d in chosen]
    changes = {cells[0].day: toggle_day(cells[0])} if scope == "day" and cells else quick_toggle(cells)
    kept = [line for line in basket
            if not (line.child_id == child_id and line.activity_id == activity_id and line.date in changes)]
    added = [Line(child_id, activity_id, d, action) for d, action in sorted(changes.items()) if action is not None]
    return kept + added


async def copy(db, who: Identity, source_child: uuid.UUID, source_activity: uuid.UUID, start: date, end: date,
               target_child: uuid.UUID, target_activity: uuid.UUID, now: datetime, basket: list[Line]
               ) -> tuple[list[Line], list[NotImported]]:
    """Copy the source's bookings (and its pending reservations) of the period onto the target."""
    async with db.reading() as store:
        family_id = await access.require_own_children(store, who, [source_child, target_child])
        source = [r for r in await store.sessions_for_child(source_child, start, end, source_activity, family_id)
                  if not r.other_household]
        target_views = [view_of(r, now) for r in await store.sessions_for_child(target_child, start, end, None,
                                                                                 family_id)]
        declared = await store.declared_incompatibilities({target_activity})
    pending = pending_map(basket, source_child)
    source_days = sorted({r.day for r in source if r.status and pending.get((source_activity, r.day)) != "cancel"}
                         | {d for (a, d), action in pending.items() if a == source_activity and action == "reserve"
                            and start <= d <= end})
    target_pending = pending_map(basket, target_child)
    target_slot = next((Slot(v.activity.id, v.activity.name, v.start, v.end) for v in target_views
                        if v.activity.id == target_activity), None)
    if target_slot is None:
        return basket, [NotImported(d, "activité non ouverte ce jour") for d in source_days]
    targets = {}
    for d in source_days:
        own = next((v for v in target_views if v.day == d and v.activity.id == target_activity), None)
        others = tuple(v.slot for v in target_views
                       if v.day == d and v.activity.id != target_activity
                       and ((v.status is not None and target_pending.get((v.activity.id, d)) != "cancel")
                            or target_pending.get((v.activity.id, d)) == "reserve"))
        targets[d] = CopyTarget(own.facts if own else None, others)
    imported, refused = plan_copy(source_days, target_slot, targets, declared)
    new_lines = [Line(target_child, target_activity, d, "reserve") for d in imported]
    keys = {line.key for line in new_lines}
    return [line for line in basket if line.key not in keys] + new_lines, refused


@dataclass(frozen=True)
class RecapRow:
    line: Line
    child: Child | None
    activity: str
    start: time | None
    end: time | None
    cost_cents: int | None
    check: Check
    note: str | None


async def recap(db, who: Identity, lines: list[Line], now: datetime) -> list[RecapRow]:
    """The basket as the recap shows it (reservations and cancellations), with what would not go through now."""
    family_id = access.require_family(who)
    async with db.reading() as store:
        family, pricer = await family_pricer(store, family_id)
        kids = {c.id: c for c in family}
        for child_id in {line.child_id for line in lines}:
            access.require_listed_child(who, child_id, kids)
        views, declared = await load_basket(store, lines, now, family_id) if lines else ({}, set())
    rows = []
    for line, view, check in plan(lines, views, declared):
        cancel = line.action == "cancel"
        start = line.arrival or (view.arrival if view and cancel else None) or (view.start if view else None)
        end = line.departure or (view.departure if view and cancel else None) or (view.end if view else None)
        cost = pricer.cents(line.activity_id, line.child_id, line.date, start, end) if view else None
        rows.append(RecapRow(line, kids.get(line.child_id), view.activity.name if view else "", start, end, cost,
                             check, recap_note(line, view, check)))
    return rows


@dataclass(frozen=True)
class FollowUp:
    lines: list[tuple[FollowRow, int | None]]  # each line with its cost
    total_accepted_cents: int


async def follow_up(db, who: Identity, child_id: uuid.UUID | None, activity_id: uuid.UUID | None,
                    start: date | None, end: date | None, types: set[str]) -> FollowUp:
    """Suivi des réservations: the family's requests the filters show, and the accepted total."""
    family_id = access.require_family(who)
    async with db.reading() as store:
        family, pricer = await family_pricer(store, family_id)
        if child_id is not None:
            access.require_listed_child(who, child_id, [c.id for c in family])
        rows = await store.follow_up(family_id, child_id, activity_id, start, end)
    lines, total = [], 0
    for r in rows:
        if not visible(r.status, r.transmitted, types):
            continue
        cost = line_cost(r.status, r.charged_cents, pricer.cents(r.activity_id, r.child_id, r.day, r.arrival,
                                                                 r.departure), r.absence)
        if r.status == "accepted" and cost is not None:
            total += cost
        lines.append((r, cost))
    return FollowUp(lines, total)
