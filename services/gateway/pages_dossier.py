"""Dossier Famille: the year's sheets (family, then per child) with their state and what is missing, one form
per sheet generated from the sheet's data model (French labels from the fields' descriptions), the
supporting documents with their limits, the règlement intérieur of each child, and the family's contacts.
Server-rendered; every action is a plain form post, so nothing needs JavaScript."""

from __future__ import annotations

import types
import unicodedata
import uuid
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import quote

from aiohttp import web
from pydantic import ValidationError

from kit.clock import paris_today
from services.dossier.domain.documents import DOCUMENT_LABELS, DOCUMENTS_OF, DocumentKind, required_documents
from services.dossier.domain.sheets import MODELS, SheetKind, parse
from services.gateway.pages_billing import BadRequest, stream_file
from services.gateway.render import render
from services.gateway.session import BACKEND, Account, CsrfRefused, checked_form, csrf_ok, signed_in

ACCEPT = ".pdf,.jpg,.jpeg,.png"
CHOICE_LABELS = {"autre": "Autre régime"}
# the fields drawn by hand (the rest of each sheet is generated from its model)
SPECIAL_FIELDS = {
    SheetKind.ASSURANCE: {"company_id", "new_company"},
    SheetKind.AUTRE_RESPONSABLE: {"phones", "links"},
    SheetKind.CONTACTS: {"links"},
    SheetKind.SANITAIRE: {"vaccinations"},
    SheetKind.REGLEMENT: {"acknowledged"},
}
PHONE_SLOTS = 3
BLANK_VACCINES = 2
DONE = {
    "brouillon": "✓ La fiche a été enregistrée en brouillon.",
    "transmise": "✓ La fiche a été validée et transmise à votre gestionnaire.",
    "piece": "✓ Le fichier a été ajouté.",
    "piece-supprimee": "✓ Le fichier a été supprimé.",
    "contact": "✓ Le contact a été ajouté à la fiche.",
    "retire": "✓ Le contact a été retiré de la fiche. Pensez à valider et transmettre la fiche.",
}

# pydantic's own error types, said in French (custom errors of the sheets are French already)
ERROR_TYPES = {
    "date_from_datetime_parsing": "date invalide (jour/mois/année attendus)",
    "date_parsing": "date invalide (jour/mois/année attendus)",
    "date_type": "date invalide",
    "time_parsing": "heure invalide (heures:minutes attendues)",
    "time_type": "heure invalide",
    "int_parsing": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "int_type": "nombre entier attendu",
    "greater_than_equal": "le nombre doit être positif ou nul",
    "string_too_long": "texte trop long",
    "too_long": "trop d'éléments",
    "literal_error": "choix non proposé",
    "bool_parsing": "répondez par oui ou non",
    "bool_type": "répondez par oui ou non",
    "uuid_parsing": "choix non reconnu",
    "uuid_type": "choix non reconnu",
    "extra_forbidden": "champ inconnu",
    "missing": "information manquante",
}


# -- helpers ---------------------------------------------------------------------------------------------
def _backend(request: web.Request):
    return request.app[BACKEND]


def _id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except (ValueError, TypeError):
        raise web.HTTPNotFound() from None


def _detail(body: Any, default: str) -> str:
    if isinstance(body, dict) and isinstance(body.get("detail"), str) and body["detail"]:
        return body["detail"]
    return default


def _unwrap(annotation) -> tuple[Any, list]:
    """The field's bare type and the metadata of its Annotated layers (Optional removed)."""
    meta: list = []
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            args = get_args(annotation)
            annotation, meta = args[0], meta + list(args[1:])
            continue
        if origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation, meta


def _max_length(meta: list) -> int | None:
    for m in meta:
        for inner in getattr(m, "metadata", None) or [m]:
            if getattr(inner, "max_length", None):
                return inner.max_length
    return None


