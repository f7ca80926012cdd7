"""One way to report a refusal (services/gateway/web/errors.py): the page error a client's or a form's error
makes, and the middleware answering every error as a French page (or a JSON problem under /api)."""

from __future__ import annotations

import json

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from services.gateway.clients.base import Failed, Forbidden, NotFound, Refused, Unavailable, error_for
from services.gateway.settings import GatewaySettings
from services.gateway.web.errors import PageError, errors_middleware
from services.gateway.web.forms import FormError
from services.gateway.web.session import SETTINGS


def test_a_client_error_per_status():
    assert isinstance(error_for("booking", 404, None), NotFound)
    assert isinstance(error_for("booking", 403, None), Forbidden)
    assert isinstance(error_for("booking", 503, None), Unavailable)
    assert isinstance(error_for("booking", 500, None), Failed)
    refused = error_for("booking", 409, {"detail": "Déjà réservé."})
    assert isinstance(refused, Refused) and refused.status == 409 and refused.detail == "Déjà réservé."


def test_page_errors_say_what_the_service_said():
    page = PageError.of(error_for("booking", 404, {"detail": "Enfant inconnu."}), not_found="Introuvable ici.")
    assert (page.status, page.title, page.message) == (404, "Introuvable", "Enfant inconnu.")
    assert PageError.of(NotFound("booking"), not_found="Introuvable ici.").message == "Introuvable ici."
    assert PageError.of(error_for("booking", 422, {"detail": "Trop tard."})).status == 400
    assert PageError.of(error_for("booking", 409, None)).status == 409
    busy = PageError.of(error_for("booking", 503, {"detail": "Réessayez dans une minute."}))
    assert (busy.status, busy.title) == (503, "Portail très sollicité")
    assert PageError.of(error_for("booking", 500, None)).status == 502
    form = PageError.of(FormError("Le mois…", title="Mois invalide"))
    assert (form.status, form.title, form.message) == (400, "Mois invalide", "Le mois…")


def test_a_refusals_sentences_name_the_fields():
    body = {"detail": "Certaines données envoyées ne sont pas valides.",
            "errors": [{"champ": "booking_deadline.days_before", "message": "Value error, trop grand"}]}
    refused = error_for("booking", 422, body)
    assert refused.messages({"days_before": "Nombre de jours"}) == [
        "Certaines données envoyées ne sont pas valides.", "Nombre de jours : trop grand"]
    assert refused.messages(fields=False) == ["Certaines données envoyées ne sont pas valides."]
    assert error_for("auth", 422, {"messages": ["Un", "Deux"]}).messages() == ["Un", "Deux"]


@pytest.fixture
async def client():
    async def raising(request: web.Request):
        raise {"page": PageError(409, "Conflit", "Déjà fait."), "form": FormError("Mauvais mois.", title="Mois"),
               "refused": error_for("booking", 422, {"detail": "Refusé, en français."}),
               "missing": error_for("dossier", 404, {"detail": "Pas là."}),
               "down": Unavailable("billing", answered=False), "failed": error_for("billing", 500, None),
               "bug": RuntimeError("boom")}[request.match_info["what"]]

    app = web.Application(middlewares=[errors_middleware])
    app[SETTINGS] = GatewaySettings.model_validate({"identity_secret": "s" * 40, "metrics_token": "m" * 40})
    app.router.add_get("/page/{what}", raising)
    app.router.add_get("/api/v1/{what}", raising)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.mark.parametrize(("what", "status", "text"), [
    ("page", 409, "Déjà fait."), ("form", 400, "Mauvais mois."), ("refused", 400, "Refusé, en français."),
    ("missing", 404, "Page introuvable"), ("down", 503, "Service momentanément indisponible"),
    ("failed", 502, "Réessayez plus tard."), ("bug", 500, "Erreur interne")])
async def test_pages_get_a_french_page(client, what, status, text):
    response = await client.get(f"/page/{what}")
    assert response.status == status
    assert response.content_type == "text/html" and text in await response.text()


async def test_the_api_gets_the_services_refusal_or_a_problem(client):
    response = await client.get("/api/v1/refused")
    assert response.status == 422 and (await response.json())["detail"] == "Refusé, en français."
    response = await client.get("/api/v1/down")
    assert response.status == 503 and json.loads(await response.text())["title"] == "Service momentanément indisponible"
