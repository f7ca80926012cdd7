"""booking's internal API for staff and administrators (behind the gateway): parse, call the service, answer.
Which structures they may act on is decided in services/booking/access.py, through the service."""

from __future__ import annotations

import uuid
from datetime import date

from aiohttp import web

from contracts.api.booking import CapacityIn, DecisionIn, EnrolmentIn  # the public API's models
from kit.clock import utc_now
from kit.http import identity_of, json_response, path_uuid, read_model
from services.booking import access
from services.booking.http.parents import db, query_uuid
from services.booking.service import activities, catalog, confirm, transmission


def _required_structure(request: web.Request) -> uuid.UUID:
    structure_id = query_uuid(request, "structure_id", "structure")
    if structure_id is None:
        raise web.HTTPBadRequest(text="structure_id attendu")
    return structure_id


async def create_activity(request: web.Request) -> web.Response:
    body = await read_model(request, catalog.ActivityIn)
    activity_id = await catalog.add_activity(db(request), identity_of(request), body)
    return json_response({"id": str(activity_id)}, status=201)


async def list_activities(request: web.Request) -> web.Response:
    rows = await catalog.list_activities(db(request), identity_of(request), _required_structure(request))
    return json_response({"activities": [{k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in r.items()}
                                         for r in rows]})


async def open_sessions(request: web.Request) -> web.Response:
    activity_id = path_uuid(request, "activity_id", "Activité")
    body = await read_model(request, catalog.OpeningIn)
    created = await catalog.open_sessions(db(request), identity_of(request), activity_id, body)
    return json_response({"created": created}, status=201)


async def add_school_holidays(request: web.Request) -> web.Response:
    structure_id = path_uuid(request, "structure_id", "Structure")
    body = await read_model(request, catalog.PeriodIn)
    await catalog.add_school_holidays(db(request), identity_of(request), structure_id, body)
    return web.Response(status=201)


async def add_closure(request: web.Request) -> web.Response:
    structure_id = path_uuid(request, "structure_id", "Structure")
    body = await read_model(request, catalog.PeriodIn)
    kept = await catalog.add_closure(db(request), identity_of(request), structure_id, body)
    return json_response({"booked_days_kept": kept}, status=201)


async def set_capacity(request: web.Request) -> web.Response:
    session_id = path_uuid(request, "session_id", "Séance")
    body = await read_model(request, CapacityIn)
    promoted = await activities.set_day_capacity(db(request), identity_of(request), session_id, body.capacity,
                                                 utc_now())
    return json_response({"promoted": promoted})


async def enrol(request: web.Request) -> web.Response:
    body = await read_model(request, EnrolmentIn)
    await catalog.enrol(db(request), identity_of(request), body.child_id, body.activity_id)
    return web.Response(status=204)


async def sessions_list(request: web.Request) -> web.Response:
    """An activity's days with places taken, waiting list and pending requests (the kitchen's figure)."""
    activity_id = query_uuid(request, "activity_id", "activité")
    try:
        start, end = date.fromisoformat(request.query["from"]), date.fromisoformat(request.query["to"])
    except (KeyError, ValueError):
        raise web.HTTPBadRequest(text="from et to attendus au format AAAA-MM-JJ") from None
    rows = await catalog.session_figures(db(request), identity_of(request), activity_id, start, end)
    return json_response({"sessions": [{"id": str(r.id), "date": r.day.isoformat(), "capacity": r.capacity,
                                        "accepted": r.accepted, "waitlisted": r.waitlisted, "pending": r.pending}
                                       for r in rows]})


async def pending_requests(request: web.Request) -> web.Response:
    rows = await catalog.pending_requests(db(request), identity_of(request), _required_structure(request))
    return json_response({"requests": [{"booking_id": str(r.id), "date": r.day.isoformat(), "activity": r.activity,
                                        "child": f"{r.last_name} {r.first_name}"} for r in rows]})


async def decide(request: web.Request) -> web.Response:
    booking_id = path_uuid(request, "booking_id", "Demande")
    body = await read_model(request, DecisionIn)
    outcome = await confirm.decide(db(request), identity_of(request), booking_id, body.decision == "accept",
                                   body.reason)
    return json_response({"outcome": outcome})


async def run_transmission(request: web.Request) -> web.Response:
    access.require_admin(identity_of(request))
    report = await transmission.run(db(request))
    return json_response({"transmission_id": str(report.transmission_id), "families": report.families,
                          "events": report.events, "lines": report.lines})
