"""auth's internal API (behind the gateway): the routes, and what every handler shares. Each handler asks
services/auth/access.py who may call it, parses, calls a transaction script of services/auth/service and
serialises the answer."""

from __future__ import annotations

import functools

from aiohttp import web

from kit.http import problem
from kit.service import APP_KEY, pool_of
from services.auth.hashing import PasswordHasher
from services.auth.service import Refused
from services.auth.store import Store

HASHER = web.AppKey("hasher", PasswordHasher)


def store_of(request: web.Request) -> Store:
    return Store(pool_of(request))


def settings_of(request: web.Request):
    return request.app[APP_KEY].settings


def answering(handler):
    """A refusal of the service answered as a problem with its extra fields (`messages`, `retry_at`...)."""
    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except Refused as exc:
            return problem(exc.status, exc.title, exc.detail, **exc.extra)
    return wrapper


def routes(app: web.Application) -> None:
    from services.auth.http import accounts, custody, families, family_search, structures

    app[HASHER] = PasswordHasher()
    for method, path, handler in (*structures.ROUTES, *accounts.ROUTES, *families.ROUTES, *family_search.ROUTES,
                                  *custody.ROUTES):
        app.router.add_route(method, path, answering(handler))
