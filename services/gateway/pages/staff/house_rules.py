"""Gestion, « Règlement intérieur »: the current structure's règlement, a PDF per school year, uploaded as a
new version (dossier checks the file like any document and sends the families that signed an older version
back to « À remplir »), and each version read back."""

from __future__ import annotations

import re

from aiohttp import web

from services.gateway.clients import clients_of
from services.gateway.pages.dossier.documents import ascii_name
from services.gateway.pages.files import file_page
from services.gateway.pages.staff.common import REFUSED, messages_of, structure_id
from services.gateway.web.csrf import checked_post
from services.gateway.web.forms import FormError, uuid_or_404
from services.gateway.web.guards import STAFF, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account

SCHOOL_YEAR = re.compile(r"\d{4}-\d{4}")


def upload_notice(request: web.Request) -> str | None:
    if request.query.get("fait") != "reglement":
        return None
    version, again = request.query.get("version", ""), request.query.get("a_signer", "")
    text = f"✓ Le règlement intérieur a bien été publié (version {version[:4] if version.isdigit() else '?'})"
    if again.isdigit() and int(again):
        text += f" : {int(again)} fiche(s) déjà signée(s) repassent « À remplir » et doivent être signées de nouveau"
    return text + "."


async def _rules_page(request: web.Request, account: Account, status: int = 200, **extra) -> web.Response:
    dossier = clients_of(request).dossier
    sid = structure_id(account)
    versions = await dossier.house_rules(account.identity, sid)
    try:  # the open campaign's school year is proposed for the upload
        campaign = await dossier.campaign_progress(account.identity, sid)
    except REFUSED:
        campaign = None
    year = extra.pop("year", None) or (campaign or {}).get("school_year", "")
    return render(request, "gestion_reglement.html", status=status, section="reglement", versions=versions,
                  year=year, done=upload_notice(request), **extra)


@signed_in(roles=STAFF)
async def rules_page(request: web.Request, account: Account) -> web.Response:
    return await _rules_page(request, account)


@signed_in(roles=STAFF)
async def rules_upload(request: web.Request, account: Account) -> web.Response:
    form = await checked_post(request)
    year = str(form.get("annee", "")).strip()[:12]
    field = form.get("fichier")
    try:
        if not SCHOOL_YEAR.fullmatch(year):
            raise FormError(f"Année scolaire invalide (« {year} »), format attendu : 2026-2027.")
        if field is None or isinstance(field, str) or not getattr(field, "filename", None):
            raise FormError("Choisissez le fichier PDF du règlement intérieur.")
        published = await clients_of(request).dossier.upload_house_rules(
            account.identity, structure_id(account), year, field.file.read(), ascii_name(field.filename))
    except REFUSED as exc:
        return await _rules_page(request, account, status=422, errors=messages_of(exc), year=year)
    raise web.HTTPSeeOther(f"/gestion/reglement?fait=reglement&version={int(published['version'])}"
                           f"&a_signer={int(published['to_sign_again'])}")


@signed_in(roles=STAFF)
async def rules_file(request: web.Request, account: Account) -> web.StreamResponse:
    rules_id = uuid_or_404(request.match_info["rules_id"])
    return await file_page(clients_of(request).dossier.house_rules_file(request, account.identity, rules_id))


def routes(app: web.Application) -> None:
    app.router.add_get("/gestion/reglement", rules_page)
    app.router.add_post("/gestion/reglement", rules_upload)
    app.router.add_get("/gestion/reglement/{rules_id}", rules_file)
