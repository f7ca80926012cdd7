"""What a parent looks at: the month calendar, a day's activities, the recap, the follow-up list,
and the quick tools and the copy that fill the basket. Reads only."""

from __future__ import annotations

import calendar as cal
import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta

from services.booking.basket import Line, euros, plan, short_day
from services.booking.facts import SessionView, declared_incompatibilities, sessions_for_child
from services.booking.pricing import Pricer, pricer_for
from services.booking.rules.compat import Slot
from services.booking.rules.copying import CopyTarget, french_day, plan_copy
from services.booking.rules.quick import Cell, quick_toggle
from services.booking.rules.states import LABELS, SYMBOLS, DayState

# The calendar without an activity chosen: one state per day, the most telling first.
DAY_PRIORITY = (DayState.REQUESTED, DayState.BOOKED, DayState.LOCKED, DayState.AVAILABLE,
                DayState.WAITLIST_ONLY, DayState.FULL, DayState.CLOSED)


def month_bounds(month: str) -> tuple[date, date]:
    try:
        year, number = (int(p) for p in month.split("-"))
        first = date(year, number, 1)
    except (ValueError, TypeError):
        raise ValueError("mois attendu au format AAAA-MM") from None
    return first, first.replace(day=cal.monthrange(year, number)[1])


def session_json(view: SessionView, child_id: uuid.UUID, pricer: Pricer, pending: str | None = None) -> dict:
    state = view.state
    cost = pricer.cents(view.activity.id, child_id, view.day, view.arrival, view.departure)
    return {
        "session_id": str(view.session_id), "activity_id": str(view.activity.id), "activity": view.activity.name,
        "kind": view.activity.kind, "date": view.day.isoformat(),
        "start": view.start.strftime("%H:%M"), "end": view.end.strftime("%H:%M"),
        "arrival": view.arrival.strftime("%H:%M") if view.arrival else None,
        "departure": view.departure.strftime("%H:%M") if view.departure else None,
        "state": state.value, "symbol": SYMBOLS[state], "label": LABELS[state],
        "remaining": view.remaining, "capacity": view.capacity,
        "price": euros(cost), "price_cents": cost,
        "status": view.status.value if view.status else None, "pending": pending,
    }


def pending_map(lines: list[Line], child_id: uuid.UUID) -> dict[tuple[uuid.UUID, date], str]:
    return {(line.activity_id, line.date): line.action for line in lines if line.child_id == child_id}


async def month_calendar(conn, child_id: uuid.UUID, month: str, now: datetime, activity_id: uuid.UUID | None,
                         basket: list[Line]) -> dict:
    first, last = month_bounds(month)
    views = await sessions_for_child(conn, child_id, first, last, now, activity_id)
    pricer = await pricer_for(conn, await family_of(conn, child_id))
    pending = pending_map(basket, child_id)
    by_day: dict[date, list[SessionView]] = defaultdict(list)
    for view in views:
        by_day[view.day].append(view)
    days = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        sessions = by_day.get(day, [])
        states = [v.state for v in sessions]
        state = next((s for s in DAY_PRIORITY if s in states), DayState.CLOSED)
        day_pending = {pending[(v.activity.id, day)] for v in sessions if (v.activity.id, day) in pending}
        days.append({
            "date": day.isoformat(), "weekday": day.weekday(), "state": state.value, "symbol": SYMBOLS[state],
            "label": LABELS[state],
            "remaining": sessions[0].remaining if activity_id and sessions else None,
            "pending": day_pending.pop() if len(day_pending) == 1 else ("mixed" if day_pending else None),
            "activities": [session_json(v, child_id, pricer, pending.get((v.activity.id, day))) for v in sessions],
        })
    return {"child_id": str(child_id), "month": month, "activity_id": str(activity_id) if activity_id else None,
            "legend": [{"state": s.value, "symbol": SYMBOLS[s], "label": LABELS[s]} for s in DayState], "days": days}


async def day_activities(conn, child_id: uuid.UUID, day: date, now: datetime, basket: list[Line]) -> dict:
    views = await sessions_for_child(conn, child_id, day, day, now)
    pricer = await pricer_for(conn, await family_of(conn, child_id))
    pending = pending_map(basket, child_id)
    return {"child_id": str(child_id), "date": day.isoformat(), "label": french_day(day),
            "activities": [session_json(v, child_id, pricer, pending.get((v.activity.id, day))) for v in views]}


def pick_days(scope: str, month_days: list[date], day: date | None, weekday: int | None) -> list[date]:
    if scope == "month":
        return month_days
    if scope == "week":
        if day is None:
            raise ValueError("jour attendu pour la semaine")
        monday = day - timedelta(days=day.weekday())
        return [d for d in month_days if monday <= d < monday + timedelta(days=7)]
    if scope == "weekday":
        if weekday is None:
            raise ValueError("jour de la semaine attendu")
        return [d for d in month_days if d.weekday() == weekday]
    raise ValueError("portée inconnue : week, weekday ou month")


