"""Gestion, administrators: "Exploitation": failed mails, the night's jobs run now (transmission, digest,
invoices), a dossier campaign opened, the legal texts published, facts republished and their consistency
checked across services."""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import urlencode

from aiohttp import web

from services.gateway.clients import Unavailable, clients_of
from services.gateway.pages.staff.common import REFUSED, messages_of
from services.gateway.web import forms
from services.gateway.web.csrf import checked_form
from services.gateway.web.forms import FormError
from services.gateway.web.guards import ADMIN, STAFF, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account

# resync and consistency check (docs/operations.md): the owners of facts, the consumers of their projections
FACT_OWNERS = ("auth", "dossier", "booking")
PROJECTION_CONSUMERS = ("booking", "billing", "dossier", "notify")


async def _consistency_verdicts(request: web.Request, account: Account) -> list[dict]:
    """Each consumer's latest verdict per owner; a service that does not answer is said so."""
    verdicts = []
    for name in PROJECTION_CONSUMERS:
        try:
            verdicts.extend(await clients_of(request).named(name).consistency(account.identity))
        except (Unavailable, *REFUSED):
            verdicts.append({"consumer": name, "owner": "", "unavailable": True, "differences": []})
    return verdicts


async def _night_status(request: web.Request, account: Account) -> dict:
    """The transmission's and the digest's status for the current structure (its staff see it; a service
    that does not answer is said so)."""
    sid, clients, found = account.current_structure_id, clients_of(request), {}
    if not sid:
        return found
    for name, read in (("transmission", clients.booking.transmission_status),
                       ("digest", clients.notify.digest_status)):
        try:
            found[name] = await read(account.identity, sid)
        except (Unavailable, *REFUSED):
            found[name] = None
    return found


async def _operations_page(request: web.Request, account: Account, status: int = 200, **extra) -> web.Response:
    night = await _night_status(request, account)
    if account.role != "admin":  # agents see their structure's status; running anything stays the admin's
        return render(request, "gestion_exploitation.html", status=status, section="exploitation", night=night,
                      deliveries=[], form={}, verdicts=[], **extra)
    deliveries = await clients_of(request).notify.deliveries(account.identity, status="failed")
    return render(request, "gestion_exploitation.html", status=status, section="exploitation",
                  deliveries=deliveries, form=extra.pop("form", {}), night=night,
                  verdicts=await _consistency_verdicts(request, account), **extra)


ACTIONS = ("transmission", "synthese", "factures", "campagne", "resynchronisation", "coherence", "legal")


def _shown_result(query) -> dict:
    """The outcome of the action just run, carried by the redirect's address (figures, never secrets)."""
    if query.get("fait") not in ACTIONS:
        return {}
    try:
        result = json.loads(query.get("resultat", "{}"))
    except ValueError:
        result = None
    return {"action": query["fait"], "result": result if isinstance(result, dict) else {}}


@signed_in(roles=STAFF)
async def operations_page(request: web.Request, account: Account) -> web.Response:
    return await _operations_page(request, account, **_shown_result(request.query))


async def _run(request: web.Request, account: Account, action: str, form: dict) -> dict:
    clients, who = clients_of(request), account.identity
    if action == "transmission":
        return await clients.booking.transmit(who)
    if action == "synthese":
        return await clients.notify.send_digests(who)
    if action == "factures":
        month = form.get("mois", "").strip()
        if month and not re.fullmatch(r"\d{4}-\d{2}", month):
            raise FormError(f"Mois invalide (« {month[:10]} »), format attendu AAAA-MM.")
        return await clients.billing.issue_invoices(who, month or None)  # empty: billing's default, last month
    if action == "campagne":
        year = form.get("annee", "").strip()
        if not re.fullmatch(r"\d{4}-\d{4}", year):
            raise FormError(f"Année scolaire invalide (« {year[:12]} »), format attendu : 2026-2027.")
        return await clients.dossier.open_campaign(who, year)
    if action == "resynchronisation":
        family = form.get("famille", "").strip()
        if family and not re.fullmatch(r"[0-9a-fA-F-]{36}", family):
            raise FormError("Identifiant de famille invalide (un identifiant technique est attendu).")
        republished = {}
        for owner in FACT_OWNERS:
            answer = await clients.named(owner).resync(who, family or None)
            republished.update({k: v for k, v in answer.items() if k != "service"})
        return {"republished": republished}
    if action == "coherence":
        check_id = str(uuid.uuid4())
        for owner in FACT_OWNERS:
            await clients.named(owner).facts_digest(who, check_id)
        return {"check_id": check_id}
    if action == "legal":
        kind = form.get("document")
        if kind not in ("rgpd", "cgu"):
            raise FormError("Choisissez le document : RGPD ou CGU.")
        return await clients.auth.publish_legal(who, kind, forms.text(form, "titre", 200),
                                                form.get("texte", "")[:100_000])
    raise web.HTTPNotFound()


@signed_in(roles=ADMIN)
async def operations_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    action = request.match_info["action"]
    try:
        result = await _run(request, account, action, form)
    except REFUSED as exc:
        return await _operations_page(request, account, status=422, errors=messages_of(exc), action=action, form=form)
    # POST/redirect/GET: reloading the page shows the outcome again, it never runs the action twice
    query = urlencode({"fait": action, "resultat": json.dumps(result or {}, separators=(",", ":"))})
    raise web.HTTPSeeOther(f"/gestion/exploitation?{query}")


def routes(app: web.Application) -> None:
    app.router.add_get("/gestion/exploitation", operations_page)
    app.router.add_post("/gestion/exploitation/{action}", operations_submit)
