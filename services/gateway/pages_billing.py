"""Consommations: the two-month history (filter, arrows, print, CSV/PDF exports), the invoices with their
PDF and the online payment, the payments received and the balance. Server-rendered, no JavaScript needed."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from aiohttp import web

from services.gateway.backend import relay
from services.gateway.render import error_page, render
from services.gateway.session import BACKEND, SETTINGS, Account, checked_form, signed_in

PARIS = ZoneInfo("Europe/Paris")
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MAX_QUERY = 100

METHODS = {
    "cash": "Espèces", "cheque": "Chèque", "card": "Carte bancaire", "cesu": "CESU", "transfer": "Virement",
    "online": "Paiement en ligne",
}


class BadRequest(web.HTTPBadRequest):
    """A 400 whose reason is a French sentence (shown by the gateway's error page)."""

    def __init__(self, message: str):
        super().__init__(reason=message)


def _today() -> date:
    return datetime.now(PARIS).date()


def allowed_months(today: date | None = None) -> tuple[str, str]:
    """(previous, current) as YYYY-MM: the only months a family may look at."""
    first = (today or _today()).replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    return previous.strftime("%Y-%m"), first.strftime("%Y-%m")


def _month_and_query(request: web.Request) -> tuple[str, str]:
    previous, current = allowed_months()
    month = request.query.get("mois", "").strip() or current
    if not MONTH_RE.match(month):
        raise BadRequest("Période invalide : le mois attendu est de la forme AAAA-MM.")
    if month not in (previous, current):
        raise BadRequest("Seuls le mois en cours et le mois précédent peuvent être consultés.")
    q = request.query.get("q", "").strip()
    if len(q) > MAX_QUERY:
        raise BadRequest(f"Filtre trop long ({MAX_QUERY} caractères au plus).")
    return month, q


def _qs(**params) -> str:
    return urlencode({k: v for k, v in params.items() if v})


async def _history(request: web.Request, account: Account, month: str, q: str) -> dict:
    status, body = await request.app[BACKEND].request(
        "billing", "GET", "/v1/consumptions?" + urlencode({"month": month, "q": q}), account.identity)
    if status != 200:
        raise BadRequest((body or {}).get("detail") or "L'historique n'a pas pu être lu.")
    return body


def _nav(month: str, q: str) -> dict:
    previous, current = allowed_months()
    return {
        "previous_url": f"/consommations?{_qs(mois=previous, q=q)}" if month == current else None,
        "next_url": f"/consommations?{_qs(mois=current, q=q)}" if month == previous else None,
    }


async def _account_state(request: web.Request, account: Account) -> dict:
    status, body = await request.app[BACKEND].request("billing", "GET", "/v1/invoices", account.identity)
    if status != 200:
        return {"invoices": [], "payments": [], "balance": None, "balance_cents": 0}
    for p in body["payments"]:
        p["method_label"] = METHODS.get(p["method"], p["method"])
    return body


def _balance_text(cents: int) -> str:
    if cents < 0:
        return "Montant restant à régler"
    if cents > 0:
        return "Avoir en votre faveur"
    return "Votre compte est à jour"


@signed_in(roles=("parent",))
async def consumptions_page(request: web.Request, account: Account) -> web.Response:
    month, q = _month_and_query(request)
    history = await _history(request, account, month, q)
    state = await _account_state(request, account)
    payment = request.query.get("paiement")
    return render(request, "consommations.html", history=history, month=month, q=q,
                  nav=_nav(month, q), qs=_qs(mois=month, q=q), state=state,
                  balance_text=_balance_text(state.get("balance_cents") or 0),
                  payment_notice={"ok": "✓ Votre paiement a bien été enregistré.",
                                  "annule": "Le paiement a été annulé : aucune somme n'a été prélevée."}.get(payment))


@signed_in(roles=("parent",))
async def print_page(request: web.Request, account: Account) -> web.Response:
    month, q = _month_and_query(request)
    history = await _history(request, account, month, q)
    return render(request, "consommations_imprimer.html", history=history, month=month, q=q,
                  back_url=f"/consommations?{_qs(mois=month, q=q)}")


async def stream_file(request: web.Request, account: Account, service: str, path: str) -> web.StreamResponse:
    """A service's file (CSV, PDF, ZIP, a document) relayed as it arrives, with its name."""
    async with request.app[BACKEND].download(service, path, account.identity) as resp:
        if resp.status == 404:
            raise web.HTTPNotFound()
        if resp.status != 200:
            return error_page(request, 502 if resp.status >= 500 else 400, "Fichier indisponible",
                              "Le fichier n'a pas pu être produit. Réessayez plus tard.")
        return await relay(request, resp)


@signed_in(roles=("parent",))
async def export(request: web.Request, account: Account) -> web.Response:
    month, q = _month_and_query(request)
    extension = request.match_info["ext"]
    return await stream_file(request, account, "billing", f"/v1/consumptions/export.{extension}?"
                              + urlencode({"month": month, "q": q}))


@signed_in(roles=("parent",))
async def invoice_pdf(request: web.Request, account: Account) -> web.Response:
    try:
        invoice_id = uuid.UUID(request.match_info["invoice_id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    return await stream_file(request, account, "billing", f"/v1/invoices/{invoice_id}/pdf")


@signed_in(roles=("parent",))
async def pay_online(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    try:
        invoice_id = uuid.UUID(form.get("facture", ""))
    except ValueError:
        raise BadRequest("Facture non reconnue.") from None
    # back to this page of the portal's public address (billing refuses any other origin)
    return_url = f"{request.app[SETTINGS].public_url.rstrip('/')}/consommations"
    status, body = await request.app[BACKEND].request(
        "billing", "POST", "/v1/payments/online", account.identity,
        json={"invoice_id": str(invoice_id), "return_url": return_url})
    if status == 201 and isinstance(body, dict) and body.get("redirect_url"):
        target = body["redirect_url"]
        local = urlsplit(target)
        if local.path.startswith("/paiement-test/"):  # the local test provider lives in this very gateway
            target = local.path
        raise web.HTTPSeeOther(target)
    if status == 404:
        raise web.HTTPNotFound()
    message = (body or {}).get("detail") if isinstance(body, dict) else None
    if (status >= 500 and status != 503) or not message:
        message = "Le paiement en ligne n'a pas pu démarrer. Réessayez plus tard."
    return error_page(request, status if status in (409, 503) else (502 if status >= 500 else 400),
                      "Paiement impossible", message)


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/consommations", consumptions_page)
    r.add_get("/consommations/imprimer", print_page)
    r.add_get(r"/consommations/export.{ext:csv|pdf}", export)
    r.add_get(r"/consommations/factures/{invoice_id}.pdf", invoice_pdf)
    r.add_post("/consommations/payer", pay_online)
