"""booking's internal API (behind the gateway): its routes. Each handler parses, calls the service layer
and serialises (http/answers.py); refusals are contracts.errors, answered by the kit's problem middleware."""

from __future__ import annotations

from aiohttp import web

from services.booking.http import (
    absences,
    activities,
    admission,
    closures,
    family_month,
    parents,
    roster,
    staff,
    status,
)


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/v1/children", parents.children)
    r.add_post("/v1/calendar", parents.month_calendar)
    r.add_post("/v1/day", parents.day)
    r.add_post("/v1/basket/quick", parents.quick)
    r.add_post("/v1/basket/copy", parents.copy)
    r.add_post("/v1/basket/recap", parents.recap)
    r.add_post("/v1/basket/confirm", parents.confirm_basket)
    admission.routes(app)  # the waiting room: POST /v1/basket/requests, GET /v1/basket/requests/{id}
    r.add_get("/v1/follow-up", parents.follow_up)
    r.add_get("/v1/staff/families/{family_id}/bookings", family_month.family_month)
    r.add_post("/v1/feed", parents.create_feed)
    r.add_delete("/v1/feed", parents.revoke_feed)
    r.add_get("/v1/feed/{token}", parents.read_feed)
    r.add_post("/v1/activities", staff.create_activity)
    r.add_get("/v1/activities", staff.list_activities)
    r.add_post("/v1/activities/{activity_id}/openings", staff.open_sessions)
    r.add_post("/v1/structures/{structure_id}/school-holidays", staff.add_school_holidays)
    r.add_post("/v1/structures/{structure_id}/closures", staff.add_closure)
    r.add_put("/v1/sessions/{session_id}/capacity", staff.set_capacity)
    r.add_get("/v1/sessions", staff.sessions_list)
    r.add_post("/v1/enrolments", staff.enrol)
    r.add_get("/v1/requests", staff.pending_requests)
    r.add_post("/v1/requests/{booking_id}/decision", staff.decide)
    r.add_post("/v1/transmissions", staff.run_transmission)
    activities.routes(app)  # changing an existing activity, its enrolments
    roster.routes(r)
    status.routes(r)
    closures.routes(r)  # mass closures (issue 19)
    absences.routes(r)  # declared absences (issue 19)
