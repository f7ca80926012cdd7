"""booking's internal API for families (behind the gateway): parse the request, call the service, write the
answer. Who may see what is decided in services/booking/access.py, through the service."""

from __future__ import annotations

import uuid
from datetime import date

from aiohttp import web
from pydantic_core import to_json

from kit import fr
from kit.clock import utc_now
from kit.http import identity_of, json_response, problem, read_model
from kit.service import APP_KEY, pool_of
from services.booking.domain.basket import unique_lines
from services.booking.domain.followup import TYPES
from services.booking.http import answers
from services.booking.http.answers import BasketIn, CalendarIn, CopyIn, DayIn, QuickIn, lines_of
from services.booking.service import confirm, feed, parents
from services.booking.store import Database

COPY_MAX_DAYS = 62


def db(request: web.Request) -> Database:
    return Database(pool_of(request))


def query_uuid(request: web.Request, name: str, what: str = "identifiant") -> uuid.UUID | None:
    raw = request.query.get(name)
    if raw in (None, ""):
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise web.HTTPBadRequest(text=f"{what} invalide") from None


async def children(request: web.Request) -> web.Response:
    kids = await parents.children(db(request), identity_of(request))
    return json_response({"children": [{
        "id": str(k.id), "first_name": k.first_name, "last_name": k.last_name, "structure_id": str(k.structure_id),
        "activities": [{"id": str(a.id), "name": a.name, "kind": a.kind, "start": answers.hh_mm(a.start),
                        "end": answers.hh_mm(a.end)} for a in activities]} for k, activities in kids]})


async def month_calendar(request: web.Request) -> web.Response:
    body = await read_model(request, CalendarIn)
    try:
        days = await parents.month_calendar(db(request), identity_of(request), body.child_id, body.month, utc_now(),
                                            body.activity_id, lines_of(body.basket))
    except ValueError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    # the busiest answer of the rentrée (a month of days and sessions): written by pydantic-core's encoder, several
    # times faster than json.dumps, the same JSON
    return web.Response(body=to_json(answers.calendar_json(body.child_id, body.month, body.activity_id, days)),
                        content_type="application/json", charset="utf-8")


async def day(request: web.Request) -> web.Response:
    body = await read_model(request, DayIn)
    sessions = await parents.day_activities(db(request), identity_of(request), body.child_id, body.date, utc_now(),
                                            lines_of(body.basket))
    return json_response(answers.day_json(body.child_id, body.date, sessions))


async def quick(request: web.Request) -> web.Response:
    body = await read_model(request, QuickIn)
    try:
        basket = await parents.quick(db(request), identity_of(request), body.child_id, body.activity_id, body.month,
                                     body.scope, body.day, body.weekday, utc_now(), lines_of(body.basket))
    except ValueError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from None
    return json_response({"basket": answers.basket_json(basket)})


async def copy(request: web.Request) -> web.Response:
    body = await read_model(request, CopyIn)
    if body.end < body.start or (body.end - body.start).days > COPY_MAX_DAYS:
        raise web.HTTPBadRequest(text="La période à recopier doit aller du début à la fin, sur deux mois au plus.")
    basket, not_imported = await parents.copy(
        db(request), identity_of(request), body.source_child_id, body.source_activity_id, body.start, body.end,
        body.target_child_id, body.target_activity_id, utc_now(), lines_of(body.basket))
    return json_response({"basket": answers.basket_json(basket), "not_imported": [
        {"date": n.day.isoformat(), "label": fr.written_day(n.day), "reason": n.reason} for n in not_imported]})


async def recap(request: web.Request) -> web.Response:
    body = await read_model(request, BasketIn)
    rows = await parents.recap(db(request), identity_of(request), unique_lines(lines_of(body.lines)), utc_now())
    return json_response(answers.recap_json(rows))


async def confirm_basket(request: web.Request) -> web.Response:
    async with confirm.reading_gate():  # a rush's bodies decoded a few at a time, between the recording baskets
        body = await read_model(request, BasketIn)
    try:
        # A deadline shorter than the gateway's: under a rush, a basket that cannot be recorded in time
        # is rolled back whole and the parent is told to try again, instead of being recorded after
        # the page has given up (a basket recorded in time is committed whatever the deadline).
        results = await confirm.confirm(db(request), identity_of(request), unique_lines(lines_of(body.lines)),
                                        utc_now(), deadline_seconds=request.app[APP_KEY].settings.confirm_deadline_seconds)
    except TimeoutError:
        return problem(503, "Portail très sollicité", "Le portail est très sollicité : vos demandes n'ont "
                               "pas été enregistrées. Réessayez dans un instant.")
    # 40 lines or more at the rush: written by pydantic-core's encoder (as the calendar), the same JSON
    return web.Response(body=to_json(answers.results_json(results)), content_type="application/json",
                        charset="utf-8")


async def follow_up(request: web.Request) -> web.Response:
    q = request.query
    types = set(q.get("types", ",".join(TYPES)).split(",")) & set(TYPES)
    try:
        start = date.fromisoformat(q["from"]) if q.get("from") else None
        end = date.fromisoformat(q["to"]) if q.get("to") else None
    except ValueError:
        raise web.HTTPBadRequest(text="Dates attendues au format AAAA-MM-JJ.") from None
    follow = await parents.follow_up(db(request), identity_of(request), query_uuid(request, "child_id", "enfant"),
                                     query_uuid(request, "activity_id"), start, end, types)
    return json_response(answers.follow_json(follow))


async def create_feed(request: web.Request) -> web.Response:
    return json_response({"token": await feed.rotate(db(request), identity_of(request))}, status=201)


async def revoke_feed(request: web.Request) -> web.Response:
    await feed.revoke(db(request), identity_of(request))
    return web.Response(status=204)


async def read_feed(request: web.Request) -> web.Response:
    # the secret URL is the credential (services/booking/access.py): anyone who has it reads the feed
    body = await feed.render(db(request), request.match_info["token"])
    if body is None:
        raise web.HTTPNotFound(text="Calendrier introuvable.")
    return web.Response(body=body, content_type="text/calendar", charset="utf-8")
