"""booking's internal API for mass closures (behind the gateway): close an activity or a structure for a day
or a range, list a structure's closures, re-open one before its first day. Parse, call
services/booking/service/closures.py (which asks access.py), answer."""

from __future__ import annotations

from aiohttp import web

from contracts.api.closures import MassClosureIn
from kit.clock import paris_today, utc_now
from kit.http import identity_of, json_response, path_uuid, read_model
from services.booking.http.parents import db
from services.booking.service import closures


async def close(request: web.Request) -> web.Response:
    structure_id = path_uuid(request, "structure_id", "Structure")
    body = await read_model(request, MassClosureIn)
    closure_id, cancelled = await closures.close(db(request), identity_of(request), structure_id, body, utc_now())
    return json_response({"id": str(closure_id), "cancelled": cancelled}, status=201)


async def list_closures(request: web.Request) -> web.Response:
    structure_id = path_uuid(request, "structure_id", "Structure")
    found = await closures.list_closures(db(request), identity_of(request), structure_id, paris_today())
    return json_response({"closures": [
        {"id": str(c.id), "activity_id": str(c.activity_id) if c.activity_id else None,
         "activity_name": c.activity_name, "start": c.start.isoformat(), "end": c.end.isoformat(), "label": c.label,
         "cancels_bookings": c.cancels_bookings} for c in found]})


async def reopen(request: web.Request) -> web.Response:
    await closures.reopen(db(request), identity_of(request), path_uuid(request, "closure_id", "Fermeture"),
                          utc_now())
    return web.Response(status=204)


def routes(r: web.UrlDispatcher) -> None:
    r.add_post("/v1/structures/{structure_id}/mass-closures", close)
    r.add_get("/v1/structures/{structure_id}/mass-closures", list_closures)
    r.add_delete("/v1/mass-closures/{closure_id}", reopen)