def _input_of(name: str, annotation) -> dict:
    """How a model field is asked for: text, textarea, date, time, number, tel, email, yes/no, select."""
    bare, meta = _unwrap(annotation)
    from datetime import date, time

    if get_origin(bare) is Literal:
        return {"input": "select", "choices": [(str(c), CHOICE_LABELS.get(str(c), str(c))) for c in get_args(bare)]}
    if bare is bool:
        return {"input": "ouinon"}
    if bare is date:
        return {"input": "date"}
    if bare is time:
        return {"input": "time"}
    if bare is int:
        return {"input": "number"}
    if bare is str:
        if "phone" in name:
            return {"input": "tel", "maxlength": 30}
        if "email" in name:
            return {"input": "email", "maxlength": 320}
        if "postal_code" in name:
            return {"input": "text", "inputmode": "numeric", "maxlength": 5}
        longest = _max_length(meta) or 500
        return {"input": "textarea" if longest > 500 else "text", "maxlength": longest}
    return {"input": "text", "maxlength": 500}


def _display(value: Any, input_kind: str) -> str:
    if value is None:
        return ""
    if input_kind == "ouinon":
        return "oui" if value is True else "non" if value is False else ""
    if input_kind == "time" and isinstance(value, str):
        return value[:5]
    return str(value)


def _generic_fields(kind: SheetKind, values: dict[str, str]) -> list[dict]:
    fields = []
    for name, info in MODELS[kind].model_fields.items():
        if name in SPECIAL_FIELDS.get(kind, ()):
            continue
        spec = _input_of(name, info.annotation)
        fields.append({"name": f"f.{name}", "id": f"champ-{name}", "label": info.description or name, **spec,
                       "value": values.get(f"f.{name}", "")})
    return fields


def _values_from_data(kind: SheetKind, data: dict) -> dict[str, str]:
    """The form's values (name → text) from the sheet's stored data."""
    values: dict[str, str] = {}
    for name, info in MODELS[kind].model_fields.items():
        value = data.get(name)
        if name in SPECIAL_FIELDS.get(kind, ()):
            continue
        values[f"f.{name}"] = _display(value, _input_of(name, info.annotation)["input"])
    if kind == SheetKind.ASSURANCE:
        values["f.company_id"] = data.get("company_id") or ""
        company = data.get("new_company") or {}
        for part in ("name", "address", "phone"):
            values[f"f.new_company.{part}"] = company.get(part) or ""
    if kind == SheetKind.AUTRE_RESPONSABLE:
        for i, phone in enumerate((data.get("phones") or [])[:PHONE_SLOTS]):
            values[f"f.phones.{i}"] = phone
        for child_id, relationship in (data.get("links") or {}).items():
            values[f"f.links.{child_id}"] = relationship or ""
    if kind == SheetKind.SANITAIRE:
        for i, v in enumerate(data.get("vaccinations") or []):
            values[f"f.vaccinations.{i}.name"] = v.get("name") or ""
            values[f"f.vaccinations.{i}.last_date"] = v.get("last_date") or ""
    if kind == SheetKind.CONTACTS:
        for i, link in enumerate(data.get("links") or []):
            values[f"f.links.{i}.contact_id"] = str(link.get("contact_id") or "")
            values[f"f.links.{i}.relationship"] = link.get("relationship") or ""
            values[f"f.links.{i}.may_pick_up"] = "oui" if link.get("may_pick_up") else "non"
            values[f"f.links.{i}.call_in_emergency"] = "oui" if link.get("call_in_emergency") else "non"
    if kind == SheetKind.REGLEMENT:
        values["f.acknowledged"] = "oui" if data.get("acknowledged") else ""
    return values


def _indexes(form: dict[str, str], prefix: str) -> list[int]:
    found = set()
    for key in form:
        if key.startswith(prefix):
            head = key[len(prefix):].split(".", 1)[0]
            if head.isdigit() and len(head) < 4:
                found.add(int(head))
    return sorted(found)


def _bool(raw: str | None) -> bool | None:
    return {"oui": True, "non": False}.get((raw or "").strip())


