"""booking's internal API (behind the gateway). Who may see or change what is decided in
services/booking/access.py: parents act on their own family's children only, staff on the structures
they manage, an administrator on all."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, Field

from contracts.api.booking import CapacityIn, DecisionIn, EnrolmentIn  # the public API's models
from kit.http import identity_of, json_response, problem, read_model
from kit.identity import Identity
from kit.service import APP_KEY
from services.booking import access, catalog, confirm, feed, follow, transmission, views
from services.booking.basket import Basket, Line


def _pool(request: web.Request):
    return request.app[APP_KEY].pool


def _now() -> datetime:
    return datetime.now(UTC)


def _uuid(raw: str | None, what: str = "identifiant") -> uuid.UUID | None:
    if raw in (None, ""):
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise web.HTTPBadRequest(text=f"{what} invalide") from None


def _parent(request: web.Request) -> Identity:
    who = identity_of(request)
    access.require_family(who)
    return who


async def _own_child(conn, who: Identity, child_id: uuid.UUID) -> None:
    await access.require_own_children(conn, who, [child_id])


async def _check_basket(conn, who: Identity, lines: list[Line]) -> None:
    await access.require_own_children(conn, who, {line.child_id for line in lines})


# -- parents ---------------------------------------------------------------------------------------
async def children(request: web.Request) -> web.Response:
    who = _parent(request)
    async with _pool(request).acquire() as conn:
        kids = await conn.fetch(
            "SELECT id, first_name, last_name, birth_date, structure_id FROM children WHERE family_id = $1 "
            "ORDER BY birth_date", who.family_id)
        activities = await conn.fetch(
            "SELECT id, structure_id, name, kind, start_time, end_time FROM activities "
            "WHERE structure_id = ANY($1::uuid[]) ORDER BY start_time, name", list({k["structure_id"] for k in kids}))
    return json_response({"children": [{
        "id": str(k["id"]), "first_name": k["first_name"], "last_name": k["last_name"],
        "structure_id": str(k["structure_id"]),
        "activities": [{"id": str(a["id"]), "name": a["name"], "kind": a["kind"],
                        "start": a["start_time"].strftime("%H:%M"), "end": a["end_time"].strftime("%H:%M")}
                       for a in activities if a["structure_id"] == k["structure_id"]]} for k in kids]})


class CalendarIn(BaseModel):
    child_id: uuid.UUID
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    activity_id: uuid.UUID | None = None
    basket: list[Line] = Field(default_factory=list, max_length=400)


async def month_calendar(request: web.Request) -> web.Response:
    who = _parent(request)
    body = await read_model(request, CalendarIn)
    async with _pool(request).acquire() as conn:
        await _own_child(conn, who, body.child_id)
        try:
            data = await views.month_calendar(conn, body.child_id, body.month, _now(), body.activity_id, body.basket)
        except ValueError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
    return json_response(data)


class DayIn(BaseModel):
    child_id: uuid.UUID
    date: date
    basket: list[Line] = Field(default_factory=list, max_length=400)


async def day(request: web.Request) -> web.Response:
    who = _parent(request)
    body = await read_model(request, DayIn)
    async with _pool(request).acquire() as conn:
        await _own_child(conn, who, body.child_id)
        return json_response(await views.day_activities(conn, body.child_id, body.date, _now(), body.basket))


class QuickIn(BaseModel):
    child_id: uuid.UUID
    activity_id: uuid.UUID
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    scope: Literal["week", "weekday", "month"]
    day: date | None = None
    weekday: int | None = Field(default=None, ge=0, le=6)
    basket: list[Line] = Field(default_factory=list, max_length=400)


def _basket_json(lines: list[Line]) -> list[dict]:
    return [line.model_dump(mode="json") for line in lines]


async def quick(request: web.Request) -> web.Response:
    who = _parent(request)
    body = await read_model(request, QuickIn)
    async with _pool(request).acquire() as conn:
        await _own_child(conn, who, body.child_id)
        try:
            basket = await views.quick(conn, body.child_id, body.activity_id, body.month, body.scope, body.day,
                                       body.weekday, _now(), body.basket)
        except ValueError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
    return json_response({"basket": _basket_json(basket)})


class CopyIn(BaseModel):
    source_child_id: uuid.UUID
    source_activity_id: uuid.UUID
    start: date
    end: date
    target_child_id: uuid.UUID
    target_activity_id: uuid.UUID
    basket: list[Line] = Field(default_factory=list, max_length=400)


async def copy(request: web.Request) -> web.Response:
    who = _parent(request)
    body = await read_model(request, CopyIn)
    if body.end < body.start or (body.end - body.start).days > 62:
        raise web.HTTPBadRequest(text="La période à recopier doit aller du début à la fin, sur deux mois au plus.")
    async with _pool(request).acquire() as conn:
        await _own_child(conn, who, body.source_child_id)
        await _own_child(conn, who, body.target_child_id)
        basket, not_imported = await views.copy(
            conn, body.source_child_id, body.source_activity_id, body.start, body.end, body.target_child_id,
            body.target_activity_id, _now(), body.basket)
    return json_response({"basket": _basket_json(basket), "not_imported": not_imported})


async def recap(request: web.Request) -> web.Response:
    who = _parent(request)
    body = await read_model(request, Basket)
    lines = body.unique_lines()
    async with _pool(request).acquire() as conn:
        await _check_basket(conn, who, lines)
        return json_response(await views.recap(conn, who.family_id, lines, _now()))


async def confirm_basket(request: web.Request) -> web.Response:
    who = _parent(request)
    body = await read_model(request, Basket)
    lines = body.unique_lines()
    if not lines:
        return problem(422, "Panier vide", "Aucune réservation ni annulation à valider.")
    try:
        # A deadline shorter than the gateway's: under a rush, a basket that cannot be recorded in time
        # is rolled back whole and the parent is told to try again, instead of being recorded after
        # the page has given up.
        async with asyncio.timeout(request.app[APP_KEY].settings.confirm_deadline_seconds):
            results = await confirm.confirm(_pool(request), who.family_id, lines, _now())
    except confirm.NotYourChild:
        raise web.HTTPNotFound(text="Enfant introuvable.") from None
    except TimeoutError:
        return problem(503, "Portail très sollicité", "Le portail est très sollicité : vos demandes n'ont pas "
                       "été enregistrées. Réessayez dans un instant.")
    return json_response({"results": [{
        **r.line.model_dump(mode="json"), "outcome": r.outcome, "reason": r.reason, "activity": r.activity_name,
        "booking_id": str(r.booking_id) if r.booking_id else None, "waitlist_position": r.waitlist_position}
        for r in results]})


async def follow_up(request: web.Request) -> web.Response:
    who = _parent(request)
    q = request.query
    types = set(q.get("types", ",".join(follow.TYPES)).split(",")) & set(follow.TYPES)
    try:
        start = date.fromisoformat(q["from"]) if q.get("from") else None
        end = date.fromisoformat(q["to"]) if q.get("to") else None
    except ValueError:
        raise web.HTTPBadRequest(text="Dates attendues au format AAAA-MM-JJ.") from None
    async with _pool(request).acquire() as conn:
        child_id = _uuid(q.get("child_id"), "enfant")
        if child_id:
            await _own_child(conn, who, child_id)
        return json_response(await follow.follow_up(conn, who.family_id, child_id, _uuid(q.get("activity_id")),
                                                    start, end, types))


async def create_feed(request: web.Request) -> web.Response:
    who = _parent(request)
    async with _pool(request).acquire() as conn:
        token = await feed.rotate(conn, who.family_id)
    return json_response({"token": token}, status=201)


async def revoke_feed(request: web.Request) -> web.Response:
    who = _parent(request)
    async with _pool(request).acquire() as conn:
        await feed.revoke(conn, who.family_id)
    return web.Response(status=204)


async def read_feed(request: web.Request) -> web.Response:
    # the secret URL is the credential (services/booking/access.py): anyone who has it reads the feed
    async with _pool(request).acquire() as conn:
        body = await feed.render(conn, request.match_info["token"])
    if body is None:
        raise web.HTTPNotFound(text="Calendrier introuvable.")
    return web.Response(body=body, content_type="text/calendar", charset="utf-8")


# -- staff -------------------------------------------------------------------------------------------
def _staff_of(request: web.Request, structure_id: uuid.UUID) -> Identity:
    who = identity_of(request)
    access.require_manages(who, structure_id)
    return who


async def _staff_of_activity(request: web.Request, conn, activity_id: uuid.UUID | None) -> uuid.UUID:
    return await access.require_activity(conn, identity_of(request), activity_id)


async def create_activity(request: web.Request) -> web.Response:
    body = await read_model(request, catalog.ActivityIn)
    _staff_of(request, body.structure_id)
    async with _pool(request).acquire() as conn, conn.transaction():
        if await conn.fetchval("SELECT 1 FROM activities WHERE structure_id = $1 AND lower(name) = lower($2)",
                               body.structure_id, body.name):
            return problem(409, "Conflit", f"L'activité « {body.name} » existe déjà dans cette structure.")
        activity_id = await catalog.create_activity(conn, body)
    return json_response({"id": str(activity_id)}, status=201)


async def list_activities(request: web.Request) -> web.Response:
    structure_id = _uuid(request.query.get("structure_id"), "structure")
    if structure_id is None:
        raise web.HTTPBadRequest(text="structure_id attendu")
    _staff_of(request, structure_id)
    rows = await _pool(request).fetch("SELECT * FROM activities WHERE structure_id = $1 ORDER BY start_time, name",
                                      structure_id)
    return json_response({"activities": [{k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in dict(r).items()}
                                         for r in rows]})


async def open_sessions(request: web.Request) -> web.Response:
    activity_id = _uuid(request.match_info["activity_id"])
    body = await read_model(request, catalog.OpeningIn)
    async with _pool(request).acquire() as conn, conn.transaction():
        await _staff_of_activity(request, conn, activity_id)
        created = await catalog.generate_sessions(conn, activity_id, body)
    return json_response({"created": created}, status=201)


async def add_school_holidays(request: web.Request) -> web.Response:
    structure_id = _uuid(request.match_info["structure_id"])
    _staff_of(request, structure_id)
    body = await read_model(request, catalog.PeriodIn)
    await _pool(request).execute(
        "INSERT INTO school_holidays (id, structure_id, start_day, end_day, label) VALUES ($1, $2, $3, $4, $5)",
        uuid.uuid4(), structure_id, body.start, body.end, body.label)
    return web.Response(status=201)


async def add_closure(request: web.Request) -> web.Response:
    structure_id = _uuid(request.match_info["structure_id"])
    _staff_of(request, structure_id)
    body = await read_model(request, catalog.PeriodIn)
    async with _pool(request).acquire() as conn, conn.transaction():
        if body.activity_id and await _staff_of_activity(request, conn, body.activity_id) != structure_id:
            raise web.HTTPNotFound(text=access.ACTIVITY_NOT_FOUND)
        kept = await catalog.add_closure(conn, structure_id, body)
    return json_response({"booked_days_kept": kept}, status=201)


async def set_capacity(request: web.Request) -> web.Response:
    session_id = _uuid(request.match_info["session_id"])
    body = await read_model(request, CapacityIn)
    async with _pool(request).acquire() as conn, conn.transaction():
        await access.require_session(conn, identity_of(request), session_id)
        try:
            promoted = await catalog.set_capacity(conn, session_id, body.capacity)
        except ValueError as exc:
            return problem(409, "Conflit", str(exc))
    return json_response({"promoted": promoted})


async def enrol(request: web.Request) -> web.Response:
    """Staff enrol a child of a family of the activity's structure (access.require_enrolment)."""
    body = await read_model(request, EnrolmentIn)
    async with _pool(request).acquire() as conn:
        await access.require_enrolment(conn, identity_of(request), body.child_id, body.activity_id)
        await conn.execute("INSERT INTO enrolments (child_id, activity_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                           body.child_id, body.activity_id)
    return web.Response(status=204)


async def sessions_list(request: web.Request) -> web.Response:
    """Staff: an activity's days with places taken, waiting list and pending requests (the kitchen's figure)."""
    activity_id = _uuid(request.query.get("activity_id"), "activité")
    try:
        start, end = date.fromisoformat(request.query["from"]), date.fromisoformat(request.query["to"])
    except (KeyError, ValueError):
        raise web.HTTPBadRequest(text="from et to attendus au format AAAA-MM-JJ") from None
    async with _pool(request).acquire() as conn:
        await _staff_of_activity(request, conn, activity_id)
        rows = await conn.fetch(
            """SELECT s.id, s.day, s.capacity,
                      count(*) FILTER (WHERE b.status = 'accepted') AS accepted,
                      count(*) FILTER (WHERE b.status = 'waitlisted') AS waitlisted,
                      count(*) FILTER (WHERE b.status = 'pending') AS pending
               FROM sessions s LEFT JOIN bookings b ON b.session_id = s.id
               WHERE s.activity_id = $1 AND s.day BETWEEN $2 AND $3 GROUP BY s.id ORDER BY s.day""",
            activity_id, start, end)
    return json_response({"sessions": [{"id": str(r["id"]), "date": r["day"].isoformat(), "capacity": r["capacity"],
                                        "accepted": r["accepted"], "waitlisted": r["waitlisted"],
                                        "pending": r["pending"]} for r in rows]})


async def pending_requests(request: web.Request) -> web.Response:
    structure_id = _uuid(request.query.get("structure_id"), "structure")
    if structure_id is None:
        raise web.HTTPBadRequest(text="structure_id attendu")
    _staff_of(request, structure_id)
    rows = await _pool(request).fetch(
        """SELECT b.id, b.day, a.name, c.first_name, c.last_name FROM bookings b
           JOIN activities a ON a.id = b.activity_id JOIN children c ON c.id = b.child_id
           WHERE a.structure_id = $1 AND b.status = 'pending' ORDER BY b.day, b.request_seq""", structure_id)
    return json_response({"requests": [{"booking_id": str(r["id"]), "date": r["day"].isoformat(),
                                        "activity": r["name"], "child": f"{r['last_name']} {r['first_name']}"}
                                       for r in rows]})


async def decide(request: web.Request) -> web.Response:
    who = access.require_staff(identity_of(request))
    body = await read_model(request, DecisionIn)
    try:
        outcome = await confirm.decide(_pool(request), _uuid(request.match_info["booking_id"]),
                                       body.decision == "accept", body.reason, who)
    except LookupError:
        raise web.HTTPNotFound(text="Demande introuvable.") from None
    except ValueError as exc:
        return problem(409, "Conflit", str(exc)[0].upper() + str(exc)[1:] + ".")
    return json_response({"outcome": outcome})


async def run_transmission(request: web.Request) -> web.Response:
    access.require_admin(identity_of(request))
    report = await transmission.run(_pool(request))
    return json_response({"transmission_id": str(report.transmission_id), "families": report.families,
                          "events": report.events, "lines": report.lines})


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/v1/children", children)
    r.add_post("/v1/calendar", month_calendar)
    r.add_post("/v1/day", day)
    r.add_post("/v1/basket/quick", quick)
    r.add_post("/v1/basket/copy", copy)
    r.add_post("/v1/basket/recap", recap)
    r.add_post("/v1/basket/confirm", confirm_basket)
    r.add_get("/v1/follow-up", follow_up)
    r.add_post("/v1/feed", create_feed)
    r.add_delete("/v1/feed", revoke_feed)
    r.add_get("/v1/feed/{token}", read_feed)
    r.add_post("/v1/activities", create_activity)
    r.add_get("/v1/activities", list_activities)
    r.add_post("/v1/activities/{activity_id}/openings", open_sessions)
    r.add_post("/v1/structures/{structure_id}/school-holidays", add_school_holidays)
    r.add_post("/v1/structures/{structure_id}/closures", add_closure)
    r.add_put("/v1/sessions/{session_id}/capacity", set_capacity)
    r.add_get("/v1/sessions", sessions_list)
    r.add_post("/v1/enrolments", enrol)
    r.add_get("/v1/requests", pending_requests)
    r.add_post("/v1/requests/{booking_id}/decision", decide)
    r.add_post("/v1/transmissions", run_transmission)
