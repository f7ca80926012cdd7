"""Malformed input through the real gateway and services: NUL bytes in JSON bodies, query strings,
form fields and path parameters, deeply nested JSON, a number where a time or a string is expected,
over-long headers. Every one gets a 4xx with a French JSON problem (API) or a French error page
(pages): never a 5xx, a traceback, or English validation messages."""

from __future__ import annotations

import json
import re
import uuid

import aiohttp
import asyncpg
import pytest

from services.auth import demo
from tests.conftest import eventually
from tests.e2e.test_bookings import Api, new_family
from tests.portal import portal

CARTEVILLE = str(demo.DEMO_STRUCTURE_ID)
DEEP = b"[" * 100_000 + b"]" * 100_000
# words only English validation messages or tracebacks carry
ENGLISH = re.compile(r"Traceback|Field required|Input should|String should|should be|value is not|"
                     r"Invalid JSON|Internal Server Error|Bad Request|Not Found|Expecting value|"
                     r"\bmust\b|\bvalid\b|\binvalid\b(?! )", re.IGNORECASE)
FRENCH_TITLES = {"Requête invalide", "Connexion refusée", "Adresse trop longue", "Données invalides", "Ressource introuvable", "Contenu trop volumineux",
                 "En-têtes trop volumineux", "Type de contenu non pris en charge", "Accès refusé",
                 "Authentification requise", "Méthode non autorisée", "Conflit", "Page introuvable"}


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("bad_input")) as p:
        yield p


@pytest.fixture(scope="module")
async def world(site):
    """A signed-in family with a child, an activity, a dossier sheet; staff signed in."""
    admin, staff = Api(site.url), Api(site.url)
    await admin.login("admin.portail", "Demo-Admin-2027")
    await staff.login("agent.carteville", "Demo-Agent-2027")
    activity = (await staff.call("POST", "/api/v1/booking/activities", {
        "structure_id": CARTEVILLE, "name": f"Cantine {uuid.uuid4().hex[:4]}", "start_time": "11:30",
        "end_time": "13:30"}, expect=201))["id"]
    await admin.call("POST", "/api/v1/dossier/campaigns", {"school_year": "2026-2027"}, expect=None)
    parent, family = await new_family(site, staff, children=1)

    async def dossier_ready():
        data = await parent.call("GET", "/api/v1/dossier/dossier", expect=None)
        return data if isinstance(data, dict) and data.get("sheets") else None

    dossier = await eventually(dossier_ready)
    sheet = next(s["id"] for s in dossier["sheets"] if s["kind"] == "famille")
    pages = site.browser()
    await pages.login(family["identifiant"], "Cantine-Mercredi-2027")
    yield {"parent": parent, "staff": staff, "admin": admin, "pages": pages, "child": family["children"][0]["id"],
           "activity": activity, "sheet": sheet, "family": family["family_id"]}
    for api in (admin, staff, parent):
        await api.close()


def line(w, **over):
    return {"child_id": w["child"], "activity_id": w["activity"], "date": "2026-09-07", "action": "reserve", **over}


