"""booking's internal API for the staff's rosters (behind the gateway): an activity's day, a structure's
day. Parse, call services/booking/service/roster.py (which asks access.py), answer."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from kit.http import identity_of, json_response
from services.booking.http.parents import db, query_uuid
from services.booking.service import roster


def _day(request: web.Request) -> date:
    try:
        return date.fromisoformat(request.query.get("date", ""))
    except ValueError:
        raise web.HTTPBadRequest(text="date attendue au format AAAA-MM-JJ") from None


def _hhmm(value) -> str:
    return value.strftime("%H:%M")


async def activity_day(request: web.Request) -> web.Response:
    found = await roster.roster(db(request), identity_of(request), query_uuid(request, "activity_id", "activité"),
                                _day(request))
    a = found.activity
    return json_response({
        "activity": {"id": str(a.id), "structure_id": str(a.structure_id), "name": a.name,
                     "start": _hhmm(a.start), "end": _hhmm(a.end)},
        "date": found.day.isoformat(), "opened": found.opened, "capacity": found.capacity,
        "groups": [{"key": g.key, "title": g.title, "children": [
            {"child_id": str(line.child_id), "first_name": line.first_name, "last_name": line.last_name,
             "status": line.status, "arrival": _hhmm(line.arrival), "departure": _hhmm(line.departure)}
            for line in g.lines]} for g in found.groups]})


async def structure_day(request: web.Request) -> web.Response:
    structure_id = query_uuid(request, "structure_id", "structure")
    if structure_id is None:
        raise web.HTTPBadRequest(text="structure_id attendu")
    found = await roster.day_of_structure(db(request), identity_of(request), structure_id, _day(request))
    return json_response({"activities": [
        {"id": str(a.id), "name": a.name, "serves_meal": a.serves_meal, "opened": a.opened,
         "expected": [str(c) for c in a.expected], "waitlisted": a.waitlisted, "pending": a.pending}
        for a in found]})


def routes(r: web.UrlDispatcher) -> None:
    r.add_get("/v1/roster", activity_day)
    r.add_get("/v1/roster/structure", structure_day)


