"""Réservations' first impression (issue 16): the page opens on the first child who has activities, says
what to do when a child has none, and a family without any child gets a French page saying what to do. The
real page handler and template, booking answered by a fake client."""

from __future__ import annotations

import html as html_text
import uuid
from types import SimpleNamespace

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from services.gateway.clients import CLIENTS
from services.gateway.pages.booking import calendar
from services.gateway.settings import GatewaySettings
from services.gateway.web.errors import errors_middleware
from services.gateway.web.session import ACCOUNT, SETTINGS, Account

FAMILY, STRUCTURE = str(uuid.uuid4()), str(uuid.uuid4())
CANTEEN = {"id": str(uuid.uuid4()), "name": "Restauration scolaire", "kind": "fixed"}
MONTH = "2027-02"  # the page is asked for a month: nothing here depends on today


def child(first_name: str, activities: list[dict]) -> dict:
    return {"id": str(uuid.uuid4()), "first_name": first_name, "last_name": "MARTIN", "activities": activities}


class FakeBooking:
    def __init__(self, children: list[dict]):
        self.family = children
        self.asked: list[str] = []  # the children whose calendar was asked

    async def children(self, who) -> list[dict]:
        assert str(who.family_id) == FAMILY
        return self.family

    async def calendar(self, who, child_id: str, month: str, activity_id: str | None, basket=()) -> dict:
        self.asked.append(child_id)
        days = [{"date": f"{month}-{d:02d}", "state": "closed", "label": "Fermé", "activities": [],
                 "pending": None, "actions": [], "remaining": None} for d in range(1, 29)]
        return {"days": days, "legend": [{"state": "closed", "label": "Fermé"}]}


def parent() -> Account:
    return Account({"account_id": str(uuid.uuid4()), "role": "parent", "family_id": FAMILY,
                    "session_id": str(uuid.uuid4()), "structures": [{"id": STRUCTURE, "name": "CarteVille"}],
                    "current_structure_id": STRUCTURE, "csrf_token": "jeton", "must_change_password": False,
                    "pending_consents": [], "display_name": "MARTIN", "login": "MARTIN-0001", "emails": []})


@web.middleware
async def signed_in_parent(request: web.Request, handler):
    request[ACCOUNT] = parent()
    return await handler(request)


async def page(children: list[dict], query: str = "") -> tuple[int, str, FakeBooking]:
    booking = FakeBooking(children)
    app = web.Application(middlewares=[errors_middleware, signed_in_parent])
    app[SETTINGS] = GatewaySettings.model_validate({"identity_secret": "s" * 40, "metrics_token": "m" * 40})
    app[CLIENTS] = SimpleNamespace(booking=booking)
    calendar.routes(app)
    async with TestClient(TestServer(app)) as client:
        response = await client.get(f"/reservations?mois={MONTH}{query}")
        return response.status, html_text.unescape(await response.text()), booking


async def test_the_page_opens_on_the_first_child_who_has_activities():
    nothing, canteen = child("Zoé", []), child("Hugo", [CANTEEN])
    status, html, booking = await page([nothing, canteen])
    assert status == 200
    assert booking.asked == [canteen["id"]]  # Hugo's calendar, not Zoé's who has nothing to book
    assert "data-aucune-activite" not in html
    assert "Restauration scolaire" in html


async def test_a_child_without_activity_says_what_to_do():
    nothing, canteen = child("Zoé", []), child("Hugo", [CANTEEN])
    status, html, booking = await page([nothing, canteen], f"&enfant={nothing['id']}")
    assert status == 200 and booking.asked == [nothing["id"]]
    assert "Zoé n'a aucune activité à réserver pour le moment" in html
    assert 'href="/dossier"' in html and "demandez à votre structure d'inscrire Zoé" in html


async def test_without_any_activity_the_first_child_is_shown_with_what_to_do():
    first, second = child("Zoé", []), child("Hugo", [])
    status, html, booking = await page([first, second])
    assert status == 200 and booking.asked == [first["id"]]
    assert "Zoé n'a aucune activité à réserver pour le moment" in html


@pytest.mark.parametrize("query", ["", "&enfant=" + str(uuid.uuid4())])
async def test_a_family_without_children_gets_a_french_page_saying_what_to_do(query):
    status, html, booking = await page([], query)
    assert status == 404 and booking.asked == []
    assert "Aucun enfant de votre famille n'est inscrit pour les réservations" in html
    assert "Complétez votre Dossier Famille puis demandez à votre structure d'inscrire vos enfants" in html
