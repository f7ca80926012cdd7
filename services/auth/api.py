"""auth's internal API (behind the gateway)."""

from __future__ import annotations

from aiohttp import web

from kit.http import json_response, require_role
from kit.service import APP_KEY


async def list_structures(request: web.Request) -> web.Response:
    # The home page shows each structure's news to anyone, signed in or not.
    require_role(request, "anonymous", "parent", "staff", "admin")
    pool = request.app[APP_KEY].pool
    rows = await pool.fetch("SELECT id, name, news_html, updated_at FROM structures ORDER BY name")
    return json_response({"structures": [
        {"id": str(r["id"]), "name": r["name"], "news_html": r["news_html"],
         "updated_at": r["updated_at"].isoformat()} for r in rows]})


def routes(app: web.Application) -> None:
    app.router.add_get("/v1/structures", list_structures)
