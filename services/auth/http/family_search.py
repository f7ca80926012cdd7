"""auth's routes for staff finding a family: the search (a page of a structure's families), one family as
its page shows it, and families named by id."""

from __future__ import annotations

import uuid

from aiohttp import web
from pydantic import BaseModel, Field

from kit.http import identity_of, json_response, path_uuid, read_model
from services.auth.http import store_of
from services.auth.service import family_search
from services.auth.store.family_search import FamilySummary


class SearchIn(BaseModel):
    structure_id: uuid.UUID | None = None
    q: str = Field(default="", max_length=300)
    page: str = Field(default="1", max_length=12, description="from 1; anything else is the first page")
    address_matches: list[uuid.UUID] = Field(default_factory=list, max_length=family_search.MAX_ADDRESS_MATCHES)


class LookupIn(BaseModel):
    family_ids: list[uuid.UUID] = Field(max_length=family_search.MAX_LOOKUP)


def summary(f: FamilySummary) -> dict:
    return {"id": str(f.id), "identifiant": f.identifiant, "structure_id": str(f.structure_id),
            "guardians": list(f.guardians), "children": list(f.children), "emails": list(f.emails),
            "must_change_password": f.must_change_password}


async def search(request: web.Request) -> web.Response:
    body = await read_model(request, SearchIn)
    found = await family_search.search(store_of(request), identity_of(request), body.structure_id, body.q,
                                       body.page, body.address_matches)
    pages = found.pages
    return json_response({"families": [summary(f) for f in found.families], "q": found.query,
                          "total": pages.total, "page": pages.number, "pages": pages.count,
                          "page_size": pages.size, "has_previous": pages.has_previous, "has_next": pages.has_next})


async def family(request: web.Request) -> web.Response:
    family_id = path_uuid(request, "family_id", "Famille")
    found = await family_search.staff_family(store_of(request), identity_of(request), family_id)
    return json_response({
        **summary(found.family),
        "structures": [{"id": str(k), "name": v} for k, v in sorted(found.structures.items(), key=lambda s: s[1])],
        "children_detail": [{"id": str(c.id), "first_name": c.first_name, "last_name": c.last_name,
                             "birth_date": c.birth_date.isoformat(), "structure_id": str(c.structure_id),
                             "structure": found.structures.get(c.structure_id, ""),
                             # shared custody (garde alternée): the child's other household
                             "other_households": [{"id": str(f), "identifiant": (found.households or {}).get(f, "")}
                                                  for f in c.households if f != family_id]}
                            for c in found.children]})


async def lookup(request: web.Request) -> web.Response:
    body = await read_model(request, LookupIn)
    found = await family_search.lookup(store_of(request), identity_of(request), body.family_ids)
    return json_response({"families": [summary(f) for f in found]})


ROUTES = (
    ("POST", "/v1/staff/families/search", search),
    ("POST", "/v1/staff/families/lookup", lookup),
    ("GET", "/v1/staff/families/{family_id}", family),
)
