"""The home page (the structures and their news), and the gateway's own status answer (declared in
services/gateway/public_api.py)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from kit.http import json_response
from services.gateway.clients import clients_of
from services.gateway.web.render import french_datetime, render
from services.gateway.web.session import account_of


async def home(request: web.Request) -> web.Response:
    account = account_of(request)
    if account and (account.must_change_password or account.pending_consents):
        raise web.HTTPSeeOther("/mise-a-jour-securite" if account.must_change_password else "/consentements")
    structures = await clients_of(request).auth.structures()
    if account:
        structure = next((s for s in structures if s["id"] == account.current_structure_id), None)
        return render(request, "home.html", structure=structure)
    return render(request, "home.html",
                  structures=[{**s, "updated_at": french_datetime(s["updated_at"])} for s in structures])


async def api_status(request: web.Request) -> web.Response:
    """Each service's readiness, as the gateway sees it (for operators and `make run`)."""
    services = clients_of(request).all()
    ready = await asyncio.gather(*(client.ready() for client in services))
    results = {client.name: ok for client, ok in zip(services, ready, strict=True)}
    return json_response({"services": results}, status=200 if all(results.values()) else 503)


def routes(app: web.Application) -> None:
    app.router.add_get("/", home, name="home")
    # /api/v1/structures and /api/v1/status: declared in services/gateway/public_api.py
