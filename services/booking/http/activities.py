"""booking's internal API for staff changing an existing activity (behind the gateway): its settings and the
places of a range of days, each with a preview (nothing written) and an apply step; its enrolments, one
child or a class list. Parse, call services/booking/service/activities.py, answer."""

from __future__ import annotations

import uuid

from aiohttp import web
from pydantic import BaseModel, Field

from kit.clock import paris_today, utc_now
from kit.http import identity_of, json_response, path_uuid, read_model
from services.booking.domain.changes import ActivitySettings, CapacityPlan
from services.booking.domain.enrolments import Pupil
from services.booking.http.parents import db
from services.booking.service import activities
from services.booking.service.activities import ActivityChangeIn, CapacityRangeIn


class ChildrenIn(BaseModel):
    child_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)


class ClassListIn(BaseModel):
    text: str = Field(max_length=200_000, description="one child a line: a name, or CSV fields")


def _activity_id(request: web.Request) -> uuid.UUID:
    return path_uuid(request, "activity_id", "Activité")


def _deadline(rule) -> dict:
    return {"days_before": rule.days_before, "working_days": rule.working_days, "at": rule.at.strftime("%H:%M")}


def _settings(s: ActivitySettings) -> dict:
    return {"name": s.name, "start_time": s.start_time.strftime("%H:%M"), "end_time": s.end_time.strftime("%H:%M"),
            "capacity": s.default_capacity, "waitlist_allowed": s.waitlist_allowed, "needs_approval": s.needs_approval,
            "requires_house_rules": s.requires_house_rules, "enrolment_required": s.enrolment_required,
            "booking_deadline": _deadline(s.booking_deadline), "cancel_deadline": _deadline(s.cancel_deadline),
            "incompatible_with": sorted(str(a) for a in s.incompatible_with)}


def _plan(plan: CapacityPlan, promoted: int | None = None) -> dict:
    answer = {"sentences": plan.sentences(), "days": len(plan.changes), "changed": len(plan.changed),
              "over": [c.load.day.isoformat() for c in plan.over], "promoted": plan.promoted}
    if promoted is not None:
        answer["promoted"] = promoted
    return answer


def _pupil(p: Pupil) -> dict:
    return {"id": str(p.child_id), "first_name": p.first_name, "last_name": p.last_name,
            "birth_date": p.birth_date.isoformat()}


async def settings(request: web.Request) -> web.Response:
    found = await activities.activity_settings(db(request), identity_of(request), _activity_id(request))
    return json_response(_settings(found))


async def _change(request: web.Request, apply: bool) -> web.Response:
    body = await read_model(request, ActivityChangeIn)
    effects = await activities.change_settings(db(request), identity_of(request), _activity_id(request), body,
                                               paris_today(), apply)
    return json_response({"effects": effects})


async def preview_change(request: web.Request) -> web.Response:
    return await _change(request, apply=False)


async def apply_change(request: web.Request) -> web.Response:
    return await _change(request, apply=True)


async def _capacity(request: web.Request, apply: bool) -> web.Response:
    body = await read_model(request, CapacityRangeIn)
    plan, promoted = await activities.change_capacity(db(request), identity_of(request), _activity_id(request),
                                                      body, utc_now(), apply)
    return json_response(_plan(plan, promoted if apply else None))


async def preview_capacity(request: web.Request) -> web.Response:
    return await _capacity(request, apply=False)


async def apply_capacity(request: web.Request) -> web.Response:
    return await _capacity(request, apply=True)


async def enrolments(request: web.Request) -> web.Response:
    roll = await activities.enrolment_roll(db(request), identity_of(request), _activity_id(request))
    return json_response({"enrolled": [_pupil(e.pupil) for e in roll if e.enrolled],
                          "others": [_pupil(e.pupil) for e in roll if not e.enrolled]})


async def enrol(request: web.Request) -> web.Response:
    body = await read_model(request, ChildrenIn)
    added = await activities.enrol_children(db(request), identity_of(request), _activity_id(request), body.child_ids)
    return json_response({"enrolled": added})


async def unenrol(request: web.Request) -> web.Response:
    child_id = path_uuid(request, "child_id", "Enfant")
    await activities.unenrol(db(request), identity_of(request), _activity_id(request), child_id)
    return web.Response(status=204)


async def match_list(request: web.Request) -> web.Response:
    body = await read_model(request, ClassListIn)
    matches, enrolled = await activities.match_list(db(request), identity_of(request), _activity_id(request),
                                                    body.text)
    return json_response({"lines": [
        {"number": m.line.number, "text": m.line.text,
         "status": "recognised" if m.recognised else ("homonyms" if m.found else "unknown"),
         "children": [{**_pupil(p), "enrolled": p.child_id in enrolled} for p in m.found]} for m in matches]})


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/v1/activities/{activity_id}", settings)
    r.add_put("/v1/activities/{activity_id}", apply_change)
    r.add_post("/v1/activities/{activity_id}/preview", preview_change)
    r.add_post("/v1/activities/{activity_id}/capacity/preview", preview_capacity)
    r.add_put("/v1/activities/{activity_id}/capacity", apply_capacity)
    r.add_get("/v1/activities/{activity_id}/enrolments", enrolments)
    r.add_post("/v1/activities/{activity_id}/enrolments", enrol)
    r.add_post("/v1/activities/{activity_id}/enrolments/match", match_list)
    r.add_delete("/v1/activities/{activity_id}/enrolments/{child_id}", unenrol)
