"""notify's internal routes of the automatic reminders (thin): whether the signed-in family receives them,
and its choice (the profile page's box)."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel

from kit.http import identity_of, json_response, read_model
from kit.service import pool_of
from services.notify.service import reminders
from services.notify.store import Store


class PreferenceIn(BaseModel):
    receive: bool


async def preference(request: web.Request) -> web.Response:
    receive = await reminders.preference(Store(pool_of(request)), identity_of(request))
    return json_response({"receive": receive})


async def set_preference(request: web.Request) -> web.Response:
    body = await read_model(request, PreferenceIn)
    await reminders.set_preference(Store(pool_of(request)), identity_of(request), body.receive)
    return json_response({"receive": body.receive})


def routes(app: web.Application) -> None:
    app.router.add_get("/v1/reminders/preference", preference)
    app.router.add_put("/v1/reminders/preference", set_preference)
