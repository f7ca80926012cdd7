"""dossier's internal routes for the medical certificates of declared absences (issue 19), thin like http.py:
the family sends one for its child, the family or the staff of the child's structure read it back."""

from __future__ import annotations

import uuid

from aiohttp import web

from kit.http import identity_of, json_response, path_uuid
from services.dossier.http import VAULT, _attachment, _store
from services.dossier.service import certificates, documents
from services.dossier.service.errors import BadRequest, FileTooLarge


async def upload(request: web.Request) -> web.Response:
    try:
        child_id = uuid.UUID(request.query.get("child_id", ""))
    except ValueError:
        raise BadRequest("Enfant attendu (child_id).") from None
    if (request.content_length or 0) > documents.MAX_BODY_BYTES:
        raise FileTooLarge(documents.TOO_LARGE)
    content = await request.content.read()  # whole body (bounded above), so the refusal can say its size
    added = await certificates.upload(_store(request), request.app[VAULT], identity_of(request), child_id, content,
                                      request.headers.get("X-Filename"))
    return json_response({"id": str(added.id)}, status=201)


async def download(request: web.Request) -> web.Response:
    raw = request.query.get("family_id")
    try:
        expected = uuid.UUID(raw) if raw else None
    except ValueError:
        raise BadRequest("Famille invalide.") from None
    found, content = await certificates.download(_store(request), request.app[VAULT], identity_of(request),
                                                 path_uuid(request, "certificate_id", "Certificat"), expected)
    return web.Response(body=content, content_type=found.mime, headers={"Content-Disposition": _attachment(found.name)})


def routes(app: web.Application) -> None:
    app.router.add_post("/v1/certificates", upload)
    app.router.add_get("/v1/certificates/{certificate_id}", download)
