"""auth's routes for staff: families created one by one or imported from a CSV file, a family's view and
security update, staff accounts."""

from __future__ import annotations

import uuid
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, Field

from contracts.api.account import FamilyIn
from kit.clock import paris_today
from kit.http import identity_of, json_response, path_uuid, problem, read_model
from services.auth import access
from services.auth.domain.families import ImportedChild, ImportedFamily, ImportedGuardian
from services.auth.domain.family_csv import ImportFileError, parse_family_csv
from services.auth.events import PRODUCER
from services.auth.http import HASHER, store_of
from services.auth.service import accounts, families

MAX_IMPORT_BYTES = 5 * 1024 * 1024


def imported_family(body: FamilyIn) -> ImportedFamily:
    """The family the staff typed (the public API's model, contracts/api/account.py), as the import reads it."""
    guardians = [ImportedGuardian(body.responsable.first_name.strip(), body.responsable.last_name.strip(), 1,
                                  body.responsable.civilite)]
    if body.autre_responsable:
        guardians.append(ImportedGuardian(body.autre_responsable.first_name.strip(),
                                          body.autre_responsable.last_name.strip(), 2))
    return ImportedFamily(
        identifiant=body.identifiant, guardians=tuple(guardians), emails=tuple(body.emails),
        structure_id=body.structure_id, initial_password=body.initial_password,
        children=tuple(ImportedChild(c.first_name.strip(), c.last_name.strip(), c.birth_date,
                                     c.structure_id or body.structure_id) for c in body.children),
        lines=())


async def create_family(request: web.Request) -> web.Response:
    who = access.staff(identity_of(request))
    body = await read_model(request, FamilyIn)
    outcome = await families.create_family(store_of(request), PRODUCER, request.app[HASHER], who,
                                           imported_family(body))
    return json_response({"family_id": str(outcome.family_id), "identifiant": outcome.identifiant,
                          "initial_password": outcome.initial_password}, status=201)


async def import_families(request: web.Request) -> web.Response:
    who = access.staff(identity_of(request))
    data = await request.read()
    if not data:
        return problem(400, "Fichier vide", "Le fichier d'import est vide.")
    if len(data) > MAX_IMPORT_BYTES:
        return problem(413, "Fichier trop volumineux", "Le fichier d'import dépasse 5 Mo.")
    store = store_of(request)
    structures = access.managed(who, await families.structure_names(store))
    try:
        parsed = parse_family_csv(data, structures, today=paris_today())
    except ImportFileError as exc:
        return problem(422, "Fichier refusé", str(exc))
    report = await families.import_families(store, PRODUCER, request.app[HASHER], parsed, who.may_manage_structure)
    return json_response({
        "created": [{"identifiant": o.identifiant, "family_id": str(o.family_id), "enfants": o.children_added,
                     "initial_password": o.initial_password} for o in report.created],
        "updated": [{"identifiant": o.identifiant, "family_id": str(o.family_id), "enfants_ajoutes": o.children_added}
                    for o in report.updated],
        "unchanged": report.unchanged,
        "rejected": report.rejected,
    })


async def get_family(request: web.Request) -> web.Response:
    who = access.require(identity_of(request), *access.SIGNED_IN)
    family_id = path_uuid(request, "family_id", "Famille")
    return json_response(await families.family_view(store_of(request), who, family_id))


async def require_security_update(request: web.Request) -> web.Response:
    """Staff flag an account: at its next sign-in the parent must choose a new password."""
    who = access.staff(identity_of(request))
    family_id = path_uuid(request, "family_id", "Famille")
    await families.require_security_update(store_of(request), who, family_id)
    return web.Response(status=204)


class StaffIn(BaseModel):
    login: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    display_name: str = Field(min_length=2, max_length=120)
    email: str = Field(max_length=320)
    role: Literal["staff", "admin"] = "staff"
    structure_ids: list[uuid.UUID] = Field(default_factory=list)


async def create_staff(request: web.Request) -> web.Response:
    access.admin(identity_of(request))
    body = await read_model(request, StaffIn)
    account_id, password = await accounts.create_staff(store_of(request), PRODUCER, request.app[HASHER], body.login,
                                                       body.display_name, body.email, body.role, body.structure_ids)
    return json_response({"account_id": str(account_id), "initial_password": password}, status=201)


ROUTES = (
    ("POST", "/v1/families", create_family),
    ("POST", "/v1/families/import", import_families),
    ("GET", "/v1/families/{family_id}", get_family),
    ("POST", "/v1/families/{family_id}/security-update", require_security_update),
    ("POST", "/v1/staff", create_staff),
)
