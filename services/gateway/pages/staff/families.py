"""Gestion: the structure's families, found with a search (identifiant, a guardian's or a child's name,
address, e-mail) a page at a time, each opening its page (pages/staff/family.py: payments, security update,
mails); families created one at a time or imported from a CSV file."""

from __future__ import annotations

import re

from aiohttp import web

from services.gateway.clients import clients_of
from services.gateway.pages.staff.common import REFUSED, done_message, messages_of, structure_id
from services.gateway.web import forms
from services.gateway.web.csrf import checked_form, checked_post
from services.gateway.web.forms import FormError
from services.gateway.web.guards import STAFF, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account

CHILD_ROWS = 3
LOGIN_RE = re.compile(r"[A-Za-z0-9._-]{3,64}")


async def _families_page(request: web.Request, account: Account, status: int = 200, **extra) -> web.Response:
    search = await family_search(request, account)
    return render(request, "gestion_familles.html", status=status, section="familles", child_rows=CHILD_ROWS,
                  done=done_message(request), form=extra.pop("form", {}), search=search, **extra)


async def family_search(request: web.Request, account: Account) -> dict:
    """The page of the structure's families the search asks for (`?q=…&page=…`): auth searches its families
    (identifiant, names, e-mails) and adds those whose address dossier matched (ADR 0010)."""
    sid = structure_id(account)
    q = " ".join(request.query.get("q", "").split())[:200]
    clients = clients_of(request)
    at_address = await clients.dossier.families_at_address(account.identity, q) if q else []
    found = await clients.auth.search_families(account.identity, sid, q, request.query.get("page", "1")[:12],
                                               at_address)
    found["q"] = q
    return found


@signed_in(roles=STAFF)
async def families_page(request: web.Request, account: Account) -> web.Response:
    return await _families_page(request, account)


def _children(form: dict) -> list[dict]:
    children = []
    for i in range(CHILD_ROWS):
        first, last = forms.text(form, f"enfant_prenom_{i}", 100), forms.text(form, f"enfant_nom_{i}", 100)
        born = form.get(f"enfant_naissance_{i}", "").strip()
        if not (first or last or born):
            continue
        if not (first and last and born):
            raise FormError(f"Enfant {i + 1} : prénom, nom et date de naissance sont obligatoires.")
        children.append({"first_name": first, "last_name": last,
                         "birth_date": forms.day(form, f"enfant_naissance_{i}", f"Enfant {i + 1} : date de naissance")})
    return children


def family_from_form(form: dict, sid: str) -> dict:
    """The new family as auth takes it, or a FormError saying what is missing."""
    body = {"identifiant": forms.text(form, "identifiant", 64),
            "responsable": {"first_name": forms.text(form, "prenom", 100), "last_name": forms.text(form, "nom", 100),
                            "civilite": form.get("civilite") if form.get("civilite") in ("M.", "Mme") else None},
            "emails": [e for e in re.split(r"[;,\s]+", form.get("courriels", "")) if e][:5],
            "structure_id": sid, "children": _children(form)}
    if not LOGIN_RE.fullmatch(body["identifiant"]):
        raise FormError("Identifiant : 3 à 64 caractères parmi lettres sans accent, chiffres, « . », « _ », « - ».")
    if not body["responsable"]["first_name"] or not body["responsable"]["last_name"]:
        raise FormError("Responsable : le prénom et le nom sont obligatoires.")
    other_first, other_last = forms.text(form, "autre_prenom", 100), forms.text(form, "autre_nom", 100)
    if other_first or other_last:
        if not (other_first and other_last):
            raise FormError("Autre responsable : le prénom et le nom sont obligatoires.")
        body["autre_responsable"] = {"first_name": other_first, "last_name": other_last}
    if form.get("mot_de_passe", "").strip():
        body["initial_password"] = form["mot_de_passe"].strip()
    return body


@signed_in(roles=STAFF)
async def family_create(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    sid = structure_id(account)
    try:
        created = await clients_of(request).auth.create_family(account.identity, family_from_form(form, sid))
    except REFUSED as exc:
        return await _families_page(request, account, status=422, family_errors=messages_of(exc), form=form)
    return await _families_page(request, account, created_family=created)


@signed_in(roles=STAFF)
async def family_import(request: web.Request, account: Account) -> web.Response:
    upload = (await checked_post(request)).get("fichier")
    structure_id(account)
    try:
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise FormError("Choisissez le fichier CSV à importer.")
        data = upload.file.read()
        if not data:
            raise FormError("Le fichier d'import est vide.")
        report = await clients_of(request).auth.import_families(account.identity, data)
    except REFUSED as exc:
        return await _families_page(request, account, status=422, import_errors=messages_of(exc))
    return await _families_page(request, account, report=report, filename=upload.filename)


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/gestion/familles", families_page)
    r.add_post("/gestion/familles", family_create)
    r.add_post("/gestion/familles/import", family_import)