def _data_from_form(kind: SheetKind, form: dict[str, str]) -> dict:
    """The sheet's data from the posted form (blank text is "not answered": the model reads it as None)."""
    data: dict[str, Any] = {}
    for name, info in MODELS[kind].model_fields.items():
        if name in SPECIAL_FIELDS.get(kind, ()):
            continue
        raw = form.get(f"f.{name}", "")
        data[name] = _bool(raw) if _input_of(name, info.annotation)["input"] == "ouinon" else raw
    if kind == SheetKind.ASSURANCE:
        data["company_id"] = form.get("f.company_id", "")
        company = {part: form.get(f"f.new_company.{part}", "") for part in ("name", "address", "phone")}
        data["new_company"] = company if any(v.strip() for v in company.values()) else None
    if kind == SheetKind.AUTRE_RESPONSABLE:
        data["phones"] = [form.get(f"f.phones.{i}", "") for i in range(PHONE_SLOTS)]
        data["links"] = {key[len("f.links."):]: value for key, value in form.items()
                         if key.startswith("f.links.") and value.strip()}
    if kind == SheetKind.SANITAIRE:
        rows = []
        for i in _indexes(form, "f.vaccinations."):
            row = {"name": form.get(f"f.vaccinations.{i}.name", ""),
                   "last_date": form.get(f"f.vaccinations.{i}.last_date", "")}
            if any(v.strip() for v in row.values()):
                rows.append(row)
        data["vaccinations"] = rows
    if kind == SheetKind.CONTACTS:
        links = []
        for i in _indexes(form, "f.links."):
            contact_id = form.get(f"f.links.{i}.contact_id", "").strip()
            if not contact_id:
                continue
            links.append({"contact_id": contact_id, "relationship": form.get(f"f.links.{i}.relationship", ""),
                          "may_pick_up": _bool(form.get(f"f.links.{i}.may_pick_up")) is True,
                          "call_in_emergency": _bool(form.get(f"f.links.{i}.call_in_emergency")) is True})
        data["links"] = links
    if kind == SheetKind.REGLEMENT:
        data["acknowledged"] = True if form.get("f.acknowledged") == "oui" else None
    return data


def _french_errors(kind: SheetKind, exc: ValidationError) -> list[str]:
    model = MODELS[kind]
    messages = []
    for error in exc.errors(include_url=False):
        loc = [str(p) for p in error["loc"]]
        label = loc[0] if loc else ""
        if loc and loc[0] in model.model_fields:
            label = model.model_fields[loc[0]].description or loc[0]
            if len(loc) > 1 and loc[1].isdigit():
                label += f" (ligne {int(loc[1]) + 1})"
        text = ERROR_TYPES.get(error["type"], error["msg"])
        messages.append(f"{label} : {text}" if label else text)
    return messages


def _with_edit(data: dict, edit) -> dict:
    copy = dict(data)
    edit(copy)
    return copy


# -- reading the dossier ------------------------------------------------------------------------------------
async def _dossier(request: web.Request, account: Account) -> dict | None:
    status, body = await _backend(request).request("dossier", "GET", "/v1/dossier", account.identity)
    if status == 404:
        return None
    if status != 200:
        raise BadRequest(_detail(body, "Le dossier n'a pas pu être lu."))
    return body


def _groups(dossier: dict) -> tuple[list[dict], list[dict]]:
    family = [s for s in dossier["sheets"] if not s["child_id"]]
    children = []
    for child in dossier["children"]:
        sheets = [s for s in dossier["sheets"] if s["child_id"] == child["id"]]
        if sheets:
            children.append({**child, "sheets": sheets})
    return family, children


@signed_in(roles=("parent",))
async def dossier_page(request: web.Request, account: Account) -> web.Response:
    dossier = await _dossier(request, account)
    if dossier is None:
        return render(request, "dossier.html", dossier=None)
    family, children = _groups(dossier)
    return render(request, "dossier.html", dossier=dossier, family=family, children=children)


