"""Pages and the public JSON API."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from kit import identity as ident
from kit.http import json_response
from services.gateway.backend import Backend
from services.gateway.render import render
from services.gateway.settings import SERVICES

PARIS = ZoneInfo("Europe/Paris")
BACKEND = web.AppKey("backend", Backend)


def french_datetime(iso: str) -> str:
    when = datetime.fromisoformat(iso).astimezone(PARIS)
    return when.strftime("%d/%m/%Y à %H:%M")


async def home(request: web.Request) -> web.Response:
    data = await request.app[BACKEND].get_json("auth", "/v1/structures", ident.Identity.anonymous())
    structures = [{**s, "updated_at": french_datetime(s["updated_at"])} for s in data["structures"]]
    return render(request, "home.html", structures=structures)


async def api_structures(request: web.Request) -> web.Response:
    data = await request.app[BACKEND].get_json("auth", "/v1/structures", ident.Identity.anonymous())
    return json_response(data)


async def api_status(request: web.Request) -> web.Response:
    """Each service's readiness, as the gateway sees it (for operators and `make run`)."""
    backend = request.app[BACKEND]

    async def one(name: str) -> tuple[str, bool]:
        try:
            async with backend.session.get(backend.urls[name] + "/readyz") as resp:
                return name, resp.status == 200
        except Exception:  # noqa: BLE001 - unreachable means not ready
            return name, False

    results = dict(await asyncio.gather(*(one(n) for n in SERVICES)))
    return json_response({"services": results}, status=200 if all(results.values()) else 503)


def routes(app: web.Application) -> None:
    app.router.add_get("/", home, name="home")
    app.router.add_get("/api/v1/structures", api_structures)
    app.router.add_get("/api/v1/status", api_status)
