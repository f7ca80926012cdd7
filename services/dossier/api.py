"""dossier's internal API. Who may see or change what is decided in services/dossier/access.py: a
family reads and writes its own dossier; staff review the transmitted sheets of the families of their
structures; an administrator those of every structure; every staff read of health data is recorded."""

from __future__ import annotations

import re
import uuid

from aiohttp import web
from pydantic import ValidationError

from contracts.api.dossier import CampaignIn, ContactIn, ReviewIn, SheetIn  # the public API's models
from contracts.dossier import (
    DossierFamilyUpdatedV1,
    DossierHouseRulesSignedV1,
    DossierSheetReviewedV1,
    DossierSheetReviewedV2,
    DossierSheetSubmittedV1,
)
from kit import outbox
from kit.clock import paris_today
from kit.http import french_message, identity_of, json_response, problem, read_model
from kit.identity import Identity
from kit.service import APP_KEY
from services.dossier import access
from services.dossier import sheets as sh
from services.dossier.domain import archive as arch
from services.dossier.domain import contacts as ct
from services.dossier.domain import states
from services.dossier.domain.crypto import Sealer
from services.dossier.domain.documents import (
    DOCUMENT_LABELS,
    MAX_FILE_BYTES,
    SHEET_OF,
    DocumentKind,
    UploadRefused,
    check_upload,
)
from services.dossier.domain.sheets import HEALTH_KINDS, LABELS, SheetKind, parse
from services.dossier.domain.storage import FileSystemStorage

SEALER = web.AppKey("sealer", Sealer)
STORAGE = web.AppKey("storage", FileSystemStorage)


def _pool(request):
    return request.app[APP_KEY].pool