# (name, who, method, path, body): body is a dict/list (sent as JSON), bytes (sent raw as JSON), or None
API_CASES = [
    ("sign-in NUL in identifiant", None, "POST", "/api/v1/session",
     lambda w: {"identifiant": "DUPONT\u0000-0042", "mot_de_passe": "x"}),
    ("sign-in NUL in password", None, "POST", "/api/v1/session",
     lambda w: {"identifiant": "DUPONT-0042", "mot_de_passe": "a\u0000b"}),
    ("sign-in NUL in a key", None, "POST", "/api/v1/session",
     lambda w: {"identifiant\u0000": "DUPONT-0042", "mot_de_passe": "x"}),
    ("sign-in 100,000 nested arrays", None, "POST", "/api/v1/session", lambda w: DEEP),
    ("sign-in nested objects", None, "POST", "/api/v1/session",
     lambda w: b'{"identifiant":' + b'{"a":' * 50_000 + b"1" + b"}" * 50_000 + b',"mot_de_passe":"x"}'),
    ("sign-in numbers", None, "POST", "/api/v1/session", lambda w: {"identifiant": [1], "mot_de_passe": {"a": 2}}),
    ("sign-in not JSON", None, "POST", "/api/v1/session", lambda w: b"\x00\x01{"),
    ("calendar NUL in month", "parent", "POST", "/api/v1/booking/calendar",
     lambda w: {"child_id": w["child"], "month": "2026-09\u0000"}),
    ("calendar number as month", "parent", "POST", "/api/v1/booking/calendar",
     lambda w: {"child_id": w["child"], "month": 202609}),
    ("calendar NUL child id", "parent", "POST", "/api/v1/booking/calendar",
     lambda w: {"child_id": "\u0000", "month": "2026-09"}),
    ("calendar deep basket", "parent", "POST", "/api/v1/booking/calendar", lambda w: DEEP),
    ("confirm number as time", "parent", "POST", "/api/v1/booking/basket/confirm",
     lambda w: {"basket": [line(w, arrival=730, departure=830)]}),
    ("confirm huge number as time", "parent", "POST", "/api/v1/booking/basket/confirm",
     lambda w: {"basket": [line(w, arrival=10**30, departure=-1)]}),
    ("confirm string as date", "parent", "POST", "/api/v1/booking/basket/confirm",
     lambda w: {"basket": [line(w, date="2026-09-07T10:00:00")]}),
    ("confirm NUL in action", "parent", "POST", "/api/v1/booking/basket/confirm",
     lambda w: {"basket": [line(w, action="reserve\u0000")]}),
    ("confirm basket not a list", "parent", "POST", "/api/v1/booking/basket/confirm", lambda w: {"basket": 7}),
    ("confirm body is a list", "parent", "POST", "/api/v1/booking/basket/confirm", lambda w: [1, 2]),
    ("sheet NUL in a field", "parent", "PUT", "/api/v1/dossier/sheets/{sheet}/draft",
     lambda w: {"data": {"city": "Carte\u0000Ville", "address": "3 rue"}}),
    ("sheet number as a string field", "parent", "PUT", "/api/v1/dossier/sheets/{sheet}/draft",
     lambda w: {"data": {"city": 33340, "postal_code": 33340}}),
    ("sheet string as a number", "parent", "PUT", "/api/v1/dossier/sheets/{sheet}/draft",
     lambda w: {"data": {"family_quotient": "beaucoup"}}),
    ("sheet data not an object", "parent", "PUT", "/api/v1/dossier/sheets/{sheet}/draft", lambda w: {"data": "x"}),
    ("sheet NUL path parameter", "parent", "PUT", "/api/v1/dossier/sheets/%00/draft", lambda w: {"data": {}}),
    ("sheet deep data", "parent", "PUT", "/api/v1/dossier/sheets/{sheet}/draft",
     lambda w: b'{"data":{"city":' + b"[" * 5000 + b"]" * 5000 + b"}}"),
    ("consumptions NUL month", "parent", "GET", "/api/v1/billing/consumptions?month=2026-09%00", None),
    ("consumptions NUL search", "parent", "GET", "/api/v1/billing/consumptions?q=a%00b", None),
    ("consumptions NUL family", "staff", "GET", "/api/v1/billing/consumptions?family_id=%00", None),
    ("consumptions NUL parameter name", "parent", "GET", "/api/v1/billing/consumptions?a%00=1", None),
    ("activities NUL in a name", "staff", "POST", "/api/v1/booking/activities",
     lambda w: {"structure_id": CARTEVILLE, "name": "Can\u0000tine", "start_time": "11:30", "end_time": "13:30"}),
    ("activities number as time", "staff", "POST", "/api/v1/booking/activities",
     lambda w: {"structure_id": CARTEVILLE, "name": "Cantine", "start_time": 1130, "end_time": 13.5}),
    ("activities name too long", "staff", "POST", "/api/v1/booking/activities",
     lambda w: {"structure_id": CARTEVILLE, "name": "C" * 5000, "start_time": "11:30", "end_time": "13:30"}),
    ("news NUL", "staff", "PUT", f"/api/v1/structures/{CARTEVILLE}/news", lambda w: {"news": "A\u0000B"}),
    ("family NUL path parameter", "staff", "GET", "/api/v1/families/%00", None),
    ("family bad uuid path parameter", "staff", "GET", "/api/v1/families/pas-un-uuid", None),
    ("tariff NUL activity name", "staff", "POST", "/api/v1/billing/tariffs",
     lambda w: {"structure_id": CARTEVILLE, "activity_id": w["activity"], "activity_name": "R\u0000",
                "effective_from": "2026-09-01", "brackets": [{"qf_max": None, "price_cents": 100}]}),
]


def french_problem(status: int, content_type: str, text: str) -> None:
    assert 400 <= status < 500, (status, text[:500])
    assert content_type.endswith("json"), (content_type, text[:500])
    body = json.loads(text)
    assert body.get("title") in FRENCH_TITLES, body
    assert body.get("status") == status, body
    assert not ENGLISH.search(text), body


@pytest.mark.parametrize(("name", "who", "method", "path", "body"), API_CASES, ids=[c[0] for c in API_CASES])
async def test_api_bad_input_is_a_french_4xx_problem(site, world, name, who, method, path, body):
    api = world[who] if who else Api(site.url)
    url = site.url + path.format(sheet=world["sheet"])
    payload = body(world) if body else None
    kwargs = {}
    if isinstance(payload, bytes):
        kwargs["data"], kwargs["headers"] = payload, {"Content-Type": "application/json", "X-CSRF-Token": api.csrf}
    else:
        kwargs["json"], kwargs["headers"] = payload, {"X-CSRF-Token": api.csrf}
    try:
        async with api.http.request(method, url, **kwargs) as resp:
            french_problem(resp.status, resp.content_type, await resp.text())
    finally:
        if not who:
            await api.close()