async def _sheet(request: web.Request, account: Account, sheet_id: uuid.UUID) -> dict:
    status, body = await _backend(request).request("dossier", "GET", f"/v1/sheets/{sheet_id}", account.identity)
    if status == 404:
        raise web.HTTPNotFound()
    if status != 200:
        raise BadRequest(_detail(body, "La fiche n'a pas pu être lue."))
    return body


async def _contacts(request: web.Request, account: Account) -> list[dict]:
    status, body = await _backend(request).request("dossier", "GET", "/v1/contacts", account.identity)
    return body["contacts"] if status == 200 else []


async def _sheet_page(request: web.Request, account: Account, sheet_id: uuid.UUID, *, status: int = 200,
                      values: dict[str, str] | None = None, errors: list[str] | None = None,
                      missing: list[str] | None = None, upload_errors: dict[str, str] | None = None,
                      contact_errors: list[str] | None = None, new_contact: dict | None = None) -> web.Response:
    sheet = await _sheet(request, account, sheet_id)
    kind = SheetKind(sheet["kind"])
    if values is None:
        values = _values_from_data(kind, sheet["data"])
    context: dict[str, Any] = {}
    dossier = await _dossier(request, account) if kind in (SheetKind.REGLEMENT, SheetKind.AUTRE_RESPONSABLE) else None
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
        status_i, body = await _backend(request).request("dossier", "GET", "/v1/insurers", account.identity)
        context["insurers"] = body["insurers"] if status_i == 200 else []
    if kind == SheetKind.SANITAIRE:
        rows = [{"name": values.get(f"f.vaccinations.{i}.name", ""),
                 "last_date": values.get(f"f.vaccinations.{i}.last_date", "")}
                for i in _indexes(values, "f.vaccinations.")]
        rows = [r for r in rows if r["name"] or r["last_date"]]
        context["vaccinations"] = rows + ([{"name": "", "last_date": ""}] * BLANK_VACCINES if sheet["editable"] else [])
    if kind == SheetKind.CONTACTS:
        family_contacts = await _contacts(request, account)
        by_id = {c["id"]: c for c in family_contacts}
        links = []
        for i in _indexes(values, "f.links."):
            contact_id = values.get(f"f.links.{i}.contact_id", "")
            if contact_id:
                links.append({"contact_id": contact_id, "contact": by_id.get(contact_id),
                              "relationship": values.get(f"f.links.{i}.relationship", ""),
                              "may_pick_up": values.get(f"f.links.{i}.may_pick_up", "non"),
                              "call_in_emergency": values.get(f"f.links.{i}.call_in_emergency", "non")})
        linked = {link["contact_id"] for link in links}
        context.update(links=links, available=[c for c in family_contacts if c["id"] not in linked],
                       new_contact=new_contact or {}, contact_errors=contact_errors)
    try:
        model = parse(kind, sheet["data"])
    except ValidationError:
        model = parse(kind, {})
    required = set(required_documents(kind, model))
    pieces = [{"kind": d.value, "label": DOCUMENT_LABELS[d], "required": d in required,
               "files": [f for f in sheet["documents"] if f["kind"] == d.value],
               "error": (upload_errors or {}).get(d.value)} for d in DOCUMENTS_OF[kind]]
    limits = sheet["limits"]
    types_ = limits["types"]
    limits_text = (f"{limits['files_per_piece']} fichiers au plus, {limits['max_kb']} Ko maximum chacun, "
                   f"{', '.join(types_[:-1])} ou {types_[-1]}")
    return render(request, "dossier_fiche.html", status=status, sheet=sheet, kind=kind.value,
                  fields=_generic_fields(kind, values), values=values, errors=errors, missing=missing,
                  pieces=pieces, limits_text=limits_text, accept=ACCEPT,
                  done=DONE.get(request.query.get("fait", "")), **context)


@signed_in(roles=("parent",))
async def sheet_page(request: web.Request, account: Account) -> web.Response:
    return await _sheet_page(request, account, _id(request.match_info["sheet_id"]))


