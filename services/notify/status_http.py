"""notify's internal API for the morning digest's status of a structure: its staff and administrators
see it (services/notify/access.py); sending it now stays an administrator's action (http.py)."""

from __future__ import annotations

import uuid

from aiohttp import web

from kit.http import identity_of, json_response
from kit.service import pool_of
from services.notify import access
from services.notify.store import Store


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


async def digest_status(request: web.Request) -> web.Response:
    try:
        structure_id = uuid.UUID(request.query.get("structure_id", ""))
    except ValueError:
        raise web.HTTPBadRequest(text="structure_id attendu") from None
    access.require_structure(identity_of(request), structure_id)
    store = Store(pool_of(request))
    async with store.connection() as conn:
        found = await store.digest_status(conn, structure_id)
    return json_response({"last_run_at": _iso(found.last_run_at), "last_run_mails": found.last_run_mails,
                          "structure_digested_at": _iso(found.structure_digested_at),
                          "structure_mails": found.structure_mails, "structure_waiting": found.structure_waiting})


def routes(app: web.Application) -> None:
    app.router.add_get("/v1/digests/status", digest_status)
