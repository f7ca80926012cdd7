"""dossier's internal API for the staff's follow-up of a campaign (thin, like http.py): the progress of a
structure's families, the reminder to those that have not started, the structure's règlements intérieurs
(listed, uploaded as a new version) and a règlement's PDF (staff of its structure, or a family that signs
it)."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from aiohttp import web
from pydantic import BaseModel

from contracts.dossier_sheets import STATE_LABELS
from kit.http import identity_of, json_response, path_uuid, read_model
from services.dossier.http import VAULT, _store
from services.dossier.service import OUTBOX, campaign, documents
from services.dossier.service.errors import BadRequest, FileTooLarge
from services.dossier.store import HouseRules

UNKNOWN_STRUCTURE = "Structure attendue (identifiant)."


class StructureIn(BaseModel):
    structure_id: uuid.UUID


def _structure(request: web.Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.query.get("structure_id", ""))
    except ValueError:
        raise BadRequest(UNKNOWN_STRUCTURE) from None


def rules_json(r: HouseRules) -> dict:
    return {"id": str(r.id), "structure_id": str(r.structure_id), "school_year": r.school_year,
            "version": r.version, "file_name": r.file_name, "size_bytes": r.size_bytes,
            "uploaded_at": r.uploaded_at.isoformat() if r.uploaded_at else None}


async def progress(request: web.Request) -> web.Response:
    found = await campaign.progress(_store(request), identity_of(request), _structure(request))
    return json_response({
        "school_year": found.campaign.school_year, "structure_name": found.structure_name,
        "states": [{"state": s.value, "label": label} for s, label in STATE_LABELS.items()],
        "kinds": [{"kind": k.kind.value, "label": k.label, "total": k.total,
                   "families": {s.value: n for s, n in k.families.items()}} for k in found.kinds],
        "families": len(found.families),
        "not_started": [{"family_id": str(f.family_id), "identifiant": f.identifiant, "name": f.name,
                         "last_reminded_on": f.last_reminded_on.isoformat() if f.last_reminded_on else None}
                        for f in found.not_started]})


async def remind(request: web.Request) -> web.Response:
    body = await read_model(request, StructureIn)
    done = await campaign.remind(_store(request), OUTBOX, identity_of(request), body.structure_id)
    return json_response({"reminded": done.reminded, "already": done.already})


async def list_house_rules(request: web.Request) -> web.Response:
    found = await campaign.house_rules_of(_store(request), identity_of(request), _structure(request))
    return json_response({"house_rules": [rules_json(r) for r in found]})


async def upload_house_rules(request: web.Request) -> web.Response:
    structure_id = _structure(request)
    if (request.content_length or 0) > documents.MAX_BODY_BYTES:
        raise FileTooLarge(documents.TOO_LARGE)
    content = await request.content.read()  # bounded above
    published = await campaign.publish_house_rules(
        _store(request), request.app[VAULT], OUTBOX, identity_of(request), structure_id,
        request.query.get("school_year", ""), content, request.headers.get("X-Filename"))
    return json_response({**rules_json(published.rules), "to_sign_again": published.to_sign_again}, status=201)


async def house_rules_file(request: web.Request) -> web.Response:
    rules, content = await campaign.house_rules_file(_store(request), request.app[VAULT], identity_of(request),
                                                     path_uuid(request, "rules_id", "Règlement"))
    name = f"reglement-interieur-{rules.school_year}-v{rules.version}.pdf"
    return web.Response(body=content, content_type="application/pdf",
                        headers={"Content-Disposition": f"inline; filename=\"{name}\"; "
                                                        f"filename*=UTF-8''{quote(name, safe='')}"})


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/v1/staff/campaign", progress)
    r.add_post("/v1/staff/campaign/reminders", remind)
    r.add_get("/v1/staff/house-rules", list_house_rules)
    r.add_post("/v1/staff/house-rules", upload_house_rules)
    r.add_get("/v1/house-rules/{rules_id}", house_rules_file)
