"""auth's route for shared custody (garde alternée): staff make another family the child's second
household, naming it by its identifiant."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from kit.http import identity_of, json_response, path_uuid, read_model
from services.auth.events import PRODUCER
from services.auth.http import store_of
from services.auth.service import custody


class SecondHouseholdIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    identifiant: str = Field(max_length=80, description="The second household's identifiant (compte famille).")


async def link_second_household(request: web.Request) -> web.Response:
    family_id = path_uuid(request, "family_id", "Famille")
    child_id = path_uuid(request, "child_id", "Enfant")
    body = await read_model(request, SecondHouseholdIn)
    answer = await custody.link_second_household(store_of(request), PRODUCER, identity_of(request), family_id,
                                                 child_id, body.identifiant)
    return json_response(answer)


ROUTES = (
    ("POST", "/v1/staff/families/{family_id}/children/{child_id}/second-household", link_second_household),
)