def _uuid(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except (ValueError, TypeError):
        raise web.HTTPNotFound(text="Ressource introuvable.") from None


def _parent(request) -> Identity:
    who = identity_of(request)
    access.require_family(who)
    return who


async def _campaign(conn):
    campaign = await sh.current_campaign(conn)
    if campaign is None:
        raise web.HTTPNotFound(text="Aucune campagne de dossier n'est ouverte pour le moment.")
    return campaign


async def _children(conn, family_id) -> dict:
    return {r["id"]: r for r in await conn.fetch("SELECT * FROM children WHERE family_id = $1", family_id)}


async def _own_sheet(conn, who: Identity, sheet_id: uuid.UUID, lock: bool = False):
    return await access.require_own_sheet(conn, who, sheet_id, lock)


def _document_name(row, sealer: Sealer) -> str:
    """The file name the family gave, sealed at rest like the file (a name may say what the file is)."""
    if row["name_sealed"] is not None:
        return sealer.open(bytes(row["name_sealed"])).decode("utf-8")
    return row["display_name"] or "document"  # not sealed yet (sealed at start-up: seal_names.py)


def _refused(exc: states.DossierError | UploadRefused, status: int = 409) -> web.Response:
    return problem(status, "Action impossible", exc.message)


# -- the family -------------------------------------------------------------------------------------------
async def dossier(request: web.Request) -> web.Response:
    who = _parent(request)
    async with _pool(request).acquire() as conn, conn.transaction():
        campaign = await _campaign(conn)
        await sh.ensure_sheets(conn, campaign["id"], who.family_id)
        rows = await conn.fetch("SELECT * FROM sheets WHERE campaign_id = $1 AND family_id = $2 ORDER BY "
                                "child_id NULLS FIRST, kind", campaign["id"], who.family_id)
        children = await _children(conn, who.family_id)
        items = [await sh.summary(conn, r, request.app[SEALER], children) for r in rows]
    done = sum(i["state"] in ("transmise", "validee") for i in items)
    return json_response({"school_year": campaign["school_year"], "sheets": items,
                          "complete": done == len(items), "transmitted": done, "total": len(items),
                          "children": [{"id": str(c["id"]), "first_name": c["first_name"],
                                        "last_name": c["last_name"]} for c in children.values()]})


async def _documents_of(conn, sheet_id, sealer: Sealer) -> list[dict]:
    rows = await conn.fetch("SELECT id, kind, mime, size_bytes, display_name, name_sealed, uploaded_at FROM documents "
                            "WHERE sheet_id = $1 ORDER BY kind, uploaded_at", sheet_id)
    return [{"id": str(r["id"]), "kind": r["kind"], "label": DOCUMENT_LABELS[DocumentKind(r["kind"])],
             "mime": r["mime"], "size_bytes": r["size_bytes"], "name": _document_name(r, sealer),
             "uploaded_at": r["uploaded_at"].isoformat()} for r in rows]


async def sheet(request: web.Request) -> web.Response:
    who = _parent(request)
    async with _pool(request).acquire() as conn:
        row = await _own_sheet(conn, who, _uuid(request.match_info["sheet_id"]))
        summary = await sh.summary(conn, row, request.app[SEALER], await _children(conn, who.family_id))
        data = sh.read_data(row, request.app[SEALER])
        return json_response({**summary, "data": data,
                              "documents": await _documents_of(conn, row["id"], request.app[SEALER]),
                              "editable": states.can_edit(states.SheetState(row["state"])),
                              "limits": {"files_per_piece": 4, "max_kb": MAX_FILE_BYTES // 1024,
                                         "types": ["PDF", "JPEG", "PNG"]}})


def _model(kind: SheetKind, data: dict):
    try:
        return parse(kind, data, today=paris_today())
    except ValidationError as exc:
        raise web.HTTPUnprocessableEntity(text=" ".join(
            french_message(e) for e in exc.errors(include_url=False))) from None


async def _check_contact_links(conn, family_id, model) -> None:
    known = {r["id"] for r in await conn.fetch("SELECT id FROM contacts WHERE family_id = $1", family_id)}
    for link in getattr(model, "links", None) or []:
        if getattr(link, "contact_id", None) is not None and link.contact_id not in known:
            raise web.HTTPUnprocessableEntity(text="Contact inconnu : ajoutez-le d'abord à vos contacts.")


async def _posted_sheet(conn, request: web.Request, who: Identity, body: SheetIn):
    """The family's sheet, locked, with the posted data checked against its model."""
    row = await _own_sheet(conn, who, _uuid(request.match_info["sheet_id"]), lock=True)
    kind = SheetKind(row["kind"])
    model = _model(kind, body.data)
    if kind == SheetKind.CONTACTS:
        await _check_contact_links(conn, who.family_id, model)
    return row, kind, model


async def save_draft(request: web.Request) -> web.Response:
    who = _parent(request)
    body = await read_model(request, SheetIn)
    async with _pool(request).acquire() as conn, conn.transaction():
        row, kind, model = await _posted_sheet(conn, request, who, body)
        try:
            new_state = states.save_draft(states.SheetState(row["state"]))
        except states.DossierError as exc:
            return _refused(exc)
        await sh.write_data(conn, row["id"], kind, model, request.app[SEALER])
        await conn.execute("UPDATE sheets SET state = $2 WHERE id = $1", row["id"], new_state.value)
    return json_response({"state": new_state.value, "state_label": states.STATE_LABELS[new_state]})


async def submit(request: web.Request) -> web.Response:
    who = _parent(request)
    body = await read_model(request, SheetIn)
    async with _pool(request).acquire() as conn, conn.transaction():
        row, kind, model = await _posted_sheet(conn, request, who, body)
        if not states.can_edit(states.SheetState(row["state"])):
            return _refused(states.DossierError("Cette fiche a été transmise : elle n'est plus modifiable."))
        await sh.write_data(conn, row["id"], kind, model, request.app[SEALER])
        missing = await sh.missing(conn, row, model)
        try:
            new_state = states.submit(states.SheetState(row["state"]), missing)
        except states.DossierError as exc:
            return problem(422, "Fiche incomplète", exc.message, missing=missing)
        now = sh.now_utc()
        await conn.execute("UPDATE sheets SET state = $2, submitted_at = $3, refusal_reason = NULL WHERE id = $1",
                           row["id"], new_state.value, now)
        campaign = await conn.fetchrow("SELECT school_year FROM campaigns WHERE id = $1", row["campaign_id"])
        await outbox.add(conn, DossierSheetSubmittedV1(
            family_id=who.family_id, sheet_id=row["id"], sheet_kind=kind.value, child_id=row["child_id"],
            school_year=campaign["school_year"], submitted_at=now), producer="dossier")
        if kind == SheetKind.REGLEMENT:  # signed: booking opens to this child in this structure
            await outbox.add(conn, DossierHouseRulesSignedV1(
                family_id=who.family_id, child_id=row["child_id"], structure_id=row["structure_id"],
                school_year=campaign["school_year"], signed_at=now), producer="dossier")
    return json_response({"state": new_state.value, "state_label": states.STATE_LABELS[new_state]})


# -- documents ------------------------------------------------------------------------------------------------
def _display_name(raw: str | None) -> str:
    name = re.sub(r"[^\w.\- ]", "_", (raw or "document").split("/")[-1].split("\\")[-1])[:120]
    return name or "document"


async def upload(request: web.Request) -> web.Response:
    who = _parent(request)
    try:
        kind = DocumentKind(request.query.get("kind", ""))
    except ValueError:
        raise web.HTTPBadRequest(text="Type de pièce inconnu.") from None
    if (request.content_length or 0) > 10 * MAX_FILE_BYTES:
        return problem(413, "Fichier refusé", "Le fichier dépasse 2000 Ko.")
    content = await request.content.read()  # whole body (bounded above), so the refusal can say its size
    async with _pool(request).acquire() as conn, conn.transaction():
        row = await _own_sheet(conn, who, _uuid(request.match_info["sheet_id"]), lock=True)
        if SHEET_OF[kind] != SheetKind(row["kind"]):
            raise web.HTTPBadRequest(text=f"Cette pièce ne se joint pas à la {LABELS[SheetKind(row['kind'])].lower()}.")
        if not states.can_edit(states.SheetState(row["state"])):
            return _refused(states.DossierError("Cette fiche a été transmise : elle n'est plus modifiable."))
        count = await conn.fetchval("SELECT count(*) FROM documents WHERE sheet_id = $1 AND kind = $2",
                                    row["id"], kind.value)
        try:
            mime = check_upload(kind, count, content)
        except UploadRefused as exc:
            return problem(422, "Fichier refusé", exc.message)
        sealer = request.app[SEALER]
        key = await request.app[STORAGE].put(sealer.seal(content))
        document_id = uuid.uuid4()
        name = _display_name(request.headers.get("X-Filename"))
        await conn.execute(
            """INSERT INTO documents (id, family_id, sheet_id, kind, mime, size_bytes, storage_key, name_sealed)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""", document_id, who.family_id, row["id"], kind.value, mime,
            len(content), key, sealer.seal(name.encode("utf-8")))
    return json_response({"id": str(document_id), "mime": mime}, status=201)


def _attachment(name: str) -> str:
    """Content-Disposition for a file name: a plain ASCII fallback and the exact name (RFC 6266)."""
    from urllib.parse import quote

    fallback = arch.sanitise_name(name, "document")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


async def download(request: web.Request) -> web.Response:
    who = identity_of(request)
    async with _pool(request).acquire() as conn:
        row = await access.require_document(conn, who, _uuid(request.match_info["document_id"]))
        if access.audited(who, DocumentKind(row["kind"]) in _health_documents()):
            await conn.execute("INSERT INTO health_reads (reader, child_id, sheet_id) VALUES ($1, $2, $3)",
                               who.subject, row["child_id"], row["sheet_id"])
    sealer = request.app[SEALER]
    content = sealer.open(await request.app[STORAGE].get(row["storage_key"]))
    return web.Response(body=content, content_type=row["mime"], headers={
        "Content-Disposition": _attachment(_document_name(row, sealer))})


def _health_documents():
    from services.dossier.domain.documents import HEALTH_DOCUMENTS

    return HEALTH_DOCUMENTS


async def delete_document(request: web.Request) -> web.Response:
    who = _parent(request)
    async with _pool(request).acquire() as conn, conn.transaction():
        row = await access.require_document(conn, who, _uuid(request.match_info["document_id"]), lock=True)
        access.require_own_document(who, row)
        if not states.can_edit(states.SheetState(row["state"])):
            return _refused(states.DossierError("Cette fiche a été transmise : elle n'est plus modifiable."))
        await conn.execute("DELETE FROM documents WHERE id = $1", row["id"])
    await request.app[STORAGE].delete(row["storage_key"])
    return web.Response(status=204)


# -- contacts ---------------------------------------------------------------------------------------------------
def _contact_json(r) -> dict:
    return {"id": str(r["id"]), "last_name": r["last_name"], "first_name": r["first_name"], "address": r["address"],
            "phone": r["phone"], "email": r["email"]}


async def contacts(request: web.Request) -> web.Response:
    who = _parent(request)
    rows = await _pool(request).fetch("SELECT * FROM contacts WHERE family_id = $1 ORDER BY last_name, first_name",
                                      who.family_id)
    return json_response({"contacts": [_contact_json(r) for r in rows]})


async def create_contact(request: web.Request) -> web.Response:
    who = _parent(request)
    body = await read_model(request, ContactIn)
    contact_id = uuid.uuid4()
    await _pool(request).execute(
        "INSERT INTO contacts (id, family_id, last_name, first_name, address, phone, email) VALUES "
        "($1, $2, $3, $4, $5, $6, $7)", contact_id, who.family_id, body.last_name.strip(), body.first_name.strip(),
        body.address, body.phone, body.email)
    return json_response({"id": str(contact_id)}, status=201)


async def update_contact(request: web.Request) -> web.Response:
    who = _parent(request)
    body = await read_model(request, ContactIn)
    async with _pool(request).acquire() as conn, conn.transaction():
        row = await conn.fetchrow("SELECT * FROM contacts WHERE id = $1 AND family_id = $2 FOR UPDATE",
                                  _uuid(request.match_info["contact_id"]), who.family_id)
        if row is None:
            raise web.HTTPNotFound(text="Contact introuvable.")
        try:
            ct.check_rename(row["last_name"], row["first_name"], body.last_name, body.first_name)
        except states.DossierError as exc:
            return problem(422, "Modification impossible", exc.message)
        await conn.execute("UPDATE contacts SET address = $2, phone = $3, email = $4 WHERE id = $1",
                           row["id"], body.address, body.phone, body.email)
    return web.Response(status=204)


async def delete_contact(request: web.Request) -> web.Response:
    who = _parent(request)
    contact_id = _uuid(request.match_info["contact_id"])
    sealer = request.app[SEALER]
    async with _pool(request).acquire() as conn, conn.transaction():
        row = await conn.fetchrow("SELECT id FROM contacts WHERE id = $1 AND family_id = $2 FOR UPDATE",
                                  contact_id, who.family_id)
        if row is None:
            raise web.HTTPNotFound(text="Contact introuvable.")
        campaign = await _campaign(conn)
        links: dict[uuid.UUID, list[uuid.UUID]] = {}
        for sheet_row in await conn.fetch("SELECT * FROM sheets WHERE family_id = $1 AND campaign_id = $2 AND "
                                          "kind = 'contacts'", who.family_id, campaign["id"]):
            data = sh.read_data(sheet_row, sealer)
            links[sheet_row["child_id"]] = [uuid.UUID(str(li["contact_id"])) for li in data.get("links") or []]
        names = {c["id"]: c["first_name"] for c in (await _children(conn, who.family_id)).values()}
        refusal = ct.deletion_refusal(contact_id, links, names)
        if refusal:
            return problem(409, "Suppression impossible", refusal)
        await conn.execute("DELETE FROM contacts WHERE id = $1", contact_id)
    return web.Response(status=204)


async def insurers(request: web.Request) -> web.Response:
    access.require_signed_in(identity_of(request))
    rows = await _pool(request).fetch("SELECT id, name FROM insurers ORDER BY name")
    return json_response({"insurers": [{"id": str(r["id"]), "name": r["name"]} for r in rows]})


async def archive(request: web.Request) -> web.StreamResponse:
    """Everything held about the family, in one ZIP (RGPD right of access), streamed member by member:
    one document at a time is in memory, never the whole archive."""
    who = _parent(request)
    sealer, storage = request.app[SEALER], request.app[STORAGE]
    async with _pool(request).acquire() as conn:
        children = await _children(conn, who.family_id)
        rows = await conn.fetch("SELECT s.*, c.school_year FROM sheets s JOIN campaigns c ON c.id = s.campaign_id "
                                "WHERE s.family_id = $1 ORDER BY c.school_year, s.kind", who.family_id)
        docs = await conn.fetch("SELECT id, kind, storage_key, display_name, name_sealed FROM documents "
                                "WHERE family_id = $1 ORDER BY uploaded_at", who.family_id)
        people = await conn.fetch("SELECT * FROM contacts WHERE family_id = $1", who.family_id)
    response = web.StreamResponse(headers={"Content-Type": "application/zip",
                                           "Content-Disposition": 'attachment; filename="dossier-famille.zip"'})
    response.enable_chunked_encoding()
    await response.prepare(request)
    stream = arch.ArchiveStream()
    await response.write(stream.start())
    for r in rows:
        await response.write(stream.add_sheet(f"{r['school_year']}_{sh.label(r, children)}_{str(r['id'])[:8]}",
                                              {"etat": r["state"], "donnees": sh.read_data(r, sealer)}))
    await response.write(stream.add_sheet("contacts", {"contacts": [_contact_json(p) for p in people]}))
    for d in docs:
        content = sealer.open(await storage.get(d["storage_key"]))
        await response.write(stream.add_document(
            f"{d['kind']}_{str(d['id'])[:8]}_{_document_name(d, sealer)}", content))
        del content
    await response.write(stream.finish())
    await response.write_eof()
    return response


# -- staff -----------------------------------------------------------------------------------------------------------
async def open_campaign(request: web.Request) -> web.Response:
    access.require_admin(identity_of(request))
    body = await read_model(request, CampaignIn)
    start, end = (int(x) for x in body.school_year.split("-"))
    if end != start + 1:
        return problem(422, "Année scolaire invalide", "Format attendu : 2026-2027.")
    async with _pool(request).acquire() as conn, conn.transaction():
        campaign_id = uuid.uuid4()
        created = await conn.fetchval("INSERT INTO campaigns (id, school_year) VALUES ($1, $2) ON CONFLICT DO NOTHING "
                                      "RETURNING true", campaign_id, body.school_year)
        if not created:
            return problem(409, "Conflit", f"La campagne {body.school_year} est déjà ouverte.")
        for family in await conn.fetch("SELECT id FROM families"):
            await sh.ensure_sheets(conn, campaign_id, family["id"])
    return json_response({"id": str(campaign_id)}, status=201)


async def to_review(request: web.Request) -> web.Response:
    who = access.require_staff(identity_of(request))
    async with _pool(request).acquire() as conn:
        campaign = await _campaign(conn)
        waiting = await conn.fetch(
            """SELECT s.id, s.kind, s.family_id, s.child_id, s.state, s.submitted_at, f.identifiant,
                      array_remove(ARRAY(SELECT c.structure_id FROM children c WHERE c.family_id = s.family_id
                                         AND (s.child_id IS NULL OR c.id = s.child_id))
                                   || s.structure_id, NULL) AS structures
               FROM sheets s JOIN families f ON f.id = s.family_id
               WHERE s.campaign_id = $1 AND s.state = 'transmise' ORDER BY s.submitted_at""", campaign["id"])
    rows = [r for r in waiting if access.may_review_sheet(who, r["family_id"], r["state"], r["structures"])]
    return json_response({"sheets": [{"id": str(r["id"]), "kind": r["kind"], "label": LABELS[SheetKind(r["kind"])],
                                      "family_id": str(r["family_id"]), "identifiant": r["identifiant"],
                                      "child_id": str(r["child_id"]) if r["child_id"] else None,
                                      "submitted_at": r["submitted_at"].isoformat()} for r in rows]})


async def staff_sheet(request: web.Request) -> web.Response:
    who = identity_of(request)
    async with _pool(request).acquire() as conn, conn.transaction():
        row = await access.require_staff_sheet(conn, who, _uuid(request.match_info["sheet_id"]))
        if access.audited(who, SheetKind(row["kind"]) in HEALTH_KINDS):  # who read which child's health data
            await conn.execute("INSERT INTO health_reads (reader, child_id, sheet_id) VALUES ($1, $2, $3)",
                               who.subject, row["child_id"], row["id"])
        data = sh.read_data(row, request.app[SEALER])
        documents = await _documents_of(conn, row["id"], request.app[SEALER])
    return json_response({"id": str(row["id"]), "kind": row["kind"], "state": row["state"], "data": data,
                          "documents": documents})


async def review(request: web.Request) -> web.Response:
    who = access.require_staff(identity_of(request))
    body = await read_model(request, ReviewIn)
    async with _pool(request).acquire() as conn, conn.transaction():
        row = await access.require_staff_sheet(conn, who, _uuid(request.match_info["sheet_id"]), lock=True,
                                               review=True)
        try:
            new_state = states.review(states.SheetState(row["state"]), body.decision == "approved", body.reason)
        except states.DossierError as exc:
            return _refused(exc)
        now = sh.now_utc()
        reason = body.reason.strip() if body.decision == "refused" and body.reason else None
        await conn.execute("UPDATE sheets SET state = $2, reviewed_at = $3, reviewed_by = $4, refusal_reason = $5 "
                           "WHERE id = $1", row["id"], new_state.value, now, who.subject, reason)
        kind = SheetKind(row["kind"])
        child = await conn.fetchrow("SELECT first_name, last_name, structure_id FROM children WHERE id = $1",
                                    row["child_id"]) if row["child_id"] else None
        # the child's name and the reason (health data for a health sheet) only on the internal exchange,
        # for the family's mail; the public event says the fact
        private = DossierSheetReviewedV1(
            family_id=row["family_id"], sheet_id=row["id"], sheet_kind=kind.value, sheet_label=LABELS[kind],
            child_id=row["child_id"], child_first_name=child["first_name"] if child else None,
            child_last_name=child["last_name"] if child else None, decision=body.decision, reason=reason,
            reviewed_at=now, structure_id=row["structure_id"] or (child["structure_id"] if child else None))
        await outbox.add(conn, private, producer="dossier")
        await outbox.add(conn, DossierSheetReviewedV2.of(private), producer="dossier")
        if kind == SheetKind.ASSURANCE and body.decision == "approved":
            company = (sh.read_data(row, request.app[SEALER]).get("new_company") or {})
            if company.get("name"):  # an insurer a family entered joins the list proposed to everyone
                await conn.execute(
                    "INSERT INTO insurers (id, name, address, phone) VALUES ($1, $2, $3, $4) ON CONFLICT (name) "
                    "DO NOTHING", uuid.uuid4(), company["name"].strip(), company.get("address") or "",
                    company.get("phone") or "")
        if kind == SheetKind.FAMILLE and body.decision == "approved":
            data = sh.read_data(row, request.app[SEALER])
            await outbox.add(conn, DossierFamilyUpdatedV1(
                family_id=row["family_id"], family_quotient=data.get("family_quotient"),
                allocataire_regime=data.get("allocataire_regime"), updated_at=now), producer="dossier")
    return json_response({"state": new_state.value, "state_label": states.STATE_LABELS[new_state]})


async def audit(request: web.Request) -> web.Response:
    access.require_admin(identity_of(request))
    child_id = _uuid(request.query.get("child_id", ""))
    rows = await _pool(request).fetch("SELECT reader, sheet_id, read_at FROM health_reads WHERE child_id = $1 "
                                      "ORDER BY read_at", child_id)
    return json_response({"reads": [{"reader": r["reader"], "sheet_id": str(r["sheet_id"]),
                                     "read_at": r["read_at"].isoformat()} for r in rows]})


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/v1/dossier", dossier)
    r.add_get("/v1/sheets/{sheet_id}", sheet)
    r.add_put("/v1/sheets/{sheet_id}/draft", save_draft)
    r.add_post("/v1/sheets/{sheet_id}/submit", submit)
    r.add_post("/v1/sheets/{sheet_id}/documents", upload)
    r.add_get("/v1/documents/{document_id}", download)
    r.add_delete("/v1/documents/{document_id}", delete_document)
    r.add_get("/v1/contacts", contacts)
    r.add_post("/v1/contacts", create_contact)
    r.add_put("/v1/contacts/{contact_id}", update_contact)
    r.add_delete("/v1/contacts/{contact_id}", delete_contact)
    r.add_get("/v1/insurers", insurers)
    r.add_get("/v1/archive", archive)
    r.add_post("/v1/campaigns", open_campaign)
    r.add_get("/v1/review", to_review)
    r.add_get("/v1/staff/sheets/{sheet_id}", staff_sheet)
    r.add_post("/v1/staff/sheets/{sheet_id}/review", review)
    r.add_get("/v1/audit", audit)


