"""Réservations: the recap of the basket (nothing recorded yet), then its confirmation and each line's
outcome (accepted, waiting list, refused with its reason…)."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from aiohttp import web

from kit import fr
from services.gateway.clients import clients_of
from services.gateway.pages.booking.basket import basket_json, parse_basket
from services.gateway.pages.booking.calendar import calendar_page
from services.gateway.pages.booking.common import child_name, family_children, parent_page
from services.gateway.web.csrf import checked_form
from services.gateway.web.errors import PageError
from services.gateway.web.render import render
from services.gateway.web.session import Account

OUTCOMES = {"accepted": "Acceptée", "pending": "En attente de réponse", "cancelled": "Annulée"}


def _back(form: dict) -> dict[str, str]:
    return {"enfant": form.get("enfant", ""), "activite": form.get("activite", ""), "mois": form.get("mois", "")}


@parent_page
async def recap_page(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    basket = parse_basket(form.get("panier"))
    back = _back(form)
    if not basket:
        return await calendar_page(request, account, back["enfant"] or None, back["activite"] or None,
                                   back["mois"] or None, [], message="Vous n'avez aucune demande en cours à valider.")
    children = await family_children(request, account)
    data = await clients_of(request).booking.recap(account.identity, basket)
    groups = []
    for child in children:
        reservations = [r for r in data["reservations"] if r["child_id"] == child["id"]]
        cancellations = [r for r in data["cancellations"] if r["child_id"] == child["id"]]
        if reservations or cancellations:
            groups.append({"name": child_name(child), "reservations": reservations, "cancellations": cancellations})
    problems = sum(1 for r in data["reservations"] + data["cancellations"] if not r["ok"])
    return render(request, "reservations_recapitulatif.html", groups=groups, problems=problems,
                  panier=basket_json(basket), back=back, pending_total=len(basket))


def outcome_text(result: dict) -> str:
    outcome, reason = result["outcome"], result.get("reason")
    if outcome == "waitlisted":
        position = result.get("waitlist_position")
        return f"En liste d'attente (position {position})" if position else "En liste d'attente"
    if outcome == "refused":
        return f"Refusée : {reason}" if reason else "Refusée"
    if outcome == "rejected":
        return f"Non enregistrée : {reason}" if reason else "Non enregistrée"
    return OUTCOMES.get(outcome, outcome)


def _short_day(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{fr.WEEKDAYS_SHORT[d.weekday()][:2]} {d:%d/%m/%Y}"


@parent_page
async def confirm_page(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    basket = parse_basket(form.get("panier"))
    if not basket:
        raise PageError(400, "Aucune demande", "Vous n'avez aucune demande en cours à valider.")
    children = await family_children(request, account)
    names = {c["id"]: child_name(c) for c in children}
    results = await clients_of(request).booking.confirm(account.identity, basket)
    rows = [{"date": r["date"], "day": _short_day(r["date"]), "child": names.get(r["child_id"], ""),
             "activity": r.get("activity") or "", "kind": "Réservation" if r["action"] == "reserve" else "Annulation",
             "outcome": r["outcome"], "text": outcome_text(r)} for r in results]
    rows.sort(key=lambda r: (r["date"], r["child"], r["activity"]))
    back = _back(form)
    return render(request, "reservations_resultat.html", rows=rows, panier="[]", pending_total=0,
                  back_url="/reservations?" + urlencode({k: v for k, v in back.items() if v}))


def routes(app: web.Application) -> None:
    app.router.add_post("/reservations/recapitulatif", recap_page)
    app.router.add_post("/reservations/confirmer", confirm_page)
