"""dossier's internal routes for the campaign's closing day (issue 19, thin): an administrator sets it (or
clears it), staff read it; the families with an incomplete dossier are reminded in the days before it."""

from __future__ import annotations

from datetime import date

from aiohttp import web
from pydantic import BaseModel

from kit.http import identity_of, json_response, read_model
from kit.service import pool_of
from services.dossier.service import closing
from services.dossier.store import Store


class ClosingIn(BaseModel):
    closes_on: date | None = None


async def set_closing(request: web.Request) -> web.Response:
    body = await read_model(request, ClosingIn)
    await closing.set_closing(Store(pool_of(request), None), identity_of(request), request.match_info["school_year"],
                              body.closes_on)
    return web.Response(status=204)


async def current_closing(request: web.Request) -> web.Response:
    found = await closing.current(Store(pool_of(request), None), identity_of(request))
    return json_response({"school_year": found[0] if found else None,
                          "closes_on": found[1].isoformat() if found and found[1] else None})


def routes(app: web.Application) -> None:
    app.router.add_put("/v1/campaigns/{school_year}/closing", set_closing)
    app.router.add_get("/v1/campaigns/current/closing", current_closing)
