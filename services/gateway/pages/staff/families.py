"""Gestion: families, created one at a time or imported from a CSV file, asked to choose a new password;
and the payments received at the structure's desk."""

from __future__ import annotations

import re
import uuid

from aiohttp import web

from contracts.billing import PAYMENT_METHODS
from services.gateway.clients import clients_of
from services.gateway.pages.staff.common import REFUSED, done_message, messages_of, redirect, structure_id
from services.gateway.web import forms
from services.gateway.web.csrf import checked_form, checked_post
from services.gateway.web.forms import FormError
from services.gateway.web.guards import STAFF, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account

METHODS = dict(PAYMENT_METHODS)
CHILD_ROWS = 3
LOGIN_RE = re.compile(r"[A-Za-z0-9._-]{3,64}")


def _families_page(request: web.Request, status: int = 200, **extra) -> web.Response:
    return render(request, "gestion_familles.html", status=status, section="familles", methods=METHODS,
                  child_rows=CHILD_ROWS, done=done_message(request), form=extra.pop("form", {}), **extra)


@signed_in(roles=STAFF)
async def families_page(request: web.Request, account: Account) -> web.Response:
    structure_id(account)
    return _families_page(request)


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
        return _families_page(request, status=422, family_errors=messages_of(exc), form=form)
    return _families_page(request, created_family=created)


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
        return _families_page(request, status=422, import_errors=messages_of(exc))
    return _families_page(request, report=report, filename=upload.filename)


def _family_id(raw: str) -> str:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise FormError(f"Numéro de famille invalide : « {raw[:40]} ».") from None


@signed_in(roles=STAFF)
async def security_update(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    try:
        family_id = _family_id(form.get("famille", "").strip())
        await clients_of(request).auth.require_new_password(account.identity, family_id)
    except REFUSED as exc:
        return _families_page(request, status=422, security_errors=messages_of(exc), form=form)
    raise redirect("/gestion/familles", "securite")


@signed_in(roles=STAFF)
async def payment_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    sid = structure_id(account)
    try:
        family_id = _family_id(form.get("paiement_famille", "").strip())
        method = form.get("moyen")
        if method not in METHODS:
            raise FormError("Choisissez le moyen de paiement.")
        amount = form.get("montant", "").strip()
        if not amount:
            raise FormError("Montant : à renseigner.")
        paid = await clients_of(request).billing.record_payment(account.identity, {
            "family_id": family_id, "structure_id": sid, "amount": amount, "method": method,
            "reference": forms.text(form, "reference", 80)})
    except REFUSED as exc:
        return _families_page(request, status=422, payment_errors=messages_of(exc), form=form)
    return _families_page(request, payment=paid)


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/gestion/familles", families_page)
    r.add_post("/gestion/familles", family_create)
    r.add_post("/gestion/familles/import", family_import)
    r.add_post("/gestion/familles/securite", security_update)
    r.add_post("/gestion/paiements", payment_submit)