async def test_nothing_was_written_by_refused_input(site, world):
    conn = await asyncpg.connect(site.booking_db)
    try:
        assert await conn.fetchval("SELECT count(*) FROM activities WHERE name LIKE 'Can%tine' AND "
                                   "strpos(name, 'Cantine') = 0") == 0
    finally:
        await conn.close()


@pytest.mark.parametrize("header", ["X-Correlation-ID", "X-Anything", "Referer"])
async def test_over_long_header_is_a_french_4xx(site, header):
    async with aiohttp.ClientSession() as http, http.get(site.url + "/api/v1/structures",
                                                          headers={header: "c" * 10_000}) as resp:
        french_problem(resp.status, resp.content_type, await resp.text())


async def test_long_correlation_id_is_not_propagated(site):
    """A correlation id that is not a short token is replaced (it travels in AMQP headers, 255 bytes)."""
    async with aiohttp.ClientSession() as http:
        async with http.get(site.url + "/api/v1/structures", headers={"X-Correlation-ID": "é" * 300}) as resp:
            assert resp.status == 200
            assert len(resp.headers["X-Correlation-ID"]) <= 64
        async with http.get(site.url + "/api/v1/structures", headers={"X-Correlation-ID": "abc-123"}) as resp:
            assert resp.headers["X-Correlation-ID"] == "abc-123"


PAGE_CASES = [
    ("sign-in form NUL", False, "POST", "/connexion", {"identifiant": "DUPONT\u0000", "mot_de_passe": "x"}),
    ("reset request NUL", False, "POST", "/reinitialisation", {"identifiant": "a\u0000", "courriel": "a@b.fr"}),
    ("reset link NUL path", False, "GET", "/reinitialisation/abc%00def", None),
    ("home NUL query", False, "GET", "/?x=%00", None),
    ("consumptions NUL month", True, "GET", "/consommations?mois=%00", None),
    ("dossier sheet NUL path", True, "GET", "/dossier/fiche/%00", None),
    ("contact form NUL", True, "POST", "/dossier/contacts", {"nom": "A\u0000", "prenom": "B"}),
    ("calendar form NUL", True, "POST", "/reservations", {"enfant": "\u0000", "mois": "2026-09"}),
]


@pytest.mark.parametrize(("name", "signed_in", "method", "path", "form"), PAGE_CASES, ids=[c[0] for c in PAGE_CASES])
async def test_page_bad_input_is_a_french_error_page(site, world, name, signed_in, method, path, form):
    browser = world["pages"] if signed_in else site.browser()
    if not signed_in:
        await browser.get("/connexion")
    page = await (browser.post(path, form) if method == "POST" else browser.get(path))
    assert 400 <= page.status < 500, (page.status, page.text[:500])
    assert page.headers["Content-Type"].startswith("text/html"), page.headers
    assert '<html lang="fr"' in page.text
    assert not ENGLISH.search(page.text), page.text


SERVICE_CASES = [
    ("auth", "POST", "/v1/login", "anonymous", {"login": "a\u0000", "password": "x"}),
    ("auth", "POST", "/v1/login", "anonymous", DEEP),
    ("booking", "POST", "/v1/activities", "admin",
     {"structure_id": CARTEVILLE, "name": "Can\u0000tine", "start_time": "11:30", "end_time": "13:30"}),
    ("booking", "GET", "/v1/sessions?structure_id=%00", "admin", None),
    ("billing", "GET", "/v1/consumptions?q=%00", "admin", None),
    ("dossier", "GET", "/v1/sheets/%00", "admin", None),
]


@pytest.mark.parametrize(("service", "method", "path", "role", "body"), SERVICE_CASES,
                         ids=[f"{c[0]} {c[1]} {c[2]}" for c in SERVICE_CASES])
async def test_each_service_guards_itself(site, service, method, path, role, body):
    """The guard is the kit's: a service refuses bad input even from a caller other than the gateway
    (text/plain, so that no Content-Type check helps)."""
    from kit import identity as ident
    from tests.conftest import SECRET

    who = ident.Identity.anonymous() if role == "anonymous" else ident.Identity(subject=str(uuid.uuid4()), role=role)
    base = {"auth": site.auth_url, "booking": site.booking_url, "billing": site.billing_url,
            "dossier": site.dossier_url}[service]
    data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
    async with aiohttp.ClientSession() as http, http.request(method, base + path, data=data, headers={
            ident.HEADER: ident.issue(who, SECRET), "Content-Type": "text/plain"}) as resp:
        french_problem(resp.status, resp.content_type, await resp.text())
