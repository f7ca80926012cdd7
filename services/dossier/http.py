"""dossier's internal API, thin: each handler parses the request, calls the service layer (which asks
access.py who may do what) and writes the answer. Refusals are domain errors answered by kit's problem
middleware; only an incomplete sheet's answer adds what is missing."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from aiohttp import web

from contracts.api.dossier import CampaignIn, ContactIn, ReviewIn, SheetIn  # the public API's models
from contracts.dossier_sheets import (
    DOCUMENT_LABELS,
    LABELS,
    STATE_LABELS,
    DocumentKind,
    SheetKind,
    SheetState,
)
from contracts.errors import NotFound
from kit.http import identity_of, json_response, path_uuid, problem, read_model
from kit.service import pool_of
from services.dossier import access
from services.dossier.service import OUTBOX, Vault, archive, contacts, documents, roster, sheets, staff
from services.dossier.service.errors import FileTooLarge, Incomplete
from services.dossier.store import Contact, Document, Store

VAULT = web.AppKey("vault", Vault)


def _store(request: web.Request) -> Store:
    return Store(pool_of(request), request.app[VAULT].sealer)


def _state(state: SheetState) -> web.Response:
    return json_response({"state": state.value, "state_label": STATE_LABELS[state]})


def _document(d: Document) -> dict:
    return {"id": str(d.id), "kind": d.kind, "label": DOCUMENT_LABELS[DocumentKind(d.kind)], "mime": d.mime,
            "size_bytes": d.size_bytes, "name": d.name, "uploaded_at": d.uploaded_at.isoformat() if d.uploaded_at else None}


def _summary(view: sheets.SheetView) -> dict:
    s = view.sheet
    return {"id": str(s.id), "kind": s.kind.value, "label": view.label,
            "child_id": str(s.child_id) if s.child_id else None,
            "structure_id": str(s.structure_id) if s.structure_id else None,
            "state": s.state.value, "state_label": STATE_LABELS[s.state], "refusal_reason": s.refusal_reason,
            "missing": view.missing}


def _contact(c: Contact) -> dict:
    return archive.contact_data(c)


# -- the family -------------------------------------------------------------------------------------------
async def dossier(request: web.Request) -> web.Response:
    view = await sheets.dossier(_store(request), identity_of(request))
    return json_response({"school_year": view.campaign.school_year, "sheets": [_summary(v) for v in view.sheets],
                          "complete": view.progress.complete, "transmitted": view.progress.transmitted,
                          "total": view.progress.total,
                          "children": [{"id": str(c.id), "first_name": c.first_name, "last_name": c.last_name}
                                       for c in view.children]})


async def sheet(request: web.Request) -> web.Response:
    who = identity_of(request)
    detail = await sheets.sheet(_store(request), who, path_uuid(request, "sheet_id", "Fiche"))
    rules = detail.house_rules  # a règlement sheet: the version to read, and the one signed
    return json_response({**_summary(detail.view), "data": detail.view.sheet.data,
                          "documents": [_document(d) for d in detail.documents], "editable": detail.editable,
                          "limits": documents.LIMITS,
                          "house_rules": {"id": str(rules.id), "version": rules.version,
                                          "school_year": rules.school_year} if rules else None,
                          "house_rules_version": detail.view.sheet.house_rules_version})


async def save_draft(request: web.Request) -> web.Response:
    who = identity_of(request)
    access.require_family(who)
    body = await read_model(request, SheetIn)
    return _state(await sheets.save_draft(_store(request), who, path_uuid(request, "sheet_id", "Fiche"), body.data))


async def submit(request: web.Request) -> web.Response:
    who = identity_of(request)
    access.require_family(who)
    body = await read_model(request, SheetIn)
    try:
        state = await sheets.submit(_store(request), OUTBOX, who, path_uuid(request, "sheet_id", "Fiche"), body.data)
    except Incomplete as exc:
        return problem(exc.status, exc.title, exc.detail, missing=exc.missing)
    return _state(state)


# -- documents ------------------------------------------------------------------------------------------------
async def upload(request: web.Request) -> web.Response:
    who = identity_of(request)
    access.require_family(who)
    kind = documents.document_kind(request.query.get("kind", ""))
    if (request.content_length or 0) > documents.MAX_BODY_BYTES:
        raise FileTooLarge(documents.TOO_LARGE)
    content = await request.content.read()  # whole body (bounded above), so the refusal can say its size
    added = await documents.upload(_store(request), request.app[VAULT], who,
                                   path_uuid(request, "sheet_id", "Fiche"), kind, content,
                                   request.headers.get("X-Filename"))
    return json_response({"id": str(added.id), "mime": added.mime}, status=201)


def _attachment(name: str) -> str:
    """Content-Disposition for a file name: a plain ASCII fallback and the exact name (RFC 6266)."""
    fallback = documents.attachment_fallback(name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def download(request: web.Request) -> web.Response:
    found = await documents.download(_store(request), request.app[VAULT], identity_of(request),
                                     path_uuid(request, "document_id", "Pièce"))
    return web.Response(body=found.content, content_type=found.document.mime,
                        headers={"Content-Disposition": _attachment(found.document.name)})


async def delete_document(request: web.Request) -> web.Response:
    await documents.delete(_store(request), request.app[VAULT], identity_of(request),
                           path_uuid(request, "document_id", "Pièce"))
    return web.Response(status=204)


# -- contacts ---------------------------------------------------------------------------------------------------
async def list_contacts(request: web.Request) -> web.Response:
    found = await contacts.contacts(_store(request), identity_of(request))
    return json_response({"contacts": [_contact(c) for c in found]})


async def create_contact(request: web.Request) -> web.Response:
    who = identity_of(request)
    access.require_family(who)
    body = await read_model(request, ContactIn)
    contact_id = await contacts.create(_store(request), who, body.last_name, body.first_name, body.address,
                                       body.phone, body.email)
    return json_response({"id": str(contact_id)}, status=201)


async def update_contact(request: web.Request) -> web.Response:
    who = identity_of(request)
    access.require_family(who)
    body = await read_model(request, ContactIn)
    await contacts.update(_store(request), who, path_uuid(request, "contact_id", "Contact"), body.last_name,
                          body.first_name, body.address, body.phone, body.email)
    return web.Response(status=204)


async def delete_contact(request: web.Request) -> web.Response:
    who = identity_of(request)
    access.require_family(who)
    await contacts.delete(_store(request), who, path_uuid(request, "contact_id", "Contact"))
    return web.Response(status=204)


async def insurers(request: web.Request) -> web.Response:
    found = await contacts.insurers(_store(request), identity_of(request))
    return json_response({"insurers": [{"id": str(i.id), "name": i.name} for i in found]})


async def family_archive(request: web.Request) -> web.StreamResponse:
    chunks = await archive.family_archive(_store(request), request.app[VAULT],
                                          identity_of(request))
    response = web.StreamResponse(headers={"Content-Type": "application/zip",
                                           "Content-Disposition": f'attachment; filename="{archive.FILE_NAME}"'})
    response.enable_chunked_encoding()
    await response.prepare(request)
    async for chunk in chunks:
        await response.write(chunk)
    await response.write_eof()
    return response


# -- staff -----------------------------------------------------------------------------------------------------------
async def open_campaign(request: web.Request) -> web.Response:
    who = identity_of(request)
    access.require_admin(who)
    body = await read_model(request, CampaignIn)
    campaign_id = await staff.open_campaign(_store(request), who, body.school_year)
    return json_response({"id": str(campaign_id)}, status=201)


async def to_review(request: web.Request) -> web.Response:
    found = await staff.to_review(_store(request), identity_of(request))
    return json_response({"sheets": [{"id": str(r.id), "kind": r.kind, "label": LABELS[SheetKind(r.kind)],
                                      "family_id": str(r.family_id), "identifiant": r.identifiant,
                                      "child_id": str(r.child_id) if r.child_id else None,
                                      "submitted_at": r.submitted_at.isoformat()} for r in found]})


async def staff_sheet(request: web.Request) -> web.Response:
    found = await staff.staff_sheet(_store(request), identity_of(request), path_uuid(request, "sheet_id", "Fiche"))
    s = found.sheet
    return json_response({"id": str(s.id), "kind": s.kind.value, "state": s.state.value, "data": s.data,
                          "documents": [_document(d) for d in found.documents]})


async def review(request: web.Request) -> web.Response:
    who = identity_of(request)
    access.require_staff(who)
    body = await read_model(request, ReviewIn)
    return _state(await staff.review(_store(request), OUTBOX, who, path_uuid(request, "sheet_id", "Fiche"),
                                     body.decision, body.reason))


async def audit(request: web.Request) -> web.Response:
    who = identity_of(request)
    access.require_admin(who)
    try:
        child_id = uuid.UUID(request.query.get("child_id", ""))
    except ValueError:
        raise NotFound("Enfant introuvable.") from None
    reads = await staff.audit(_store(request), who, child_id)
    return json_response({"reads": [{"reader": r.reader, "sheet_id": str(r.sheet_id), "read_at": r.read_at.isoformat()}
                                    for r in reads]})


# -- staff: the rosters' flags and the day summary (only what a roster shows, never a sheet) --------------
def _person(p) -> dict:
    return {"name": p.name, "relationship": p.relationship, "phone": p.phone}


async def roster_flags(request: web.Request) -> web.Response:
    found = await roster.roster_flags(_store(request), identity_of(request), await read_model(request, roster.RosterIn))
    return json_response({"children": [
        {"child_id": str(f.child_id), "pai": f.pai, "diets": f.diets, "image_rights": f.image_rights,
         "pick_up": [_person(p) for p in f.pick_up], "emergency": [_person(p) for p in f.emergency]}
        for f in found]})


async def day_summary(request: web.Request) -> web.Response:
    count = await roster.day_summary(_store(request), identity_of(request), await read_model(request, roster.SummaryIn))
    return json_response({"meals": count.meals, "no_pork": count.no_pork, "vegetarian": count.vegetarian,
                          "pai": count.pai, "activities": [
                              {"key": a.key, "children": a.children, "pai": a.pai, "no_pork": a.no_pork,
                               "vegetarian": a.vegetarian} for a in count.activities]})


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/v1/dossier", dossier)
    r.add_get("/v1/sheets/{sheet_id}", sheet)
    r.add_put("/v1/sheets/{sheet_id}/draft", save_draft)
    r.add_post("/v1/sheets/{sheet_id}/submit", submit)
    r.add_post("/v1/sheets/{sheet_id}/documents", upload)
    r.add_get("/v1/documents/{document_id}", download)
    r.add_delete("/v1/documents/{document_id}", delete_document)
    r.add_get("/v1/contacts", list_contacts)
    r.add_post("/v1/contacts", create_contact)
    r.add_put("/v1/contacts/{contact_id}", update_contact)
    r.add_delete("/v1/contacts/{contact_id}", delete_contact)
    r.add_get("/v1/insurers", insurers)
    r.add_get("/v1/archive", family_archive)
    r.add_post("/v1/campaigns", open_campaign)
    r.add_get("/v1/review", to_review)
    r.add_get("/v1/staff/sheets/{sheet_id}", staff_sheet)
    r.add_post("/v1/staff/sheets/{sheet_id}/review", review)
    r.add_get("/v1/audit", audit)
    r.add_post("/v1/staff/roster-flags", roster_flags)
    r.add_post("/v1/staff/day-summary", day_summary)
