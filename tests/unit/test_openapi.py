"""The public API is declared once (services/gateway/public_api.py): the gateway registers exactly those
routes, each says who may call it and calls a route its service really has, and the committed OpenAPI
document (services/gateway/openapi.json) is the one generated from the declarations."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from services.gateway import openapi, public_api
from services.gateway.app import build_app
from services.gateway.settings import GatewaySettings
from tests.conftest import METRICS_TOKEN, SECRET

ROOT = Path(__file__).resolve().parents[2]
ADD_ROUTE = re.compile(r'\.add_(get|post|put|delete|patch)\(\s*r?"(/v1/[^"]*)"')
# a route table's line: ("POST", "/v1/login", login)
ROUTE_LINE = re.compile(r'\(\s*"(GET|POST|PUT|DELETE|PATCH)",\s*r?"(/v1/[^"]*)"')


@pytest.fixture(scope="module")
def generated() -> str:
    return openapi.render()


@pytest.fixture(scope="module")
def doc(generated) -> dict:
    return json.loads(generated)


def test_committed_document_is_current(generated):
    committed = openapi.OUTPUT.read_text(encoding="utf-8")
    assert committed == generated, (
        "services/gateway/openapi.json is stale: regenerate it with `uv run python -m tools.openapi`")


def test_generation_is_deterministic(generated):
    assert openapi.render() == generated


def test_check_mode_reports_a_stale_file(tmp_path, capsys):
    stale = tmp_path / "openapi.json"
    stale.write_text("{}\n", encoding="utf-8")
    from tools import openapi as generator

    assert generator.main(["--check", "--output", str(stale)]) == 1
    assert "stale" in capsys.readouterr().err
    assert generator.main(["--output", str(stale)]) == 0
    assert generator.main(["--check", "--output", str(stale)]) == 0


def test_declarations_are_sound():
    assert public_api.check() == []


@pytest.mark.parametrize("broken, complaint", [
    ({"roles": ()}, "personne n'est autorisé"),
    ({"roles": ("family", "parent")}, "rôles inconnus"),
    ({"local": "status"}, "ou les deux"),
    ({"internal": "/v1/sheets/{other_id}"}, "paramètres de chemin"),
    ({"summary": ""}, "sans résumé"),
])
def test_a_declaration_without_who_may_call_it_is_refused(broken, complaint):
    route = public_api.BY_KEY["GET /api/v1/dossier/sheets/{sheet_id}"]
    problems = public_api.check((dataclasses.replace(route, **broken),))
    assert any(complaint in p for p in problems), problems


def test_a_route_declared_twice_is_refused():
    route = public_api.ROUTES[0]
    assert any("deux fois" in p for p in public_api.check((route, route)))


def _internal_routes(service: str) -> set[tuple[str, str]]:
    # a service's routes are in its http.py or http/ (docs/adr/0007), or in its api.py until it has moved there
    home = ROOT / "services" / service
    modules = [home / "http.py", *sorted((home / "http").glob("*.py")), *sorted(home.glob("http_*.py")),
               *sorted(home.glob("*_http.py")), home / "api.py"]
    source = "\n".join(m.read_text(encoding="utf-8") for m in modules if m.exists())
    return {(m.upper(), path) for m, path in ADD_ROUTE.findall(source) + ROUTE_LINE.findall(source)}


@pytest.mark.parametrize("route", [r for r in public_api.ROUTES if r.service], ids=lambda r: r.key)
def test_every_forwarded_route_calls_a_route_its_service_has(route):
    assert (route.method, route.internal) in _internal_routes(route.service)


def test_undeclared_internal_routes_stay_inside():
    """The internal routes nobody calls from outside: sign-in plumbing, the secret-link feed (served as
    /calendrier/<token>.ics), the password-reset pages' calls, and what only the pages use."""
    declared = {(r.service, r.method, r.internal) for r in public_api.ROUTES if r.service}
    hidden = {(s, m, p) for s in ("auth", "booking", "billing", "dossier", "notify")
              for m, p in _internal_routes(s)} - declared
    assert ("auth", "POST", "/v1/sessions/resolve") in hidden
    assert ("booking", "GET", "/v1/feed/{token}") in hidden
    # reached only through the gateway's handlers (the notification) and pages (the return from the bank)
    assert ("billing", "POST", "/v1/payments/notification/{structure_id}") in hidden
    assert ("billing", "POST", "/v1/payments/return/{structure_id}") in hidden


def _app():
    settings = GatewaySettings(identity_secret=SECRET, metrics_token=METRICS_TOKEN, cookie_secure=False,
                               development=True)
    return build_app(settings)


def test_the_gateway_registers_the_declared_routes_and_nothing_else():
    registered = set()
    for resource in _app().router.resources():
        path = resource.canonical
        if not path.startswith("/api/"):
            continue
        assert "{tail" not in path, f"wildcard route under /api: {path}"
        for route in resource:
            if route.method != "HEAD":
                registered.add(f"{route.method} {path}")
    assert registered == {r.key for r in public_api.ROUTES}


def test_document(doc):
    assert doc["openapi"] == "3.1.0"
    assert set(doc["components"]["securitySchemes"]) == {"session", "csrf"}
    assert doc["components"]["securitySchemes"]["session"] == {
        "type": "apiKey", "in": "cookie", "name": "portail_session",
        "description": "Le cookie posé par POST /api/v1/session."}
    operations = [(path, method, op) for path, ops in doc["paths"].items() for method, op in ops.items()]
    assert len(operations) == len(public_api.ROUTES)
    for path, method, op in operations:
        route = public_api.BY_KEY[f"{method.upper()} {path}"]
        assert op["x-portail-roles"] == list(route.roles)
        assert op["summary"] == route.summary
        assert str(route.status) in op["responses"]
        assert "403" in op["responses"] and "404" in op["responses"]
        if "anonymous" not in route.roles:
            wanted = {"session": [], "csrf": []} if method != "get" else {"session": []}
            assert op["security"] == [wanted]
    calendar = doc["paths"]["/api/v1/booking/calendar"]["post"]
    assert calendar["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CalendarIn"}
    assert {p["name"] for p in doc["paths"]["/api/v1/booking/follow-up"]["get"]["parameters"]} == {
        "child_id", "activity_id", "from", "to", "types"}
