"""The typed clients (services/gateway/clients/): every call signed, with the correlation id; answers turned
into the one error model; files relayed. Against a small fake service, no real one needed."""

from __future__ import annotations

import uuid
from datetime import date

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from kit import identity as ident
from kit.context import CORRELATION_HEADER, correlation_id_var
from services.gateway.clients import Clients, Failed, Forbidden, NotFound, Refused, Unavailable

SECRET = "test-identity-secret-0123456789abcdef"
WHO = ident.Identity(subject=str(uuid.uuid4()), role="parent", family_id=uuid.uuid4())


@pytest.fixture
async def service():
    seen: list[dict] = []

    async def calendar(request: web.Request):
        seen.append({"identity": ident.verify(request.headers[ident.HEADER], SECRET),
                     "correlation": request.headers.get(CORRELATION_HEADER), "body": await request.json()})
        return web.json_response({"days": [{"date": "2027-02-01", "label": "Réservable", "actions": ["reserve"]}]})

    async def status(request: web.Request):
        code = int(request.match_info["code"])
        return web.json_response({"detail": f"réponse {code}"}, status=code)

    async def export(request: web.Request):
        seen.append({"query": dict(request.query)})
        return web.Response(body=b"date;total\n", content_type="text/csv",
                            headers={"Content-Disposition": 'attachment; filename="conso.csv"'})

    async def rules(_request):
        return web.json_response({"rules": [{"id": "digit", "label": "Au moins 1 chiffre", "pattern": r"\p{Nd}"}]})

    app = web.Application()
    app.router.add_post("/v1/calendar", calendar)
    app.router.add_route("*", "/v1/status/{code}", status)
    app.router.add_get("/v1/consumptions/export.csv", export)
    app.router.add_get("/v1/password/rules", rules)
    server = TestServer(app)
    await server.start_server()
    async with aiohttp.ClientSession() as session:
        url = str(server.make_url("")).rstrip("/")
        yield Clients.build(session, dict.fromkeys(("auth", "booking", "dossier", "notify", "billing"), url),
                            SECRET), seen
    await server.close()


async def test_a_call_is_signed_and_correlated(service):
    clients, seen = service
    token = correlation_id_var.set("corr-123")
    try:
        answer = await clients.booking.calendar(WHO, "c", "2027-02", None, [])
    finally:
        correlation_id_var.reset(token)
    assert answer["days"][0]["actions"] == ["reserve"]
    assert seen[0]["identity"].subject == WHO.subject and seen[0]["correlation"] == "corr-123"
    assert seen[0]["body"] == {"child_id": "c", "month": "2027-02", "activity_id": None, "basket": []}


@pytest.mark.parametrize(("code", "error"), [(404, NotFound), (403, Forbidden), (409, Refused), (422, Refused),
                                             (503, Unavailable), (500, Failed)])
async def test_one_error_model(service, code, error):
    clients, _ = service
    with pytest.raises(error) as info:
        await clients.dossier.get(f"/v1/status/{code}", WHO)
    assert info.value.service == "dossier" and info.value.status == code
    assert info.value.detail_given == f"réponse {code}"


async def test_raw_passes_any_answer_on(service):
    clients, _ = service
    assert await clients.billing.raw("POST", "/v1/status/422", WHO) == (422, {"detail": "réponse 422"})


async def test_an_unreachable_service_is_unavailable():
    async with aiohttp.ClientSession() as session:
        clients = Clients.build(session, dict.fromkeys(("auth", "booking", "dossier", "notify", "billing"),
                                                       "http://127.0.0.1:9"), SECRET)
        with pytest.raises(Unavailable) as info:
            await clients.booking.children(WHO)
        assert not info.value.answered
        assert not await clients.notify.ready()


async def test_password_rules_come_from_auth(service):
    clients, _ = service
    assert await clients.auth.password_rules() == [{"id": "digit", "label": "Au moins 1 chiffre",
                                                     "pattern": r"\p{Nd}"}]


async def test_a_file_is_relayed(service):
    clients, seen = service

    async def page(request: web.Request):
        return await clients.billing.export(request, WHO, "2027-02", "léo", "csv")

    app = web.Application()
    app.router.add_get("/export", page)
    async with TestServer(app) as front, aiohttp.ClientSession() as browser, \
            browser.get(front.make_url("/export")) as resp:
        assert resp.status == 200 and await resp.read() == b"date;total\n"
        assert resp.headers["Content-Disposition"] == 'attachment; filename="conso.csv"'
        assert resp.headers["Cache-Control"] == "no-store"
    assert seen[-1]["query"] == {"month": "2027-02", "q": "léo"}


def test_paths_quote_what_they_carry():
    from services.gateway.clients.base import path

    assert path("/v1/sheets/{}/documents", "a/b", kind="x y") == "/v1/sheets/a%2Fb/documents?kind=x+y"
    assert path("/v1/sessions", activity_id="a", **{"from": date(2027, 2, 1).isoformat(), "to": None}) == \
        "/v1/sessions?activity_id=a&from=2027-02-01"