async def _save(request: web.Request, account: Account, sheet_id: uuid.UUID, data: dict) -> tuple[int, Any]:
    return await _backend(request).request("dossier", "PUT", f"/v1/sheets/{sheet_id}/draft", account.identity,
                                           json={"data": data})


@signed_in(roles=("parent",))
async def sheet_submit(request: web.Request, account: Account) -> web.Response:
    sheet_id = _id(request.match_info["sheet_id"])
    form = await checked_form(request)
    sheet = await _sheet(request, account, sheet_id)
    kind = SheetKind(sheet["kind"])
    action = form.get("action", "brouillon")
    here = f"/dossier/fiche/{sheet_id}"
    if not sheet["editable"]:
        return await _sheet_page(request, account, sheet_id, status=409,
                                 errors=["Cette fiche a été transmise : elle n'est plus modifiable."])
    data = _data_from_form(kind, form)

    # the contacts sheet: add a family contact, create one, or remove one from the child (saved as draft)
    new_contact = None
    if kind == SheetKind.CONTACTS and action == "ajouter-contact":
        chosen = form.get("contact_existant", "").strip()
        if not chosen:
            return await _sheet_page(request, account, sheet_id, status=422, values=form,
                                     contact_errors=["Choisissez une personne dans la liste."])
        data = _with_edit(data, lambda d: d["links"].append(
            {"contact_id": chosen, "relationship": "", "may_pick_up": False, "call_in_emergency": False}))
    elif kind == SheetKind.CONTACTS and action == "creer-contact":
        new_contact = {k: form.get(f"nc.{k}", "").strip() for k in ("last_name", "first_name", "address", "phone",
                                                                     "email")}
        if not new_contact["last_name"] or not new_contact["first_name"]:
            return await _sheet_page(request, account, sheet_id, status=422, values=form, new_contact=new_contact,
                                     contact_errors=["Saisissez au moins le nom et le prénom du nouveau contact."])
        status, body = await _backend(request).request("dossier", "POST", "/v1/contacts", account.identity,
                                                       json=new_contact)
        if status != 201:
            return await _sheet_page(request, account, sheet_id, status=422, values=form, new_contact=new_contact,
                                     contact_errors=[_contact_error(body)])
        created = body["id"]
        data = _with_edit(data, lambda d: d["links"].append(
            {"contact_id": created, "relationship": form.get("nc.relationship", ""),
             "may_pick_up": _bool(form.get("nc.may_pick_up")) is True,
             "call_in_emergency": _bool(form.get("nc.call_in_emergency")) is True}))
    elif kind == SheetKind.CONTACTS and action.startswith("retirer:"):
        gone = action.split(":", 1)[1]
        data = _with_edit(data, lambda d: d.update(links=[li for li in d["links"] if li["contact_id"] != gone]))
    elif action not in ("brouillon", "transmettre"):
        raise BadRequest("Action inconnue.")

    try:
        parse(kind, data, today=paris_today())
    except ValidationError as exc:
        return await _sheet_page(request, account, sheet_id, status=422, values=form,
                                 errors=_french_errors(kind, exc))
    if action == "transmettre":
        status, body = await _backend(request).request("dossier", "POST", f"/v1/sheets/{sheet_id}/submit",
                                                       account.identity, json={"data": data})
        if status == 200:
            raise web.HTTPSeeOther(f"{here}?fait=transmise")
        if status == 422 and isinstance(body, dict) and body.get("missing"):
            return await _sheet_page(request, account, sheet_id, status=422, values=_values_from_data(kind, data),
                                     missing=body["missing"])
    else:
        status, body = await _save(request, account, sheet_id, data)
        if status == 200:
            done = {"ajouter-contact": "contact", "creer-contact": "contact"}.get(action, "brouillon")
            if action.startswith("retirer:"):
                done = "retire"
            raise web.HTTPSeeOther(f"{here}?fait={done}")
    if status == 404:
        raise web.HTTPNotFound()
    return await _sheet_page(request, account, sheet_id, status=409 if status == 409 else 422, values=form,
                             errors=[_detail(body, "La fiche n'a pas pu être enregistrée.")])


