"""Consommations: the two-month history (filter, arrows, print, CSV/PDF exports), the invoices with their
PDF, the payments received and the balance. Server-rendered, no JavaScript needed."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from aiohttp import web

from contracts.billing import PAYMENT_METHOD_LABELS
from kit.clock import paris_today
from services.gateway.clients import ClientError, clients_of
from services.gateway.web.errors import PageError
from services.gateway.web.forms import MONTH_RE
from services.gateway.web.guards import PARENT, signed_in
from services.gateway.web.render import render
from services.gateway.web.session import Account

MAX_QUERY = 100
PAYMENT_NOTICES = {"ok": "✓ Votre paiement a bien été enregistré.",
                   "annule": "Le paiement a été annulé : aucune somme n'a été prélevée.",
                   "refuse": "Le paiement a été refusé par la banque : aucune somme n'a été prélevée.",
                   "expire": "Le paiement a expiré : aucune somme n'a été prélevée. Vous pouvez recommencer.",
                   "attente": "Votre paiement est en cours de confirmation par la banque : il apparaîtra ici dès "
                              "qu'elle l'aura confirmé.",
                   "erreur": "Le paiement n'a pas pu être confirmé. S'il a été prélevé, il apparaîtra ici dès "
                             "que la banque l'aura confirmé."}


def allowed_months(today: date | None = None) -> tuple[str, str]:
    """(previous, current) as YYYY-MM: the only months a family may look at."""
    first = (today or paris_today()).replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    return previous.strftime("%Y-%m"), first.strftime("%Y-%m")


def _refused(message: str) -> PageError:
    return PageError(400, "Requête invalide", message)


def month_and_query(request: web.Request) -> tuple[str, str]:
    previous, current = allowed_months()
    month = request.query.get("mois", "").strip() or current
    if not MONTH_RE.match(month):
        raise _refused("Période invalide : le mois attendu est de la forme AAAA-MM.")
    if month not in (previous, current):
        raise _refused("Seuls le mois en cours et le mois précédent peuvent être consultés.")
    q = request.query.get("q", "").strip()
    if len(q) > MAX_QUERY:
        raise _refused(f"Filtre trop long ({MAX_QUERY} caractères au plus).")
    return month, q


def _qs(**params) -> str:
    return urlencode({k: v for k, v in params.items() if v})


async def _history(request: web.Request, account: Account, month: str, q: str) -> dict:
    try:
        return await clients_of(request).billing.consumptions(account.identity, month, q)
    except ClientError as exc:
        raise _refused(exc.detail_given or "L'historique n'a pas pu être lu.") from exc


def _nav(month: str, q: str) -> dict:
    previous, current = allowed_months()
    return {
        "previous_url": f"/consommations?{_qs(mois=previous, q=q)}" if month == current else None,
        "next_url": f"/consommations?{_qs(mois=current, q=q)}" if month == previous else None,
    }


async def _account_state(request: web.Request, account: Account) -> dict:
    try:
        state = await clients_of(request).billing.account(account.identity)
    except ClientError:
        return {"invoices": [], "payments": [], "balance": None, "balance_cents": 0}
    for p in state["payments"]:
        p["method_label"] = PAYMENT_METHOD_LABELS.get(p["method"], p["method"])
    return state


def balance_text(cents: int) -> str:
    if cents < 0:
        return "Montant restant à régler"
    if cents > 0:
        return "Avoir en votre faveur"
    return "Votre compte est à jour"


@signed_in(roles=PARENT)
async def consumptions_page(request: web.Request, account: Account) -> web.Response:
    month, q = month_and_query(request)
    history = await _history(request, account, month, q)
    state = await _account_state(request, account)
    return render(request, "consommations.html", history=history, month=month, q=q,
                  nav=_nav(month, q), qs=_qs(mois=month, q=q), state=state,
                  balance_text=balance_text(state.get("balance_cents") or 0),
                  payment_notice=PAYMENT_NOTICES.get(request.query.get("paiement")))


@signed_in(roles=PARENT)
async def print_page(request: web.Request, account: Account) -> web.Response:
    month, q = month_and_query(request)
    history = await _history(request, account, month, q)
    return render(request, "consommations_imprimer.html", history=history, month=month, q=q,
                  back_url=f"/consommations?{_qs(mois=month, q=q)}")


def routes(app: web.Application) -> None:
    app.router.add_get("/consommations", consumptions_page)
    app.router.add_get("/consommations/imprimer", print_page)
