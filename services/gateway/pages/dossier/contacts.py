"""Dossier Famille: the family's contacts (the people to call, or who may pick a child up): listed, added,
changed (name and first name stay) and removed."""

from __future__ import annotations

import uuid

from aiohttp import web

from services.gateway.clients import NotFound, Refused, clients_of
from services.gateway.pages.dossier.common import contact_error, detail, family_contacts
from services.gateway.web.csrf import checked_form
from services.gateway.web.forms import uuid_or_404
from services.gateway.web.guards import PARENT, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account

CONTACT_FIELDS = (("last_name", "Nom"), ("first_name", "Prénom"), ("address", "Adresse"), ("phone", "Téléphone"),
                  ("email", "Adresse e-mail"))
DONE = {"cree": "✓ Le contact a été enregistré.", "modifie": "✓ Le contact a été modifié.",
        "supprime": "✓ Le contact a été supprimé."}


def _contact_form(form: dict[str, str]) -> dict[str, str]:
    return {k: form.get(k, "").strip() for k, _ in CONTACT_FIELDS}


async def _contacts_page(request: web.Request, account: Account, *, status: int = 200,
                         errors: list[str] | None = None, draft: dict | None = None) -> web.Response:
    return render(request, "dossier_contacts.html", status=status, contacts=await family_contacts(request, account),
                  errors=errors, draft=draft or {}, fields=CONTACT_FIELDS, done=DONE.get(request.query.get("fait", "")))


@signed_in(roles=PARENT)
async def contacts_page(request: web.Request, account: Account) -> web.Response:
    return await _contacts_page(request, account)


@signed_in(roles=PARENT)
async def contact_create(request: web.Request, account: Account) -> web.Response:
    draft = _contact_form(await checked_form(request))
    if not draft["last_name"] or not draft["first_name"]:
        return await _contacts_page(request, account, status=422, draft=draft,
                                    errors=["Saisissez le nom et le prénom du contact."])
    try:
        await clients_of(request).dossier.create_contact(account.identity, draft)
    except Refused as exc:
        return await _contacts_page(request, account, status=422, draft=draft, errors=[contact_error(exc)])
    raise web.HTTPSeeOther("/dossier/contacts?fait=cree")


async def _contact(request: web.Request, account: Account, contact_id: uuid.UUID) -> dict:
    found = next((c for c in await family_contacts(request, account) if c["id"] == str(contact_id)), None)
    if found is None:
        raise web.HTTPNotFound()
    return found


@signed_in(roles=PARENT)
async def contact_page(request: web.Request, account: Account) -> web.Response:
    contact = await _contact(request, account, uuid_or_404(request.match_info["contact_id"]))
    return render(request, "dossier_contact.html", contact=contact, fields=CONTACT_FIELDS)


@signed_in(roles=PARENT)
async def contact_update(request: web.Request, account: Account) -> web.Response:
    contact_id = uuid_or_404(request.match_info["contact_id"])
    form = await checked_form(request)
    contact = await _contact(request, account, contact_id)
    # name and first name are not editable: always the stored ones
    payload = {**_contact_form(form), "last_name": contact["last_name"], "first_name": contact["first_name"]}
    try:
        await clients_of(request).dossier.update_contact(account.identity, contact_id, payload)
    except Refused as exc:
        return render(request, "dossier_contact.html", status=422, contact={**contact, **payload},
                      fields=CONTACT_FIELDS, errors=[contact_error(exc)])
    raise web.HTTPSeeOther("/dossier/contacts?fait=modifie")


@signed_in(roles=PARENT)
async def contact_delete(request: web.Request, account: Account) -> web.Response:
    contact_id = uuid_or_404(request.match_info["contact_id"])
    await checked_form(request)
    try:
        await clients_of(request).dossier.delete_contact(account.identity, contact_id)
    except NotFound as exc:
        if "campagne" not in (exc.detail_given or ""):
            raise
        return await _contacts_page(request, account, status=409, errors=[exc.detail_given])
    except Refused as exc:
        return await _contacts_page(request, account, status=409,
                                    errors=[detail(exc, "Le contact n'a pas pu être supprimé.")])
    raise web.HTTPSeeOther("/dossier/contacts?fait=supprime")


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/dossier/contacts", contacts_page)
    r.add_post("/dossier/contacts", contact_create)
    r.add_get("/dossier/contacts/{contact_id}", contact_page)
    r.add_post("/dossier/contacts/{contact_id}", contact_update)
    r.add_post("/dossier/contacts/{contact_id}/supprimer", contact_delete)
