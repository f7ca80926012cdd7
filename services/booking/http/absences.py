"""booking's internal API for declared absences (behind the gateway): the family declares and lists its
absences; staff list their structure's, answer them and set the waiting period. Parse, call
services/booking/service/absences.py (which asks access.py), answer."""

from __future__ import annotations

from aiohttp import web

from contracts.api.absences import AbsenceDecisionIn, AbsenceIn, WaitingDaysIn
from kit.clock import utc_now
from kit.http import identity_of, json_response, path_uuid, read_model
from services.booking.domain.absences import STATUS_LABELS
from services.booking.http.parents import db
from services.booking.service import absences
from services.booking.store.absences import Absence


def absence_json(a: Absence) -> dict:
    return {"id": str(a.id), "family_id": str(a.family_id), "child_id": str(a.child_id),
            "child": f"{a.last_name.upper()} {a.first_name}".strip(), "start": a.start.isoformat(),
            "end": a.end.isoformat(), "days": a.days, "status": a.status, "status_label": STATUS_LABELS[a.status],
            "reason": a.reason, "certificate_id": str(a.certificate_id), "declared_at": a.declared_at.isoformat()}


async def declare(request: web.Request) -> web.Response:
    body = await read_model(request, AbsenceIn)
    absence_id, days = await absences.declare(db(request), identity_of(request), body, utc_now())
    return json_response({"id": str(absence_id), "days": days}, status=201)


async def family_absences(request: web.Request) -> web.Response:
    found = await absences.family_absences(db(request), identity_of(request))
    return json_response({"absences": [absence_json(a) for a in found]})


async def structure_absences(request: web.Request) -> web.Response:
    status = request.query.get("status") or None
    if status not in (None, *STATUS_LABELS):
        raise web.HTTPBadRequest(text="status : pending, accepted ou refused")
    found = await absences.structure_absences(db(request), identity_of(request),
                                              path_uuid(request, "structure_id", "Structure"), status)
    return json_response({"absences": [absence_json(a) for a in found]})


async def one_absence(request: web.Request) -> web.Response:
    found = await absences.absence(db(request), identity_of(request), path_uuid(request, "absence_id", "Absence"))
    return json_response(absence_json(found))


async def decide(request: web.Request) -> web.Response:
    body = await read_model(request, AbsenceDecisionIn)
    status = await absences.answer(db(request), identity_of(request), path_uuid(request, "absence_id", "Absence"),
                                   body, utc_now())
    return json_response({"status": status})


async def waiting_days(request: web.Request) -> web.Response:
    days = await absences.waiting_days(db(request), identity_of(request),
                                       path_uuid(request, "structure_id", "Structure"))
    return json_response({"waiting_days": days})


async def set_waiting_days(request: web.Request) -> web.Response:
    body = await read_model(request, WaitingDaysIn)
    await absences.set_waiting_days(db(request), identity_of(request), path_uuid(request, "structure_id", "Structure"),
                                    body.waiting_days)
    return json_response({"waiting_days": body.waiting_days})


def routes(r: web.UrlDispatcher) -> None:
    r.add_post("/v1/absences", declare)
    r.add_get("/v1/absences", family_absences)
    r.add_get("/v1/absences/{absence_id}", one_absence)
    r.add_post("/v1/absences/{absence_id}/decision", decide)
    r.add_get("/v1/structures/{structure_id}/absences", structure_absences)
    r.add_get("/v1/structures/{structure_id}/absence-rule", waiting_days)
    r.add_put("/v1/structures/{structure_id}/absence-rule", set_waiting_days)
