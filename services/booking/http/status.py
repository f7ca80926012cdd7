"""booking's internal API for the transmission's status of a structure (its staff and administrators):
parse, call services/booking/service/status.py, answer."""

from __future__ import annotations

from aiohttp import web

from kit.http import identity_of, json_response
from services.booking.http.parents import db, query_uuid
from services.booking.service import status


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


async def transmission_status(request: web.Request) -> web.Response:
    structure_id = query_uuid(request, "structure_id", "structure")
    if structure_id is None:
        raise web.HTTPBadRequest(text="structure_id attendu")
    found = await status.transmission_status(db(request), identity_of(request), structure_id)
    return json_response({"last_run_at": _iso(found.last_run_at), "last_run_lines": found.last_run_lines,
                          "structure_sent_at": _iso(found.structure_sent_at),
                          "structure_sent_lines": found.structure_sent_lines,
                          "structure_waiting": found.structure_waiting})


def routes(r: web.UrlDispatcher) -> None:
    r.add_get("/v1/transmissions/status", transmission_status)
