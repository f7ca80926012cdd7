"""auth's routes for the structures (the home page's news) and the legal texts (RGPD, CGU)."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, Field

from kit.http import identity_of, json_response, path_uuid, read_model
from services.auth import access
from services.auth.events import PRODUCER
from services.auth.http import store_of
from services.auth.service import structures


async def list_structures(request: web.Request) -> web.Response:
    access.anyone(identity_of(request))  # the home page news is public
    return json_response({"structures": await structures.structures_with_news(store_of(request))})


class StructureIn(BaseModel):
    name: str = Field(min_length=2, max_length=120)


async def create_structure(request: web.Request) -> web.Response:
    access.admin(identity_of(request))
    body = await read_model(request, StructureIn)
    structure_id = await structures.create_structure(store_of(request), PRODUCER, body.name)
    return json_response({"id": str(structure_id)}, status=201)


class NewsIn(BaseModel):
    news_html: str = Field(max_length=20_000)


async def update_news(request: web.Request) -> web.Response:
    who = access.staff(identity_of(request))
    structure_id = path_uuid(request, "structure_id", "Structure")
    access.manage_structures(who, [structure_id])
    body = await read_model(request, NewsIn)
    await structures.update_news(store_of(request), PRODUCER, structure_id, body.news_html)
    return web.Response(status=204)


async def current_legal(request: web.Request) -> web.Response:
    access.anyone(identity_of(request))
    return json_response({"documents": await structures.current_legal(store_of(request))})


class LegalIn(BaseModel):
    title: str = Field(min_length=3, max_length=200)
    body_html: str = Field(min_length=10, max_length=100_000)


async def publish_legal(request: web.Request) -> web.Response:
    access.admin(identity_of(request))
    kind = request.match_info["kind"]
    if kind not in structures.LEGAL_KINDS:  # before the body is read, as an unknown address
        raise web.HTTPNotFound(text="Document inconnu.")
    body = await read_model(request, LegalIn)
    version = await structures.publish_legal(store_of(request), kind, body.title, body.body_html)
    return json_response({"kind": kind, "version": version}, status=201)


ROUTES = (
    ("GET", "/v1/structures", list_structures),
    ("POST", "/v1/structures", create_structure),
    ("PUT", "/v1/structures/{structure_id}/news", update_news),
    ("GET", "/v1/legal", current_legal),
    ("POST", "/v1/legal/{kind}", publish_legal),
)
