"""notify's internal API: staff see the delivery log of their structures, an administrator all of it
and can run the digest now (who sees what: services/notify/access.py)."""

from __future__ import annotations

from aiohttp import web

from kit.http import identity_of, json_response
from kit.service import APP_KEY, pool_of
from services.notify import access
from services.notify.service import digest_runs
from services.notify.store import Store

STATUSES = ("pending", "sending", "sent", "failed")


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


async def deliveries(request: web.Request) -> web.Response:
    who = identity_of(request)
    scope = access.delivery_scope(who)
    status = request.query.get("status", "failed")
    if status not in STATUSES:
        raise web.HTTPBadRequest(text="statut attendu : pending, sending, sent ou failed")
    store = Store(pool_of(request))
    async with store.connection() as conn:
        rows = await store.listed_deliveries(conn, status, scope.everything, list(scope.structures))
    rows = [r for r in rows if access.may_see_delivery(who, r.structure_id)]
    # Addresses are not shown here: staff see which mail failed and why, the family's dossier says to whom.
    return json_response({"deliveries": [
        {"id": r.id, "template": r.template, "family_id": str(r.family_id) if r.family_id else None,
         "structure_id": str(r.structure_id) if r.structure_id else None,
         "recipients": r.recipients, "subject": r.subject,
         "status": r.status, "attempts": r.attempts, "smtp_answer": r.smtp_answer,
         # sent again after a crash interrupted the hand-off: the family may have received it twice
         "repeats": r.repeats,
         "last_attempt_at": _iso(r.last_attempt_at), "created_at": r.created_at.isoformat(), "sent_at": _iso(r.sent_at)}
        for r in rows]})


async def run_digest(request: web.Request) -> web.Response:
    access.require_admin(identity_of(request))
    report = await digest_runs.run(Store(pool_of(request)), request.app[APP_KEY].settings.public_url)
    return json_response({"run_id": str(report.run_id), "families": report.families, "mails": report.mails,
                          "waiting": report.waiting})


def routes(app: web.Application) -> None:
    app.router.add_get("/v1/deliveries", deliveries)
    app.router.add_post("/v1/digests", run_digest)
