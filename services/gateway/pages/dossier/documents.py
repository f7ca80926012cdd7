"""Dossier Famille: the supporting documents of a sheet (sent, removed, downloaded) and the whole dossier's
archive (the family's right of access)."""

from __future__ import annotations

import unicodedata

from aiohttp import web
from pydantic import ValidationError

from contracts.dossier_sheets import DocumentKind, SheetKind, parse
from kit.clock import paris_today
from services.gateway.clients import Refused, clients_of
from services.gateway.pages.dossier.common import detail
from services.gateway.pages.dossier.forms import data_from_form, french_errors
from services.gateway.pages.dossier.sheet import sheet_page_of
from services.gateway.pages.files import file_page
from services.gateway.web.csrf import checked_form, checked_post
from services.gateway.web.forms import FormError, uuid_or_404
from services.gateway.web.guards import PARENT, signed_in
from services.gateway.web.session import Account

KINDS = frozenset(k.value for k in DocumentKind)


def ascii_name(name: str) -> str:
    """A file's name as dossier keeps it: plain ASCII letters, digits and ". _ - ", 120 characters at most."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    plain = "".join(c if c.isalnum() or c in "._- " else "_" for c in plain).strip()[:120]
    return plain or "document"


async def _keep_typed(request: web.Request, account: Account, sheet_id, typed: dict[str, str]) -> list[str]:
    """Saves as a draft what the parent typed on the sheet before sending a file; the refusals, if any."""
    dossier = clients_of(request).dossier
    sheet = await dossier.sheet(account.identity, sheet_id)
    if not sheet["editable"]:
        return []
    kind = SheetKind(sheet["kind"])
    data = data_from_form(kind, typed)
    try:
        parse(kind, data, today=paris_today())
        await dossier.save_draft(account.identity, sheet_id, data)
    except ValidationError as exc:
        return french_errors(kind, exc)
    except Refused as exc:
        return [detail(exc, "La fiche n'a pas pu être enregistrée.")]
    return []


@signed_in(roles=PARENT)
async def upload(request: web.Request, account: Account) -> web.Response:
    """A file sent with the sheet's form: the file is added, then what was typed on the sheet is saved as a
    draft, so nothing typed before the upload is lost (POST/redirect/GET when both went through)."""
    sheet_id = uuid_or_404(request.match_info["sheet_id"])
    form = await checked_post(request)
    kind = form.get("piece")
    if not isinstance(kind, str) or kind not in KINDS:
        raise FormError("Type de pièce inconnu.", title="Requête invalide")
    typed = {k: v for k, v in form.items() if isinstance(v, str)}
    values = typed if any(k.startswith("f.") for k in typed) else None  # the sheet's fields came along
    field = form.get(f"fichier-{kind}") or form.get("fichier")
    if field is None or isinstance(field, str) or not getattr(field, "filename", None):
        return await sheet_page_of(request, account, sheet_id, status=422, values=values,
                                   upload_errors={kind: "Choisissez un fichier à envoyer."})
    try:
        await clients_of(request).dossier.upload(account.identity, sheet_id, kind, field.file.read(),
                                                 ascii_name(field.filename))
    except Refused as exc:
        return await sheet_page_of(request, account, sheet_id, status=413 if exc.status == 413 else 422,
                                   values=values, upload_errors={kind: detail(exc, "Le fichier a été refusé.")})
    refused = await _keep_typed(request, account, sheet_id, values) if values is not None else []
    if refused:
        kept = "Le fichier a été ajouté. Vos saisies sont conservées ci-dessous mais la fiche n'est pas encore enregistrée :"
        return await sheet_page_of(request, account, sheet_id, status=422, values=values, errors=[kept, *refused])
    raise web.HTTPSeeOther(f"/dossier/fiche/{sheet_id}?fait=piece#piece-{kind}")


@signed_in(roles=PARENT)
async def delete_document(request: web.Request, account: Account) -> web.Response:
    document_id = uuid_or_404(request.match_info["document_id"])
    form = await checked_form(request)
    sheet_id = uuid_or_404(form.get("fiche", ""))
    try:
        await clients_of(request).dossier.delete_document(account.identity, document_id)
    except Refused as exc:
        return await sheet_page_of(request, account, sheet_id, status=409,
                                   errors=[detail(exc, "Le fichier n'a pas pu être supprimé.")])
    raise web.HTTPSeeOther(f"/dossier/fiche/{sheet_id}?fait=piece-supprimee")


@signed_in(roles=PARENT)
async def download_document(request: web.Request, account: Account) -> web.StreamResponse:
    document_id = uuid_or_404(request.match_info["document_id"])
    return await file_page(clients_of(request).dossier.document(request, account.identity, document_id))


@signed_in(roles=PARENT)
async def archive(request: web.Request, account: Account) -> web.StreamResponse:
    return await file_page(clients_of(request).dossier.archive(request, account.identity))


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/dossier/archive", archive)
    r.add_post("/dossier/fiche/{sheet_id}/pieces", upload)
    r.add_get("/dossier/pieces/{document_id}", download_document)
    r.add_post("/dossier/pieces/{document_id}/supprimer", delete_document)