async def quick(conn, child_id: uuid.UUID, activity_id: uuid.UUID, month: str, scope: str, day: date | None,
                weekday: int | None, now: datetime, basket: list[Line]) -> list[Line]:
    """The guide's quick tools applied to the basket: returns the new basket."""
    first, last = month_bounds(month)
    month_days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    chosen = set(pick_days(scope, month_days, day, weekday))
    views = {v.day: v for v in await sessions_for_child(conn, child_id, first, last, now, activity_id)}
    pending = pending_map(basket, child_id)
    cells = [Cell(d, views[d].state if d in views else DayState.CLOSED, pending.get((activity_id, d)))
             for d in sorted(chosen)]
    changes = quick_toggle(cells)
    kept = [line for line in basket
            if not (line.child_id == child_id and line.activity_id == activity_id and line.date in changes)]
    added = [Line(child_id=child_id, activity_id=activity_id, date=d, action=action)
             for d, action in sorted(changes.items()) if action is not None]
    return kept + added


async def copy(conn, source_child: uuid.UUID, source_activity: uuid.UUID, start: date, end: date,
               target_child: uuid.UUID, target_activity: uuid.UUID, now: datetime, basket: list[Line]
               ) -> tuple[list[Line], list[dict]]:
    """Copy the source's bookings (and its pending reservations) of the period onto the target."""
    source = await sessions_for_child(conn, source_child, start, end, now, source_activity)
    pending = pending_map(basket, source_child)
    source_days = sorted({v.day for v in source
                          if (v.status is not None and pending.get((source_activity, v.day)) != "cancel")}
                         | {d for (a, d), action in pending.items() if a == source_activity and action == "reserve"
                            and start <= d <= end})
    target_views = await sessions_for_child(conn, target_child, start, end, now)
    target_pending = pending_map(basket, target_child)
    declared = await declared_incompatibilities(conn, {target_activity})
    target_slot = next((Slot(v.activity.id, v.activity.name, v.start, v.end) for v in target_views
                        if v.activity.id == target_activity), None)
    if target_slot is None:
        return basket, [{"date": d.isoformat(), "label": french_day(d), "reason": "activité non ouverte ce jour"}
                        for d in source_days]
    targets = {}
    for d in source_days:
        own = next((v for v in target_views if v.day == d and v.activity.id == target_activity), None)
        others = tuple(v.slot for v in target_views
                       if v.day == d and v.activity.id != target_activity
                       and ((v.status is not None and target_pending.get((v.activity.id, d)) != "cancel")
                            or target_pending.get((v.activity.id, d)) == "reserve"))
        targets[d] = CopyTarget(own.facts if own else None, others)
    imported, refused = plan_copy(source_days, target_slot, targets, declared)
    new_lines = [Line(child_id=target_child, activity_id=target_activity, date=d, action="reserve") for d in imported]
    keys = {line.key for line in new_lines}
    return ([line for line in basket if line.key not in keys] + new_lines,
            [{"date": n.day.isoformat(), "label": french_day(n.day), "reason": n.reason} for n in refused])


def _note(line: Line, view: SessionView | None, check) -> str | None:
    if not (check.ok and line.action == "reserve" and view):
        return None
    if view.state == DayState.WAITLIST_ONLY:
        return "complet : la demande sera mise en liste d'attente"
    if view.state == DayState.FULL:
        return "complet : la demande sera refusée"
    return None


async def family_of(conn, child_id: uuid.UUID) -> uuid.UUID:
    return await conn.fetchval("SELECT family_id FROM children WHERE id = $1", child_id)


async def recap(conn, family_id: uuid.UUID, lines: list[Line], now: datetime) -> dict:
    """The two tables of the recap, as the guide shows them, plus what would not go through now."""
    from services.booking.confirm import load_views

    views = await load_views(conn, lines, now) if lines else {}
    declared = await declared_incompatibilities(conn, {line.activity_id for line in lines})
    children = {r["id"]: r for r in await conn.fetch(
        "SELECT id, first_name, last_name FROM children WHERE id = ANY($1::uuid[])", list({l.child_id for l in lines}))}
    pricer = await pricer_for(conn, family_id)
    reservations, cancellations = [], []
    for line, view, check in plan(lines, views, declared):
        child = children.get(line.child_id)
        start = line.arrival or (view.arrival if view and line.action == "cancel" else None) or (view.start if view else None)
        end = line.departure or (view.departure if view and line.action == "cancel" else None) or (view.end if view else None)
        cost = pricer.cents(line.activity_id, line.child_id, line.date, start, end) if view else None
        row = {"date": line.date.isoformat(), "day": short_day(line.date), "child_id": str(line.child_id),
               "child": f"{child['last_name']} {child['first_name']}" if child else "",
               "activity_id": str(line.activity_id), "activity": view.activity.name if view else "",
               "arrival": start.strftime("%H:%M") if start else None, "departure": end.strftime("%H:%M") if end else None,
               "cost": euros(cost), "cost_cents": cost,
               "ok": check.ok, "problem": check.reason,
               "note": _note(line, view, check)}
        (reservations if line.action == "reserve" else cancellations).append(row)
    return {"reservations": reservations, "cancellations": cancellations}