# -- documents -------------------------------------------------------------------------------------------------
def _ascii_name(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    plain = "".join(c if c.isalnum() or c in "._- " else "_" for c in plain).strip()[:120]
    return plain or "document"


@signed_in(roles=("parent",))
async def upload(request: web.Request, account: Account) -> web.Response:
    sheet_id = _id(request.match_info["sheet_id"])
    form = await request.post()
    if not csrf_ok(request, form.get("csrf") if isinstance(form.get("csrf"), str) else None):
        raise CsrfRefused()
    kind = form.get("piece")
    if not isinstance(kind, str) or kind not in {k.value for k in DocumentKind}:
        raise BadRequest("Type de pièce inconnu.")
    field = form.get("fichier")
    if field is None or isinstance(field, str) or not getattr(field, "filename", None):
        return await _sheet_page(request, account, sheet_id, status=422,
                                 upload_errors={kind: "Choisissez un fichier à envoyer."})
    content = field.file.read()
    status, body = await _backend(request).request(
        "dossier", "POST", f"/v1/sheets/{sheet_id}/documents?kind={quote(kind)}", account.identity, data=content,
        content_type="application/octet-stream", extra_headers={"X-Filename": _ascii_name(field.filename)})
    if status == 201:
        raise web.HTTPSeeOther(f"/dossier/fiche/{sheet_id}?fait=piece#piece-{kind}")
    if status == 404:
        raise web.HTTPNotFound()
    return await _sheet_page(request, account, sheet_id, status=413 if status == 413 else 422,
                             upload_errors={kind: _detail(body, "Le fichier a été refusé.")})


@signed_in(roles=("parent",))
async def delete_document(request: web.Request, account: Account) -> web.Response:
    document_id = _id(request.match_info["document_id"])
    form = await checked_form(request)
    sheet_id = _id(form.get("fiche", ""))
    status, body = await _backend(request).request("dossier", "DELETE", f"/v1/documents/{document_id}",
                                                   account.identity)
    if status == 204:
        raise web.HTTPSeeOther(f"/dossier/fiche/{sheet_id}?fait=piece-supprimee")
    if status == 404:
        raise web.HTTPNotFound()
    return await _sheet_page(request, account, sheet_id, status=409,
                             errors=[_detail(body, "Le fichier n'a pas pu être supprimé.")])


@signed_in(roles=("parent",))
async def download_document(request: web.Request, account: Account) -> web.StreamResponse:
    document_id = _id(request.match_info["document_id"])
    return await stream_file(request, account, "dossier", f"/v1/documents/{document_id}")


@signed_in(roles=("parent",))
async def archive(request: web.Request, account: Account) -> web.StreamResponse:
    return await stream_file(request, account, "dossier", "/v1/archive")


# -- contacts ----------------------------------------------------------------------------------------------------
CONTACT_FIELDS = (("last_name", "Nom"), ("first_name", "Prénom"), ("address", "Adresse"), ("phone", "Téléphone"),
                  ("email", "Adresse e-mail"))


def _contact_error(body) -> str:
    if isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"]:
        return "Vérifiez le contact : nom et prénom obligatoires (100 caractères au plus), téléphone 30 caractères au plus."
    return _detail(body, "Le contact n'a pas pu être enregistré : vérifiez le nom et le prénom.")


def _contact_form(form: dict[str, str]) -> dict[str, str]:
    return {k: form.get(k, "").strip() for k, _ in CONTACT_FIELDS}


async def _contacts_page(request: web.Request, account: Account, *, status: int = 200,
                         errors: list[str] | None = None, draft: dict | None = None) -> web.Response:
    return render(request, "dossier_contacts.html", status=status, contacts=await _contacts(request, account),
                  errors=errors, draft=draft or {}, fields=CONTACT_FIELDS,
                  done={"cree": "✓ Le contact a été enregistré.", "modifie": "✓ Le contact a été modifié.",
                        "supprime": "✓ Le contact a été supprimé."}.get(request.query.get("fait", "")))


@signed_in(roles=("parent",))
async def contacts_page(request: web.Request, account: Account) -> web.Response:
    return await _contacts_page(request, account)


@signed_in(roles=("parent",))
async def contact_create(request: web.Request, account: Account) -> web.Response:
    draft = _contact_form(await checked_form(request))
    if not draft["last_name"] or not draft["first_name"]:
        return await _contacts_page(request, account, status=422, draft=draft,
                                    errors=["Saisissez le nom et le prénom du contact."])
    status, body = await _backend(request).request("dossier", "POST", "/v1/contacts", account.identity, json=draft)
    if status != 201:
        return await _contacts_page(request, account, status=422, draft=draft, errors=[_contact_error(body)])
    raise web.HTTPSeeOther("/dossier/contacts?fait=cree")


async def _contact(request: web.Request, account: Account, contact_id: uuid.UUID) -> dict:
    found = next((c for c in await _contacts(request, account) if c["id"] == str(contact_id)), None)
    if found is None:
        raise web.HTTPNotFound()
    return found


@signed_in(roles=("parent",))
async def contact_page(request: web.Request, account: Account) -> web.Response:
    contact = await _contact(request, account, _id(request.match_info["contact_id"]))
    return render(request, "dossier_contact.html", contact=contact, fields=CONTACT_FIELDS)


@signed_in(roles=("parent",))
async def contact_update(request: web.Request, account: Account) -> web.Response:
    contact_id = _id(request.match_info["contact_id"])
    form = await checked_form(request)
    contact = await _contact(request, account, contact_id)
    # name and first name are not editable: always the stored ones
    payload = {**_contact_form(form), "last_name": contact["last_name"], "first_name": contact["first_name"]}
    status, body = await _backend(request).request("dossier", "PUT", f"/v1/contacts/{contact_id}",
                                                   account.identity, json=payload)
    if status == 204:
        raise web.HTTPSeeOther("/dossier/contacts?fait=modifie")
    if status == 404:
        raise web.HTTPNotFound()
    return render(request, "dossier_contact.html", status=422, contact={**contact, **payload}, fields=CONTACT_FIELDS,
                  errors=[_contact_error(body)])


@signed_in(roles=("parent",))
async def contact_delete(request: web.Request, account: Account) -> web.Response:
    contact_id = _id(request.match_info["contact_id"])
    await checked_form(request)
    status, body = await _backend(request).request("dossier", "DELETE", f"/v1/contacts/{contact_id}",
                                                   account.identity)
    if status == 204:
        raise web.HTTPSeeOther("/dossier/contacts?fait=supprime")
    if status == 404 and not (isinstance(body, dict) and "campagne" in str(body.get("detail", ""))):
        raise web.HTTPNotFound()
    return await _contacts_page(request, account, status=409,
                                errors=[_detail(body, "Le contact n'a pas pu être supprimé.")])


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/dossier", dossier_page)
    r.add_get("/dossier/archive", archive)
    r.add_get("/dossier/fiche/{sheet_id}", sheet_page)
    r.add_post("/dossier/fiche/{sheet_id}", sheet_submit)
    r.add_post("/dossier/fiche/{sheet_id}/pieces", upload)
    r.add_get("/dossier/pieces/{document_id}", download_document)
    r.add_post("/dossier/pieces/{document_id}/supprimer", delete_document)
    r.add_get("/dossier/contacts", contacts_page)
    r.add_post("/dossier/contacts", contact_create)
    r.add_get("/dossier/contacts/{contact_id}", contact_page)
    r.add_post("/dossier/contacts/{contact_id}", contact_update)
    r.add_post("/dossier/contacts/{contact_id}/supprimer", contact_delete)

