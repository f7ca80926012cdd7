"""The helpers every service shares (ADR 0007): a rule's refusal answered as a French problem, unknown ids
as 404 everywhere, the outbox bound to its producer, days and euros in French."""

from __future__ import annotations

from datetime import date

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from contracts.errors import Conflict
from kit import fr
from kit.http import path_uuid, problem_middleware


async def test_a_rules_refusal_and_an_unknown_id_become_french_problems():
    async def refuse(_request):
        raise Conflict("Ce jour est déjà réservé pour cet enfant.")

    async def child(request):
        return web.json_response({"id": str(path_uuid(request, "child_id", "Enfant"))})

    app = web.Application(middlewares=[problem_middleware])
    app.router.add_post("/refuse", refuse)
    app.router.add_get("/children/{child_id}", child)
    async with TestClient(TestServer(app)) as client:
        resp = await client.post("/refuse")
        assert resp.status == 409
        assert (await resp.json())["detail"] == "Ce jour est déjà réservé pour cet enfant."
        resp = await client.get("/children/pas-un-uuid")
        assert resp.status == 404 and (await resp.json())["detail"] == "Enfant introuvable."
        resp = await client.get("/children/5f1c1d2e-0000-4000-8000-000000000001")
        assert resp.status == 200


def test_days_and_amounts_in_french():
    assert fr.written_day(date(2027, 2, 4)) == "Jeudi 4 Février 2027"
    assert fr.long_date(date(2027, 8, 16)) == "lundi 16 août 2027"
    assert fr.month_year(2026, 12) == "Décembre 2026"
    assert fr.euros_symbol(123450) == "1\u202f234,50\u00a0€"
    assert fr.parse_euros("2,98 €") == 298
