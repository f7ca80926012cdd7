"""notify's internal routes for staff's pages (thin, like http.py): a family's mails and their state, the
failed mails with their recipients, and sending a failed mail again."""

from __future__ import annotations

import uuid

from aiohttp import web

from contracts.errors import NotFound
from kit.http import identity_of, json_response, path_uuid
from kit.service import pool_of
from services.notify.domain.resend import STATUS_LABELS, resend_refusal
from services.notify.service import resends
from services.notify.store import Store
from services.notify.store.resends import LoggedMail


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def mail_json(m: LoggedMail) -> dict:
    return {"id": m.id, "template": m.template, "family_id": str(m.family_id) if m.family_id else None,
            "structure_id": str(m.structure_id) if m.structure_id else None, "recipients": list(m.recipients),
            "subject": m.subject, "status": m.status, "status_label": STATUS_LABELS.get(m.status, m.status),
            "attempts": m.attempts, "smtp_answer": m.smtp_answer, "resends": m.resends,
            "resendable": resend_refusal(m.status, m.template, m.body_kept) is None,
            "created_at": m.created_at.isoformat(), "sent_at": _iso(m.sent_at),
            "last_attempt_at": _iso(m.last_attempt_at)}


def _delivery_id(request: web.Request) -> int:
    raw = request.match_info.get("delivery_id", "")
    if not raw.isdigit() or len(raw) > 18:
        raise NotFound(resends.MAIL_NOT_FOUND)
    return int(raw)


async def family_mails(request: web.Request) -> web.Response:
    found = await resends.family_mails(Store(pool_of(request)), identity_of(request),
                                       path_uuid(request, "family_id", "Famille"))
    return json_response({"mails": [mail_json(m) for m in found]})


async def failed_mails(request: web.Request) -> web.Response:
    raw = request.query.get("structure_id")
    try:
        structure_id = uuid.UUID(raw) if raw else None
    except ValueError:
        raise NotFound("Structure introuvable.") from None
    found = await resends.failed_mails(Store(pool_of(request)), identity_of(request), structure_id)
    return json_response({"mails": [mail_json(m) for m in found]})


async def send_again(request: web.Request) -> web.Response:
    found = await resends.send_again(Store(pool_of(request)), identity_of(request), _delivery_id(request))
    return json_response({"id": found.id, "status": "pending"}, status=202)


def routes(app: web.Application) -> None:
    app.router.add_get("/v1/families/{family_id}/mails", family_mails)
    app.router.add_get("/v1/mails/failed", failed_mails)
    app.router.add_post("/v1/mails/{delivery_id}/resend", send_again)
