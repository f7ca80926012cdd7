"""Home page, and the gateway's own status answer (declared in services/gateway/public_api.py)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from kit import identity as ident
from kit.http import json_response
from services.gateway.render import french_datetime, render
from services.gateway.session import BACKEND, account_of
from services.gateway.settings import SERVICES


async def home(request: web.Request) -> web.Response:
    account = account_of(request)
    if account and (account.must_change_password or account.pending_consents):
        raise web.HTTPSeeOther("/mise-a-jour-securite" if account.must_change_password else "/consentements")
    data = await request.app[BACKEND].get_json("auth", "/v1/structures", ident.Identity.anonymous())
    if account:
        structure = next((s for s in data["structures"] if s["id"] == account.current_structure_id), None)
        return render(request, "home.html", structure=structure)
    structures = [{**s, "updated_at": french_datetime(s["updated_at"])} for s in data["structures"]]
    return render(request, "home.html", structures=structures)


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
    # /api/v1/structures and /api/v1/status: declared in services/gateway/public_api.py
