"""Dossier Famille: one sheet's page (its form, its supporting documents with their limits, the other
règlements, the child's contacts) and its submission (draft, transmission, contacts added or removed)."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from contracts.dossier_sheets import DOCUMENT_LABELS, DOCUMENTS_OF, SheetKind, parse, required_documents
from kit.clock import paris_today
from services.gateway.clients import ClientError, Refused, clients_of
from services.gateway.pages.dossier.common import contact_error, detail, family_contacts
from services.gateway.pages.dossier.forms import (
    PHONE_SLOTS,
    data_from_form,
    french_errors,
    generic_fields,
    indexes,
    values_from_data,
)
from services.gateway.web.csrf import checked_form
from services.gateway.web.forms import FormError, uuid_or_404, yes_no
from services.gateway.web.guards import PARENT, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account

ACCEPT = ".pdf,.jpg,.jpeg,.png"
BLANK_VACCINES = 2
DONE = {
    "brouillon": "✓ La fiche a été enregistrée en brouillon.",
    "transmise": "✓ La fiche a été validée et transmise à votre gestionnaire.",
    "piece": "✓ Le fichier a été ajouté.",
    "piece-supprimee": "✓ Le fichier a été supprimé.",
    "contact": "✓ Le contact a été ajouté à la fiche.",
    "retire": "✓ Le contact a été retiré de la fiche. Pensez à valider et transmettre la fiche.",
}


async def _context(request: web.Request, account: Account, kind: SheetKind, sheet: dict, values: dict,
                   new_contact: dict | None, contact_errors: list[str] | None) -> dict[str, Any]:
    """What the sheet's kind draws by hand: other règlements, children, phones, insurers, vaccines, contacts."""
    dossier_client = clients_of(request).dossier
    context: dict[str, Any] = {}
    dossier = await dossier_client.dossier(account.identity) \
        if kind in (SheetKind.REGLEMENT, SheetKind.AUTRE_RESPONSABLE) else None
    children = (dossier or {}).get("children") or []
    if kind == SheetKind.REGLEMENT:
        names = {c["id"]: c for c in children}
        context["others"] = [{**s, "child": names.get(s["child_id"])} for s in (dossier or {}).get("sheets", [])
                             if s["kind"] == "reglement" and s["id"] != sheet["id"]]
        if not values.get("f.signer_name") and sheet["editable"]:
            values["f.signer_name"] = account.display_name
    if kind == SheetKind.AUTRE_RESPONSABLE:
        context["children"] = children
        context["phones"] = [values.get(f"f.phones.{i}", "") for i in range(PHONE_SLOTS)]
    if kind == SheetKind.ASSURANCE:
        try:
            context["insurers"] = await dossier_client.insurers(account.identity)
        except ClientError:
            context["insurers"] = []
    if kind == SheetKind.SANITAIRE:
        rows = [{"name": values.get(f"f.vaccinations.{i}.name", ""),
                 "last_date": values.get(f"f.vaccinations.{i}.last_date", "")}
                for i in indexes(values, "f.vaccinations.")]
        rows = [r for r in rows if r["name"] or r["last_date"]]
        context["vaccinations"] = rows + ([{"name": "", "last_date": ""}] * BLANK_VACCINES if sheet["editable"] else [])
    if kind == SheetKind.CONTACTS:
        contacts = await family_contacts(request, account)
        by_id = {c["id"]: c for c in contacts}
        links = [{"contact_id": contact_id, "contact": by_id.get(contact_id),
                  "relationship": values.get(f"f.links.{i}.relationship", ""),
                  "may_pick_up": values.get(f"f.links.{i}.may_pick_up", "non"),
                  "call_in_emergency": values.get(f"f.links.{i}.call_in_emergency", "non")}
                 for i in indexes(values, "f.links.") if (contact_id := values.get(f"f.links.{i}.contact_id", ""))]
        linked = {link["contact_id"] for link in links}
        context.update(links=links, available=[c for c in contacts if c["id"] not in linked],
                       new_contact=new_contact or {}, contact_errors=contact_errors)
    return context


def _pieces(kind: SheetKind, sheet: dict, upload_errors: dict[str, str] | None) -> list[dict]:
    try:
        model = parse(kind, sheet["data"])
    except ValidationError:
        model = parse(kind, {})
    required = set(required_documents(kind, model))
    return [{"kind": d.value, "label": DOCUMENT_LABELS[d], "required": d in required,
             "files": [f for f in sheet["documents"] if f["kind"] == d.value],
             "error": (upload_errors or {}).get(d.value)} for d in DOCUMENTS_OF[kind]]


