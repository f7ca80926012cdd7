"""Every declared public route (services/gateway/public_api.py) called by every kind of caller, on the
real stack: nobody signed in, family A (of structure X, the demo CarteVille), family B (of structure Y,
created by the administrator), staff of X, staff of Y, and the administrator. Path parameters, bodies
and queries name objects of A and X (A's child, sheets, documents, contacts, invoice; X's activity,
session, pending request), so B and the staff of Y are the callers who must not reach them.

Expected for each (route, caller), from the declaration and the ownership:
- refused when the declaration does not admit the caller's role, or when the object is not theirs
  (another family's, another structure's): 401 for nobody signed in, 403 or 404 for the others;
- allowed otherwise: a success, or a 400/422 for a body left incomplete on purpose (so nothing is
  changed), or a 409 for an object whose state refuses the action (already decided, already paid).

The module fails when a route is declared without saying who may call it, when a declared route has no
case here, and when a route is registered under /api/v1 without a declaration."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest

from contracts import BookingTransmittedV1, TransmittedLine
from services.auth import demo
from services.gateway import public_api
from services.gateway.app import build_app
from services.gateway.settings import GatewaySettings
from tests.conftest import METRICS_TOKEN, SECRET, eventually
from tests.e2e.test_access_booking_dossier_notify import PDF, PNG, dossier_of, family_in, sheet, upload
from tests.e2e.test_billing import publish
from tests.e2e.test_bookings import MONTH, MONTH_END, MONTH_KEY, Api
from tests.portal import portal

X = str(demo.DEMO_STRUCTURE_ID)
CALLERS = ("anonymous", "family_a", "family_b", "staff_x", "staff_y", "admin")
ROLE = {"anonymous": "anonymous", "family_a": "family", "family_b": "family", "staff_x": "staff",
        "staff_y": "staff", "admin": "admin"}
# Who owns what a case names: an object of family A (seen by A, X's staff and the administrator), a
# draft of A (A only), an object of structure X, a family C of X (never signed in), or nothing.
OWNERS = {
    "none": set(CALLERS),
    "A": {"family_a", "staff_x", "admin"},
    "A-draft": {"family_a"},
    "X": {"staff_x", "admin"},
}
INVOICED_MONTH = "2026-02"  # fixed: the test does not depend on the day it runs
HEALTH = {"vaccinated": True, "vaccinations": [{"name": "DT Polio", "last_date": "2024-03-01"}],
          "allergies": "Pollen", "pai": False, "treatment": "Ventoline", "doctor_name": "Dr Lune"}
RULES = {"acknowledged": True, "signer_name": "Inès MOREAU", "place": "CarteVille", "signed_on": "2025-09-01",
         "signed_at": "14:30"}
BATCH = 36


@dataclass
class Case:
    """How to call one route: its path parameters, query and body from the world (and the caller, for
    bodies that must be unique), and whose object it names."""

    owner: str = "none"
    params: Callable[[dict], dict] = lambda w: {}
    query: Callable[[dict], dict] = lambda w: {}
    body: Callable[[dict, str], Any] = lambda w, caller: None
    raw: bytes | None = None          # a non-JSON body (sent as application/octet-stream)
    fresh_session: bool = False       # each caller signs in anew (the call ends its session)
    extra: dict = field(default_factory=dict)


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _line(w: dict, action: str = "reserve") -> dict:
    return {"child_id": w["child_a"], "activity_id": w["activity"], "date": w["day"], "action": action}


CASES: dict[str, Case] = {
    # the session and the account: incomplete bodies, so nothing changes
    "POST /api/v1/session": Case(body=lambda w, c: {}),
    "GET /api/v1/session": Case(),
    "DELETE /api/v1/session": Case(fresh_session=True),
    "POST /api/v1/password/required": Case(body=lambda w, c: {}),
    "GET /api/v1/legal": Case(),
    "POST /api/v1/consents": Case(body=lambda w, c: {}),
    "POST /api/v1/password/change": Case(body=lambda w, c: {}),
    "PUT /api/v1/profile/emails": Case(body=lambda w, c: {}),
    "GET /api/v1/structures": Case(),
    "GET /api/v1/status": Case(),
    "GET /api/v1/openapi.json": Case(),
    "GET /api/v1/docs": Case(),
    "POST /api/v1/payments/callback": Case(body=lambda w, c: {}),
    # structures, families, staff
    "POST /api/v1/structures": Case(body=lambda w, c: {}),
    "PUT /api/v1/structures/{structure_id}/news": Case(owner="X", params=lambda w: {"structure_id": X},
                                                       body=lambda w, c: {}),
    "POST /api/v1/families": Case(owner="X", body=lambda w, c: {
        "identifiant": _unique("MAT"), "responsable": {"first_name": "Marc", "last_name": "ROCHE"},
        "structure_id": X, "children": []}),
    "POST /api/v1/families/import": Case(raw=b""),
    "GET /api/v1/families/{family_id}": Case(owner="A", params=lambda w: {"family_id": w["family_a"]}),
    "POST /api/v1/families/{family_id}/security-update": Case(owner="X",
                                                              params=lambda w: {"family_id": w["family_c"]}),
    "POST /api/v1/legal/{kind}": Case(params=lambda w: {"kind": "cgu"}, body=lambda w, c: {}),
    "POST /api/v1/staff": Case(body=lambda w, c: {}),
    # bookings: the family (A's child, X's activity)
    "GET /api/v1/booking/children": Case(),
    "POST /api/v1/booking/calendar": Case(owner="A", body=lambda w, c: {"child_id": w["child_a"],
                                                                          "month": MONTH_KEY}),
    "POST /api/v1/booking/day": Case(owner="A", body=lambda w, c: {"child_id": w["child_a"], "date": w["day"]}),
    "POST /api/v1/booking/basket/quick": Case(owner="A", body=lambda w, c: {
        "child_id": w["child_a"], "activity_id": w["activity"], "month": MONTH_KEY, "scope": "month"}),
    "POST /api/v1/booking/basket/copy": Case(owner="A", body=lambda w, c: {
        "source_child_id": w["child_a"], "source_activity_id": w["activity"], "start": MONTH.isoformat(),
        "end": MONTH_END.isoformat(), "target_child_id": w["child_a"], "target_activity_id": w["activity"]}),
    "POST /api/v1/booking/basket/recap": Case(owner="A", body=lambda w, c: {"lines": [_line(w)]}),
    "POST /api/v1/booking/basket/confirm": Case(owner="A", body=lambda w, c: {"lines": [_line(w)]}),
    "GET /api/v1/booking/follow-up": Case(owner="A", query=lambda w: {"child_id": w["child_a"]}),
    "POST /api/v1/booking/feed": Case(),
    "DELETE /api/v1/booking/feed": Case(),
    # bookings: staff (X's activity, session and request)
    "POST /api/v1/booking/activities": Case(owner="X", body=lambda w, c: {
        "structure_id": X, "name": _unique("Atelier"), "start_time": "16:30", "end_time": "18:00"}),
    "POST /api/v1/booking/activities/{activity_id}/openings": Case(
        owner="X", params=lambda w: {"activity_id": w["activity"]},
        body=lambda w, c: {"weekdays": [0], "period": "all", "start": MONTH.isoformat(),
                           "end": MONTH_END.isoformat()}),
    "POST /api/v1/booking/structures/{structure_id}/closures": Case(owner="X", params=lambda w: {"structure_id": X},
                                                                    body=lambda w, c: {}),
    "PUT /api/v1/booking/sessions/{session_id}/capacity": Case(owner="X",
                                                               params=lambda w: {"session_id": w["session"]},
                                                               body=lambda w, c: {"capacity": 50}),
    "GET /api/v1/booking/sessions": Case(owner="X", query=lambda w: {
        "activity_id": w["activity"], "from": MONTH.isoformat(), "to": MONTH_END.isoformat()}),
    "POST /api/v1/booking/enrolments": Case(owner="A", body=lambda w, c: {"child_id": w["child_a"],
                                                                            "activity_id": w["activity"]}),
    "GET /api/v1/booking/requests": Case(owner="X", query=lambda w: {"structure_id": X}),
    "POST /api/v1/booking/requests/{booking_id}/decision": Case(
        owner="X", params=lambda w: {"booking_id": w["request"]},
        body=lambda w, c: {"decision": "refuse", "reason": "Atelier complet."}),
    "POST /api/v1/booking/transmissions": Case(),
    # billing (A's invoice, X's tariffs and desk)
    "POST /api/v1/billing/tariffs": Case(owner="X", body=lambda w, c: {
        "structure_id": X, "activity_id": str(uuid.uuid4()), "activity_name": "GOÛTER", "effective_from": "2026-09-01",
        "brackets": [{"qf_max": None, "price_cents": 100}]}),
    "GET /api/v1/billing/consumptions": Case(owner="A", query=lambda w: {"family_id": w["family_a"],
                                                                          "month": INVOICED_MONTH}),
    "GET /api/v1/billing/consumptions/export.csv": Case(owner="A", query=lambda w: {"family_id": w["family_a"],
                                                                                     "month": INVOICED_MONTH}),
    "GET /api/v1/billing/consumptions/export.pdf": Case(owner="A", query=lambda w: {"family_id": w["family_a"],
                                                                                     "month": INVOICED_MONTH}),
    "GET /api/v1/billing/invoices": Case(owner="A", query=lambda w: {"family_id": w["family_a"]}),
    "GET /api/v1/billing/invoices/{invoice_id}/pdf": Case(owner="A", params=lambda w: {"invoice_id": w["invoice"]}),
    "POST /api/v1/billing/invoices/issue": Case(body=lambda w, c: {}),
    "POST /api/v1/billing/payments": Case(owner="A", body=lambda w, c: {
        "family_id": w["family_a"], "structure_id": X, "amount": "1,00", "method": "cash"}),
    "POST /api/v1/billing/payments/online": Case(owner="A", body=lambda w, c: {
        "invoice_id": w["invoice"], "return_url": w["url"] + "/consommations"}),
    # the family dossier (A's sheets, documents, contacts)
    "GET /api/v1/dossier/dossier": Case(),
    "GET /api/v1/dossier/sheets/{sheet_id}": Case(owner="A", params=lambda w: {"sheet_id": w["famille"]}),
    "PUT /api/v1/dossier/sheets/{sheet_id}/draft": Case(owner="A", params=lambda w: {"sheet_id": w["famille"]},
                                                        body=lambda w, c: {"data": {}}),
    "POST /api/v1/dossier/sheets/{sheet_id}/submit": Case(owner="A", params=lambda w: {"sheet_id": w["famille"]},
                                                          body=lambda w, c: {"data": {}}),
    "POST /api/v1/dossier/sheets/{sheet_id}/documents": Case(owner="A", params=lambda w: {"sheet_id": w["famille"]},
                                                             query=lambda w: {"kind": "justificatif_qf"}, raw=b""),
    "GET /api/v1/dossier/documents/{document_id}": Case(owner="A", params=lambda w: {"document_id": w["carnet"]}),
    "DELETE /api/v1/dossier/documents/{document_id}": Case(owner="A",
                                                           params=lambda w: {"document_id": w["draft_document"]}),
    "GET /api/v1/dossier/contacts": Case(),
    "POST /api/v1/dossier/contacts": Case(body=lambda w, c: {}),
    "PUT /api/v1/dossier/contacts/{contact_id}": Case(owner="A", params=lambda w: {"contact_id": w["contact"]},
                                                      body=lambda w, c: {"last_name": "ROCHE", "first_name": "Anne",
                                                                         "phone": "0612345678"}),
    "DELETE /api/v1/dossier/contacts/{contact_id}": Case(owner="A",
                                                         params=lambda w: {"contact_id": w["other_contact"]}),
    "GET /api/v1/dossier/insurers": Case(),
    "GET /api/v1/dossier/archive": Case(),
    "POST /api/v1/dossier/campaigns": Case(body=lambda w, c: {}),
    "GET /api/v1/dossier/review": Case(),
    "GET /api/v1/dossier/staff/sheets/{sheet_id}": Case(owner="A", params=lambda w: {"sheet_id": w["sanitaire"]}),
    "POST /api/v1/dossier/staff/sheets/{sheet_id}/review": Case(owner="A",
                                                                params=lambda w: {"sheet_id": w["reglement"]},
                                                                body=lambda w, c: {"decision": "approved"}),
    "GET /api/v1/dossier/audit": Case(query=lambda w: {"child_id": w["child_a"]}),
    # mail
    "GET /api/v1/notify/deliveries": Case(),
    "POST /api/v1/notify/digests": Case(),
}


def expected_allowed(route: public_api.Route, case: Case, caller: str) -> bool:
    if public_api.ANONYMOUS in route.roles:
        return True
    return ROLE[caller] in route.roles and caller in OWNERS[case.owner]


def verdict(route: public_api.Route, caller: str, allowed: bool, status: int) -> str | None:
    """None when the answer is the expected one, else what is wrong."""
    if status >= 500:
        return f"{status}: server error"
    if allowed:
        if status in (401, 403, 404) or (400 <= status < 500 and status not in (400, 409, 422)):
            return f"{status}: refused, expected allowed"
        return None
    wanted = (401,) if caller == "anonymous" else (403, 404)
    return None if status in wanted else f"{status}: expected {' or '.join(map(str, wanted))}"


# -- the world ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("matrix")) as p:
        yield p


async def signed_in(site, login: str, password: str) -> Api:
    api = Api(site.url)
    await api.login(login, password)
    return api


@pytest.fixture(scope="module")
async def world(site, amqp_url):
    """Two structures and their staff, two families, and every object a route names, created once."""
    admin = await signed_in(site, "admin.portail", "Demo-Admin-2027")
    staff_x = await signed_in(site, "agent.carteville", "Demo-Agent-2027")
    y = (await admin.call("POST", "/api/v1/structures", {"name": _unique("Centre de loisirs")}, expect=201))["id"]
    login_y = _unique("agent.y")
    created = await admin.call("POST", "/api/v1/staff", {
        "login": login_y, "display_name": "Agent Y", "email": f"{login_y}@example.fr", "structure_ids": [y]},
        expect=201)
    conn = await site.db()
    try:  # past the first sign-in's password renewal, which is not what this test is about
        await conn.execute("UPDATE accounts SET must_change_password = false WHERE login = $1", login_y)
    finally:
        await conn.close()
    staff_y = await signed_in(site, login_y, created["initial_password"])
    family_a, a = await family_in(site, staff_x, X, "Léa")
    family_b, b = await family_in(site, staff_y, y, "Jade")
    family_c = (await staff_x.call("POST", "/api/v1/families", {
        "identifiant": _unique("FAMC"), "responsable": {"first_name": "Paul", "last_name": "VIDAL"},
        "structure_id": X, "children": [{"first_name": "Tom", "last_name": "VIDAL", "birth_date": "2017-01-02"}]},
        expect=201))["family_id"]
    child_a = (await family_a.call("GET", f"/api/v1/families/{a['family_id']}"))["children"][0]["id"]

    # booking: an activity of X open for the month, one with requests to approve, and A's pending request
    async def activity(**extra) -> str:
        return (await staff_x.call("POST", "/api/v1/booking/activities", {
            "structure_id": X, "name": _unique("Activité"), "start_time": "11:30", "end_time": "13:30", **extra},
            expect=201))["id"]

    plain, on_request = await activity(), await activity(needs_approval=True)
    for act in (plain, on_request):
        await staff_x.call("POST", f"/api/v1/booking/activities/{act}/openings", {
            "weekdays": [0, 1, 2, 3, 4], "period": "all", "start": MONTH.isoformat(), "end": MONTH_END.isoformat()},
            expect=201)

    async def children_known():
        return (await family_a.call("GET", "/api/v1/booking/children"))["children"] or None

    await eventually(children_known)
    calendar = await family_a.call("POST", "/api/v1/booking/calendar", {
        "child_id": child_a, "month": MONTH_KEY, "activity_id": on_request})
    days = [d["date"] for d in calendar["days"] if d["state"] != "closed"]
    asked = await family_a.call("POST", "/api/v1/booking/basket/confirm", {"lines": [
        {"child_id": child_a, "activity_id": on_request, "date": days[0], "action": "reserve"}]})
    request_id = asked["results"][0]["booking_id"]
    assert asked["results"][0]["outcome"] == "pending", asked
    sessions = await staff_x.call("GET", f"/api/v1/booking/sessions?activity_id={plain}&from={MONTH.isoformat()}"
                                         f"&to={MONTH_END.isoformat()}")

    # dossier: a transmitted health sheet with its documents, transmitted house rules, a draft with a file
    await admin.call("POST", "/api/v1/dossier/campaigns", {"school_year": "2026-2027"}, expect=None)
    mine = await dossier_of(family_a)
    health, rules, famille = sheet(mine, "sanitaire"), sheet(mine, "reglement"), sheet(mine, "famille")
    carnet = await upload(family_a, health["id"], "carnet_vaccination", PDF, "carnet.pdf")
    await upload(family_a, health["id"], "ordonnance", PNG, "ordonnance.png")
    await family_a.call("POST", f"/api/v1/dossier/sheets/{health['id']}/submit", {"data": HEALTH})
    await family_a.call("POST", f"/api/v1/dossier/sheets/{rules['id']}/submit", {"data": RULES})
    draft_document = await upload(family_a, famille["id"], "justificatif_qf", PDF, "avis.pdf")
    contact = (await family_a.call("POST", "/api/v1/dossier/contacts", {
        "last_name": "ROCHE", "first_name": "Anne"}, expect=201))["id"]
    other_contact = (await family_a.call("POST", "/api/v1/dossier/contacts", {
        "last_name": "ROCHE", "first_name": "Luc"}, expect=201))["id"]

    # billing: A's canteen days of a past month, invoiced
    canteen = str(uuid.uuid4())
    await staff_x.call("POST", "/api/v1/billing/tariffs", {
        "structure_id": X, "activity_id": canteen, "activity_name": "CANTINE", "effective_from": "2020-01-01",
        "brackets": [{"qf_max": None, "price_cents": 300}]}, expect=201)
    await publish(amqp_url, BookingTransmittedV1(
        transmission_id=uuid.uuid4(), family_id=a["family_id"], structure_id=X, structure_name="",
        transmitted_at=dt.datetime(2026, 2, 28, 23, tzinfo=dt.UTC), lines=[TransmittedLine(
            booking_id=uuid.uuid4(), child_id=child_a, child_first_name="Léa", child_last_name="MOREAU",
            activity_id=canteen, activity_name="CANTINE", date=dt.date(2026, 2, 10), kind="reserve",
            outcome="accepted")]))

    async def consumed():
        data = await admin.call("GET", f"/api/v1/billing/consumptions?family_id={a['family_id']}"
                                       f"&month={INVOICED_MONTH}", expect=None)
        return isinstance(data, dict) and data.get("lines")

    await eventually(consumed)
    await admin.call("POST", "/api/v1/billing/invoices/issue", {"month": INVOICED_MONTH})
    invoice = (await admin.call("GET", f"/api/v1/billing/invoices?family_id={a['family_id']}"))["invoices"][0]["id"]

    apis = {"anonymous": Api(site.url), "family_a": family_a, "family_b": family_b, "staff_x": staff_x,
            "staff_y": staff_y, "admin": admin}
    credentials = {"family_a": (a["identifiant"], "Goûter-Mercredi-2027"),
                   "family_b": (b["identifiant"], "Goûter-Mercredi-2027"),
                   "staff_x": ("agent.carteville", "Demo-Agent-2027"),
                   "staff_y": (login_y, created["initial_password"]), "admin": ("admin.portail", "Demo-Admin-2027")}
    yield {"url": site.url, "apis": apis, "credentials": credentials, "family_a": a["family_id"],
           "family_c": family_c, "child_a": child_a, "activity": plain, "day": days[1], "request": request_id,
           "session": sessions["sessions"][0]["id"], "famille": famille["id"], "sanitaire": health["id"],
           "reglement": rules["id"], "carnet": carnet["id"], "draft_document": draft_document["id"],
           "contact": contact, "other_contact": other_contact, "invoice": invoice}
    for api in apis.values():
        await api.close()


# -- the matrix --------------------------------------------------------------------------------------------------
def test_every_declared_route_says_who_may_call_it():
    assert public_api.check() == []
    for route in public_api.ROUTES:
        assert route.roles and set(route.roles) <= set(public_api.ROLES), route.key


def test_every_declared_route_has_a_case_here():
    declared = {r.key for r in public_api.ROUTES}
    assert declared - set(CASES) == set(), "declared routes without a case in the matrix"
    assert set(CASES) - declared == set(), "cases for routes that are not declared"


def test_nothing_is_registered_under_api_v1_without_a_declaration():
    app = build_app(GatewaySettings(identity_secret=SECRET, metrics_token=METRICS_TOKEN, cookie_secure=False,
                                    test_payment_provider=True))
    registered = {f"{route.method} {resource.canonical}"
                  for resource in app.router.resources() if resource.canonical.startswith("/api/")
                  for route in resource if route.method != "HEAD"}
    assert registered - set(public_api.BY_KEY) == set(), "routes under /api without a declaration"
    assert set(public_api.BY_KEY) - registered == set(), "declared routes the gateway does not register"


async def _call(w: dict, route: public_api.Route, case: Case, caller: str) -> tuple[str, str, int, str]:
    api = w["apis"][caller]
    fresh = None
    if case.fresh_session and caller != "anonymous":
        fresh = api = await signed_in_api(w, caller)
    path = route.path.format(**case.params(w))
    headers = {"X-CSRF-Token": api.csrf}
    kwargs: dict[str, Any] = {"params": case.query(w) or None, "headers": headers}
    if case.raw is not None:
        kwargs["data"] = case.raw
        headers["Content-Type"] = "application/octet-stream"
    elif (body := case.body(w, caller)) is not None:
        kwargs["json"] = body
    try:
        async with api.http.request(route.method, w["url"] + path, **kwargs) as resp:
            text = (await resp.read())[:300].decode(errors="replace")
            return route.key, caller, resp.status, text
    finally:
        if fresh is not None:
            await fresh.close()


async def signed_in_api(w: dict, caller: str) -> Api:
    api = Api(w["url"])
    await api.login(*w["credentials"][caller])
    return api


async def test_every_route_with_every_caller(world):
    calls = [(route, CASES[route.key], caller) for route in public_api.ROUTES for caller in CALLERS]
    answers = []
    for start in range(0, len(calls), BATCH):
        answers += await asyncio.gather(*(_call(world, route, case, caller)
                                          for route, case, caller in calls[start:start + BATCH]))
    wrong = []
    for (route, case, caller), (_key, _caller, status, text) in zip(calls, answers, strict=True):
        problem = verdict(route, caller, expected_allowed(route, case, caller), status)
        if problem:
            wrong.append(f"{route.key} as {caller}: {problem} — {text[:160]}")
    assert not wrong, "\n".join(wrong)
    # the matrix was not vacuous: every caller was both allowed and refused somewhere
    for caller in CALLERS[1:]:
        outcomes = {expected_allowed(route, case, caller) for route, case, c in calls if c == caller}
        assert outcomes == {True, False}, caller


async def test_a_refusal_by_role_is_a_french_problem(world):
    api = world["apis"]["family_a"]
    async with api.http.post(world["url"] + "/api/v1/booking/transmissions",
                             headers={"X-CSRF-Token": api.csrf}) as resp:
        assert resp.status == 403 and resp.content_type == "application/problem+json"
        body = await resp.json()
    assert body["detail"] == "Accès refusé : cette fonction est réservée aux administrateurs du portail."
    async with aiohttp.ClientSession() as http, http.get(world["url"] + "/api/v1/booking/children") as resp:
        assert resp.status == 401 and "Connectez-vous" in (await resp.json())["detail"]


async def test_an_undeclared_internal_route_is_unreachable(world):
    """booking's activity list, school holidays and secret-link feed, auth's session plumbing: internal."""
    admin = world["apis"]["admin"]
    for method, path in (("GET", f"/api/v1/booking/activities?structure_id={X}"),
                         ("POST", f"/api/v1/booking/structures/{X}/school-holidays"),
                         ("GET", "/api/v1/booking/feed/abc"), ("POST", "/api/v1/sessions/resolve"),
                         ("POST", "/api/v1/sessions/structure"), ("GET", "/api/v1/auth/v1/legal")):
        async with admin.http.request(method, world["url"] + path, json={},
                                      headers={"X-CSRF-Token": admin.csrf}) as resp:
            assert resp.status in (404, 405), (method, path, resp.status)
