"""The password rules shown beside a new password, as auth serves them (`GET /v1/password/rules`): the page
lists them server-side, and portail.js ticks each one as it is met from the data attributes it carries."""

from __future__ import annotations

from aiohttp import web

from services.gateway.clients import clients_of


async def password_rules(request: web.Request) -> list[dict]:
    """Auth's rules, in order: `id`, French `label`, and what portail.js needs to tick them."""
    return await clients_of(request).auth.password_rules()