async def sheet_page_of(request: web.Request, account: Account, sheet_id: uuid.UUID, *, status: int = 200,
                        values: dict[str, str] | None = None, errors: list[str] | None = None,
                        missing: list[str] | None = None, upload_errors: dict[str, str] | None = None,
                        contact_errors: list[str] | None = None, new_contact: dict | None = None) -> web.Response:
    sheet = await clients_of(request).dossier.sheet(account.identity, sheet_id)
    kind = SheetKind(sheet["kind"])
    values = values_from_data(kind, sheet["data"]) if values is None else dict(values)
    context = await _context(request, account, kind, sheet, values, new_contact, contact_errors)
    limits = sheet["limits"]
    types_ = limits["types"]
    limits_text = (f"{limits['files_per_piece']} fichiers au plus, {limits['max_kb']} Ko maximum chacun, "
                   f"{', '.join(types_[:-1])} ou {types_[-1]}")
    return render(request, "dossier_fiche.html", status=status, sheet=sheet, kind=kind.value,
                  fields=generic_fields(kind, values), values=values, errors=errors, missing=missing,
                  pieces=_pieces(kind, sheet, upload_errors), limits_text=limits_text, accept=ACCEPT,
                  done=DONE.get(request.query.get("fait", "")), **context)


@signed_in(roles=PARENT)
async def sheet_page(request: web.Request, account: Account) -> web.Response:
    return await sheet_page_of(request, account, uuid_or_404(request.match_info["sheet_id"]))


class _Again(Exception):
    """The sheet's page again, with what went wrong (a contact not chosen, not created)."""

    def __init__(self, **page):
        self.page = page


async def _contacts_edit(request: web.Request, account: Account, action: str, form: dict, data: dict) -> None:
    """The contacts sheet's own actions: add a family contact, create one, or remove one from the child."""
    links = data["links"]
    if action == "ajouter-contact":
        chosen = form.get("contact_existant", "").strip()
        if not chosen:
            raise _Again(contact_errors=["Choisissez une personne dans la liste."])
        links.append({"contact_id": chosen, "relationship": "", "may_pick_up": False, "call_in_emergency": False})
    elif action == "creer-contact":
        new_contact = {k: form.get(f"nc.{k}", "").strip() for k in ("last_name", "first_name", "address", "phone",
                                                                     "email")}
        if not new_contact["last_name"] or not new_contact["first_name"]:
            raise _Again(new_contact=new_contact,
                         contact_errors=["Saisissez au moins le nom et le prénom du nouveau contact."])
        try:
            created = await clients_of(request).dossier.create_contact(account.identity, new_contact)
        except Refused as exc:
            raise _Again(new_contact=new_contact, contact_errors=[contact_error(exc)]) from exc
        links.append({"contact_id": created, "relationship": form.get("nc.relationship", ""),
                      "may_pick_up": yes_no(form.get("nc.may_pick_up")) is True,
                      "call_in_emergency": yes_no(form.get("nc.call_in_emergency")) is True})
    else:  # "retirer:<id>"
        gone = action.split(":", 1)[1]
        data["links"] = [li for li in links if li["contact_id"] != gone]


def _done(action: str) -> str:
    if action.startswith("retirer:"):
        return "retire"
    return {"ajouter-contact": "contact", "creer-contact": "contact"}.get(action, "brouillon")


@signed_in(roles=PARENT)
async def sheet_submit(request: web.Request, account: Account) -> web.Response:
    sheet_id = uuid_or_404(request.match_info["sheet_id"])
    form = await checked_form(request)
    dossier = clients_of(request).dossier
    sheet = await dossier.sheet(account.identity, sheet_id)
    kind = SheetKind(sheet["kind"])
    action = form.get("action", "brouillon")
    here = f"/dossier/fiche/{sheet_id}"
    if not sheet["editable"]:
        return await sheet_page_of(request, account, sheet_id, status=409,
                                   errors=["Cette fiche a été transmise : elle n'est plus modifiable."])
    data = data_from_form(kind, form)
    contacts_action = kind == SheetKind.CONTACTS and (action in ("ajouter-contact", "creer-contact")
                                                      or action.startswith("retirer:"))
    if not contacts_action and action not in ("brouillon", "transmettre"):
        raise FormError("Action inconnue.", title="Requête invalide")
    try:
        if contacts_action:
            await _contacts_edit(request, account, action, form, data)
        parse(kind, data, today=paris_today())
    except _Again as again:
        return await sheet_page_of(request, account, sheet_id, status=422, values=form, **again.page)
    except ValidationError as exc:
        return await sheet_page_of(request, account, sheet_id, status=422, values=form,
                                   errors=french_errors(kind, exc))
    try:
        if action == "transmettre":
            await dossier.submit(account.identity, sheet_id, data)
            raise web.HTTPSeeOther(f"{here}?fait=transmise")
        await dossier.save_draft(account.identity, sheet_id, data)
        raise web.HTTPSeeOther(f"{here}?fait={_done(action)}")
    except Refused as exc:
        if action == "transmettre" and exc.status == 422 and isinstance(exc.body, dict) and exc.body.get("missing"):
            return await sheet_page_of(request, account, sheet_id, status=422, values=values_from_data(kind, data),
                                       missing=exc.body["missing"])
        return await sheet_page_of(request, account, sheet_id, status=409 if exc.status == 409 else 422,
                                   values=form, errors=[detail(exc, "La fiche n'a pas pu être enregistrée.")])


def routes(app: web.Application) -> None:
    app.router.add_get("/dossier/fiche/{sheet_id}", sheet_page)
    app.router.add_post("/dossier/fiche/{sheet_id}", sheet_submit)
